"""The models' dependency graph: topological order, selections, what lies downstream of a table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from databank.schema.model import LAYERS
from databank.transform.errors import DependencyCycleError, UnknownModelError
from databank.transform.model import Model


def _rank(name: str) -> tuple[int, str]:
    layer = name.split(".", 1)[0]
    return (LAYERS.index(layer) if layer in LAYERS else len(LAYERS), name)


class Dag:
    """Models as nodes, "reads the table of" as edges; order is stable (layer, then name)."""

    def __init__(self, models: Mapping[str, Model]) -> None:
        self.models = dict(models)
        self.upstream: dict[str, list[str]] = {
            name: [d for d in model.depends_on if d in self.models]
            for name, model in self.models.items()
        }
        self.readers: dict[str, list[str]] = {}
        for name, model in self.models.items():
            for table in model.depends_on:
                self.readers.setdefault(table, []).append(name)
        self.order = self._sort()

    def _sort(self) -> list[str]:
        waiting = {name: len(ups) for name, ups in self.upstream.items()}
        ready = sorted((n for n, count in waiting.items() if count == 0), key=_rank)
        order: list[str] = []
        while ready:
            name = ready.pop(0)
            order.append(name)
            for reader in self.readers.get(name, ()):
                waiting[reader] -= 1
                if waiting[reader] == 0:
                    ready.append(reader)
            ready.sort(key=_rank)
        if len(order) < len(self.models):
            raise DependencyCycleError(self._cycle(set(self.models) - set(order)))
        return order

    def _cycle(self, stuck: set[str]) -> list[str]:
        start = min(stuck, key=_rank)
        path = [start]
        seen = {start}
        node = start
        while True:
            node = min((u for u in self.upstream[node] if u in stuck), key=_rank)
            if node in seen:
                return [*path[path.index(node) :], node][::-1]
            path.append(node)
            seen.add(node)

    def resolve(self, names: Iterable[str]) -> list[str]:
        """Full model names for `names` (`layer.table` or a unique bare table name)."""
        found, unknown = [], []
        for name in names:
            if name in self.models:
                found.append(name)
                continue
            matches = [m for m in self.models if m.split(".", 1)[1] == name]
            if len(matches) == 1:
                found.append(matches[0])
            else:
                unknown.append(name)
        if unknown:
            raise UnknownModelError(unknown, self.models)
        return found

    def plan(self, names: Iterable[str] | None = None, layer: str | None = None) -> list[str]:
        """The models to run, in dependency order: `names`, or a layer's models, or all."""
        chosen = set(self.models)
        if names is not None:
            chosen = set(self.resolve(names))
        if layer is not None:
            in_layer = {m for m in self.models if m.split(".", 1)[0] == layer}
            if not in_layer:
                raise UnknownModelError([f"layer {layer}"], self.models)
            chosen &= in_layer
        return [name for name in self.order if name in chosen]

    def downstream(self, tables: Iterable[str], *, include_self: bool = False) -> list[str]:
        """Every model that reads `tables`, directly or through other models, in run order."""
        start = set(tables)
        reached: set[str] = {t for t in start if t in self.models} if include_self else set()
        frontier = list(start)
        while frontier:
            table = frontier.pop()
            for reader in self.readers.get(table, ()):
                if reader not in reached:
                    reached.add(reader)
                    frontier.append(reader)
        return [name for name in self.order if name in reached]

    def upstream_closure(self, name: str) -> list[str]:
        """Every model `name` reads through, in run order (not `name` itself)."""
        reached: set[str] = set()
        frontier = [name]
        while frontier:
            for up in self.upstream[frontier.pop()]:
                if up not in reached:
                    reached.add(up)
                    frontier.append(up)
        return [n for n in self.order if n in reached]
