"""`databank ingest` and `databank replay` as a user runs them (subprocesses), on each engine."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import orjson
import pytest
from tests.files.conftest import transaction
from typer.testing import CliRunner

from databank.cli.main import app
from databank.engines import connect
from databank.ingestion.contract import ContractRegistry

DATABANK = [sys.executable, "-m", "databank.cli.main"]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ENV = {"DATABANK_PII_KEY": "cli-test-key"}


def run(
    args: list[str], cwd: Path, engine_url: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """The CLI with a clean DATABANK_* environment on the test engine."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DATABANK_")}
    base.update(DATABANK_ENGINE=engine_url, **ENV, **env)
    return subprocess.run(
        [*DATABANK, *args], cwd=cwd, env=base, capture_output=True, text=True, timeout=300
    )


def test_ingest_and_replay_from_the_command_line(engine_url: str, tmp_path: Path) -> None:
    """Example twice (--json), a table summary with line numbers, a progress bar, then replay."""
    assert run(["init"], tmp_path, engine_url).returncode == 0
    example = [
        "ingest",
        str(EXAMPLES / "shop_orders_nl.csv"),
        "--source",
        "transactions",
        "--mapping",
        str(EXAMPLES / "shop_orders_nl.toml"),
        "--json",
    ]
    first = run(example, tmp_path, engine_url)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert (report["records"], report["passed"], report["failed"]) == (12, 12, 0)
    assert report["source_system"] == "file:shop_orders_nl"
    assert report["batches"] == 1 and report["records_per_second"] > 0
    second = json.loads(run(example, tmp_path, engine_url).stdout)
    assert second["batch_ids"] == report["batch_ids"]
    assert (second["passed"], second["duplicates"], second["already_ingested_batches"]) == (
        0,
        12,
        1,
    )

    path = tmp_path / "pos.jsonl"
    lines = [orjson.dumps({**transaction(i), "Client": f"c{i}"}) for i in range(1000)]
    lines[1] = b"{oops"
    lines[7] = orjson.dumps(transaction(7, channel="fax"))
    path.write_bytes(b"\n".join(lines) + b"\n")
    shown = run(
        [
            "ingest",
            str(path),
            "-s",
            "transactions",
            "--map",
            "customer_id=Client",
            "--source-system",
            "pos",
            "--batch-size",
            "250",
        ],
        tmp_path,
        engine_url,
        TTY_COMPATIBLE="1",
        COLUMNS="160",
    )
    assert shown.returncode == 0, shown.stderr
    assert "mean quality score" in shown.stdout and "records/s" in shown.stdout
    assert "line 2: invalid JSON" in shown.stdout
    assert "line 8: channel" in shown.stdout
    assert "pos.jsonl" in shown.stderr and "1,000 records" in shown.stderr  # the progress bar

    replay = run(["replay", "--source", "transactions", "--json"], tmp_path, engine_url)
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout) == {
        "source_type": "transactions",
        "examined": 2,
        "now_passed": 0,
        "still_failed": 2,
        "not_replayable": 1,
    }


def test_replay_after_a_contract_fix(
    engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`databank replay` re-validates against a changed contract: fixed records now pass.

    The command runs in this process (typer's runner) so that the writer it builds reads a copy of
    the contracts with `fax` added to the channels; everything else is the real code path.
    """
    assert run(["init"], tmp_path, engine_url).returncode == 0
    path = tmp_path / "fax.jsonl"
    records = [transaction(i, channel="fax" if i < 4 else "online") for i in range(10)]
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    done = run(["ingest", str(path), "-s", "transactions", "--json"], tmp_path, engine_url)
    assert json.loads(done.stdout)["failed"] == 4

    contracts = tmp_path / "contracts"
    shutil.copytree(str(resources.files("databank.ingestion").joinpath("contracts")), contracts)
    toml = contracts / "transactions" / "1.0.0.toml"
    toml.write_text(
        toml.read_text("utf-8").replace('"marketplace"]', '"marketplace", "fax"]'), "utf-8"
    )
    monkeypatch.setattr(
        "databank.ingestion.writer.ContractRegistry",
        functools.partial(ContractRegistry, folder=contracts),
    )
    for key, value in {"DATABANK_ENGINE": engine_url, **ENV}.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["replay", "--source", "transactions"])
    assert result.exit_code == 0, result.output
    assert "examined 4 failed records" in result.output and "4 now pass" in result.output
    with connect(engine_url) as engine:
        statuses = engine.fetch_rows(
            "SELECT validation_status, count(*) FROM bronze.scout_raw_transactions GROUP BY 1"
        )
    assert dict(statuses) == {"passed": 10}


def test_command_line_errors_are_one_line(empty_engine_url: str, tmp_path: Path) -> None:
    """Each mistake is one line on stderr and a non-zero exit: before and after `init`."""
    lines = tmp_path / "lines.json"
    lines.write_bytes(orjson.dumps(transaction(1)) + b"\n" + orjson.dumps(transaction(2)) + b"\n")
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\ntimestamp = { column = "D", format = "%d/%m/%Y %H:%M" }\n', "utf-8")
    before_init = [
        (["--source", "transactions"], "is not initialised — run: databank init"),
        (["--source", "transactions", "--mapping", str(bad)], "has no offset"),
        ([], "no source type given"),
        (["--source", "transactions", "--map", "oops"], "is not target=source"),
    ]
    after_init = [
        (["--source", "transactions"], "holds a JSON object, not an array of records"),
        (["--source", "orders"], "unknown source type 'orders'"),
        (["--source", "transactions", "--schema-version", "9.9.9"], "no transactions contract"),
    ]
    for extra, message in before_init:
        result = run(["ingest", str(lines), *extra], tmp_path, empty_engine_url)
        assert result.returncode in (2, 6) and message in result.stderr, (extra, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
    assert run(["init"], tmp_path, empty_engine_url).returncode == 0
    for extra, message in after_init:
        result = run(["ingest", str(lines), *extra], tmp_path, empty_engine_url)
        assert result.returncode != 0 and message in result.stderr, (extra, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
    assert (
        run(
            ["ingest", str(lines), "--source", "transactions"], tmp_path, empty_engine_url
        ).returncode
        == 6
    )
