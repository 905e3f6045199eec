"""gold.scout_kpi_revenue_daily against plain Python, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from databank.engines import Engine
from databank.transform.runner import Runner
from models.gold import expected
from models.gold.check import actual, assert_rows
from models.gold.records import APP, event, refund, sale
from models.gold.world import World

TABLE = "gold.scout_kpi_revenue_daily"
ACTIVITY = "meta.customer_activity"  # first sale days (a lookup of the revenue model)
D1, D2, D3 = date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)

SALES = [
    sale("T1", "C1", "2025-03-01T09:00:00Z", 100.00),
    sale("T2", "C2", "2025-03-01T10:00:00+01:00", 100.00),
    refund("R1", "T1", "C1", "2025-03-01T18:00:00Z", 20.00),
    sale("T3", "C3", "2025-03-01T11:00:00Z", 0.01, channel="store"),
    sale("T4", "C4", "2025-03-01T12:00:00Z", 0.02, channel="store"),
    sale("T5", "C1", "2025-03-02T09:00:00Z", 10.00, region="south"),
    sale("T6", "C2", "2025-03-02T09:30:00Z", 10.01, region="south"),
    sale("T7", "C5", "2025-03-02T10:00:00Z", 10.01, region="south"),
    # 23:30 at UTC-02:00 is the next UTC day: booked on 2025-03-03.
    sale("T8", "C5", "2025-03-02T23:30:00-02:00", 55.55, region=None),
    refund("R2", "T6", "C2", "2025-03-03T08:00:00Z", 10.01, region="south"),
    refund("R3", "T7", "C5", "2025-03-03T08:10:00Z", 10.01, region="south"),
    sale("T9", "C6", "2025-03-03T09:00:00Z", 3.00, region="south"),
    sale("T0", "C7", "2025-03-03T10:00:00Z", 0.00, region="south"),  # neither a sale nor a refund
]
EVENTS = [
    # 2025-03-01, online: S1 converts, S2 browses; mobile_app: S3 converts.
    event("E1", "S1", "2025-03-01T08:55:00Z"),
    event("E2", "S1", "2025-03-01T09:00:00Z", "purchase"),
    event("E3", "S2", "2025-03-01T09:10:00Z"),
    event("E4", "S2", "2025-03-01T09:12:00Z", "add_to_cart"),
    event("E5", "S3", "2025-03-01T07:00:00Z", agent=APP),
    event("E6", "S3", "2025-03-01T07:05:00Z", "purchase", agent=APP),
    # A session over midnight is a session-day on each day; it converts on the second.
    event("E7", "S4", "2025-03-01T23:50:00Z"),
    event("E8", "S4", "2025-03-02T00:10:00Z", "purchase"),
    event("E9", "S5", "2025-03-02T12:00:00Z", agent=None),
]


def build(world: World) -> None:
    """The fixture's transactions and events."""
    world.transactions(SALES)
    world.bronze("events", EVENTS)


def test_revenue_daily_matches_python(engine: Engine, world: World, runner: Runner) -> None:
    """Every row and value equals the independent computation, refunds and rounding included."""
    build(world)
    report = runner.run([ACTIVITY, TABLE])
    assert report.status == "success", report.to_dict()
    got = assert_rows(engine, TABLE, expected.revenue_daily(SALES, EVENTS))
    day1 = got[(D1, "north", "online")]
    assert day1["total_revenue"] == Decimal("180.00")  # 100 + 100 - 20: net of the refund
    assert day1["total_transactions"] == 2 and day1["avg_order_value"] == Decimal("90.00")
    assert day1["refund_rate"] == Decimal("0.5000")
    assert (day1["new_customers"], day1["returning_customers"]) == (2, 0)
    assert day1["conversion_rate"] == Decimal("0.3333")  # S1 of S1, S2, S4 (online)
    assert (day1["sessions"], day1["converted_sessions"]) == (3, 1)  # the only online row of D1
    store = got[(D1, "north", "store")]
    assert store["avg_order_value"] == Decimal("0.02")  # 0.03 / 2 = 0.015, half away from zero
    assert store["conversion_rate"] is None  # no web sessions in a store
    assert (store["sessions"], store["converted_sessions"]) == (None, None)
    day2 = got[(D2, "south", "online")]
    assert day2["avg_order_value"] == Decimal("10.01")  # 30.02 / 3 = 10.0066…
    assert (day2["new_customers"], day2["returning_customers"]) == (1, 2)
    assert day2["conversion_rate"] == Decimal("0.5000")  # S4 (second day) converts, S5 does not
    assert got[(D3, "unknown", "online")]["total_revenue"] == Decimal("55.55")  # UTC day, no region
    day3 = got[(D3, "south", "online")]
    assert day3["total_revenue"] == Decimal("-17.02") and day3["refund_rate"] == Decimal("2.0000")
    assert (day3["total_transactions"], day3["new_customers"], day3["returning_customers"]) == (
        1,
        1,
        0,
    )


def test_session_counts_sit_on_one_row_per_day_and_web_channel(
    engine: Engine, world: World, runner: Runner
) -> None:
    """Each day and web channel's session-days sit on the row of the region whose md5 digest sorts
    first (south before north, though not alphabetically; east before west), 0 there without
    session-days; the other rows hold NULL, so summing all rows counts each session-day once."""
    more = [
        sale("T12", "C8", "2025-03-01T13:00:00Z", 5.00, region="south"),
        sale("T13", "C9", "2025-03-01T14:00:00Z", 6.00, region="west", channel="mobile_app"),
        sale("T14", "C9", "2025-03-01T15:00:00Z", 7.00, region="east", channel="mobile_app"),
    ]
    build(world)
    world.transactions(more)
    assert runner.run([ACTIVITY, TABLE]).status == "success"
    got = assert_rows(engine, TABLE, expected.revenue_daily([*SALES, *more], EVENTS))
    counts = {k: (v["sessions"], v["converted_sessions"]) for k, v in got.items()}
    assert counts[(D1, "south", "online")] == (3, 1)  # S1, S2, S4; S1 converts
    assert counts[(D1, "north", "online")] == (None, None)
    assert counts[(D1, "east", "mobile_app")] == (1, 1)  # S3
    assert counts[(D1, "west", "mobile_app")] == (None, None)
    assert got[(D1, "north", "online")]["conversion_rate"] == Decimal("0.3333")  # still repeated
    assert counts[(D3, "south", "online")] == (0, 0)  # no events on D3: south sorts before unknown
    assert counts[(D3, "unknown", "online")] == (None, None)
    # every session-day of a day and channel with rows, once: D1 3 online + 1 app, D2 2 online
    assert sum(s for s, _ in counts.values() if s is not None) == 6
    assert sum(c for _, c in counts.values() if c is not None) == 3
    # a late sale in a region that sorts first moves D1's online counts to it in the day's rebuild
    late = sale("T15", "C9", "2025-03-01T16:00:00Z", 8.00, region="east")
    world.transactions([late])
    assert runner.run([ACTIVITY, TABLE]).result(TABLE).partition_values == [D1]
    after = assert_rows(engine, TABLE, expected.revenue_daily([*SALES, *more, late], EVENTS))
    assert (
        after[(D1, "east", "online")]["sessions"],
        after[(D1, "south", "online")]["sessions"],
    ) == (
        3,
        None,
    )


def test_known_gap_sessions_of_a_channel_without_transactions_are_not_kept(
    engine: Engine, world: World, runner: Runner
) -> None:
    """Documented gap: the table has rows only where there are transactions, so the session-days
    of a day and web channel without any (D1's app session S3 here) appear in no row."""
    build(world)
    assert runner.run([ACTIVITY, TABLE]).status == "success"
    got = actual(engine, TABLE)
    assert not any(channel == "mobile_app" for _, _, channel in got)
    assert sum(v["sessions"] or 0 for v in got.values()) == 5  # S1, S2, S4 on D1; S4, S5 on D2


def test_customer_activity_is_a_lookup_its_rewrites_touch_no_day(
    engine: Engine, world: World, runner: Runner
) -> None:
    """A tier change rewrites every activity row of C2 (D1, D2, D3) but no revenue day: the first
    sale days are read from it, not driven by it."""
    world.customers([{"customer_id": "C2", "customer_tier": "bronze", "registration_date": D1}])
    build(world)
    assert runner.run([ACTIVITY, TABLE]).status == "success"
    engine.execute(
        "UPDATE silver.scout_clean_customers SET customer_tier = 'gold', updated_at = now() "
        "WHERE customer_id = 'C2'"
    )
    report = runner.run([ACTIVITY, TABLE])
    assert (report.result(ACTIVITY).mode, report.result(ACTIVITY).partitions) == ("incremental", 1)
    assert report.result(TABLE).mode == "up_to_date"


def test_late_record_changes_exactly_its_partition(
    engine: Engine, world: World, runner: Runner
) -> None:
    """A late sale of a returning customer rewrites its own day only; the rest is untouched."""
    build(world)
    assert runner.run([ACTIVITY, TABLE]).status == "success"
    before = actual(engine, TABLE)
    late = sale("T10", "C1", "2025-03-02T15:00:00Z", 7.50, region="south")
    world.transactions([late])
    report = runner.run([ACTIVITY, TABLE])
    result = report.result(TABLE)
    assert result.mode == "incremental" and result.partition_values == [D2]
    after = assert_rows(engine, TABLE, expected.revenue_daily([*SALES, late], EVENTS))
    changed = {k for k in after if after[k] != before.get(k)} | (set(before) - set(after))
    assert changed == {(D2, "south", "online")}
    assert after[(D2, "south", "online")]["total_revenue"] == Decimal("37.52")


def test_new_events_update_the_conversion_of_their_day(
    engine: Engine, world: World, runner: Runner
) -> None:
    """Events arriving after the sales change the conversion rate of their own day only."""
    build(world)
    assert runner.run([ACTIVITY, TABLE]).status == "success"
    more = [
        event("E10", "S6", "2025-03-02T13:00:00Z"),
        event("E11", "S6", "2025-03-02T13:01:00Z", "purchase"),
    ]
    world.bronze("events", more)
    result = runner.run([ACTIVITY, TABLE]).result(TABLE)
    assert result.partition_values == [D2]
    got = assert_rows(engine, TABLE, expected.revenue_daily(SALES, EVENTS + more))
    assert got[(D2, "south", "online")]["conversion_rate"] == Decimal("0.6667")


def test_known_gap_a_late_first_sale_leaves_the_former_first_day_until_a_full_refresh(
    engine: Engine, world: World, runner: Runner
) -> None:
    """Documented gap: a late sale older than a customer's first one makes the customer new on
    the late day (rebuilt) while the former first day, not rebuilt, still counts them as new;
    the next full refresh corrects it."""
    build(world)
    assert runner.run([ACTIVITY, TABLE]).status == "success"
    late = sale("T11", "C5", "2025-03-01T20:00:00Z", 1.00)  # C5 first bought on 2025-03-02
    world.transactions([late])
    assert runner.run([ACTIVITY, TABLE]).result(TABLE).partition_values == [D1]
    stale = actual(engine, TABLE)[(D2, "south", "online")]
    assert (stale["new_customers"], stale["returning_customers"]) == (1, 2)  # C5 still new on D2
    assert runner.run([ACTIVITY, TABLE], full_refresh=True).status == "success"
    fixed = assert_rows(engine, TABLE, expected.revenue_daily([*SALES, late], EVENTS))
    assert (
        fixed[(D2, "south", "online")]["new_customers"],
        fixed[(D2, "south", "online")]["returning_customers"],
    ) == (0, 3)
