"""Incremental runs: twice = once, equal to a full refresh, a late record changes only its day."""

from __future__ import annotations

from datetime import date

from databank.context import Databank
from databank.engines import Engine
from databank.transform.runner import Runner
from models.silver.helpers import ok, rows, table, write

TABLES = (
    "silver.scout_clean_transactions",
    "silver.scout_clean_customers",
    "silver.scout_clean_products",
    "silver.scout_clean_campaigns",
    "silver.ces_clean_feedback",
    "meta.customer_id_map",
    "meta.feedback_analysis",
)
TX = "silver.scout_clean_transactions"


def _tx(
    tid: str, day: str, amount: float, customer: str = "C1", currency: str = "EUR", **extra: object
) -> dict:
    return {
        "transaction_id": tid,
        "customer_id": customer,
        "product_id": "P1",
        "amount": amount,
        "timestamp": f"{day}T10:00:00Z",
        "currency": currency,
        "channel": "online",
        **extra,
    }


def _batches(bank: Databank) -> list[callable]:
    """Three deliveries with duplicates, late records, new versions and late customer records."""

    def first() -> None:
        write(
            bank,
            "products",
            [
                {
                    "product_id": "P1",
                    "product_name": "Mug",
                    "category_l1": "Home",
                    "price": 10,
                    "cost": 4,
                    "currency": "EUR",
                }
            ],
        )
        write(
            bank,
            "customers",
            [{"customer_id": "C1", "email": "ann@example.com", "registration_date": "2024-01-01"}],
        )
        write(
            bank,
            "transactions",
            [
                _tx("T1", "2024-03-10", 10),
                _tx("T2", "2024-03-11", 20, "C2"),
                _tx("T3", "2024-03-12", 30, currency="USD"),
            ],
        )
        write(
            bank,
            "feedback",
            [
                {
                    "feedback_id": "F1",
                    "feedback_text": "Great service!",
                    "rating": 5,
                    "customer_id": "C2",
                    "submitted_at": "2024-03-12T09:00:00Z",
                }
            ],
        )

    def second() -> None:
        write(
            bank,
            "transactions",
            [
                _tx("T1", "2024-03-10", 10),  # exact re-delivery: dropped
                _tx("T2", "2024-03-11", 25, "C2"),  # new version
                _tx("T4", "2024-03-05", -5, transaction_type="refund"),  # late
                _tx("T5", "2024-03-13", 7, "C2"),
            ],
            duplicates=1,
        )
        write(
            bank,
            "customers",
            [
                {
                    "customer_id": "C2",
                    "email": "ANN@example.com",  # maps T2, T5, F1
                    "registration_date": "2023-12-01",
                }
            ],
        )
        write(
            bank,
            "campaigns",
            [
                {
                    "campaign_id": "K1",
                    "campaign_name": "Spring",
                    "start_date": "2024-03-01",
                    "budget": 100,
                    "currency": "SEK",
                }
            ],
        )

    def third() -> None:
        write(
            bank,
            "transactions",
            [
                _tx("T3", "2024-03-14", 31, currency="USD"),  # moved to another day
                _tx("T6", "2024-03-09", 3, "C9"),
            ],
        )
        write(
            bank,
            "feedback",
            [
                {
                    "feedback_id": "F1",
                    "feedback_text": "Terrible, never again.",
                    "rating": 1,
                    "customer_id": "C2",
                    "submitted_at": "2024-03-12T09:00:00Z",
                }
            ],
        )
        write(
            bank,
            "products",
            [
                {
                    "product_id": "P1",
                    "product_name": "Mug",
                    "category_l1": "Home",
                    "price": 12,
                    "cost": 4,
                    "currency": "EUR",
                }
            ],
        )

    def fourth() -> None:  # C2 changes its e-mail: its transactions and feedback move to Carl
        write(
            bank,
            "customers",
            [{"customer_id": "C2", "email": "carl@example.com", "registration_date": "2023-12-01"}],
        )
        write(bank, "transactions", [_tx("T7", "2024-03-15", 1, "C1")])

    return [first, second, third, fourth]


def test_twice_is_once_and_equals_full_refresh(
    bank: Databank, engine: Engine, runner: Runner
) -> None:
    for deliver in _batches(bank):
        deliver()
        ok(runner.run())
        before = {name: table(engine, name, bookkeeping=True) for name in TABLES}
        again = ok(runner.run())
        assert {m.mode for m in again.models} == {"up_to_date"}
        assert {name: table(engine, name, bookkeeping=True) for name in TABLES} == before

    incremental = {name: table(engine, name) for name in TABLES}
    got = rows(engine, TX, "transaction_id")
    assert sorted(got) == ["T1", "T2", "T3", "T4", "T5", "T6", "T7"]
    ann, carl = got["T1"]["customer_id"], got["T2"]["customer_id"]
    assert ann != carl and [got[t]["customer_id"] for t in ("T5", "T7")] == [carl, ann]
    assert (got["T3"]["transaction_date"], got["T2"]["amount"]) == (date(2024, 3, 14), 25)
    assert [r["transaction_date"] for r in got.values()].count(date(2024, 3, 12)) == 0  # T3 left it
    feedback = rows(engine, "silver.ces_clean_feedback", "source_bronze_id")
    assert [(f["customer_id"], f["sentiment_label"]) for f in feedback.values()] == [
        (carl, "negative")
    ]
    people = rows(engine, "silver.scout_clean_customers", "customer_id")
    # Ann: T1 10 + T3 31 USD + T4 -5 + T7 1; Carl: T2 25 + T5 7 (they were Ann's before the move)
    assert people[carl]["lifetime_value"] == 32
    assert people[ann]["lifetime_value"] == 10 + got["T3"]["amount"] - 5 + 1
    assert (people[ann]["registration_date"], people[carl]["registration_date"]) == (
        date(2024, 1, 1),
        date(2023, 12, 1),
    )  # Ann's was 2023-12-01 while C2 was hers

    ok(runner.run(full_refresh=True))
    assert {name: table(engine, name) for name in TABLES} == incremental


def test_a_late_record_changes_only_its_day(bank: Databank, engine: Engine, runner: Runner) -> None:
    days = [f"2024-03-{d:02d}" for d in range(10, 20)]
    write(bank, "transactions", [_tx(f"T{i}", day, 10 + i) for i, day in enumerate(days)])
    ok(runner.run())
    before = {r["transaction_id"]: r for r in rows(engine, TX, "transaction_id").values()}

    write(bank, "transactions", [_tx("LATE", "2024-03-14", 99)])
    report = ok(runner.run())
    result = next(m for m in report.models if m.model == TX)
    assert (result.mode, result.partition_values) == (
        "incremental",
        [date(2024, 3, 13), date(2024, 3, 14)],
    )

    after = rows(engine, TX, "transaction_id")
    changed = {t for t in set(after) | set(before) if after.get(t) != before.get(t)}
    assert changed == {"LATE"}  # the lookback day was rebuilt identically
    assert after["LATE"]["transaction_date"] == date(2024, 3, 14)


def test_a_transaction_moved_to_another_customer_leaves_the_old_one(
    bank: Databank, engine: Engine, runner: Runner
) -> None:
    """The old version of a re-delivered transaction reaches the people and activity models
    through silver's removal log: the customer it left is re-derived, as a full refresh does."""
    for customer, email in (("C1", "ann@example.com"), ("C2", "bob@example.com")):
        write(
            bank,
            "customers",
            [{"customer_id": customer, "email": email, "registration_date": "2024-01-01"}],
        )
    write(bank, "transactions", [_tx("T1", "2024-03-10", 10), _tx("T2", "2024-03-11", 20)])
    ok(runner.run())
    ann = rows(engine, TX, "transaction_id")["T1"]["customer_id"]
    assert rows(engine, "silver.scout_clean_customers", "customer_id")[ann]["lifetime_value"] == 30

    write(bank, "transactions", [_tx("T2", "2024-03-11", 20, "C2")])  # T2 was Ann's, now Bob's
    report = ok(runner.run())
    bob = rows(engine, TX, "transaction_id")["T2"]["customer_id"]
    people = report.result("silver.scout_clean_customers")
    assert sorted(people.partition_values) == sorted([ann, bob])
    values = {
        k: v["lifetime_value"]
        for k, v in rows(engine, "silver.scout_clean_customers", "customer_id").items()
    }
    assert values == {ann: 10, bob: 20}
    watched = (*TABLES, "meta.customer_activity")
    incremental = {name: table(engine, name) for name in watched}
    ok(runner.run(full_refresh=True))
    assert {name: table(engine, name) for name in watched} == incremental
