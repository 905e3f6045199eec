"""Personal data never reaches the database in clear; the same person gets the same token."""

from __future__ import annotations

import logging
import re
import stat
from pathlib import Path

import orjson
import pytest
from tests.ingestion.conftest import VALID, transaction

from databank.engines import Engine
from databank.errors import ConfigError
from databank.ingestion.pii import Pseudonymiser, load_key, normalise
from databank.ingestion.writer import BronzeWriter
from databank.settings import Settings

SECRETS = (
    "Alice.Example",
    "alice.example",
    "Zyxwvutsr",
    "Qwertyuiop",
    "Storgatan 12",
    "123 45 67",
    "701234567",
    "bob.builder",
)
TOKEN = re.compile(r"^pii_[0-9a-f]{32}$")


def customer(i: int, **over: object) -> dict[str, object]:
    record = dict(
        VALID["customers"],
        customer_id=f"cust_{i}",
        first_name="Qwertyuiop",
        last_name="Zyxwvutsr",
        email="Alice.Example@Mail.com",
    )
    record.update(over)
    return record


def text_columns_containing(engine: Engine, needles: tuple[str, ...]) -> dict[str, list[str]]:
    """For each needle, every schema.table.column of bronze and meta whose text holds it."""
    hits: dict[str, list[str]] = {n: [] for n in needles}
    for schema in ("bronze", "meta"):
        for table in sorted(engine.table_names(schema)):
            columns = list(engine.column_types(f"{schema}.{table}"))
            casts = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in columns)
            for row in engine.fetch_rows(f"SELECT {casts} FROM {schema}.{table}"):
                for column, value in zip(columns, row, strict=True):
                    for needle in needles:
                        if value is not None and needle in value:
                            hits[needle].append(f"{schema}.{table}.{column}")
    return hits


def test_pii_never_stored_in_clear(writer: BronzeWriter, engine: Engine) -> None:
    records = [
        customer(1),
        customer(2, email=" ALICE.EXAMPLE@mail.com", phone="(070) 123-45-67"),
        customer(3, email="not-an-email alice.example", address="Storgatan 12, Malmo"),  # fails
        customer(4, phone=701234567),  # wrong type: still tokenised
    ]
    result = writer.write_batch("customers", records, source_system="crm_marker_src")
    assert (result.passed, result.failed) == (2, 2)
    tx = writer.write_batch(
        "transactions",
        [transaction(1, customer_email="bob.builder@example.com")],
        source_system="shop",
    )
    assert tx.passed == 1
    hits = text_columns_containing(engine, (*SECRETS, "crm_marker_src"))
    assert all(hits[secret] == [] for secret in SECRETS), hits
    assert hits["crm_marker_src"]  # positive control: the search finds what is stored in clear
    for secret in SECRETS:  # and the database's own LIKE agrees on the payloads
        like = engine.fetch_value(
            "SELECT count(*) FROM bronze.scout_raw_customers WHERE CAST(customer_data AS VARCHAR) "
            "LIKE $n OR CAST(quality_flags AS VARCHAR) LIKE $n",
            {"n": f"%{secret}%"},
        )
        assert like == 0, secret
    masked = engine.fetch_rows("SELECT pii_masked FROM bronze.scout_raw_customers")
    assert [m[0] for m in masked] == [True] * 4


def test_duckdb_file_bytes_hold_no_pii(writer: BronzeWriter, engine: Engine) -> None:
    if engine.scheme != "duckdb":
        pytest.skip(
            "the file-bytes check is for the embedded DuckDB file (PostgreSQL: LIKE search)"
        )
    writer.write_batch(
        "customers", [customer(i) for i in range(20)], source_system="file_marker_src"
    )
    path = Path(engine.path)  # type: ignore[attr-defined]
    data = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert b"file_marker_src" in data  # control: the raw files do hold the stored text
    for secret in SECRETS:
        assert secret.encode() not in data, secret


def test_same_email_same_token_across_sources(writer: BronzeWriter, engine: Engine) -> None:
    writer.write_batch(
        "customers", [customer(1, email="  Carol@Example.COM ")], source_system="crm"
    )
    writer.write_batch(
        "transactions", [transaction(1, customer_email="carol@example.com")], source_system="shop"
    )
    token_c = orjson.loads(
        engine.fetch_value("SELECT CAST(customer_data AS VARCHAR) FROM bronze.scout_raw_customers")
    )["email"]
    token_t = orjson.loads(
        engine.fetch_value(
            "SELECT CAST(transaction_data AS VARCHAR) FROM bronze.scout_raw_transactions"
        )
    )["customer_email"]
    assert TOKEN.match(token_c) and token_c == token_t


def test_normalisation_and_tokens() -> None:
    pseudo = Pseudonymiser(b"k1")
    assert pseudo.token(" A@B.com", "email") == pseudo.token("a@b.com", "email")
    assert pseudo.token("+46 (70) 123-4567", "phone") == pseudo.token("46701234567", "phone")
    assert pseudo.token("  Anna   Maria ", "name") == pseudo.token("anna maria", "name")
    assert pseudo.token("a@b.com", "email") != Pseudonymiser(b"k2").token("a@b.com", "email")
    assert TOKEN.match(pseudo.token({"nested": 1}, "text"))
    assert normalise(5551234, "phone") == "5551234"


def test_generated_key_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key_file = tmp_path / "conf" / "pii.key"
    settings = Settings(data_dir=tmp_path / "data", pii_key=None, pii_key_file=key_file)
    with caplog.at_level(logging.WARNING, logger="databank.ingestion.pii"):
        first = load_key(settings)
    assert "generated a PII pseudonymisation key" in caplog.text
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) == 64 and load_key(settings) == first  # generated once, then reused
    configured = Settings(data_dir=tmp_path / "data", pii_key="from-env", pii_key_file=key_file)
    assert load_key(configured) == b"from-env"


def test_key_file_inside_data_dir_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, pii_key=None, pii_key_file=tmp_path / "keys" / "pii.key")
    with pytest.raises(ConfigError, match="inside the data directory"):
        load_key(settings)
    assert not (tmp_path / "keys" / "pii.key").exists()
