"""Create, list, revoke and check API keys.

A key reads `dbk_<key id>_<secret>`: the id (12 hex characters) finds the row, the secret is 256
random bits. Only the SHA-256 of the whole key is stored; a fast hash is enough because the secret
is high-entropy (nobody can guess it, so there is nothing to slow down), and the stored and the
presented hashes are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from databank.engines.base import Engine
from databank.errors import DatabankError

SCOPES: tuple[str, ...] = ("ingest", "read", "transform", "predict", "admin")
PREFIX = "dbk"
TABLE = "meta.api_keys"
logger = logging.getLogger(__name__)
_LAST_USED_EVERY_S = 60.0  # write `last_used_at` at most once a minute per key, not per request


class UnknownScopeError(DatabankError):
    """A scope name that is not one of `SCOPES`."""

    exit_code = 2


class UnknownKeyError(DatabankError):
    """No API key has this id."""

    exit_code = 2


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key's id and scopes (`admin` grants every scope)."""

    key_id: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        """True if this caller may use `scope`."""
        return scope in self.scopes or "admin" in self.scopes


# The caller when authentication is switched off (local demos only).
ANONYMOUS = Principal(key_id="anonymous", scopes=frozenset(SCOPES))
_revocations = 0  # bumped by every revocation in this process


@dataclass(frozen=True)
class ApiKey:
    """One stored key, without its secret."""

    key_id: str
    name: str | None
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        """True once the key was revoked."""
        return self.revoked_at is not None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields (never the key itself, which is not stored)."""
        return {
            "id": self.key_id,
            "name": self.name,
            "scopes": list(self.scopes),
            "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked": self.revoked,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # stored as UTC wall time


def check_scopes(scopes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Validate and de-duplicate scope names, keeping `SCOPES` order."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise UnknownScopeError(
            f"unknown scope {', '.join(unknown)}", f"use one or more of: {', '.join(SCOPES)}"
        )
    if not scopes:
        raise UnknownScopeError("a key needs at least one scope", f"pick from: {', '.join(SCOPES)}")
    return tuple(s for s in SCOPES if s in scopes)


class KeyStore:
    """API keys in `meta.api_keys` of one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._touched: dict[str, float] = {}
        self._touch_lock = threading.Lock()
        # Where one process owns the database (DuckDB), a key that authenticated stays valid
        # until a revocation in this process, so it need not be read again on every request.
        # Elsewhere another process may revoke it at any moment: always ask the database.
        self._remember = not engine.capabilities.concurrent_processes
        self._known: dict[str, tuple[int, Principal]] = {}

    def create(
        self, scopes: list[str] | tuple[str, ...], name: str | None = None
    ) -> tuple[ApiKey, str]:
        """Make a key; returns it and its plaintext, which is shown once and never stored."""
        wanted = check_scopes(scopes)
        key_id = secrets.token_hex(6)
        plaintext = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        created = _now()
        self.engine.execute(
            f"INSERT INTO {TABLE} (key_id, name, key_hash, scopes, created_at) "
            "VALUES ($id, $name, $hash, $scopes, $created)",
            {
                "id": key_id,
                "name": name,
                "hash": hash_key(plaintext),
                "scopes": " ".join(wanted),
                "created": created,
            },
        )
        return ApiKey(key_id, name, wanted, created, None, None), plaintext

    def list(self) -> list[ApiKey]:
        """Every key, oldest first."""
        rows = self.engine.fetch_rows(
            f"SELECT key_id, name, scopes, created_at, last_used_at, revoked_at FROM {TABLE} "
            "ORDER BY created_at, key_id"
        )
        return [ApiKey(r[0], r[1], tuple(r[2].split()), r[3], r[4], r[5]) for r in rows]

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key (it stops working at once); revoking twice keeps the first time."""
        found = self.engine.fetch_value(
            f"SELECT count(*) FROM {TABLE} WHERE key_id = $id", {"id": key_id}
        )
        if not found:
            raise UnknownKeyError(f"no API key with id {key_id!r}", "see `databank keys list`")
        self.engine.execute(
            f"UPDATE {TABLE} SET revoked_at = $now WHERE key_id = $id AND revoked_at IS NULL",
            {"id": key_id, "now": _now()},
        )
        global _revocations
        _revocations += 1  # every KeyStore of this process forgets the keys it remembered
        return next(k for k in self.list() if k.key_id == key_id)

    def authenticate(self, presented: str) -> Principal | None:
        """The caller a presented key stands for, or None (malformed, unknown or revoked)."""
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 12:
            return None
        known = self._known.get(presented) if self._remember else None
        if known is not None and known[0] == _revocations:
            self._touch(parts[1])
            return known[1]
        generation = _revocations
        rows = self.engine.fetch_rows(
            f"SELECT key_hash, scopes, revoked_at FROM {TABLE} WHERE key_id = $id", {"id": parts[1]}
        )
        if not rows:
            return None
        stored, scopes, revoked_at = rows[0]
        if not hmac.compare_digest(stored, hash_key(presented)) or revoked_at is not None:
            return None
        self._touch(parts[1])
        principal = Principal(key_id=parts[1], scopes=frozenset(scopes.split()))
        if self._remember:
            if len(self._known) >= 1024:
                self._known.clear()
            self._known[presented] = (generation, principal)
        return principal

    def _touch(self, key_id: str) -> None:
        """Record the key's use, throttled so busy clients do not turn every read into a write."""
        now = time.monotonic()
        with self._touch_lock:
            if now - self._touched.get(key_id, -_LAST_USED_EVERY_S) < _LAST_USED_EVERY_S:
                return
            self._touched[key_id] = now
        try:
            self.engine.execute(
                f"UPDATE {TABLE} SET last_used_at = $now WHERE key_id = $id",
                {"id": key_id, "now": _now()},
            )
        except Exception as exc:  # bookkeeping only: never fail a request over the timestamp
            logger.warning("could not record the use of API key %s: %s", key_id, exc)
