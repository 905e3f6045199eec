"""Bearer API keys: 401 without or with a bad/revoked key, 403 without the scope, hashes only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from tests.api.conftest import INGEST, envelope, make_bank, transactions

from databank.api.app import create_app
from databank.api.deps import require_scope
from databank.auth import KeyStore, Principal, UnknownKeyError, UnknownScopeError
from databank.context import Databank
from databank.engines import Engine

STATUS = "/api/v1/ingestion/status/00000000-0000-0000-0000-000000000000"


def _error(response) -> dict:  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    return body["error"]


def test_missing_malformed_and_unknown_keys_get_401(client: TestClient) -> None:
    """Every way of not presenting a valid key is a 401 with a Bearer challenge."""
    for headers in (
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Bearer dbk_000000000000_" + "x" * 43},
        {"Authorization": "Bearer dbk_zz_!!"},
    ):
        response = client.post(INGEST, json=envelope(transactions(1)), headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert _error(response)["code"] == "unauthorized"


def test_right_id_wrong_secret_is_401(client: TestClient, bank: Databank) -> None:
    """A key whose id exists but whose secret differs does not pass."""
    _, plaintext = KeyStore(bank.engine).create(["ingest"])
    forged = plaintext[:-4] + ("AAAA" if not plaintext.endswith("AAAA") else "BBBB")
    response = client.post(
        INGEST, json=envelope(transactions(1)), headers={"Authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 401


def test_wrong_scope_is_403_and_admin_passes(
    client: TestClient, new_key: Callable[..., dict[str, str]]
) -> None:
    """A read-only key cannot ingest; a predict key cannot read; admin can do both."""
    response = client.post(INGEST, json=envelope(transactions(1)), headers=new_key("read"))
    assert response.status_code == 403
    assert _error(response)["code"] == "forbidden"
    assert client.get(STATUS, headers=new_key("predict")).status_code == 403
    admin = new_key("admin")
    assert client.post(INGEST, json=envelope(transactions(1)), headers=admin).status_code == 200
    assert client.get(STATUS, headers=admin).status_code == 404  # past auth: the batch is unknown


def test_revoked_key_is_401(client: TestClient, bank: Databank) -> None:
    """A key works until revoked, then gets 401 at once."""
    store = KeyStore(bank.engine)
    key, plaintext = store.create(["ingest", "read"], name="ci")
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert client.post(INGEST, json=envelope(transactions(1)), headers=headers).status_code == 200
    revoked = store.revoke(key.key_id)
    assert revoked.revoked and revoked.revoked_at is not None
    response = client.post(INGEST, json=envelope(transactions(1, 1)), headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_keys_are_stored_as_hashes_only(bank: Databank) -> None:
    """The table holds no trace of the plaintext; listing never shows it; last use is recorded."""
    store = KeyStore(bank.engine)
    key, plaintext = store.create(["read", "ingest", "read"], name="dashboard")
    assert plaintext.startswith(f"dbk_{key.key_id}_") and len(plaintext) > 50
    assert key.scopes == ("ingest", "read")
    stored = bank.engine.fetch_rows("SELECT * FROM meta.api_keys")
    secret = plaintext.rsplit("_", 1)[-1]
    assert all(secret not in str(value) for row in stored for value in row)
    assert store.authenticate(plaintext) == Principal(key.key_id, frozenset({"ingest", "read"}))
    listed = store.list()
    assert [k.key_id for k in listed] == [key.key_id]
    assert listed[0].last_used_at is not None
    assert "key" not in listed[0].to_dict()


def test_bad_scopes_and_unknown_ids_are_refused(bank: Databank) -> None:
    """Scopes come from a fixed list; revoking an unknown id says so."""
    store = KeyStore(bank.engine)
    with pytest.raises(UnknownScopeError, match="superuser"):
        store.create(["superuser"])
    with pytest.raises(UnknownScopeError):
        store.create([])
    with pytest.raises(UnknownKeyError):
        store.revoke("nope")
    with pytest.raises(ValueError, match="unknown scope"):
        require_scope("everything")


def test_require_scope_protects_other_routers(bank: Databank, engine: Engine) -> None:
    """`require_scope` works on any app whose state holds the `Databank` (as other routers use it)."""
    app = FastAPI()
    app.state.bank = bank

    @app.get("/kpi")
    def kpi(caller: Principal = Depends(require_scope("read"))) -> dict[str, str]:
        return {"caller": caller.key_id}

    _, reader = KeyStore(engine).create(["read"])
    _, writer = KeyStore(engine).create(["ingest"])
    with TestClient(app) as test_client:
        assert test_client.get("/kpi").status_code == 401
        assert (
            test_client.get("/kpi", headers={"Authorization": f"Bearer {writer}"}).status_code
            == 403
        )
        ok = test_client.get("/kpi", headers={"Authorization": f"Bearer {reader}"})
        assert ok.status_code == 200 and ok.json()["caller"] == reader.split("_")[1]


def test_no_auth_mode_admits_everyone_and_warns(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With api_auth off no key is needed, and the start-up log says so loudly."""
    bank = make_bank(engine, tmp_path, api_auth=False)
    with caplog.at_level("WARNING"), TestClient(create_app(bank)) as test_client:
        response = test_client.post(INGEST, json=envelope(transactions(2)))
        assert response.status_code == 200
        assert test_client.get("/health").json()["auth"] is False
    assert any("authentication is OFF" in r.getMessage() for r in caplog.records)
