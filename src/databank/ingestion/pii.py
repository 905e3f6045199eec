"""Pseudonymisation of personal data with keyed HMAC-SHA256, before anything is stored.

A value becomes `pii_` + the first 32 hex digits (128 bits) of HMAC-SHA256(key, normalised value).
Normalisation makes the same person match across sources: e-mail → stripped and lower-cased,
phone → its digits only, name and free text → whitespace collapsed and case-folded. Values that are
not strings are tokenised from their canonical JSON, so nothing personal is ever stored in clear.

The key comes from `settings.pii_key`; without one, a random key is generated once into
`settings.pii_key_file` (default `~/.config/neural-databank/pii.key`, mode 0600) with a warning.
The key file must not live inside the data directory: the key must never travel with the data.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any

from databank.errors import ConfigError
from databank.ingestion.contract import Contract
from databank.ingestion.safety import canonical_json
from databank.settings import Settings

log = logging.getLogger(__name__)
TOKEN_PREFIX = "pii_"
_NOT_DIGIT = re.compile(r"[^0-9]")
_MEMO_SIZE = 100_000


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def load_key(settings: Settings) -> bytes:
    """The pseudonymisation key: the configured one, else the key file (created once)."""
    if settings.pii_key is not None and settings.pii_key.get_secret_value():
        return settings.pii_key.get_secret_value().encode("utf-8")
    path = Path(settings.pii_key_file).expanduser().resolve()
    data_dir = Path(settings.data_dir).expanduser().resolve()
    if _is_inside(path, data_dir):
        raise ConfigError(
            f"the PII key file {path} is inside the data directory {data_dir}",
            "set DATABANK_PII_KEY_FILE to a path outside it (the key must not travel with the data)",
        )
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
            log.warning(
                "no DATABANK_PII_KEY set: generated a PII pseudonymisation key in %s; back it up "
                "(without it new tokens no longer match old ones)",
                path,
            )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("PII key file %s is readable by others (mode %o); chmod 600 it", path, mode)
    key = path.read_text("utf-8").strip()
    if not key:
        raise ConfigError(f"the PII key file {path} is empty", "delete it to generate a new key")
    return key.encode("utf-8")


def normalise(value: Any, kind: str) -> str:
    """The text that is hashed for a PII value of `kind` (email, phone, name, text)."""
    if not isinstance(value, str):
        value = canonical_json(value).decode("utf-8")
    if kind == "email":
        return value.strip().lower()
    if kind == "phone":
        digits = _NOT_DIGIT.sub("", value)
        return digits if digits else value.strip().lower()
    return " ".join(value.split()).casefold()


class Pseudonymiser:
    """Turns personal values into stable tokens with one secret key."""

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ConfigError("the PII key is empty", "set DATABANK_PII_KEY or remove it")
        self._key = key
        # People recur across records (the same e-mail in every order): remember recent tokens.
        # Bounded, and only ever in this process's memory, where the clear values already are.
        self._recent: dict[tuple[str, str], str] = {}

    def token(self, value: Any, kind: str) -> str:
        """`pii_<32 hex>` for `value`: the same normalised value always gives the same token."""
        if value.__class__ is str:
            known = self._recent.get((kind, value))
            if known is not None:
                return known
        text = normalise(value, kind).encode("utf-8", "surrogatepass")
        token = TOKEN_PREFIX + hmac.digest(self._key, text, "sha256").hex()[:32]
        if value.__class__ is str:
            if len(self._recent) >= _MEMO_SIZE:
                self._recent.clear()
            self._recent[(kind, value)] = token
        return token

    def apply(self, record: dict[str, Any], contract: Contract) -> tuple[dict[str, Any], bool]:
        """A copy of `record` with the contract's PII fields tokenised; and whether any was."""
        masked = False
        out = record
        for parent_path, name, kind in contract.pii_paths:
            if not parent_path:
                value = out.get(name)
                if value is not None:
                    if out is record:
                        out = dict(record)
                    out[name] = self.token(value, kind)
                    masked = True
                continue
            # One level of nesting (address.street): copy the sub-object before changing it.
            parent = out.get(parent_path)
            if parent is None:
                continue
            if out is record:
                out = dict(record)
            if isinstance(parent, dict):
                if parent.get(name) is not None:
                    out[parent_path] = {**parent, name: self.token(parent[name], kind)}
                    masked = True
            else:
                # Not the declared object (e.g. the address as one string): it holds the PII.
                out[parent_path] = self.token(parent, kind)
                masked = True
        return out, masked
