"""Running a Python model: read its inputs as Arrow, call it, land its output like SQL output."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from databank.engines.base import Engine, quote_ident, quote_table
from databank.transform.compiler import Compiler
from databank.transform.errors import ModelDefinitionError
from databank.transform.materialize import Materializer
from databank.transform.model import Kind, Model
from databank.transform.watermarks import Interval, save
from databank.transform.writes import Outcome, staging_name


def read_inputs(
    engine: Engine, model: Model, intervals: Sequence[Interval], only_new: bool
) -> list[pa.Table]:
    """One Arrow table per input: all rows, or (merge) only rows in the run's watermark interval."""
    by_table = {i.source_table: i for i in intervals}
    tables = []
    for name in model.depends_on:
        interval = by_table.get(name)
        sql, params = f"SELECT * FROM {quote_table(name)}", {}
        if only_new and interval is not None:
            column = quote_ident(interval.column)
            sql += f" WHERE {column} <= $hi"
            params["hi"] = interval.high
            if interval.low is not None:
                sql += f" AND {column} > $lo"
                params["lo"] = interval.low
        tables.append(engine.fetch_arrow(sql, params or None))
    return tables


def run_python(
    engine: Engine,
    compiler: Compiler,
    materializer: Materializer,
    model: Model,
    intervals: Sequence[Interval],
    rebuild: bool,
) -> Outcome:
    """Call the model's function and write its result (full: replace the table; merge: upsert)."""
    assert model.function is not None
    merge = model.kind is Kind.MERGE and not rebuild
    if merge and not any(
        i.high is not None and (i.low is None or i.high > i.low) for i in intervals
    ):
        return Outcome("up_to_date")
    inputs = read_inputs(engine, model, intervals, only_new=merge)
    output = model.function(*inputs)
    if not isinstance(output, pa.Table):
        raise ModelDefinitionError(
            f"python model {model.name}: the function returned {type(output).__name__}, not a pyarrow.Table"
        )
    if merge and output.num_rows == 0:
        save(engine, materializer.run_id, model.name, intervals, "merge", 0, 0)
        return Outcome("merge")
    types = engine.column_types(model.name)
    extra = [c for c in output.column_names if c not in types]
    if extra:
        raise ModelDefinitionError(
            f"python model {model.name} returns column(s) that {model.name} does not have: {', '.join(extra)}"
        )
    landing = staging_name(model, "in")
    columns = ", ".join(quote_ident(c) for c in output.column_names)
    try:
        engine.execute(
            f"CREATE TABLE {quote_table(landing)} AS SELECT {columns} FROM {quote_table(model.name)} LIMIT 0"
        )
        engine.append_arrow(landing, output)
        source = f"SELECT * FROM {quote_table(landing)}"
        compiled = compiler.compile(model, source_sql=source)
        if merge:
            return materializer.merge(compiled, intervals, (), batch_source=source)
        return materializer.full(compiled, intervals)
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {quote_table(landing)}")
