"""Model files: the MODEL header, the SELECT, and the clear errors for what is wrong in them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from databank.transform.errors import ModelDefinitionError
from databank.transform.header import parse_model
from databank.transform.loader import load_models
from databank.transform.model import Kind, Severity
from databank.transform.python_model import python_model
from transform.toy import MODELS

FULL_HEADER = """
-- a comment before the header is fine
MODEL (
  name silver.scout_clean_transactions,
  kind incremental,
  partition_by transaction_date,
  lookback 3,
  grain (transaction_id),
  watermark (bronze.scout_raw_transactions.ingested_at),
  partition_source (bronze.scout_raw_transactions.partition_key),
  description 'typed, deduplicated transactions (the comma, and (parens) stay in the string)',
  tests (
    not_null(transaction_id, amount),
    unique(transaction_id),
    accepted_values(channel, ['online', 'store'], severity := 'warn'),
    range(amount, min := -1000.5, max := 1000, max_failures := 2),
    relationships(customer_id, silver.scout_clean_customers.customer_id, severity := warn, max_rate := 0.01),
  ),
);

SELECT b.id, b.partition_key AS transaction_date
FROM bronze.scout_raw_transactions AS b  -- the body keeps its comments
"""


def test_every_property_of_the_header_is_read() -> None:
    model = parse_model(FULL_HEADER, "silver.scout_clean_transactions")
    assert model.kind is Kind.INCREMENTAL
    assert model.partition_by == "transaction_date"
    assert model.lookback == 3
    assert model.grain == ("transaction_id",)
    assert model.watermarks == {"bronze.scout_raw_transactions": "ingested_at"}
    assert model.partition_sources == {"bronze.scout_raw_transactions": "partition_key"}
    assert model.description.startswith("typed, deduplicated transactions (the comma")
    assert model.depends_on == ("bronze.scout_raw_transactions",)
    assert model.sql is not None and model.sql.startswith("SELECT b.id")
    names = [c.metric_name for c in model.checks]
    assert names == [
        "not_null:transaction_id",
        "not_null:amount",
        "unique:transaction_id",
        "accepted_values:channel",
        "range:amount",
        "relationships:customer_id",
    ]
    accepted, value_range, relation = model.checks[3], model.checks[4], model.checks[5]
    assert accepted.values == ("online", "store") and accepted.severity is Severity.WARN
    assert value_range.min == Decimal("-1000.5") and value_range.max == 1000
    assert value_range.max_failures == 2 and value_range.severity is Severity.ERROR
    assert (relation.ref_table, relation.ref_column) == (
        "silver.scout_clean_customers",
        "customer_id",
    )
    assert relation.severity is Severity.WARN and relation.max_rate == 0.01


def test_lookups_are_read_from_the_header() -> None:
    model = parse_model(
        "MODEL (kind incremental, partition_by d, lookup (silver.y, meta.z)); "
        "SELECT x.d FROM silver.x JOIN silver.y ON y.k = x.k JOIN meta.z ON z.k = x.k",
        "gold.t",
    )
    assert model.lookups == ("silver.y", "meta.z")
    assert set(model.depends_on) == {"silver.x", "silver.y", "meta.z"}  # still run before


def test_a_file_without_header_is_a_full_model() -> None:
    model = parse_model("SELECT 1 AS x FROM gold.scout_kpi_revenue_daily", "gold.x")
    assert (
        model.kind is Kind.FULL
        and model.checks == ()
        and model.depends_on == ("gold.scout_kpi_revenue_daily",)
    )


def test_dependencies_come_from_the_select_not_from_ctes() -> None:
    model = parse_model(
        "WITH recent AS (SELECT * FROM silver.a WHERE x > 1) "
        "SELECT * FROM recent JOIN silver.b ON b.k = recent.k "
        "WHERE recent.k IN (SELECT k FROM silver.c) UNION ALL SELECT * FROM silver.a",
        "gold.t",
    )
    assert sorted(model.depends_on) == ["silver.a", "silver.b", "silver.c"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("MODEL (kind incremental); SELECT 1 AS a FROM silver.x", "needs partition_by"),
        ("MODEL (kind merge); SELECT 1 AS a FROM silver.x", "needs unique_key"),
        ("MODEL (kind sometimes); SELECT 1 AS a FROM silver.x", "unknown kind 'sometimes'"),
        (
            "MODEL (kind full, lookbak 2); SELECT 1 AS a FROM silver.x",
            "unknown MODEL property 'lookbak'",
        ),
        (
            "MODEL (kind full, lookback 2); SELECT 1 AS a FROM silver.x",
            "lookback applies to kind incremental",
        ),
        ("MODEL (name gold.other); SELECT 1 AS a FROM silver.x", "does not match the file's place"),
        (
            "MODEL (kind incremental, partition_by d, partition_window 3); SELECT 1 AS d FROM silver.x",
            "partition_window needs a partition_source",
        ),
        (
            "MODEL (kind incremental, partition_by d, partition_source (silver.x.d), "
            "partition_window -1); SELECT 1 AS d FROM silver.x",
            "partition_window must be",
        ),
        ("MODEL (tests (not_empty(a))); SELECT 1 AS a FROM silver.x", "unknown test 'not_empty'"),
        ("MODEL (tests (range(a))); SELECT 1 AS a FROM silver.x", "range needs min"),
        (
            "MODEL (tests (not_null(a, oops := 1))); SELECT 1 AS a FROM silver.x",
            "unknown option 'oops'",
        ),
        (
            "MODEL (tests (not_null(a, severity := 'fatal'))); SELECT 1 AS a FROM silver.x",
            "severity must be",
        ),
        ("MODEL (kind full; SELECT 1 AS a FROM silver.x", "unbalanced parentheses"),
        ("SELECT 1 AS a FROM x", "must be written with its layer"),
        ("SELECT 1 AS a FROM silver.x; SELECT 2 AS a FROM silver.y", "exactly one SELECT"),
        ("DELETE FROM silver.x", "exactly one SELECT"),
        ("SELECT * FROM gold.t", "cannot read its own table"),
        (
            "MODEL (kind incremental, partition_by d, watermark (silver.y.updated_at)); SELECT 1 AS d FROM silver.x",
            "watermark names table(s) the SELECT does not read: silver.y",
        ),
        (
            "MODEL (kind incremental, partition_by d, lookup (silver.y)); SELECT 1 AS d FROM silver.x",
            "lookup names table(s) the SELECT does not read: silver.y",
        ),
        ("MODEL (lookup (silver.x)); SELECT 1 AS d FROM silver.x", "lookup applies to kinds"),
        (
            "MODEL (kind incremental, partition_by d, lookup (silver.x.d)); SELECT 1 AS d FROM silver.x",
            "lookup entries are layer.table",
        ),
        (
            "MODEL (kind incremental, partition_by d, partition_source (silver.x.d), "
            "lookup (silver.x)); SELECT 1 AS d FROM silver.x",
            "cannot be both a lookup and a partition_source",
        ),
    ],
)
def test_mistakes_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(ModelDefinitionError, match=r"gold\.t") as caught:
        parse_model(text, "gold.t")
    assert message in str(caught.value)


def test_loader_finds_sql_and_python_models(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    (folder / "silver").mkdir(parents=True)
    (folder / "silver" / "scout_clean_products.sql").write_text(
        "SELECT 'p' AS product_id FROM bronze.scout_raw_products"
    )
    (folder / "silver" / "feedback.py").write_text(
        "import pyarrow as pa\n"
        "from databank.transform.python_model import python_model\n\n"
        "@python_model(name='silver.ces_clean_feedback', inputs=['bronze.ces_raw_feedback'], kind='merge',\n"
        "              unique_key=['feedback_id'], tests=['not_null(feedback_id)'])\n"
        "def clean(feedback: pa.Table) -> pa.Table:\n"
        "    return feedback\n"
    )
    models = load_models(folder)
    assert set(models) == {"silver.scout_clean_products", "silver.ces_clean_feedback"}
    feedback = models["silver.ces_clean_feedback"]
    assert feedback.is_python and feedback.kind is Kind.MERGE
    assert feedback.depends_on == ("bronze.ces_raw_feedback",)
    assert [c.metric_name for c in feedback.checks] == ["not_null:feedback_id"]


def test_the_toy_models_load() -> None:
    models = load_models(MODELS)
    assert models["silver.scout_clean_transactions"].kind is Kind.INCREMENTAL
    assert set(models["gold.scout_kpi_product_performance"].depends_on) == {
        "silver.scout_clean_transactions",
        "silver.scout_clean_products",
    }


def test_python_models_refuse_partition_replace() -> None:
    with pytest.raises(ModelDefinitionError, match="kind full or merge"):
        python_model(name="silver.x", inputs=["bronze.y"], kind="incremental")(lambda t: t)


def test_a_changed_model_has_another_fingerprint() -> None:
    one = parse_model("SELECT 1 AS a FROM silver.x", "gold.t")
    same = parse_model("SELECT 1 AS a FROM silver.x", "gold.t")
    other = parse_model("SELECT 2 AS a FROM silver.x", "gold.t")
    assert one.fingerprint == same.fingerprint != other.fingerprint
