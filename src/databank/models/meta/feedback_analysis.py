"""meta.feedback_analysis: the text analysis of each passed bronze feedback record (Python model).

SQL cannot detect a language or score sentiment, so this model does only that, once per bronze
record (kind merge by bronze id: each run analyses just the records ingested since the last one);
`silver.ces_clean_feedback` (SQL) picks the latest version of each feedback, maps its customer to
the person and joins this analysis. What each column means: `_feedback/` modules and
docs/definitions.md ("Silver").
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from databank.models.meta._feedback import ANALYZER_VERSION, analyse
from databank.models.meta._feedback.sentiment import LABELS
from databank.transform.python_model import python_model

SCHEMA = pa.schema(
    [
        ("bronze_id", pa.string()),
        ("language_detected", pa.string()),
        ("sentiment_score", pa.float64()),
        ("sentiment_label", pa.string()),
        ("categories", pa.list_(pa.string())),
        ("key_topics", pa.list_(pa.string())),
        ("escalation", pa.bool_()),
        ("priority_score", pa.float64()),
        ("analyzer_version", pa.string()),
    ]
)


@python_model(
    name="meta.feedback_analysis",
    inputs=["bronze.ces_raw_feedback"],
    kind="merge",
    unique_key=["bronze_id"],
    grain=["bronze_id"],
    tests=[
        "not_null(bronze_id, language_detected, sentiment_label, priority_score)",
        "unique(bronze_id)",
        "range(sentiment_score, min := -1, max := 1)",
        "range(priority_score, min := 0, max := 1)",
        "accepted_values(sentiment_label, [" + ", ".join(f"'{label}'" for label in LABELS) + "])",
    ],
    description="language, sentiment, categories, key topics and priority of each feedback record",
)
def feedback_analysis(feedback: pa.Table) -> pa.Table:
    """Analyse the passed records of `feedback` (bronze.ces_raw_feedback rows)."""
    passed = feedback.filter(pc.equal(feedback["validation_status"], "passed"))
    if passed.num_rows == 0:
        return SCHEMA.empty_table()
    records = passed.select(["id", "interaction_context"]).to_pylist()
    payloads = [_payload(r["interaction_context"]) for r in records]
    texts = [
        p.get("feedback_text") if isinstance(p.get("feedback_text"), str) else "" for p in payloads
    ]
    declared = [p.get("language") if isinstance(p.get("language"), str) else None for p in payloads]
    ratings = [_rating(p.get("rating")) for p in payloads]
    found = analyse(texts, declared, ratings)
    return pa.table(
        {
            "bronze_id": [str(r["id"]) for r in records],
            "language_detected": [a.language for a in found],
            "sentiment_score": [a.sentiment_score for a in found],
            "sentiment_label": [a.sentiment_label for a in found],
            "categories": [list(a.categories) for a in found],
            "key_topics": [list(a.key_topics) for a in found],
            "escalation": [a.escalation for a in found],
            "priority_score": [a.priority_score for a in found],
            "analyzer_version": [ANALYZER_VERSION] * len(found),
        },
        schema=SCHEMA,
    )


def _payload(value: object) -> dict:
    """The record as a dict (the engines return JSON as text or as a parsed object)."""
    import orjson

    if isinstance(value, dict):
        return value
    if isinstance(value, str | bytes):
        parsed = orjson.loads(value)
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _rating(value: object) -> float | None:
    if value.__class__ is bool or not isinstance(value, int | float):
        return None
    return float(value)
