"""OpenLineage events: START then COMPLETE or FAIL per model run, valid against the client's models.

Validation rebuilds every event read from the file transport into the `openlineage-python`
client's attrs classes (their validators run: event time, URIs, required fields, enum values) and
checks the rebuilt event serialises back to exactly the line that was written.
"""

from __future__ import annotations

import json
import types
import typing
import uuid
from pathlib import Path
from typing import Any

import attr
from openlineage.client import event_v2, facet_v2
from openlineage.client.serde import Serde

from databank.engines import Engine
from databank.lineage.events import OpenLineageEmitter, dataset_name
from databank.transform.runner import Runner
from transform.toy import BRONZE, GOLD, PRODUCTS, SILVER, Bronze, write_model

FACETS: dict[str, type] = {
    "schema": facet_v2.schema_dataset.SchemaDatasetFacet,
    "columnLineage": facet_v2.column_lineage_dataset.ColumnLineageDatasetFacet,
    "outputStatistics": facet_v2.output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet,
    "parent": facet_v2.parent_run.ParentRunFacet,
    "errorMessage": facet_v2.error_message_run.ErrorMessageRunFacet,
    "sql": facet_v2.sql_job.SQLJobFacet,
    "jobType": facet_v2.job_type_job.JobTypeJobFacet,
}


def _build(kind: Any, value: Any) -> Any:
    """Structure JSON `value` as type `kind` (an attrs class, list, dict, optional, enum or plain)."""
    if value is None:
        return None
    origin = typing.get_origin(kind)
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    if origin in (typing.Union, types.UnionType):
        return _build(args[0], value)
    if origin is list:
        return [_build(args[0], v) for v in value]
    if origin is dict:
        if issubclass(args[1], facet_v2.BaseFacet):
            return {name: _structure(FACETS[name], v) for name, v in value.items()}
        return {k: _build(args[1], v) for k, v in value.items()}
    if kind is event_v2.RunState:
        return event_v2.RunState(value)
    if attr.has(kind):
        return _structure(kind, value)
    return value


def _structure(cls: type, data: dict[str, Any]) -> Any:
    attr.resolve_types(cls)
    kwargs = {}
    for field in attr.fields(cls):
        if not field.init:
            continue
        key = field.name.lstrip("_")
        source = f"_{key}" if f"_{key}" in data else key
        if source in data:
            kwargs[field.alias or key] = _build(field.type, data[source])
    return cls(**kwargs)


def validated(line: str) -> Any:
    """The client's RunEvent for one written line; its serialisation must equal the line."""
    data = json.loads(line)
    event = _structure(event_v2.RunEvent, data)
    assert Serde.to_dict(event) == data
    return event


def test_each_model_run_emits_valid_start_and_end_events(
    engine: Engine, tmp_path: Path, models_dir: Path, bronze: Bronze
) -> None:
    path = tmp_path / "data" / "openlineage" / "events.jsonl"
    runner = Runner(engine, models_dir, events=OpenLineageEmitter.to_file(path, engine))
    bronze.add("t1", "2025-01-01", "10.00")
    report = runner.run()
    events = [validated(line) for line in path.read_text().splitlines()]
    assert [(e.eventType.value, e.job.name) for e in events] == [
        ("START", SILVER),
        ("COMPLETE", SILVER),
        ("START", PRODUCTS),
        ("COMPLETE", PRODUCTS),
        ("START", GOLD),
        ("COMPLETE", GOLD),
    ]
    start, complete = events[0], events[1]
    assert start.run.runId == complete.run.runId and uuid.UUID(start.run.runId)
    assert complete.run.facets["parent"].run.runId == report.run_id
    assert [d.name for d in start.inputs] == [dataset_name(engine, BRONZE)]
    output = complete.outputs[0]
    assert output.name == dataset_name(engine, SILVER)
    assert [f.name for f in output.facets["schema"].fields] == list(engine.column_types(SILVER))
    assert output.outputFacets["outputStatistics"].rowCount == 1
    amount = output.facets["columnLineage"].fields["amount"].inputFields
    assert [(f.name, f.field, f.transformations[0].type) for f in amount] == [
        (dataset_name(engine, BRONZE), "transaction_data", "DIRECT")
    ]
    gold_lineage = events[5].outputs[0].facets["columnLineage"]
    revenue = gold_lineage.fields["total_revenue"].inputFields[0]
    assert (revenue.field, revenue.transformations[0].subtype) == ("amount", "AGGREGATION")
    assert any(f.transformations[0].subtype == "FILTER" for f in gold_lineage.dataset)
    assert complete.job.facets["sql"].query == runner.models[SILVER].sql


def test_a_failing_model_emits_fail_with_its_error(
    engine: Engine, tmp_path: Path, bronze: Bronze
) -> None:
    models = tmp_path / "models"
    write_model(
        models,
        GOLD,
        "SELECT CAST(b.transaction_data ->> 'region' AS INTEGER) AS total_transactions, "
        "DATE '2025-01-01' AS date, 'n' AS region, 'o' AS channel FROM bronze.scout_raw_transactions AS b",
    )
    path = tmp_path / "events.jsonl"
    bronze.add("t1", "2025-01-01", "10.00")
    runner = Runner(engine, models, events=OpenLineageEmitter.to_file(path, engine))
    report = runner.run()
    events = [validated(line) for line in path.read_text().splitlines()]
    assert [e.eventType.value for e in events] == ["START", "FAIL"]
    message = events[1].run.facets["errorMessage"].message
    assert message == report.result(GOLD).error and "north" in message  # the value that failed
