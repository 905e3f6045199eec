"""Client mode against a real `databank serve` on 127.0.0.1: the same output as in-process.

One database is built (example orders → bronze → silver → gold), every read command is run
in-process, then again while a server holds the file: stdout, stderr and exit code must match.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.cli.conftest import cli_env, free_port, run_cli, serving

from databank.api.discovery import server_file, write_server_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GOLD = "gold.scout_kpi_revenue_daily"
ROW = "date=2025-01-02,region=north,channel=online"
READ_COMMANDS = [
    "status",
    "status --json",
    "kpi daily_revenue --range 2025-01-01..2025-01-31 -g week",
    "kpi daily_revenue --range 2025-01-01..2025-01-31 -d region -f region=north --json",
    "kpi revenue",
    f"lineage {GOLD}",
    f"lineage {GOLD} --json",
    f"lineage {GOLD} --column total_revenue",
    "lineage gold.no_such_table",
    f"explain {GOLD} --key {ROW}",
    f"explain {GOLD} --key {ROW} --json",
    f"explain {GOLD} --key date=2025-01-03,region=north,channel=online",
]


@dataclass
class Served:
    """A database, its API key file, what each read command printed in-process, and the server."""

    folder: Path
    data_dir: Path
    env: dict[str, str]
    local: dict[str, tuple[int, str, str]]
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """Where the server listens (from its discovery file)."""
        return str(json.loads(server_file(self.data_dir).read_text())["url"])


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stderr
    return done


def _key(env: dict[str, str], folder: Path, *scopes: str) -> Path:
    args = ["keys", "create", "--json", *(a for s in scopes for a in ("--scope", s))]
    key = json.loads(_ok(run_cli(args, env, folder)).stdout)["key"]
    path = folder / f"key-{'-'.join(scopes)}"
    path.write_text(key + "\n")
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The example orders through every layer, read in-process, then served."""
    folder = tmp_path_factory.mktemp("client")
    data_dir = folder / "data"
    env = cli_env(data_dir)
    _ok(run_cli(["init"], env, folder))
    example = EXAMPLES / "shop_orders_nl.csv"
    mapping = EXAMPLES / "shop_orders_nl.toml"
    _ok(
        run_cli(
            ["ingest", str(example), "-s", "transactions", "--mapping", str(mapping)], env, folder
        )
    )
    _ok(run_cli(["run"], env, folder))
    env["DATABANK_API_KEY_FILE"] = str(_key(env, folder, "read"))
    local = {}
    for command in READ_COMMANDS:
        done = run_cli(shlex.split(command), env, folder)
        local[command] = (done.returncode, done.stdout, done.stderr)
    with serving(data_dir, env, folder) as process:
        yield Served(folder, data_dir, env, local, process)


@pytest.mark.parametrize("command", READ_COMMANDS)
def test_read_commands_print_what_they_print_in_process(served: Served, command: str) -> None:
    """While the server holds the file, each command answers through it, byte for byte the same."""
    assert served.process.poll() is None
    done = run_cli(shlex.split(command), served.env, served.folder)
    assert (done.returncode, done.stdout, done.stderr) == served.local[command]
    assert "in use by" not in done.stderr  # never the locked-file error


def test_results_are_real(served: Served) -> None:
    """The compared outputs hold data, so that equal means something."""
    assert served.local["status"][0] == 0 and "scout_raw_transactions" in served.local["status"][1]
    explained = json.loads(served.local[f"explain {GOLD} --key {ROW} --json"][1])
    assert explained["totals"]["total_revenue"]["matches"] is True
    assert explained["key"] == {"date": "2025-01-02", "region": "north", "channel": "online"}
    assert served.local["lineage gold.no_such_table"][0] == 4
    assert "has no row for" in served.local[READ_COMMANDS[-1]][2]


@pytest.mark.parametrize("command", ["keys list", "init", "run", "replay --source transactions"])
def test_commands_that_need_the_file_name_the_server(served: Served, command: str) -> None:
    """One line naming the server's URL and pid, and what to do; exit 3 like a locked file."""
    done = run_cli(shlex.split(command), served.env, served.folder)
    assert done.returncode == 3
    line = done.stderr.strip()
    assert "\n" not in line
    assert served.url in line and f"pid {served.process.pid}" in line
    assert f"kill {served.process.pid}" in line


def test_missing_and_wrong_keys(served: Served) -> None:
    """Without a key, or with a bad one: say which server wants one and where keys come from."""
    env = {k: v for k, v in served.env.items() if k != "DATABANK_API_KEY_FILE"}
    missing = run_cli(["status"], env, served.folder)
    assert missing.returncode == 2
    assert "an API key is needed" in missing.stderr and "DATABANK_API_KEY_FILE" in missing.stderr
    assert f"pid {served.process.pid}" in missing.stderr
    wrong = run_cli(["status", "--api-key", "dbk_wrong"], env, served.folder)
    assert wrong.returncode == 2 and "the API key was refused" in wrong.stderr
    unreadable = run_cli(
        ["status", "--api-key-file", str(served.folder / "nope")], env, served.folder
    )
    assert unreadable.returncode == 2 and "cannot read the API key file" in unreadable.stderr


def test_explicit_api_url(served: Served) -> None:
    """`--api URL` reaches that server whatever the local configuration says."""
    env = cli_env(
        served.folder / "elsewhere", DATABANK_API_KEY_FILE=served.env["DATABANK_API_KEY_FILE"]
    )
    report = json.loads(
        _ok(run_cli(["status", "--json", "--api", served.url], env, served.folder)).stdout
    )
    assert report["engine"]["url"].endswith(f"{served.data_dir}/databank.duckdb")
    assert not (served.folder / "elsewhere").exists()
    dead = run_cli(["status", "--api", f"http://127.0.0.1:{free_port()}"], env, served.folder)
    assert dead.returncode == 3 and "does not answer" in dead.stderr


def _orders(path: Path, count: int) -> Path:
    with path.open("w") as handle:
        for i in range(count):
            record = {
                "transaction_id": f"t-{i}",
                "customer_id": f"c-{i % 7}",
                "product_id": "p-1",
                "timestamp": "2025-01-05T10:30:00Z",
                "amount": 10.5,
                "currency": "EUR",
            }
            handle.write(json.dumps(record) + "\n")
        handle.write("{not json\n")
    return path


def test_ingest_through_the_server_and_stop(tmp_path: Path) -> None:
    """Batches go to the ingestion API; the same file again is answered by idempotency keys.

    Then a clean stop removes server.json, and a stale one (dead pid) does not send commands to
    a server that is gone.
    """
    data_dir = tmp_path / "data"
    env = cli_env(data_dir)
    _ok(run_cli(["init"], env, tmp_path))
    env["DATABANK_API_KEY_FILE"] = str(_key(env, tmp_path, "ingest", "read"))
    orders = _orders(tmp_path / "orders.jsonl", 2_500)
    with serving(data_dir, env, tmp_path):
        first = json.loads(
            _ok(
                run_cli(["ingest", str(orders), "-s", "transactions", "--json"], env, tmp_path)
            ).stdout
        )
        assert (first["records"], first["passed"], first["failed"], first["batches"]) == (
            2_501,
            2_500,
            1,
            3,
        )
        assert first["errors"][0]["where"] == "line 2501"
        again = json.loads(
            _ok(
                run_cli(["ingest", str(orders), "-s", "transactions", "--json"], env, tmp_path)
            ).stdout
        )
        # Replayed answers (idempotency keys), not a second write: every record counts as a duplicate.
        assert (again["passed"], again["failed"], again["duplicates"]) == (0, 0, 2_501)
        assert again["batch_ids"] == first["batch_ids"]
        status = json.loads(_ok(run_cli(["status", "--json"], env, tmp_path)).stdout)
        assert status["layers"]["bronze"]["scout_raw_transactions"] == 2_500
    assert not server_file(data_dir).exists()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    write_server_file(
        data_dir,
        f"http://127.0.0.1:{free_port()}",
        f"duckdb:///{data_dir}/databank.duckdb",
        pid=int(dead.stdout),
    )
    local = json.loads(_ok(run_cli(["status", "--json"], env, tmp_path)).stdout)
    assert local["layers"]["bronze"]["scout_raw_transactions"] == 2_500


def test_explain_route_refuses_a_bad_key(served: Served) -> None:
    """The explain endpoint wants the grain as a JSON object of texts, and the read scope."""
    import httpx

    key = Path(served.env["DATABANK_API_KEY_FILE"]).read_text().strip()
    path = f"{served.url}/api/v1/lineage/explain/{GOLD}"
    with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
        bad = http.get(path, params={"key": "date=2025-01-02"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_key"
        good = http.get(
            path, params={"key": json.dumps(dict(p.split("=") for p in ROW.split(",")))}
        )
        assert good.status_code == 200 and good.json()["upstream_row_count"] == 2
    assert httpx.get(path, params={"key": "{}"}, timeout=60).status_code == 401
