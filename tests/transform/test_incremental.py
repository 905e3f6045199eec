"""Partition replace: idempotent, equal to a full rebuild, and exact about which partitions change."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from unittest import mock

from databank.engines import Engine
from databank.engines.base import quote_table
from databank.transform import removals
from databank.transform.materialize import _same_value
from databank.transform.runner import Runner
from transform.toy import (
    GOLD,
    PRODUCTS,
    SILVER,
    Bronze,
    assert_full_refresh_keeps,
    snapshot,
    with_lookback,
    write_model,
)

TABLES = (SILVER, GOLD, PRODUCTS)


# silver read through bronze's partition column (latest delivery per transaction id)
PARTITIONED_SILVER = """
MODEL (
  kind incremental,
  partition_by transaction_date,
  partition_source (bronze.scout_raw_transactions.partition_key)
);
SELECT b.id, b.transaction_data ->> 'transaction_id' AS transaction_id,
  b.partition_key AS transaction_date,
  CAST(b.transaction_data ->> 'amount' AS DECIMAL(12, 2)) AS amount,
  b.transaction_data ->> 'region' AS region, b.transaction_data ->> 'channel' AS channel,
  b.id AS source_bronze_id
FROM bronze.scout_raw_transactions AS b
WHERE b.validation_status = 'passed'
QUALIFY row_number() OVER (
  PARTITION BY b.transaction_data ->> 'transaction_id' ORDER BY b.ingested_at DESC) = 1
"""


def _expected_gold(rows: list[dict]) -> dict[tuple[date, str, str], tuple[Decimal, int]]:
    """Revenue per day/region/channel worked out in Python: latest delivery per id, passed, > 0."""
    latest: dict[str, dict] = {}
    for row in rows:  # rows are in ingestion order
        if row["status"] == "passed":
            latest[row["tid"]] = row
    totals: dict[tuple[date, str, str], list] = defaultdict(lambda: [Decimal(0), 0])
    for row in latest.values():
        amount = Decimal(str(row["amount"]))
        if amount > 0:
            key = (date.fromisoformat(row["day"]), row["region"], row["channel"])
            totals[key][0] += amount
            totals[key][1] += 1
    return {k: (v[0], v[1]) for k, v in totals.items()}


class Feed:
    """Bronze records, also remembered for the independent computation."""

    def __init__(self, bronze: Bronze) -> None:
        self.bronze = bronze
        self.rows: list[dict] = []

    def add(
        self,
        tid: str,
        day: str,
        amount: str,
        region: str = "north",
        channel: str = "online",
        status: str = "passed",
    ) -> None:
        self.bronze.add(tid, day, amount, region=region, channel=channel, status=status)
        self.rows.append(
            {
                "tid": tid,
                "day": day,
                "amount": amount,
                "region": region,
                "channel": channel,
                "status": status,
            }
        )


def _gold(engine: Engine) -> dict[tuple[date, str, str], tuple[Decimal, int]]:
    rows = engine.fetch_rows(
        f"SELECT date, region, channel, total_revenue, total_transactions FROM {quote_table(GOLD)}"
    )
    return {(r[0], r[1], r[2]): (Decimal(r[3]), int(r[4])) for r in rows}


def test_models_run_in_dependency_order(runner: Runner) -> None:
    order = runner.plan()
    assert order.index(SILVER) < order.index(GOLD)
    assert order.index(SILVER) < order.index(PRODUCTS)
    assert runner.refresh_order([GOLD, SILVER]) == [SILVER, GOLD]
    assert runner.downstream(["bronze.scout_raw_transactions"]) == order


def test_running_twice_changes_nothing(engine: Engine, runner: Runner, bronze: Bronze) -> None:
    for i in range(6):
        bronze.add(
            f"t{i}", f"2025-01-0{1 + i % 3}", f"{10 + i}.25", region=("north", "south")[i % 2]
        )
    assert runner.run().status == "success"
    bronze.add("t9", "2025-01-02", "5.00")
    report = runner.run()
    assert report.result(SILVER).mode == "incremental"
    before = {t: snapshot(engine, t, exclude=()) for t in TABLES}  # timestamps included
    again = runner.run()
    assert [m.mode for m in again.models] == ["up_to_date"] * 3
    assert {t: snapshot(engine, t, exclude=()) for t in TABLES} == before


def test_full_refresh_equals_incremental(engine: Engine, runner: Runner, bronze: Bronze) -> None:
    feed = Feed(bronze)
    feed.add("a1", "2025-01-01", "10.00")
    feed.add("a2", "2025-01-01", "20.50", region="south")
    feed.add("a3", "2025-01-02", "7.25", channel="store")
    feed.add("a4", "2025-01-02", "-7.25", channel="store")  # a refund: not revenue
    feed.add("a5", "2025-01-03", "99.00", status="failed")  # never reaches silver
    assert runner.run().status == "success"
    feed.add("a1", "2025-01-01", "12.00")  # re-delivery: the latest wins
    feed.add("b1", "2024-12-30", "3.10")  # late, for an old day
    feed.add("b2", "2025-01-04", "1.99", region="south", channel="mobile_app")
    assert runner.run().status == "success"
    feed.add("a3", "2025-01-04", "7.25", channel="store")  # corrected date: leaves 2025-01-02
    feed.add("b3", "2025-01-02", "8.00", channel="store")
    report = runner.run()
    assert report.status == "success"
    assert report.result(SILVER).mode == "incremental"
    assert set(report.result(SILVER).partition_values) == {date(2025, 1, 2), date(2025, 1, 4)}
    incremental = {t: snapshot(engine, t) for t in TABLES}
    assert _gold(engine) == _expected_gold(feed.rows)

    rebuilt = runner.run(full_refresh=True)
    assert [m.mode for m in rebuilt.models] == ["full_refresh"] * 3
    assert {t: snapshot(engine, t) for t in TABLES} == incremental
    assert (
        engine.fetch_value(
            f"SELECT count(*) FROM {quote_table(SILVER)} WHERE transaction_id = 'a3'"
        )
        == 1
    )


def test_a_late_record_changes_exactly_its_partition(
    engine: Engine, runner: Runner, bronze: Bronze
) -> None:
    for day in range(1, 6):
        bronze.add(f"t{day}", f"2025-01-0{day}", "10.00")
    runner.run()
    before = {r[0]: r for r in engine.fetch_rows(f"SELECT * FROM {quote_table(GOLD)}")}
    stamps = f"SELECT transaction_id, updated_at FROM {quote_table(SILVER)}"
    stamped = dict(engine.fetch_rows(stamps))
    bronze.add("late", "2025-01-02", "5.00")
    report = runner.run()
    assert report.result(SILVER).partition_values == [date(2025, 1, 2)]
    assert report.result(GOLD).partition_values == [date(2025, 1, 2)]
    # the day is rebuilt, but only the late row is written: t2 comes out the same and keeps its
    # stamp, so nothing downstream takes it for a change
    assert (report.result(SILVER).rows, report.result(GOLD).rows) == (1, 1)
    assert dict(engine.fetch_rows(stamps)) == stamped | {"late": mock.ANY}
    after = {r[0]: r for r in engine.fetch_rows(f"SELECT * FROM {quote_table(GOLD)}")}
    changed = {day for day in after if after[day] != before[day]}
    assert changed == {date(2025, 1, 2)}  # other days untouched, updated_at included
    assert _gold(engine)[(date(2025, 1, 2), "north", "online")] == (Decimal("15.00"), 2)


def test_lookback_replaces_the_partitions_before(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    with_lookback(models_dir, 2)
    runner = Runner(engine, models_dir)
    for day in range(1, 8):
        bronze.add(f"t{day}", f"2025-01-0{day}", "1.00")
    runner.run()
    bronze.add("x", "2025-01-05", "2.00")
    report = runner.run()
    assert report.result(SILVER).partition_values == [date(2025, 1, d) for d in (3, 4, 5)]
    # days 3 and 4 were rebuilt the same: only day 5 reaches gold as a change
    assert report.result(GOLD).partition_values == [date(2025, 1, 5)]
    bronze.add("y", "2025-01-04", "4.00")
    runner.run()
    bronze.add("t4", "2025-01-06", "1.00")  # t4 moves from day 4 to day 6
    report = runner.run()
    # its old day 4 and new day 6, each with its two lookback days
    assert report.result(SILVER).partition_values == [date(2025, 1, d) for d in range(2, 7)]
    # day 4 lost a row: it is rewritten whole, so gold sees it through y
    assert report.result(GOLD).partition_values == [date(2025, 1, 4), date(2025, 1, 6)]
    assert _gold(engine) == {
        (date(2025, 1, d), "north", "online"): (Decimal(v), n)
        for d, v, n in ((1, "1.00", 1), (2, "1.00", 1), (3, "1.00", 1), (4, "4.00", 1),
                        (5, "3.00", 2), (6, "2.00", 2), (7, "1.00", 1))
    }  # fmt: skip


def test_partition_source_reads_only_the_touched_partitions(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    """The same results, while the rebuild reads bronze through its own partition column."""
    (models_dir / "gold" / "scout_kpi_product_performance.sql").unlink()
    write_model(
        models_dir,
        SILVER,
        PARTITIONED_SILVER,
    )
    runner = Runner(engine, models_dir)
    for i in range(9):
        bronze.add(f"t{i}", f"2025-02-0{1 + i % 3}", f"{i}.50")
    runner.run()
    bronze.add("t1", "2025-02-02", "100.00")  # re-delivery in the same partition
    bronze.add("n1", "2025-02-03", "1.00")
    report = runner.run()
    assert report.result(SILVER).partition_values == [date(2025, 2, 2), date(2025, 2, 3)]
    incremental = {t: snapshot(engine, t) for t in (SILVER, GOLD)}
    runner.run(full_refresh=True)
    assert {t: snapshot(engine, t) for t in (SILVER, GOLD)} == incremental
    assert _gold(engine)[(date(2025, 2, 2), "north", "online")] == (
        Decimal("112.00"),
        3,
    )  # t1 (now 100), t4, t7


def test_partition_source_rebuilds_a_null_partition_too(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    """Records without a partition value form the NULL partition: a new one there re-reads it
    (narrowed by an array of the touched values plus `IS NULL`), the same as a full refresh."""
    for path in (models_dir / "gold").glob("*.sql"):
        path.unlink()
    write_model(
        models_dir,
        SILVER,
        PARTITIONED_SILVER,
    )
    runner = Runner(engine, models_dir)

    def undated(tid: str) -> None:
        row = bronze.record(tid, "2025-02-01", "2.00")
        bronze.insert([{**row, "partition_key": None}])

    bronze.add("t1", "2025-02-01", "1.00")
    undated("u1")
    runner.run()
    undated("u2")
    bronze.add("t2", "2025-02-02", "3.00")
    report = runner.run()
    assert report.result(SILVER).partition_values == [date(2025, 2, 2), None]
    rows = engine.fetch_rows(f"SELECT transaction_id FROM {quote_table(SILVER)} ORDER BY 1")
    assert [r[0] for r in rows] == ["t1", "t2", "u1", "u2"]
    incremental = snapshot(engine, SILVER)
    runner.run(full_refresh=True)
    assert snapshot(engine, SILVER) == incremental


def test_a_failing_statement_leaves_table_and_watermark(
    engine: Engine, runner: Runner, bronze: Bronze
) -> None:
    bronze.add("t1", "2025-01-01", "10.00")
    runner.run()
    before = snapshot(engine, SILVER, exclude=())
    bronze.add("bad", "2025-01-01", "ten euros")  # CAST to DECIMAL fails inside the transaction
    report = runner.run()
    failed = report.result(SILVER)
    assert failed.status == "failed" and failed.mode == ""
    assert "ten euros" in (failed.error or "")  # the engine's own message names the value
    assert report.result(GOLD).status == "skipped"
    assert snapshot(engine, SILVER, exclude=()) == before
    again = runner.run()  # the watermark did not move: the bad row is read again
    assert again.result(SILVER).status == "failed"


def test_partition_window_rebuilds_the_days_a_source_day_feeds(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    """Day d sums the sales of d-2 .. d: a late sale rebuilds its day and the two after, exactly
    as a full rebuild would, reading only the source days those need."""
    (models_dir / "gold" / "scout_kpi_product_performance.sql").unlink()
    write_model(
        models_dir,
        GOLD,
        """
        MODEL (
          kind incremental,
          partition_by date,
          partition_source (silver.scout_clean_transactions.transaction_date),
          partition_window 2
        );
        SELECT CAST(t.transaction_date + CAST(g.k AS INTEGER) AS DATE) AS date, t.region, t.channel,
          sum(t.amount) AS total_revenue, count(*) AS total_transactions
        FROM silver.scout_clean_transactions AS t
        CROSS JOIN generate_series(0, 2) AS g(k)
        GROUP BY CAST(t.transaction_date + CAST(g.k AS INTEGER) AS DATE), t.region, t.channel
        """,
    )
    runner = Runner(engine, models_dir)
    for day in range(1, 10):
        bronze.add(f"t{day}", f"2025-03-0{day}", f"{day}.00")
    runner.run()
    bronze.add("late", "2025-03-04", "100.00")
    report = runner.run()
    assert report.result(GOLD).mode == "incremental"
    assert report.result(GOLD).partition_values == [date(2025, 3, d) for d in (4, 5, 6)]
    assert _gold(engine)[(date(2025, 3, 6), "north", "online")] == (Decimal("115.00"), 4)
    assert _gold(engine)[(date(2025, 3, 7), "north", "online")] == (Decimal("18.00"), 3)
    incremental = snapshot(engine, GOLD)
    runner.run(full_refresh=True)
    assert snapshot(engine, GOLD) == incremental


def test_a_rebuild_that_repeats_a_key_still_fails_its_unique_test(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    """Unchanged partitions are kept by comparing rows; a repeated key must not slip through."""
    path = models_dir / "silver" / "scout_clean_transactions.sql"
    text = path.read_text()
    path.write_text(text[: text.index("QUALIFY")])  # no "latest delivery wins": keys can repeat
    runner = Runner(engine, models_dir)
    bronze.add("t1", "2025-01-01", "1.00")
    bronze.add("t2", "2025-01-02", "2.00")
    assert runner.run().status == "success"
    before = snapshot(engine, SILVER)
    bronze.add("t2", "2025-01-02", "2.00")  # the same row again: only its key gives it away
    report = runner.run()
    assert report.result(SILVER).status == "failed"
    assert "unique" in (report.result(SILVER).error or "")
    assert snapshot(engine, SILVER) == before


# gold by region, found through silver's region column
REGIONAL_GOLD = """MODEL (
  kind incremental,
  partition_by region,
  partition_source (silver.scout_clean_transactions.region),
  grain (date, region, channel),
  tests (unique(date, region, channel))
);
SELECT t.transaction_date AS date, t.region, t.channel, sum(t.amount) AS total_revenue,
  count(*) AS total_transactions
FROM silver.scout_clean_transactions AS t
GROUP BY t.transaction_date, t.region, t.channel"""


def test_downstream_models_re_derive_only_what_changed(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    """A day rebuilt with one new row hands downstream that row, not the whole day."""
    write_model(models_dir, GOLD, REGIONAL_GOLD)
    runner = Runner(engine, models_dir)
    bronze.add("a", "2025-01-01", "1.00", region="north")
    bronze.add("b", "2025-01-01", "2.00", region="south")
    assert runner.run().status == "success"
    bronze.add("c", "2025-01-01", "4.00", region="north")
    report = runner.run()
    assert report.result(SILVER).rows == 1  # b and a came out the same: kept as stored
    assert report.result(GOLD).partition_values == ["north"]  # so south is not re-derived
    incremental = snapshot(engine, GOLD)
    assert _gold(engine)[(date(2025, 1, 1), "north", "online")] == (Decimal("5.00"), 2)
    assert runner.run(full_refresh=True).status == "success"
    assert snapshot(engine, GOLD) == incremental


def test_rows_compare_equal_in_every_column_type(engine: Engine) -> None:
    """The comparison behind kept partitions: NULL equals NULL, and PostgreSQL's json (no `=`)."""
    kind = "JSON" if engine.dialect == "postgres" else "VARCHAR"
    with engine.transaction():  # one connection: the temp table is its own
        engine.execute(f"CREATE TEMP TABLE _cmp (k INTEGER, v {kind}, n INTEGER)")
        engine.execute("""INSERT INTO _cmp VALUES (1, '{"a": 1}', NULL), (2, '{"a": 2}', 5)""")
        same = " AND ".join(
            _same_value(c, t) for c, t in (("k", "INTEGER"), ("v", kind), ("n", "INTEGER"))
        )
        pairs = engine.fetch_rows(
            f"SELECT _f.k, _t.k FROM _cmp AS _f JOIN _cmp AS _t ON {same} ORDER BY 1"
        )
    assert pairs == [(1, 1), (2, 2)]


def test_a_day_that_loses_its_last_row_is_rebuilt_downstream(
    engine: Engine, runner: Runner, bronze: Bronze
) -> None:
    """An emptied partition leaves no row to stamp: silver's removal log tells gold."""
    feed = Feed(bronze)
    feed.add("t1", "2025-01-01", "5.00")
    feed.add("t2", "2025-01-02", "7.00")
    runner.run()
    feed.add("t1", "2025-01-03", "5.00")  # t1 moves away: day 1 is left without a row
    report = runner.run()
    assert report.result(SILVER).partition_values == [date(2025, 1, 1), date(2025, 1, 3)]
    assert report.result(GOLD).partition_values == [date(2025, 1, 1), date(2025, 1, 3)]
    assert _gold(engine) == _expected_gold(feed.rows)
    assert (date(2025, 1, 1), "north", "online") not in _gold(engine)
    # both readers of silver have read the removal: it is forgotten
    assert engine.count_rows(removals.log_name(SILVER)) == 0
    assert_full_refresh_keeps(engine, runner, GOLD)


def test_text_partitions_beyond_the_listed_limit_go_through_a_temp_table(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    """More text keys than the engine lists (DuckDB: 200) are read and replaced through a temp
    table of them: the same rows as listing them, and as a full refresh."""
    write_model(models_dir, GOLD, REGIONAL_GOLD)
    runner = Runner(engine, models_dir)
    for i, region in enumerate(["north", "south", "east"]):
        bronze.add(f"a{i}", "2025-01-01", "1.00", region=region)
    assert runner.run().status == "success"
    bronze.add("b1", "2025-01-02", "2.00", region="north")
    bronze.add("b2", "2025-01-02", "3.00", region="south")
    engine.capabilities = replace(engine.capabilities, listed_text_keys=1)
    report = runner.run()
    gold = report.result(GOLD)
    assert (gold.mode, gold.partitions, gold.partition_values) == ("incremental", 2, [])
    assert _gold(engine) == {
        (date(2025, 1, 1), "north", "online"): (Decimal("1.00"), 1),
        (date(2025, 1, 1), "south", "online"): (Decimal("1.00"), 1),
        (date(2025, 1, 1), "east", "online"): (Decimal("1.00"), 1),
        (date(2025, 1, 2), "north", "online"): (Decimal("2.00"), 1),
        (date(2025, 1, 2), "south", "online"): (Decimal("3.00"), 1),
    }
    assert_full_refresh_keeps(engine, runner, GOLD)


def test_a_full_refresh_upstream_rebuilds_the_models_that_follow_it(
    engine: Engine, runner: Runner, bronze: Bronze
) -> None:
    """A full refresh logs no removals: a day it empties would stay downstream if the readers
    only replaced the partitions its restamped rows touch, so they rebuild in full too."""
    feed = Feed(bronze)
    feed.add("t1", "2025-01-01", "5.00")
    feed.add("t2", "2025-01-02", "7.00")
    assert runner.run().status == "success"
    feed.add("t1", "2025-01-03", "5.00")  # t1 moves away: day 1 is left without a row
    refreshed = runner.run([SILVER], full_refresh=True)
    assert refreshed.result(SILVER).mode == "full_refresh"
    report = runner.run()
    gold = report.result(GOLD)
    assert (gold.mode, gold.reason) == (
        "full_refresh",
        f"its upstream {SILVER} was rebuilt in full",
    )
    assert _gold(engine) == _expected_gold(feed.rows)
    assert (date(2025, 1, 1), "north", "online") not in _gold(engine)
    # once caught up, the readers are back to partition replace
    feed.add("t3", "2025-01-04", "1.00")
    assert runner.run().result(GOLD).mode == "incremental"
    assert _gold(engine) == _expected_gold(feed.rows)


def test_where_model_tables_keep_indexes_only_changed_rows_are_rewritten(
    engine: Engine, runner: Runner, bronze: Bronze
) -> None:
    """Gold is read by no incremental model, so it keeps no removal log. On an engine whose
    model tables keep their keys and indexes (PostgreSQL) its partition replace still writes
    only the rows that changed: index upkeep made rewriting unchanged rows the slow part."""
    feed = Feed(bronze)
    feed.add("t1", "2025-01-01", "5.00", region="north")
    feed.add("t2", "2025-01-01", "7.00", region="south")
    feed.add("t3", "2025-01-02", "9.00", region="north")
    assert runner.run().status == "success"
    stamps = dict(
        engine.fetch_rows(
            f"SELECT region, updated_at FROM {quote_table(GOLD)} WHERE date = $d",
            {"d": date(2025, 1, 1)},
        )
    )
    feed.add("t4", "2025-01-01", "1.00", region="north")  # day 1 north changes, south does not
    report = runner.run()
    gold = report.result(GOLD)
    assert gold.partition_values == [date(2025, 1, 1)]
    after = dict(
        engine.fetch_rows(
            f"SELECT region, updated_at FROM {quote_table(GOLD)} WHERE date = $d",
            {"d": date(2025, 1, 1)},
        )
    )
    if engine.capabilities.model_keys:
        assert gold.rows == 1  # the new version of (day 1, north)
        assert after["south"] == stamps["south"]
    else:  # DuckDB: no indexes to keep up, the partition is written whole
        assert gold.rows == 2
    assert after["north"] > stamps["north"]
    assert _gold(engine) == _expected_gold(feed.rows)
    assert_full_refresh_keeps(engine, runner, GOLD)


def test_a_row_that_moves_away_is_rebuilt_where_it_was(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    """Gold found through silver's region: a transaction moving region leaves the old one too,
    even when silver's day keeps other rows."""
    write_model(models_dir, GOLD, REGIONAL_GOLD)
    runner = Runner(engine, models_dir)
    bronze.add("a", "2025-01-01", "1.00", region="north")
    bronze.add("b", "2025-01-01", "2.00", region="south")
    assert runner.run().status == "success"
    bronze.add("a", "2025-01-01", "1.00", region="south")  # a moves from north to south
    report = runner.run()
    assert report.result(SILVER).rows == 1  # the new version; b stays as stored
    assert sorted(report.result(GOLD).partition_values) == ["north", "south"]
    assert _gold(engine) == {(date(2025, 1, 1), "south", "online"): (Decimal("3.00"), 2)}
    assert_full_refresh_keeps(engine, runner, GOLD)


def test_a_run_that_only_removes_rows_reaches_downstream(
    engine: Engine, models_dir: Path, bronze: Bronze
) -> None:
    """A voided transaction leaves silver without adding a row: nothing new is stamped, yet the
    removal moves silver's watermark for gold, and gold drops the day."""
    (models_dir / "gold" / "scout_kpi_product_performance.sql").unlink()
    # the day of each new record is rebuilt, and a voided latest version drops the transaction
    write_model(
        models_dir,
        SILVER,
        """MODEL (
  kind incremental,
  partition_by transaction_date,
  partition_source (bronze.scout_raw_transactions.partition_key),
  grain (transaction_id),
  tests (unique(transaction_id))
);
SELECT v.id, v.transaction_id, v.partition_key AS transaction_date,
  CAST(v.transaction_data ->> 'amount' AS DECIMAL(12, 2)) AS amount,
  v.transaction_data ->> 'region' AS region, v.transaction_data ->> 'channel' AS channel,
  v.id AS source_bronze_id
FROM (
  SELECT b.*, b.transaction_data ->> 'transaction_id' AS transaction_id,
    row_number() OVER (
      PARTITION BY b.transaction_data ->> 'transaction_id' ORDER BY b.ingested_at DESC
    ) AS version
  FROM bronze.scout_raw_transactions AS b
  WHERE b.validation_status = 'passed'
) AS v
WHERE v.version = 1 AND v.transaction_data ->> 'void' IS NULL""",
    )
    runner = Runner(engine, models_dir)
    bronze.add("t1", "2025-01-01", "5.00")
    bronze.add("t2", "2025-01-02", "7.00")
    assert runner.run().status == "success"
    void = bronze.record("t1", "2025-01-01", "5.00")
    void["transaction_data"] = void["transaction_data"][:-1] + ', "void": true}'
    bronze.insert([void])
    report = runner.run()
    assert (report.result(SILVER).mode, report.result(SILVER).rows) == ("incremental", 0)
    assert report.result(GOLD).partition_values == [date(2025, 1, 1)]
    assert _gold(engine) == {(date(2025, 1, 2), "north", "online"): (Decimal("7.00"), 1)}
    assert {m.mode for m in runner.run().models} == {"up_to_date"}


def test_the_removal_log_follows_its_table(engine: Engine) -> None:
    """Created with the table's columns, rebuilt when they change, refused without updated_at."""
    log = removals.log_name(SILVER)
    assert log == "meta.silver__scout_clean_transactions__removed"

    def logged_as() -> dict[str, str]:
        columns = engine.column_types(SILVER)
        return {**columns, "removed_at": columns["updated_at"]}

    assert removals.ensure(engine, SILVER)
    assert engine.column_types(log) == logged_as()
    engine.execute(f"ALTER TABLE {quote_table(SILVER)} ADD COLUMN note VARCHAR")
    assert removals.ensure(engine, SILVER)
    assert engine.column_types(log) == logged_as()
    assert not removals.ensure(engine, "silver.ces_clean_feedback")  # no updated_at to stamp
    assert not removals.ensure(engine, "silver.no_such_table")
