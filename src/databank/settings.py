"""Settings: environment variables (`DATABANK_*`) over an optional `databank.toml`, over defaults.

Secrets (the PII pseudonymisation key, passwords inside the engine URL) are held so that neither
`repr` nor logs can show them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_FILE_ENV = "DATABANK_CONFIG"
DEFAULT_CONFIG_FILE = "databank.toml"
DEFAULT_DATA_DIR = ".databank"


def redact_url(url: str) -> str:
    """Return `url` with any password replaced by `***`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    userinfo = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{userinfo}:***@{netloc[1]}"))


class EngineURL(str):
    """An engine URL whose `repr` never shows a password."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(redact_url(str(self)))

    @property
    def redacted(self) -> str:
        """The URL with its password masked, for display."""
        return redact_url(str(self))


class Settings(BaseSettings):
    """All configuration of one Neural DataBank installation."""

    model_config = SettingsConfigDict(env_prefix="DATABANK_", extra="ignore")

    data_dir: Path = Field(default=Path(DEFAULT_DATA_DIR), description="Where embedded data lives.")
    engine: EngineURL | None = Field(
        default=None,
        description="Engine URL: duckdb:///path/file.duckdb (default under data_dir), "
        "postgresql://user@host:port/db, spark://local[2]?warehouse=DIR.",
    )
    pii_key: SecretStr | None = Field(
        default=None, description="Key for HMAC-SHA256 pseudonymisation of personal data."
    )
    pii_key_file: Path = Field(
        default=Path("~/.config/neural-databank/pii.key"),
        description="Where a generated PII key is kept when pii_key is unset (never in data_dir).",
    )
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8321, ge=1, le=65535)
    api_max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    api_max_records: int = Field(default=10_000, ge=1)
    api_auth: bool = Field(default=True, description="False only for local demos.")
    api_idempotency_retention_hours: float = Field(default=24.0, gt=0)
    api_queue_worker: bool = Field(default=True, description="Process queued batches in-process.")
    api_queue_poll_seconds: float = Field(default=1.0, gt=0)
    api_serialize_writes: bool | None = Field(
        default=None,
        description="One write at a time; None: on for DuckDB (one writer), off elsewhere.",
    )
    transform_microbatch_delay_seconds: float = Field(
        default=2.0,
        ge=0,
        description="`databank serve` runs the models downstream of new bronze rows this many "
        "seconds after the first new batch (micro-batches); 0 turns micro-batching off.",
    )
    transform_watermark_overlap_seconds: float | None = Field(
        default=None,
        ge=0,
        description="Incremental runs in `databank serve` re-read this many seconds before their "
        "watermark, for batches that commit out of ingestion-time order; None: 0 when writes are "
        "serialised (DuckDB), else 30.",
    )
    lineage_events_max_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=0,
        description="`<data_dir>/openlineage/events.jsonl` rotates to `events.jsonl.1` before an "
        "event would take it past this size; 0: never rotates.",
    )
    lineage_events_keep: int = Field(
        default=5, ge=1, description="Rotated OpenLineage event files kept (`.1` … `.N`)."
    )

    @field_validator("engine", mode="before")
    @classmethod
    def _wrap_engine(cls, value: Any) -> Any:
        return EngineURL(value) if isinstance(value, str) and value else None

    @property
    def engine_url(self) -> EngineURL:
        """The engine URL in force: the configured one, else the embedded DuckDB file."""
        if self.engine:
            return self.engine
        return EngineURL(f"duckdb:///{(self.data_dir / 'databank.duckdb').resolve()}")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order of precedence: explicit arguments, environment, `databank.toml`."""
        toml_path = Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment and `databank.toml`, with `overrides` on top."""
    return Settings(**overrides)
