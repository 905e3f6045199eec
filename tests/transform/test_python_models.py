"""Python models run in the same DAG as SQL ones: Arrow in, Arrow out, written by the runner."""

from __future__ import annotations

import uuid
from pathlib import Path

import pyarrow as pa

from databank.engines import Engine
from databank.engines.base import quote_table
from databank.transform.model import code_digest
from databank.transform.python_model import python_model
from databank.transform.runner import Runner
from transform.toy import write_model

FEEDBACK = "silver.ces_clean_feedback"
SCORES = "gold.ces_kpi_satisfaction_scores"
WORDS = {"good": 1.0, "great": 1.0, "bad": -1.0, "awful": -1.0}


@python_model(
    name=FEEDBACK,
    inputs=["bronze.ces_raw_feedback"],
    kind="merge",
    unique_key=["feedback_id"],
    tests=["not_null(feedback_id)", "range(sentiment_score, min := -1, max := 1)"],
)
def clean_feedback(feedback: pa.Table) -> pa.Table:
    """A toy sentiment: the mean polarity of the known words in the text."""
    rows = feedback.to_pylist()
    scores = []
    for row in rows:
        hits = [WORDS[w] for w in row["feedback_text"].lower().split() if w in WORDS]
        scores.append(sum(hits) / len(hits) if hits else 0.0)
    return pa.table(
        {
            "feedback_id": [str(r["id"]) for r in rows],
            "customer_id": [r["customer_id"] for r in rows],
            "feedback_text": [r["feedback_text"] for r in rows],
            "rating": [float(r["rating"]) for r in rows],
            "sentiment_score": scores,
            "sentiment_label": [
                "positive" if s > 0 else "negative" if s < 0 else "neutral" for s in scores
            ],
            "channel": [r["channel"] for r in rows],
            "submission_date": [r["ingested_at"].date() for r in rows],
            "source_bronze_id": [str(r["id"]) for r in rows],
        }
    )


def _feedback(engine: Engine, text: str, rating: int, channel: str = "email") -> str:
    fid = str(uuid.uuid4())
    engine.execute(
        "INSERT INTO bronze.ces_raw_feedback (id, feedback_text, rating, channel, customer_id) "
        "VALUES ($id, $text, $rating, $channel, 'c1')",
        {"id": fid, "text": text, "rating": rating, "channel": channel},
    )
    return fid


def _runner(engine: Engine, tmp_path: Path) -> Runner:
    models = tmp_path / "models"
    write_model(
        models,
        SCORES,
        "MODEL (kind full, grain (date, channel, interaction_type));\n"
        "SELECT f.submission_date AS date, f.channel, 'feedback' AS interaction_type,\n"
        "  CAST(avg(f.rating) AS DECIMAL(3, 2)) AS avg_rating, count(*) AS total_interactions,\n"
        "  CAST(avg(f.sentiment_score) AS DECIMAL(5, 4)) AS avg_sentiment_score\n"
        "FROM silver.ces_clean_feedback AS f GROUP BY ALL",
    )
    return Runner(engine, models, models=[clean_feedback.__databank_model__])  # type: ignore[attr-defined]


def test_python_and_sql_models_share_the_dag(engine: Engine, tmp_path: Path) -> None:
    runner = _runner(engine, tmp_path)
    assert runner.plan() == [FEEDBACK, SCORES]
    _feedback(engine, "good service", 5)
    _feedback(engine, "awful wait, bad app", 1)
    first = runner.run()
    assert first.status == "success", first.to_dict()
    assert first.result(FEEDBACK).mode == "full_refresh" and first.result(FEEDBACK).rows == 2
    assert [c.status for c in first.result(FEEDBACK).checks] == ["pass", "pass"]
    labels = dict(
        engine.fetch_rows(f"SELECT feedback_text, sentiment_label FROM {quote_table(FEEDBACK)}")
    )
    assert labels == {"good service": "positive", "awful wait, bad app": "negative"}

    new_id = _feedback(engine, "great", 4)
    report = runner.run()
    result = report.result(FEEDBACK)
    assert (result.mode, result.rows, result.partitions) == ("merge", 1, 1)
    assert (
        engine.fetch_value(
            f"SELECT sentiment_score FROM {quote_table(FEEDBACK)} WHERE feedback_id = $id",
            {"id": new_id},
        )
        == 1
    )
    assert report.result(SCORES).mode == "full_refresh"
    total, rating = engine.fetch_rows(
        f"SELECT total_interactions, avg_rating FROM {quote_table(SCORES)}"
    )[0]
    assert (total, str(rating)) == (3, "3.33")
    assert runner.run().result(FEEDBACK).mode == "up_to_date"


def test_a_python_model_with_an_unknown_column_fails_clearly(
    engine: Engine, tmp_path: Path
) -> None:
    @python_model(name=FEEDBACK, inputs=["bronze.ces_raw_feedback"], kind="full")
    def wrong(feedback: pa.Table) -> pa.Table:
        return pa.table({"feedback_id": [str(uuid.uuid4())], "mood": ["sunny"]})

    runner = Runner(engine, tmp_path / "none", models=[wrong.__databank_model__])  # type: ignore[attr-defined]
    _feedback(engine, "good", 5)
    result = runner.run().result(FEEDBACK)
    assert result.status == "failed" and "mood" in (result.error or "")
    assert engine.count_rows(FEEDBACK) == 0


_FINGERPRINT = """
import sys
sys.path.insert(0, {tests!r})
from transform.test_python_models import clean_feedback
from databank.transform.python_model import MODEL_ATTRIBUTE
print(getattr(clean_feedback, MODEL_ATTRIBUTE).fingerprint)
"""


def test_a_python_models_fingerprint_is_the_same_in_every_process() -> None:
    """Nested code (a comprehension here) and set constants must not make a Python model look
    changed, and be rebuilt in full, each time another process (a restart) runs it."""
    import os
    import subprocess
    import sys

    tests = str(Path(__file__).resolve().parents[1])
    script = _FINGERPRINT.format(tests=tests)
    prints = set()
    for seed in ("1", "2"):  # string hashing, so set order, differs between these two
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        )
        prints.add(done.stdout.strip())
    assert len(prints) == 1 and len(next(iter(prints))) == 16
    # and a change of what the code does is still seen, down in a nested comprehension
    same, other = (lambda xs: [x + 1 for x in xs]), (lambda xs: [x + 2 for x in xs])
    twin = lambda xs: [x + 1 for x in xs]  # noqa: E731 - a second function with the same body
    assert code_digest(same.__code__) == code_digest(twin.__code__)
    assert code_digest(same.__code__) != code_digest(other.__code__)
