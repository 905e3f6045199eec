"""Against a real `databank serve` on 127.0.0.1: body limits (declared and streamed), health,
OpenAPI docs from local assets, and the loud --no-auth warning."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.api.conftest import INGEST, envelope, key_for_server, transactions
from tests.api.server import Server

LIMIT = 64 * 1024


@pytest.fixture
def server(engine_url: str, tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    """A server with a 64 KiB body limit, and an ingest key for it."""
    headers = key_for_server(engine_url)
    with Server(engine_url, tmp_path, DATABANK_API_MAX_BODY_BYTES=str(LIMIT)) as running:
        running.start()
        yield running, headers
        running.stop()


def _chunks(data: bytes, size: int = 4096) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_body_limits_by_length_and_by_stream(server: tuple[Server, dict[str, str]]) -> None:
    """Over the limit: 413 JSON whether the length is declared or the body is chunked."""
    running, headers = server
    big = httpx.Request(
        "POST", running.url + INGEST, json=envelope(transactions(1000)), headers=headers
    )
    assert int(big.headers["content-length"]) > LIMIT
    with httpx.Client(timeout=30) as http:
        declared = http.send(big)
        assert declared.status_code == 413
        assert declared.json()["error"]["code"] == "body_too_large"

        payload = httpx.Request("POST", "http://x", json=envelope(transactions(1000))).content
        chunked = http.post(
            running.url + INGEST,
            content=_chunks(payload),
            headers={**headers, "Content-Type": "application/json"},
        )
        assert "content-length" not in chunked.request.headers
        assert chunked.request.headers["transfer-encoding"] == "chunked"
        assert chunked.status_code == 413
        assert chunked.json()["error"]["code"] == "body_too_large"

        small = httpx.Request("POST", "http://x", json=envelope(transactions(10))).content
        ok = http.post(
            running.url + INGEST,
            content=_chunks(small, 100),
            headers={**headers, "Content-Type": "application/json"},
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["records_received"] == 10

    # A length that is not a number never reaches the app: the HTTP layer answers 400 itself.
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as raw:
        raw.sendall(
            f"POST {INGEST} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{{}}".encode()
        )
        assert raw.recv(100).startswith(b"HTTP/1.1 400")


def test_health_reports_engine_version_and_queue(
    server: tuple[Server, dict[str, str]], engine_url: str
) -> None:
    """/health needs no key and says what runs."""
    running, _ = server
    report = httpx.get(running.url + "/health", timeout=10).json()
    assert report["status"] == "ok" and report["engine"]["reachable"] is True
    assert report["engine"]["name"] == engine_url.split(":", 1)[0]
    assert report["version"] and report["queue"] == {"queued": 0, "failed": 0, "worker": True}


def test_docs_use_only_local_assets(server: tuple[Server, dict[str, str]]) -> None:
    """/docs and /redoc reference no other host, and every asset they name is served."""
    running, _ = server
    with httpx.Client(base_url=running.url, timeout=10) as http:
        for page in ("/docs", "/redoc"):
            html = http.get(page)
            assert html.status_code == 200 and "text/html" in html.headers["content-type"]
            assert not re.search(r"(src|href)=['\"]?(https?:)?//", html.text), html.text
            assets = re.findall(r"['\"](/docs/assets/[^'\"]+)['\"]", html.text)
            assert assets
            for asset in assets:
                fetched = http.get(asset)
                assert fetched.status_code == 200 and len(fetched.content) > 1000, asset
        assert http.get("/docs/assets/..%2F..%2Fcore.py").status_code == 404
        spec = http.get("/openapi.json").json()
        post = spec["paths"]["/api/v1/ingestion/bronze/{source_type}"]["post"]
        body_schema = post["requestBody"]["content"]["application/json"]["schema"]
        assert {"source_system", "data_batch", "schema_version"} <= set(body_schema["required"])
        assert "/api/v1/ingestion/status/{batch_id}" in spec["paths"]
        assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_no_auth_mode_warns_loudly(tmp_path: Path) -> None:
    """`serve --no-auth` admits requests without a key and prints the warning."""
    url = f"duckdb:///{tmp_path / 'demo.duckdb'}"
    with Server(url, tmp_path) as running:
        running.start("--no-auth")
        response = httpx.post(running.url + INGEST, json=envelope(transactions(3)), timeout=30)
        assert response.status_code == 200
        running.stop()
    output = running.output()
    assert "WARNING: API authentication is OFF" in output
    assert "WARNING databank.api.app" in output
