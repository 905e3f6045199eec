"""The model runner: models in dependency order, each materialised by its kind, each run logged.

    runner = Runner(engine)                      # the package's models (or Runner(engine, folder))
    report = runner.run()                        # every model, incremental where it can
    report = runner.run(["gold.scout_kpi_revenue_daily"], full_refresh=True)
    runner.plan(layer="silver")                  # ordered model names

A model that fails (SQL error, or a test of severity `error`) leaves its table as it was, and the
models downstream of it in the same run are skipped. Runs on one engine are serialised in this
process; on PostgreSQL, writes of the same model from several processes take turns (advisory lock).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from databank.engines.base import Engine
from databank.errors import DatabankError
from databank.transform import removals, runlog, watermarks
from databank.transform.compiler import Compiled, Compiler
from databank.transform.dag import Dag
from databank.transform.errors import ChecksFailedError, ModelDefinitionError
from databank.transform.loader import default_models_dir, load_models
from databank.transform.materialize import Materializer
from databank.transform.model import Kind, Model
from databank.transform.pyrun import run_python
from databank.transform.report import FAILED, SKIPPED, SUCCESS, ModelResult, RunReport
from databank.transform.summary import SummaryShape, full_sql, summary_shape
from databank.transform.watermarks import Gap, Interval
from databank.transform.writes import Outcome, drop_leftovers

if TYPE_CHECKING:
    from databank.context import Databank
    from databank.lineage.events import OpenLineageEmitter

log = logging.getLogger(__name__)
Progress = Callable[[str, str, ModelResult | None], None]  # (event, model, result)
_WATERMARK_DEFAULTS = ("ingested_at", "updated_at")
# Kinds that may read rows twice: a partition rebuilt or a key merged again comes out the same.
# A summary would add them twice, so it never re-reads before its watermark.
_REREADS = (Kind.INCREMENTAL, Kind.MERGE)


@dataclass
class _RunState:
    """What a run reads once: stored watermarks, covered history and model states (loaded at its
    start: each model reads and writes only its own), and the newest value of each upstream."""

    stored: dict[str, dict[str, tuple[str, datetime | None]]]
    covered: dict[str, dict[str, datetime | None]]
    states: dict[str, dict[str, Any]]
    newest: dict[tuple[str, str], Any] = field(default_factory=dict)
    rebuilt: set[str] = field(default_factory=set)  # models rebuilt in full during the run

    def wrote(self, table: str) -> None:
        """`table` changed during the run: read its newest values again."""
        for key in [k for k in self.newest if k[0] == table]:
            del self.newest[key]


_locks: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def _engine_lock(engine: Engine) -> threading.RLock:
    """One lock per engine: runners sharing an engine (API, DAL, micro-batches) run one at a time."""
    with _locks_guard:
        lock = _locks.get(engine)
        if lock is None:
            lock = _locks[engine] = threading.RLock()
        return lock


class Runner:
    """Runs a set of models (SQL files of a folder, plus Python models) on one engine."""

    def __init__(
        self,
        engine: Engine,
        models_dir: Path | None = None,
        *,
        models: Iterable[Model] = (),
        events: OpenLineageEmitter | None = None,
        sync_lineage: bool = True,
        watermark_overlap: float = 0.0,
    ) -> None:
        self.engine = engine
        self.models_dir = models_dir or default_models_dir()
        self.events = events
        self.sync_lineage_on_run = sync_lineage
        self.watermark_overlap = timedelta(seconds=watermark_overlap)
        self._extra = list(models)
        self._lock = _engine_lock(engine)
        self.compiler = Compiler(engine)
        self.reload()

    @classmethod
    def from_bank(cls, bank: Databank, models_dir: Path | None = None, **options: Any) -> Runner:
        """A runner on the installation's engine, writing OpenLineage events under its data dir."""
        from databank.lineage.events import OpenLineageEmitter

        settings = bank.settings
        options.setdefault(
            "events",
            OpenLineageEmitter.for_data_dir(
                settings.data_dir,
                bank.engine,
                max_bytes=settings.lineage_events_max_bytes,
                keep=settings.lineage_events_keep,
            ),
        )
        return cls(bank.engine, models_dir, **options)

    def reload(self) -> None:
        """Read the model files again (and forget compiled SQL)."""
        with self._lock:
            self.models = load_models(self.models_dir, self._extra)
            self.dag = Dag(self.models)
            self._compiled: dict[str, Compiled] = {}
            self._columns: dict[str, set[str]] = {}
            self._logged: frozenset[str] | None = None
            self._seen = _RunState({}, {}, {})

    # -- the graph --------------------------------------------------------------------------------
    def plan(self, models: Iterable[str] | None = None, layer: str | None = None) -> list[str]:
        """Model names to run, in dependency order (all, the named ones, or one layer's)."""
        return self.dag.plan(models, layer)

    def refresh_order(self, names: Iterable[str]) -> list[str]:
        """`names` in the order they must refresh (the gold views API's `refresh_order`)."""
        return self.dag.plan(names)

    def downstream(self, tables: Iterable[str]) -> list[str]:
        """The models that read `tables`, directly or not, in run order."""
        return self.dag.downstream(tables)

    def with_upstream(self, names: Iterable[str]) -> list[str]:
        """`names` and every model they read through, in run order: a run of these never builds
        a model from upstream models that are behind their own sources."""
        chosen = set(self.dag.resolve(names))
        for name in list(chosen):
            chosen.update(self.dag.upstream_closure(name))
        return self.dag.plan(chosen)

    def watermark_gaps(self, model: str | None = None) -> list[Gap]:
        """Holes in the recorded watermark coverage (all models, or one)."""
        return watermarks.find_gaps(self.engine, model)

    # -- running ----------------------------------------------------------------------------------
    def run(
        self,
        models: Iterable[str] | None = None,
        *,
        full_refresh: bool = False,
        layer: str | None = None,
        trigger: str = "api",
        progress: Progress | None = None,
    ) -> RunReport:
        """Run models in dependency order; returns the report (failures are in it, not raised)."""
        with self._lock:
            order = self.plan(models, layer)
            self._removal_logs()
            self._seen = _RunState(
                watermarks.load_all(self.engine),
                watermarks.history_high_all(self.engine),
                runlog.load_states(self.engine),
            )
            report = RunReport(str(uuid.uuid4()), datetime.now(UTC), full_refresh, trigger)
            runlog.run_started(self.engine, report, order)
            blocked: set[str] = set()
            for name in order:
                model = self.models[name]
                stopped = [u for u in self.dag.upstream[name] if u in blocked]
                if stopped:
                    result = ModelResult(name, model.kind.value, SKIPPED, "skipped")
                    result.reason = f"upstream model(s) failed: {', '.join(stopped)}"
                    blocked.add(name)
                    self._after(report.run_id, model, result)
                else:
                    if progress:
                        progress("start", name, None)
                    result = self._run_one(report.run_id, model, full_refresh)
                    if result.status == FAILED:
                        blocked.add(name)
                report.models.append(result)
                if progress:
                    progress("done", name, result)
            report.finished_at = datetime.now(UTC)
            self._finish(report)
            return report

    def _run_one(self, run_id: str, model: Model, full_refresh: bool) -> ModelResult:
        result = ModelResult(model.name, model.kind.value)
        ol_run = str(uuid.uuid4())
        self._emit("start", model, ol_run, run_id, result)
        started = time.perf_counter()
        try:
            outcome = self._materialize(run_id, model, full_refresh, result)
            result.mode, result.rows, result.partitions = (
                outcome.mode,
                outcome.rows,
                outcome.partitions,
            )
            result.partition_values = list(outcome.partition_values or [])
            result.checks = list(outcome.checks or [])
        except ChecksFailedError as exc:
            result.status, result.error, result.mode = FAILED, str(exc), "rolled_back"
            result.checks = list(getattr(exc, "checks", []))
            result.reason = "a test with severity error failed"
        except DatabankError as exc:
            result.status, result.error = FAILED, str(exc)
        except Exception as exc:  # an engine error in the model's SQL: reported, not raised
            text = str(exc).strip()
            result.status = FAILED
            result.error = f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
            log.warning("model %s failed: %s", model.name, result.error)
            log.debug("model %s failed", model.name, exc_info=True)
        result.seconds = time.perf_counter() - started
        if result.mode not in ("up_to_date", None):
            self._seen.wrote(model.name)
        if result.status == SUCCESS and result.mode == "full_refresh":
            self._seen.rebuilt.add(model.name)
        self._after(run_id, model, result)
        self._emit("complete" if result.status != FAILED else "fail", model, ol_run, run_id, result)
        return result

    def _materialize(
        self, run_id: str, model: Model, full_refresh: bool, result: ModelResult
    ) -> Outcome:
        engine = self.engine
        intervals, result.gaps = self._intervals(model)
        result.intervals = intervals
        for gap in result.gaps:
            log.warning("%s", gap)
        state = self._seen.states.get(model.name)
        reason = self._rebuild_reason(model, state, full_refresh)
        materializer = Materializer(engine, self.compiler, run_id)
        if reason:
            result.reason = reason
            drop_leftovers(engine, model)
        if model.is_python:
            return run_python(engine, self.compiler, materializer, model, intervals, bool(reason))
        compiled = self._compile(model)
        if reason:
            if model.kind is Kind.SUMMARY:
                return materializer.full(
                    compiled, intervals, full_sql(compiled, self._shape(compiled))
                )
            return materializer.full(compiled, intervals)
        changed = [
            i
            for i in intervals
            if i.high is not None
            and (i.low is None or i.high > i.low)
            and i.source_table not in model.lookups
        ]
        if model.kind is Kind.FULL:
            if self._unchanged(model, intervals, changed):
                return Outcome("up_to_date")
            drop_leftovers(engine, model)
            return materializer.full(compiled, intervals)
        if not changed:
            return Outcome("up_to_date")
        if model.kind is Kind.SUMMARY:
            return self._summarize(materializer, compiled, intervals, changed)
        if model.kind is Kind.INCREMENTAL:
            logged = self._removal_logs()
            return materializer.incremental(
                compiled,
                intervals,
                changed,
                log_removals=model.name in logged,
                removal_logs=[i.source_table for i in changed if self._reads_log(i, logged)],
            )
        return materializer.merge(compiled, intervals, changed)

    def _summarize(
        self,
        materializer: Materializer,
        compiled: Compiled,
        intervals: Sequence[Interval],
        changed: Sequence[Interval],
    ) -> Outcome:
        """A summary's incremental run, once its source is known to log what it removes."""
        model, shape, logged = compiled.model, self._shape(compiled), self._removal_logs()
        if not any(
            i.source_table == shape.source and self._reads_log(i, logged) for i in intervals
        ):
            raise ModelDefinitionError(
                f"{model.name}: a summary reads, by updated_at, an incremental or summary model "
                f"that logs the rows it removes; {shape.source} does not",
                "a full or merge model rewrites rows in place, so the sums could not subtract "
                "their old values; make the summary kind full",
            )
        return materializer.summary(
            compiled,
            shape,
            intervals,
            changed,
            log_removals=model.name in logged,
            removal_logs=[i.source_table for i in changed if self._reads_log(i, logged)],
        )

    def _feeds_incremental(self, model: Model) -> bool:
        """True when a model reads this one's new rows to find its own work (not as a lookup):
        an incremental, merge or summary model."""
        return any(
            other.kind is not Kind.FULL
            and model.name in other.depends_on
            and model.name not in other.lookups
            for other in self.models.values()
        )

    def _removal_logs(self) -> frozenset[str]:
        """The SQL incremental and summary models that keep a removal log (`removals`): those
        that other incremental or summary models read. Their logs are created or brought up to
        date once per runner."""
        if self._logged is None:
            self._logged = frozenset(
                name
                for name, model in self.models.items()
                if model.kind in (Kind.INCREMENTAL, Kind.SUMMARY)
                and not model.is_python
                and self._feeds_incremental(model)
                and removals.ensure(self.engine, name)
            )
        return self._logged

    @staticmethod
    def _reads_log(interval: Interval, logged: frozenset[str]) -> bool:
        """A reader sees an upstream's removals when it follows the upstream by the log's stamp."""
        return interval.source_table in logged and interval.column == removals.STAMP

    def _rebuild_reason(
        self, model: Model, state: dict[str, Any] | None, full_refresh: bool
    ) -> str | None:
        if full_refresh:
            return "full refresh requested"
        if state is None or state.get("fingerprint") is None:
            return "first build"
        if state["fingerprint"] != model.fingerprint:
            return "the model changed since its last build"
        if model.kind is not Kind.FULL:
            # A rebuilt upstream restamps every row and logs nothing. A summary adding its rows
            # again would count them twice; a partition replace would rebuild every partition
            # that still has rows, but keep the ones the rebuild emptied (a transaction whose
            # date was corrected before a full refresh of silver left its old day in gold).
            # Starting over costs what rebuilding every partition would. A lookup's rows touch
            # nothing, so its rebuild does not count.
            for upstream in model.depends_on:
                if upstream in model.lookups:
                    continue
                if self._rebuilt_since(upstream, state.get("last_success_at")):
                    return f"its upstream {upstream} was rebuilt in full"
        return None

    def _rebuilt_since(self, upstream: str, built: Any) -> bool:
        """True when `upstream` was rebuilt in full in this run, or after `built`."""
        if upstream in self._seen.rebuilt:
            return True
        rebuilt = (self._seen.states.get(upstream) or {}).get("last_full_refresh_at")
        return rebuilt is not None and (built is None or rebuilt > built)

    def _unchanged(
        self, model: Model, intervals: Sequence[Interval], changed: Sequence[Interval]
    ) -> bool:
        """A full model is up to date when every upstream has a watermark and none moved."""
        covered = {i.source_table for i in intervals}
        return not changed and all(t in covered for t in model.depends_on)

    def _intervals(self, model: Model) -> tuple[list[Interval], list[Gap]]:
        """Per upstream with an ingestion-time column: (stored watermark, newest value]."""
        stored = self._seen.stored.get(model.name, {})
        covered = self._seen.covered.get(model.name, {})
        intervals, gaps = [], []
        for table in model.depends_on:
            column = self._watermark_column(model, table)
            if column is None:
                continue
            high = self._newest(table, column)
            previous = stored.get(table)
            low = previous[1] if previous and previous[0] == column else None
            reached = covered.get(table)
            if low is not None and reached is not None and low > reached:
                gaps.append(Gap(model.name, table, reached, low, "watermark"))
                low = reached  # read the gap instead of skipping it
            if low is not None and self.watermark_overlap and model.kind in _REREADS:
                low -= self.watermark_overlap
            intervals.append(Interval(table, column, low, high))
        return intervals, gaps

    def _newest(self, table: str, column: str) -> Any:
        """The newest `column` value of `table` (with its removal log's newest stamp), read once
        per run and again after a model of this run wrote the table: every model of a run then
        reads the same cut of a source that keeps receiving rows."""
        key = (table, column)
        if key not in self._seen.newest:
            high = watermarks.newest(self.engine, table, column)
            if column == removals.STAMP and table in self._removal_logs():
                removed = removals.newest(self.engine, table)
                if removed is not None and (high is None or removed > high):
                    high = removed  # a run that only removed rows is still a change
            self._seen.newest[key] = high
        return self._seen.newest[key]

    def _watermark_column(self, model: Model, table: str) -> str | None:
        if table in model.watermarks:
            return model.watermarks[table]
        return next((c for c in _WATERMARK_DEFAULTS if c in self._columns_of(table)), None)

    def _columns_of(self, table: str) -> set[str]:
        if table not in self._columns:
            self._columns[table] = set(self.engine.column_types(table))
        return self._columns[table]

    def _shape(self, compiled: Compiled) -> SummaryShape:
        """A summary model's shape (its SQL was checked at load)."""
        if compiled.tree is None:
            raise ModelDefinitionError(f"{compiled.model.name}: a summary needs its SQL")
        return summary_shape(compiled.tree, compiled.model, compiled.model.name)

    def _compile(self, model: Model) -> Compiled:
        compiled = self._compiled.get(model.name)
        if compiled is None:
            compiled = self._compiled[model.name] = self.compiler.compile(model)
        return compiled

    # -- bookkeeping ------------------------------------------------------------------------------
    def _after(self, run_id: str, model: Model, result: ModelResult) -> None:
        """Raw log, quality metrics and model state: a bookkeeping failure is logged, not raised."""
        try:
            with self.engine.transaction():  # one commit for the three
                runlog.log_model(self.engine, run_id, model, result)
                runlog.record_checks(self.engine, model, result)
                if result.status != SKIPPED:
                    runlog.save_state(self.engine, run_id, model, result)
        except Exception:
            log.exception("could not record the run of %s", model.name)

    def _finish(self, report: RunReport) -> None:
        try:
            runlog.run_finished(self.engine, report)
            self._purge_removal_logs(report)
            if self.sync_lineage_on_run:
                self._sync_changed_lineage(report)
        except Exception:
            log.exception("could not record the end of run %s", report.run_id)

    def _purge_removal_logs(self, report: RunReport) -> None:
        """Forget the removals that every reader of a logged model has now read past."""
        ran = {r.model for r in report.models if r.status == SUCCESS and r.mode != "up_to_date"}
        for name in sorted(self._removal_logs()):
            readers = [m for m, model in self.models.items() if name in model.depends_on]
            if ran.intersection(readers):
                removals.purge(self.engine, name, readers, self.watermark_overlap)

    def _sync_changed_lineage(self, report: RunReport) -> None:
        """Edges of models whose SQL changed; source-system edges of bronze tables read anew."""
        from databank.lineage.store import sync_model_lineage, sync_source_edges

        wrote = [r for r in report.models if r.status == SUCCESS and r.mode != "up_to_date"]
        if report.trigger != "microbatch":
            read = {t for r in wrote for t in self.models[r.model].depends_on}
            bronze = sorted(
                t
                for t in read
                if t.startswith("bronze.") and "source_system" in self._columns_of(t)
            )
            if bronze:
                sync_source_edges(self.engine, bronze)
        states = runlog.load_states(self.engine)
        for result in report.models:
            if result.status != SUCCESS:
                continue
            model = self.models[result.model]
            state = states.get(model.name, {})
            if state.get("lineage_fingerprint") != model.fingerprint:
                sync_model_lineage(self.engine, model, self.models)
                runlog.save_lineage_fingerprint(self.engine, model.name, model.fingerprint)

    def sync_lineage(self) -> int:
        """Rewrite `meta.neural_data_lineage` from every model and the bronze source systems."""
        from databank.lineage.store import sync_lineage

        with self._lock:
            return sync_lineage(self.engine, self.models)

    def _emit(
        self, event: str, model: Model, ol_run: str, run_id: str, result: ModelResult
    ) -> None:
        if self.events is None:
            return
        try:
            self.events.emit(event, model, ol_run, run_id, result, self.models)
        except Exception:
            log.exception("could not emit the OpenLineage %s event of %s", event, model.name)
