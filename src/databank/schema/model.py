"""The schema as plain data, read from the package's DBML file (the source of truth)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from databank.errors import SchemaError, UnknownTableError

LAYERS: tuple[str, ...] = ("bronze", "silver", "gold", "platinum", "meta")
_GROUP_LAYER = {
    "bronze_layer": "bronze",
    "silver_layer": "silver",
    "gold_layer": "gold",
    "platinum_layer": "platinum",
    "metadata_layer": "meta",
}
_TYPE_RE = re.compile(r"^(?P<base>[a-z ]+?)(?:\((?P<args>[\d, ]+)\))?(?P<array>\[\])?$")


@dataclass(frozen=True)
class ColumnType:
    """A DBML column type split into its parts: `numeric(12,2)` → base numeric, args (12, 2)."""

    base: str
    args: tuple[int, ...] = ()
    is_array: bool = False

    @classmethod
    def parse(cls, text: str) -> ColumnType:
        """Parse a DBML type such as `varchar(3)`, `numeric(12,2)` or `varchar[]`."""
        match = _TYPE_RE.match(text.strip().lower())
        if not match:
            raise SchemaError(f"unsupported column type {text!r} in the DBML")
        args = tuple(int(a) for a in match["args"].split(",")) if match["args"] else ()
        return cls(match["base"].strip(), args, bool(match["array"]))

    @property
    def family(self) -> str:
        """The type family tests compare across engines: text, numeric, integer, ..."""
        if self.is_array:
            return "array"
        return _FAMILIES[self.base]

    def __str__(self) -> str:
        args = f"({','.join(map(str, self.args))})" if self.args else ""
        return f"{self.base}{args}{'[]' if self.is_array else ''}"


_FAMILIES = {
    "uuid": "uuid",
    "varchar": "text",
    "text": "text",
    "jsonb": "json",
    "timestamp": "timestamp",
    "date": "date",
    "numeric": "numeric",
    "integer": "integer",
    "bigint": "integer",
    "boolean": "boolean",
}


@dataclass(frozen=True)
class Default:
    """A column default: an SQL expression (`now()`) or a literal value."""

    value: str | bool | int | float
    is_expression: bool = False


@dataclass(frozen=True)
class Column:
    """One column of a table."""

    name: str
    type: ColumnType
    primary_key: bool = False
    unique: bool = False
    not_null: bool = False
    default: Default | None = None


@dataclass(frozen=True)
class Index:
    """One index: its columns, its method (btree, gin, gist) and whether it is unique."""

    columns: tuple[str, ...]
    method: str = "btree"
    unique: bool = False


@dataclass(frozen=True)
class Ref:
    """A `ref:` line: a referential link checked by quality rules, never a foreign key."""

    table: str
    column: str
    ref_table: str
    ref_column: str


@dataclass(frozen=True)
class Table:
    """One table of the schema, in its layer."""

    name: str
    layer: str
    columns: tuple[Column, ...]
    indexes: tuple[Index, ...] = ()
    refs: tuple[Ref, ...] = field(default=())

    @property
    def qualified(self) -> str:
        """`layer.name`, the table's name in every engine."""
        return f"{self.layer}.{self.name}"

    @property
    def primary_key(self) -> tuple[str, ...]:
        """The primary key columns (several for the gold tables' composite keys)."""
        return tuple(c.name for c in self.columns if c.primary_key)

    def column(self, name: str) -> Column:
        """The column called `name`."""
        for col in self.columns:
            if col.name == name:
                return col
        raise UnknownTableError(f"table {self.qualified} has no column {name!r}")


@dataclass(frozen=True)
class Schema:
    """All tables of the DBML, grouped by layer."""

    tables: tuple[Table, ...]

    def table(self, name: str) -> Table:
        """Find a table by `name` or `layer.name`."""
        short = name.split(".", 1)[-1]
        for table in self.tables:
            if table.name == short and (name == short or table.qualified == name):
                return table
        known = ", ".join(t.qualified for t in self.tables)
        raise UnknownTableError(f"unknown table {name!r}", f"known tables: {known}")

    def layer(self, layer: str) -> tuple[Table, ...]:
        """The tables of one layer, in DBML order."""
        return tuple(t for t in self.tables if t.layer == layer)

    @property
    def refs(self) -> tuple[Ref, ...]:
        """Every `ref:` of every table."""
        return tuple(r for t in self.tables for r in t.refs)


def _default(raw: object) -> Default | None:
    if raw is None:
        return None
    if type(raw).__name__ == "Expression":
        return Default(str(getattr(raw, "text", raw)), is_expression=True)
    if isinstance(raw, bool | int | float | str):
        return Default(raw)
    raise SchemaError(f"unsupported default {raw!r} in the DBML")


def parse_dbml(text: str) -> Schema:
    """Build a `Schema` from DBML text (pydbml does the parsing)."""
    from pydbml import PyDBML

    parsed = PyDBML(text)
    layer_of = {
        item.name: _GROUP_LAYER.get(group.name, group.name.removesuffix("_layer"))
        for group in parsed.table_groups
        for item in group.items
    }
    refs: dict[str, list[Ref]] = {}
    for ref in parsed.refs:
        for left, right in zip(ref.col1, ref.col2, strict=True):
            many, one = (left, right) if ref.type == ">" else (right, left)
            refs.setdefault(many.table.name, []).append(
                Ref(many.table.name, many.name, one.table.name, one.name)
            )
    tables = []
    for t in parsed.tables:
        if t.name not in layer_of:
            raise SchemaError(f"table {t.name} belongs to no TableGroup (layer) in the DBML")
        columns = tuple(
            Column(
                name=c.name,
                type=ColumnType.parse(str(c.type)),
                primary_key=bool(c.pk),
                unique=bool(c.unique),
                not_null=bool(c.not_null),
                default=_default(c.default),
            )
            for c in t.columns
        )
        indexes = tuple(
            Index(
                columns=tuple(getattr(s, "name", str(s)) for s in i.subjects),
                method=(i.type or "btree").lower(),
                unique=bool(i.unique),
            )
            for i in t.indexes
            if not i.pk
        )
        # A column's own `[ref: > x.y]` appears in parsed.refs too; keep each once.
        own = tuple(dict.fromkeys(refs.get(t.name, ())))
        tables.append(Table(t.name, layer_of[t.name], columns, indexes, own))
    return Schema(tuple(tables))


@cache
def load_schema() -> Schema:
    """The package's schema (parsed once per process)."""
    text = resources.files("databank.schema").joinpath("neural_databank.dbml").read_text("utf-8")
    return parse_dbml(text)
