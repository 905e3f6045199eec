"""Settings: environment over databank.toml over defaults; secrets never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from databank.settings import load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("DATABANK_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults_point_at_embedded_duckdb(tmp_path: Path) -> None:
    """No configuration: a DuckDB file under ./.databank."""
    settings = load_settings()
    assert settings.engine_url == f"duckdb:///{tmp_path / '.databank' / 'databank.duckdb'}"
    assert settings.pii_key is None


def test_env_overrides_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """databank.toml is read; an environment variable wins over it."""
    (tmp_path / "databank.toml").write_text(
        'api_port = 9000\nengine = "duckdb:///from-toml.duckdb"\n'
    )
    assert load_settings().api_port == 9000
    assert load_settings().engine_url == "duckdb:///from-toml.duckdb"
    monkeypatch.setenv("DATABANK_API_PORT", "9100")
    assert load_settings().api_port == 9100


def test_config_file_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DATABANK_CONFIG names another file."""
    other = tmp_path / "other.toml"
    other.write_text("api_max_records = 77\n")
    monkeypatch.setenv("DATABANK_CONFIG", str(other))
    assert load_settings().api_max_records == 77


def test_invalid_setting_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    """A port out of range fails validation with the field named."""
    monkeypatch.setenv("DATABANK_API_PORT", "70000")
    with pytest.raises(Exception, match="api_port"):
        load_settings()


def test_secrets_hidden_in_repr_and_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Neither the PII key nor a URL password appears in repr, str or a log line."""
    monkeypatch.setenv("DATABANK_PII_KEY", "super-secret-key")
    monkeypatch.setenv("DATABANK_ENGINE", "postgresql://app:hunter2@db.example:5432/prod")
    settings = load_settings()
    assert (
        settings.pii_key is not None and settings.pii_key.get_secret_value() == "super-secret-key"
    )
    with caplog.at_level(logging.INFO):
        logging.getLogger("databank.test").info("settings: %r / %s", settings, settings)
    for text in (repr(settings), str(settings), caplog.text):
        assert "super-secret-key" not in text
        assert "hunter2" not in text
    assert settings.engine_url.redacted == "postgresql://app:***@db.example:5432/prod"
