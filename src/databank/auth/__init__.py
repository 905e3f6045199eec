"""API keys: bearer tokens with scopes, shown once at creation and stored only as a hash."""

from __future__ import annotations

from databank.auth.keys import (
    ANONYMOUS,
    SCOPES,
    ApiKey,
    KeyStore,
    Principal,
    UnknownKeyError,
    UnknownScopeError,
)

__all__ = [
    "ANONYMOUS",
    "SCOPES",
    "ApiKey",
    "KeyStore",
    "Principal",
    "UnknownKeyError",
    "UnknownScopeError",
]
