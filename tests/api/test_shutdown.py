"""`databank serve` stopped with SIGTERM finishes its cleanup: exit status 0, and on DuckDB a
checkpointed file with no write-ahead log left to replay."""

from __future__ import annotations

from pathlib import Path

import httpx

from api.conftest import envelope, key_for_server, transactions
from api.server import Server


def test_sigterm_closes_the_database(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'bank.duckdb'}"
    headers = key_for_server(url, "ingest")
    server = Server(url, tmp_path, "--no-worker").start()
    try:
        answer = httpx.post(
            server.url + "/api/v1/ingestion/bronze/transactions",
            json=envelope(transactions(500)),
            headers=headers,
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        assert (tmp_path / "bank.duckdb.wal").exists()  # the batch lives in the log until then
        process = server.process
        assert process is not None
        server.stop()
        assert process.returncode == 0, server.output()[-2000:]
    finally:
        server.kill()
    assert not (tmp_path / "bank.duckdb.wal").exists(), server.output()[-2000:]
