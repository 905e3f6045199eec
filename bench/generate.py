"""Benchmark: generate 10 million transactions through the columnar (Arrow) streaming path.

Prints one JSON object. The baseline is what a straightforward generator does: a plain-Python
loop with the `random` module building one dict per transaction, timed on a smaller sample.
`seconds` is wall-clock time including building the business (customers, catalogue, plan);
`cpu_seconds` is this process's CPU time over both threads (the generator produces the next
chunk in a worker thread while the current one is rendered), which shows the cost when other
processes compete for the two cores.

`json_bodies` times the JSON the demo sends: request-ready arrays of 10,000 transactions built
from the Arrow columns (`Business.iter_json`), against `iter_batches` + `orjson.dumps`.

    .venv/bin/python bench/generate.py [--rows 10000000] [--baseline-rows 200000] [--json-rows N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from databank.demo.generator import BusinessConfig, generate_business

ROWS_AT_SCALE_1 = 276_621  # transactions emitted by the default two-year business at scale 1


def columnar(rows: int, batch_size: int, dictionary: bool) -> dict[str, Any]:
    """Time `generate_business` + `iter_tables("transactions")` until `rows` rows are out."""
    scale = rows / ROWS_AT_SCALE_1 * 1.06
    started, cpu_started = time.perf_counter(), time.process_time()
    business = generate_business(BusinessConfig(scale=scale))
    setup = time.perf_counter() - started
    produced, batches = 0, 0
    tables = business.iter_tables("transactions", batch_size, dictionary=dictionary)
    for table in tables:
        produced += table.num_rows
        batches += 1
        if produced >= rows:
            break
    tables.close()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return {
        "rows": produced,
        "seconds": round(seconds, 3),
        "rows_per_s": round(produced / seconds),
        "setup_seconds": round(setup, 3),
        "cpu_seconds": round(cpu, 3),
        "rows_per_cpu_s": round(produced / cpu),
        "batches": batches,
        "batch_size": batch_size,
        "scale": round(scale, 3),
    }


def json_bodies(rows: int, batch_size: int = 10_000) -> dict[str, Any]:
    """Time `iter_json("transactions")` (request-ready JSON arrays, as `databank demo` sends)
    against the dict path it replaced (`iter_batches` + `orjson.dumps`), over `rows` rows each."""
    business = generate_business(BusinessConfig(scale=rows / ROWS_AT_SCALE_1 * 1.06))
    _ = business.world.customers.emails  # built once per business: not part of either path
    timings = {}
    for name, batches in (
        ("json", business.iter_json("transactions", batch_size)),
        (
            "dicts",
            ((len(b), orjson.dumps(b)) for b in business.iter_batches("transactions", batch_size)),
        ),
    ):
        produced, size = 0, 0
        started = time.perf_counter()
        for count, body in batches:
            produced, size = produced + count, size + len(body)
            if produced >= rows:
                break
        timings[name] = (produced, time.perf_counter() - started, size)
    (rows_json, seconds, size), (rows_dicts, dict_seconds, _) = timings["json"], timings["dicts"]
    return {
        "rows": rows_json,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows_json / seconds),
        "mb_per_s": round(size / seconds / 1e6, 1),
        "dict_path_rows_per_s": round(rows_dicts / dict_seconds),
        "speedup": round(rows_json / seconds / (rows_dicts / dict_seconds), 1),
        "batch_size": batch_size,
    }


def baseline(rows: int, seed: int = 42) -> float:
    """Rows per second of a plain-Python dict generator with the same fields."""
    rng = random.Random(seed)
    start = datetime(2023, 1, 2, tzinfo=UTC)
    currencies, weights = ["EUR", "GBP", "USD", "SEK", "PLN"], [72, 10, 7, 6, 5]
    channels = ["online", "mobile_app", "store", "marketplace"]
    regions = ["north", "south", "east", "west", "central"]
    payments = ["card", "paypal", "bank_transfer", "cash", "voucher"]
    started = time.perf_counter()
    out = []
    for i in range(rows):
        moment = start + timedelta(seconds=rng.randrange(730 * 86_400))
        amount = round(rng.uniform(1, 500), 2)
        channel = rng.choice(channels)
        refund = rng.random() < 0.05
        record = {
            "transaction_id": f"TXN-{i + 1:012d}",
            "customer_id": f"CUS-{rng.randrange(1, 740_000):012d}",
            "product_id": f"PRD-{rng.randrange(1, 2_400):012d}",
            "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "amount": -amount if refund else amount,
            "currency": rng.choices(currencies, weights)[0],
            "quantity": -1 if refund else 1,
            "transaction_type": "refund" if refund else "sale",
            "channel": channel,
            "region": rng.choice(regions),
            "payment_method": rng.choice(payments),
            "discount_applied": 0.0,
            "tax_amount": round(amount * 0.19 / 1.19, 2),
        }
        if refund:
            record["original_transaction_id"] = f"TXN-{rng.randrange(1, i + 2):012d}"
        if channel in ("online", "mobile_app"):
            record["session_id"] = f"SES-{8 * (i + 1):012d}"
        out.append(record)
    return rows / (time.perf_counter() - started)


def main() -> None:
    """Run both and print the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--baseline-rows", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=100_000)
    parser.add_argument(
        "--json-rows", type=int, default=1_000_000, help="rows for the JSON-body timing (0: skip)"
    )
    parser.add_argument(
        "--plain-strings",
        action="store_true",
        help="decode the dictionary-encoded enum columns to plain strings (slower)",
    )
    args = parser.parse_args()
    dictionary = not args.plain_strings
    result = {"benchmark": "generate", **columnar(args.rows, args.batch_size, dictionary)}
    result["enum_columns"] = "dictionary" if dictionary else "string"
    result["baseline_rows_per_s"] = round(baseline(args.baseline_rows))
    result["speedup"] = round(result["rows_per_s"] / result["baseline_rows_per_s"], 1)
    if args.json_rows:
        result["json_bodies"] = json_bodies(args.json_rows)
    result["machine"] = {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
