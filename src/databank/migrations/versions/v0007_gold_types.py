"""0007: two gold columns the spec's DBML cannot hold as defined (docs/definitions.md, "Gold").

- `gold.ces_kpi_satisfaction_scores.nps_score`: numeric(4,2) → numeric(5,2). The Net Promoter
  Score runs from -100 to 100 with two decimals; numeric(4,2) stops at 99.99.
- `gold.scout_kpi_campaign_attribution`: the primary key (date, campaign_id, channel) becomes
  (date, campaign_id, channel, attribution_model), so the rows of the attribution models (last
  touch, first touch, linear, time decay) for the same day, campaign and channel can coexist.
  A row without a model (none are written by the models) is kept as model 'unknown'. Engines that
  cannot alter a primary key in place get the table rebuilt (same columns, defaults and indexes).

Both are backward compatible for readers: every column keeps its name and family.
"""

from __future__ import annotations

from dataclasses import replace

from databank.engines.base import Engine, quote_ident, quote_table
from databank.migrations.model import Change, Migration
from databank.schema.model import ColumnType, Table, load_schema

SATISFACTION = "gold.ces_kpi_satisfaction_scores"
ATTRIBUTION = "gold.scout_kpi_campaign_attribution"
NPS_TYPE = ColumnType.parse("numeric(5,2)")
ATTRIBUTION_KEY = ("date", "campaign_id", "channel", "attribution_model")
_STAGING_SUFFIX = "__v0007"


def primary_key(engine: Engine, table: str) -> tuple[str, ...]:
    """The primary key columns of `table` as the engine's catalog has them (in key order)."""
    schema, name = table.split(".", 1)
    rows = engine.fetch_rows(
        "SELECT k.column_name, k.ordinal_position FROM information_schema.table_constraints AS c "
        "JOIN information_schema.key_column_usage AS k ON k.constraint_name = c.constraint_name "
        "AND k.table_schema = c.table_schema AND k.table_name = c.table_name "
        "WHERE c.table_schema = $s AND c.table_name = $t AND c.constraint_type = 'PRIMARY KEY'",
        {"s": schema, "t": name},
    )
    return tuple(r[0] for r in sorted(rows, key=lambda r: r[1]))


def _widen_nps(engine: Engine) -> list[Change]:
    current = engine.column_types(SATISFACTION).get("nps_score", "")
    wanted = engine.render_type(NPS_TYPE)
    if current.replace(" ", "").lower().endswith("(5,2)"):
        return []
    script = (
        f"ALTER TABLE {quote_table(SATISFACTION)} ALTER COLUMN {quote_ident('nps_score')} "
        f"TYPE {wanted}"
    )
    engine.execute(script)
    return [
        Change(
            "ces_kpi_satisfaction_scores",
            "gold",
            "alter_type",
            "widen nps_score from numeric(4,2) to numeric(5,2): NPS runs from -100 to 100",
            script + ";",
            backward_compatible=True,
        )
    ]


def attribution_table() -> Table:
    """The spec's attribution table with attribution_model in its primary key."""
    spec = load_schema().table(ATTRIBUTION)
    columns = tuple(replace(c, primary_key=c.name in ATTRIBUTION_KEY) for c in spec.columns)
    return replace(spec, columns=columns)


def _rekey_attribution(engine: Engine) -> list[Change]:
    table = attribution_table()
    if not engine.keyed(table) or primary_key(engine, ATTRIBUTION) == ATTRIBUTION_KEY:
        return []
    staging = replace(table, name=table.name + _STAGING_SUFFIX)
    target, temporary = quote_table(table.qualified), quote_table(staging.qualified)
    columns = ", ".join(quote_ident(c.name) for c in table.columns)
    statements = [
        f"UPDATE {target} SET {quote_ident('attribution_model')} = 'unknown' "
        f"WHERE {quote_ident('attribution_model')} IS NULL",
        f"DROP TABLE IF EXISTS {temporary}",
        engine.create_table_sql(staging)[0],  # the table alone: its indexes come after the rename
        f"INSERT INTO {temporary} ({columns}) SELECT {columns} FROM {target}",
        f"DROP TABLE {target}",
        f"ALTER TABLE {temporary} RENAME TO {quote_ident(table.name)}",
        *engine.create_index_sql(table),
    ]
    for statement in statements:
        engine.execute(statement)
    return [
        Change(
            "scout_kpi_campaign_attribution",
            "gold",
            "alter_primary_key",
            "primary key (date, campaign_id, channel) -> (date, campaign_id, channel, "
            "attribution_model): one row per attribution model (last_touch, first_touch, linear, "
            "time_decay); the table is rebuilt with the same columns and indexes",
            ";\n".join(statements) + ";",
            backward_compatible=True,
        )
    ]


def apply(engine: Engine) -> list[Change]:
    """Widen nps_score and re-key the attribution table (each skipped when already done)."""
    return _widen_nps(engine) + _rekey_attribution(engine)


MIGRATION = Migration(version="0007", name="gold_types", apply=apply)
