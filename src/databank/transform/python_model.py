"""Python models: a function from Arrow input tables to an Arrow table, registered like a SQL model.

    @python_model(
        name="silver.ces_clean_feedback",
        inputs=["bronze.ces_raw_feedback"],
        kind="merge",
        unique_key=["feedback_id"],
        tests=["not_null(feedback_id)", "range(sentiment_score, min := -1, max := 1)"],
    )
    def clean_feedback(feedback: pa.Table) -> pa.Table:
        ...

The function receives one Arrow table per input, in the order of `inputs`. With kind `full` each
input holds all its rows and the result replaces the table; with kind `merge` each input holds only
the rows newer than the model's watermark and the result is upserted by `unique_key`. The runner
does the writing, the tests and the logging exactly as for SQL models. Put the module next to the
SQL models (`models/<layer>/<table>.py`) or pass the model to the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlglot

from databank.engines.dialects import SOURCE
from databank.transform.checkparse import parse_checks
from databank.transform.errors import ModelDefinitionError
from databank.transform.header import validate
from databank.transform.model import Kind, Model, PythonFunction

MODEL_ATTRIBUTE = "__databank_model__"


def python_model(
    *,
    name: str,
    inputs: Sequence[str],
    kind: str = "full",
    unique_key: Sequence[str] = (),
    grain: Sequence[str] = (),
    tests: Sequence[str] = (),
    watermarks: dict[str, str] | None = None,
    description: str = "",
) -> Callable[[PythonFunction], PythonFunction]:
    """Register the decorated function as the model producing table `name` (layer.table)."""

    def register(function: PythonFunction) -> PythonFunction:
        where = f"python model {name} ({function.__module__}.{function.__qualname__})"
        if name.count(".") != 1:
            raise ModelDefinitionError(f"{where}: name must be layer.table")
        bad = [i for i in inputs if i.count(".") != 1]
        if bad:
            raise ModelDefinitionError(f"{where}: inputs are layer.table names, not {bad}")
        try:
            model_kind = Kind(kind)
        except ValueError:
            raise ModelDefinitionError(f"{where}: unknown kind {kind!r}") from None
        if model_kind in (Kind.INCREMENTAL, Kind.SUMMARY):
            raise ModelDefinitionError(
                f"{where}: Python models are kind full or merge",
                "partition replace needs the model's SQL to know which rows feed a partition",
            )
        unknown = sorted(set(watermarks or {}) - set(inputs))
        if unknown:
            raise ModelDefinitionError(
                f"{where}: watermarks name tables that are not inputs: {unknown}"
            )
        model = Model(
            name=name,
            kind=model_kind,
            unique_key=tuple(unique_key),
            grain=tuple(grain),
            watermarks=dict(watermarks or {}),
            checks=_checks(tests, where),
            depends_on=tuple(inputs),
            description=description or (function.__doc__ or "").strip().split("\n")[0],
            function=function,
        )
        validate(model, where)
        setattr(function, MODEL_ATTRIBUTE, model)
        return function

    return register


def _checks(tests: Sequence[str], where: str) -> tuple:
    if not tests:
        return ()
    text = "(" + ", ".join(tests) + ")"
    tokens = sqlglot.tokenize(text, read=SOURCE)
    return parse_checks(text, tokens, where)


def model_of(function: object) -> Model | None:
    """The model a decorated function registered, or None."""
    model = getattr(function, MODEL_ATTRIBUTE, None)
    return model if isinstance(model, Model) else None
