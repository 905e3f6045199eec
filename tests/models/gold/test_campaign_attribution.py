"""gold.scout_kpi_campaign_attribution: four attribution models, their weights, spend, and the
rows of the models side by side under the widened primary key (migration 0007)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from databank.engines import Engine
from databank.migrations.versions.v0007_gold_types import ATTRIBUTION_KEY, primary_key
from databank.transform.loader import default_models_dir, load_models
from databank.transform.runner import Runner
from models.gold import expected_engagement as expected
from models.gold.check import assert_rows
from models.gold.records import refund, sale, touch
from models.gold.world import World

TABLE = "gold.scout_kpi_campaign_attribution"
TOUCHPOINTS = "meta.campaign_touches"  # the typed touches it reads (migration 0015)
D3 = date(2025, 3, 3)
CAMPAIGNS = [
    {"campaign_id": "K1", "start_date": date(2025, 3, 1), "end_date": date(2025, 3, 10),
     "spent": Decimal("1000.00"), "channels": ["google_ads", "bing_ads"]},
    {"campaign_id": "K2", "start_date": date(2025, 3, 1), "end_date": None,
     "spent": Decimal("500.00"), "channels": ["email"]},
]  # fmt: skip
CUSTOMER_MAP = {"WEB-1": "C1"}
TOUCHES = [
    touch("I1", "WEB-1", "K1", "2025-03-01T10:00:00Z"),  # the web's id for C1
    touch("I2", "C1", "K2", "2025-03-08T09:00:00Z", "email_open", "email"),
    touch("I3", "C1", "K1", "2025-03-15T08:00:00Z", "ad_click", "bing_ads"),
    touch("I4", "C2", "K1", "2025-03-05T09:00:00Z", "ad_click", "bing_ads"),
    touch("I5", "C3", "K1", "2025-03-02T10:00:00Z", channel="bing_ads"),  # re-delivered below
    touch("I6", "C4", "K1", "2025-03-06T20:00:00Z", "ad_click"),  # after the sale, same day
    {"interaction_id": "I9", "interaction_type": "ad_click", "occurred_at": "2025-03-06T08:00:00Z",
     "campaign_id": "K1", "channel": "google_ads"},  # no customer: no touchpoint of anyone
]  # fmt: skip
REDELIVERED = [touch("I5", "C3", "K1", "2025-03-02T10:00:00Z")]  # now google_ads: latest wins
SALES = [
    sale("S1", "C1", "2025-03-15T12:00:00Z", 100.00),
    sale("S2", "C2", "2025-03-05T12:00:00Z", 50.00),
    sale("S3", "C2", "2025-04-20T12:00:00Z", 70.00),  # I4 is 46 days old: no conversion
    sale("S4", "C4", "2025-03-06T12:00:00Z", 30.00),
    refund("R1", "S1", "C1", "2025-03-16T12:00:00Z", 100.00),  # a refund converts nothing
    sale("S5", "C9", "2025-03-07T12:00:00Z", 10.00),  # no touches at all
]


def _build(world: World) -> None:
    world.campaigns(CAMPAIGNS)
    world.customer_map(CUSTOMER_MAP)
    world.bronze("interactions", TOUCHES)
    world.bronze("interactions", REDELIVERED)
    world.transactions(SALES)


def test_attribution_matches_python(engine: Engine, world: World, runner: Runner) -> None:
    """Every row of every model equals the independent computation."""
    _build(world)
    assert runner.run([TOUCHPOINTS, TABLE]).status == "success"
    want = expected.attribution(SALES, TOUCHES + REDELIVERED, CAMPAIGNS, CUSTOMER_MAP)
    got = assert_rows(engine, TABLE, want)
    s1 = {
        (k[1], k[2], k[3]): v["revenue_attributed"]
        for k, v in got.items()
        if k[0] == date(2025, 3, 15)
    }
    assert s1[("K1", "bing_ads", "last_touch")] == Decimal("100.00")
    assert s1[("K1", "google_ads", "first_touch")] == Decimal("100.00")
    assert [s1[(c, ch, "linear")] for c, ch in (("K1", "google_ads"), ("K2", "email"), ("K1", "bing_ads"))] == [
        Decimal("33.34"), Decimal("33.33"), Decimal("33.33"),
    ]  # fmt: skip
    # time decay, half-life 7 days: ages 14, 7 and 0 days weigh 1/4, 1/2, 1 (normalised by 7/4)
    assert [s1[(c, ch, "time_decay")] for c, ch in (("K1", "google_ads"), ("K2", "email"), ("K1", "bing_ads"))] == [
        Decimal("14.29"), Decimal("28.57"), Decimal("57.14"),
    ]  # fmt: skip
    s2 = got[(date(2025, 3, 5), "K1", "bing_ads", "last_touch")]
    assert (s2["conversions"], s2["clicks"], s2["revenue_attributed"]) == (1, 1, Decimal("50.00"))
    # 1000.00 over 10 days and 2 channels: 50.00 a day on bing_ads, for one conversion of 50.00
    assert (s2["cost_per_acquisition"], s2["return_on_ad_spend"]) == (
        Decimal("50.00"),
        Decimal("1.0000"),
    )
    assert (
        got[(date(2025, 3, 2), "K1", "google_ads", "linear")]["impressions"] == 1
    )  # I5 re-delivered
    moved = got[(date(2025, 3, 2), "K1", "bing_ads", "linear")]  # I5 left: spend keeps the row
    assert (moved["impressions"], moved["conversions"], moved["spend"]) == (0, 0, Decimal("50.00"))
    assert moved["cost_per_acquisition"] is None and moved["return_on_ad_spend"] == 0
    assert (
        got[(date(2025, 3, 6), "K1", "google_ads", "time_decay")]["conversions"] == 1
    )  # S4, same day
    assert (
        got[(date(2025, 3, 15), "K2", "email", "linear")]["cost_per_acquisition"] is None
    )  # no end date


def test_spend_is_on_every_covered_day_of_the_run_once_per_model(
    engine: Engine, world: World, runner: Runner
) -> None:
    """Each model's rows hold K1's 50.00 a day and channel on each day with touchpoints (3/1, 3/2,
    3/5, 3/6, 3/8), touched on that channel or not; K2 (no end date) and 3/15 (after the run)
    have none."""
    _build(world)
    assert runner.run([TOUCHPOINTS, TABLE]).status == "success"
    rows = engine.fetch_rows(
        f"SELECT attribution_model, campaign_id, date, channel, spend FROM {TABLE} WHERE spend > 0"
    )
    days = {date(2025, 3, d) for d in (1, 2, 5, 6, 8)}
    for model in expected.MODELS:
        mine = [r for r in rows if r[0] == model]
        assert {(r[1], r[2], r[3]) for r in mine} == {
            ("K1", d, ch) for d in days for ch in ("google_ads", "bing_ads")
        }, model
        assert sum(r[4] for r in mine) == Decimal("500.00"), model
    # only K2 was touched on 3/8: K1's spend is there all the same, without touches or sales
    untouched = _row(engine, date(2025, 3, 8), "K1", "google_ads", "time_decay")
    assert untouched == (0, 0, 0, Decimal("50.00"))
    assert not engine.fetch_rows(f"SELECT 1 FROM {TABLE} WHERE date = DATE '2025-03-09'")
    # after the run K1 spends nothing (0.00, so S1's revenue counts against K1's spend); K2's
    # spend is unknown (no end date): null
    assert _row(engine, date(2025, 3, 15), "K1", "bing_ads", "last_touch") == (
        0, 1, 1, Decimal("0.00"),
    )  # fmt: skip
    assert _row(engine, date(2025, 3, 15), "K2", "email", "linear")[3] is None


def test_leftover_cents_go_to_the_first_days(engine: Engine, world: World, runner: Runner) -> None:
    """100.00 over 3 days and 2 channels: 16.66 each, and 4 slots get a cent more (16.67); the
    shares add up to exactly the spent."""
    campaign = {"campaign_id": "K3", "start_date": date(2025, 3, 1), "end_date": date(2025, 3, 3),
                "spent": Decimal("100.00"), "channels": ["meta_ads", "tiktok_ads"]}  # fmt: skip
    touches = [
        touch(f"T{d}", "C1", "K3", f"2025-03-0{d}T10:00:00Z", channel="x") for d in (1, 2, 3)
    ]
    world.campaigns([campaign])
    world.bronze("interactions", touches)
    assert runner.run([TOUCHPOINTS, TABLE]).status == "success"
    got = assert_rows(engine, TABLE, expected.attribution([], touches, [campaign], {}))
    for model in expected.MODELS:
        spends = [v["spend"] for k, v in got.items() if k[3] == model and v["spend"]]
        assert sorted(spends) == [Decimal("16.66")] * 2 + [Decimal("16.67")] * 4, model
        assert sum(spends) == Decimal("100.00")
    assert {v["spend"] for k, v in got.items() if k[0] == D3 and k[2] != "x"} == {Decimal("16.66")}
    assert got[(date(2025, 3, 2), "K3", "x", "linear")]["spend"] == 0  # not a K3 channel


def _row(engine: Engine, day: date, campaign: str, channel: str, model: str) -> tuple:
    """(impressions, clicks, conversions, spend) of one row."""
    rows = engine.fetch_rows(
        f"SELECT impressions, clicks, conversions, spend FROM {TABLE} WHERE date = $d "
        "AND campaign_id = $c AND channel = $ch AND attribution_model = $m",
        {"d": day, "c": campaign, "ch": channel, "m": model},
    )
    assert len(rows) == 1
    return tuple(rows[0])


def test_each_models_weights_sum_to_one_per_purchase(
    engine: Engine, world: World, runner: Runner
) -> None:
    """Per model and per conversion (one per day here), the attributed revenue is the sale's."""
    _build(world)
    assert runner.run([TOUCHPOINTS, TABLE]).status == "success"
    rows = engine.fetch_rows(f"SELECT date, attribution_model, revenue_attributed FROM {TABLE}")
    total: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    for day, model, revenue in rows:
        total[(day, model)] += revenue
    converted = {date(2025, 3, 15): Decimal("100.00"), date(2025, 3, 5): Decimal("50.00"),
                 date(2025, 3, 6): Decimal("30.00")}  # fmt: skip
    for model in expected.MODELS:
        for day, amount in converted.items():
            assert total[(day, model)] == amount, (day, model)
        assert sum(v for (_, m), v in total.items() if m == model) == sum(converted.values())
    for ages in ([14, 7, 0], [3], [0, 0, 5, 29]):
        for model, weights in expected.touch_weights(ages).items():
            assert abs(float(sum(weights)) - 1.0) < 1e-12, model


def test_a_late_touch_updates_the_sales_it_reaches(
    engine: Engine, world: World, runner: Runner
) -> None:
    """A touch arriving late changes its own day (exposure) and the day of the sale it reaches."""
    _build(world)
    assert runner.run([TOUCHPOINTS, TABLE]).status == "success"
    late = [touch("I7", "C2", "K2", "2025-03-04T09:00:00Z", "email_click", "email")]
    world.bronze("interactions", late)
    result = runner.run([TOUCHPOINTS, TABLE]).result(TABLE)
    assert result.partition_values == [date(2025, 3, 4), date(2025, 3, 5)]
    want = expected.attribution(SALES, TOUCHES + REDELIVERED + late, CAMPAIGNS, CUSTOMER_MAP)
    got = assert_rows(engine, TABLE, want)
    assert got[(date(2025, 3, 5), "K2", "email", "first_touch")]["revenue_attributed"] == Decimal(
        "50.00"
    )


def test_the_primary_key_holds_every_model(engine: Engine) -> None:
    """attribution_model is part of the key, so four models' rows coexist, one each: in the
    model's grain and unique test everywhere, and in the primary key (migration 0007) where the
    engine keeps keys on the model layers."""
    model = load_models(default_models_dir())[TABLE]
    assert model.grain == ATTRIBUTION_KEY
    assert any(c.kind == "unique" and c.columns == ATTRIBUTION_KEY for c in model.checks)
    if not engine.capabilities.model_keys:
        assert primary_key(engine, TABLE) == ()
        return
    assert primary_key(engine, TABLE) == ATTRIBUTION_KEY
    insert = (
        f"INSERT INTO {TABLE} (date, campaign_id, channel, attribution_model, impressions) "
        "VALUES (DATE '2025-03-01', 'K1', 'email', $m, 1)"
    )
    for model in expected.MODELS:
        engine.execute(insert, {"m": model})
    assert engine.count_rows(TABLE) == 4
    rows = engine.fetch_rows(
        "SELECT change_type, backward_compatible FROM meta.neural_schema_evolution "
        "WHERE schema_version = '0007' AND table_name = 'scout_kpi_campaign_attribution'"
    )
    assert rows == [("alter_primary_key", True)]


def test_a_touch_that_moves_away_leaves_the_days_it_reached(
    engine: Engine, world: World, runner: Runner
) -> None:
    """I3 is re-delivered six weeks earlier: its old day and the sale it converted (S1, 03-15)
    are rebuilt through meta.campaign_touches' removal log, not only its new day."""
    _build(world)
    assert runner.run([TOUCHPOINTS, TABLE]).status == "success"
    moved = [touch("I3", "C1", "K1", "2025-02-01T08:00:00Z", "ad_click", "bing_ads")]
    world.bronze("interactions", moved)
    report = runner.run([TOUCHPOINTS, TABLE])
    assert report.status == "success"
    assert report.result(TABLE).partition_values == [date(2025, 2, 1), date(2025, 3, 15)]
    want = expected.attribution(SALES, TOUCHES + REDELIVERED + moved, CAMPAIGNS, CUSTOMER_MAP)
    got = assert_rows(engine, TABLE, want)
    assert (date(2025, 3, 15), "K1", "bing_ads", "last_touch") not in got
