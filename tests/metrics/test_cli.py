"""`databank kpi` as a user runs it, in a subprocess, on every engine."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from tests.foundation.test_cli import run
from tests.metrics.conftest import insert

from databank.engines import Engine


def test_kpi_table_json_and_errors(engine: Engine, tmp_path: Path) -> None:
    """A Rich table, the API's JSON with --json, the catalog without a name, one-line errors."""
    insert(
        engine,
        "gold.scout_kpi_revenue_daily",
        [
            {
                "date": date(2025, 1, d),
                "region": region,
                "channel": "online",
                "total_revenue": Decimal("1234.50"),
                "total_transactions": 10,
            }
            for d, region in [(6, "north"), (7, "south"), (13, "north")]
        ],
    )
    engine.close()  # a DuckDB file has one writer: let the CLI open it
    env = {"DATABANK_ENGINE": engine.url, "DATABANK_DATA_DIR": str(tmp_path)}
    args = ["kpi", "daily_revenue", "--range", "2025-01-06..2025-01-19", "-g", "week"]
    table = run(args, tmp_path, **env)
    assert table.returncode == 0, table.stderr
    assert "2025-W02" in table.stdout and "2,469.00" in table.stdout and "1,234.50" in table.stdout
    assert "current   3,703.50" in table.stdout
    as_json = json.loads(
        run([*args, "-d", "region", "-f", "region=north", "--json"], tmp_path, **env).stdout
    )
    assert [(p["period"], p["value"]) for p in as_json["time_series"]] == [
        ("2025-W02", 1234.5),
        ("2025-W03", 1234.5),
    ]
    assert as_json["filters"] == {"region": ["north"]}
    listing = run(["kpi", "--json"], tmp_path, **env)
    assert "average_order_value" in {m["name"] for m in json.loads(listing.stdout)}
    unknown = run(["kpi", "revenue"], tmp_path, **env)
    assert unknown.returncode == 1
    assert "unknown metric 'revenue'" in unknown.stderr and "daily_revenue" in unknown.stderr
