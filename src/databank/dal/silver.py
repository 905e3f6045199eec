"""`SilverDataAccess`: clean business tables from Python, on any engine.

    silver = SilverDataAccess(bank)
    rows = silver.get_clean_data("transactions", {"region": "north"}, limit=100, offset=0)
    report = silver.trigger_transformation("bronze.scout_raw_transactions",
                                           "silver.scout_clean_transactions", "incremental")
    silver.get_data_lineage("scout_clean_transactions")

Filters apply only to the table's own columns (an unknown column is an error naming the valid
ones) and their values are always bound parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from databank.context import Databank
from databank.engines.base import quote_ident, quote_table
from databank.errors import DatabankError, UnknownTableError
from databank.schema.model import Table

if TYPE_CHECKING:
    from databank.transform.report import RunReport
    from databank.transform.runner import Runner

MAX_PAGE = 10_000


class InvalidFilterError(DatabankError):
    """A filter names a column the table does not have, or a page is out of range."""

    exit_code = 2


class SilverDataAccess:
    """In-process access to the silver layer."""

    def __init__(self, bank: Databank | None = None, *, runner: Runner | None = None) -> None:
        self.bank = bank or Databank()
        self._runner = runner

    def table(self, name: str) -> Table:
        """The silver table for `transactions`, `scout_clean_transactions` or `silver.…`."""
        schema = self.bank.schema
        candidates = (
            name,
            f"silver.{name}",
            f"silver.scout_clean_{name}",
            f"silver.ces_clean_{name}",
        )
        for candidate in candidates:
            try:
                table = schema.table(candidate)
            except UnknownTableError:
                continue
            if table.layer == "silver":
                return table
        valid = ", ".join(t.name for t in schema.layer("silver"))
        raise UnknownTableError(f"no silver table {name!r}", f"silver tables: {valid}")

    def get_clean_data(
        self,
        table_name: str,
        filters: Mapping[str, Any] | None = None,
        *,
        limit: int = 100,
        offset: int = 0,
        order_by: str | None = None,
    ) -> list[dict[str, Any]]:
        """Rows of a silver table matching `filters` (equality; a list value means IN), one page."""
        table = self.table(table_name)
        columns = [c.name for c in table.columns]
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise InvalidFilterError(f"page out of range: limit 1..{MAX_PAGE}, offset ≥ 0")
        where, params = [], {}
        for i, (column, value) in enumerate((filters or {}).items()):
            if column not in columns:
                raise InvalidFilterError(
                    f"{table.qualified} has no column {column!r}", f"columns: {', '.join(columns)}"
                )
            if value is None:
                where.append(f"{quote_ident(column)} IS NULL")
            elif isinstance(value, list | tuple | set):
                marks = []
                for j, item in enumerate(value):
                    params[f"f{i}_{j}"] = item
                    marks.append(f"$f{i}_{j}")
                where.append(f"{quote_ident(column)} IN ({', '.join(marks) or 'NULL'})")
            else:
                params[f"f{i}"] = value
                where.append(f"{quote_ident(column)} = $f{i}")
        order = order_by or table.primary_key[0]
        if order not in columns:
            raise InvalidFilterError(f"cannot order by {order!r}", f"columns: {', '.join(columns)}")
        sql = f"SELECT * FROM {quote_table(table.qualified)}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {quote_ident(order)} LIMIT {int(limit)} OFFSET {int(offset)}"
        return self.bank.engine.fetch_arrow(sql, params).to_pylist()

    def trigger_transformation(
        self,
        source_table: str,
        target_table: str,
        transformation_type: Literal[
            "full", "incremental", "full_refresh", "merge"
        ] = "incremental",
    ) -> RunReport:
        """Run the model that builds `target_table` now (in this process) and return its report."""
        runner = self.runner
        target = self.table(target_table).qualified if "." not in target_table else target_table
        if target not in runner.models:
            raise UnknownTableError(
                f"no model builds {target_table!r}", f"models: {', '.join(sorted(runner.models))}"
            )
        reads = runner.models[target].depends_on
        if source_table not in reads and source_table != target:
            known = ", ".join(sorted(reads))
            raise UnknownTableError(
                f"{target} does not read {source_table!r}", f"it reads: {known or 'nothing'}"
            )
        return runner.run(
            [target], full_refresh=transformation_type in ("full", "full_refresh"), trigger="dal"
        )

    def get_data_lineage(self, table_name: str) -> list[dict[str, Any]]:
        """Lineage rows where `table_name` is the source or the target (column level)."""
        name = self.bank.schema.table(table_name).qualified
        return self.bank.engine.fetch_arrow(
            "SELECT source_table, source_column, target_table, target_column, "
            "transformation_logic, layer_transition, transformation_type "
            "FROM meta.neural_data_lineage WHERE source_table = $t OR target_table = $t "
            "ORDER BY target_table, target_column, source_table, source_column",
            {"t": name},
        ).to_pylist()

    @property
    def runner(self) -> Runner:
        """The model runner on this installation (made on first use)."""
        if self._runner is None:
            from databank.transform.runner import Runner

            self._runner = Runner.from_bank(self.bank)
        return self._runner
