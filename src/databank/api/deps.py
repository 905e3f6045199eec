"""FastAPI dependencies, all in one place: the `Databank`, the ingestion service and auth.

Other routers protect their endpoints with `require_scope`:

    @router.get("/api/v1/metrics/kpi/{name}")
    def kpi(name: str, caller: Principal = Depends(require_scope("read"))) -> ...
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from databank.api.errors import ApiError
from databank.api.service import IngestionService
from databank.auth import ANONYMOUS, SCOPES, KeyStore, Principal
from databank.context import Databank
from databank.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer dbk_…`")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def get_bank(request: Request) -> Databank:
    """The `Databank` this application serves."""
    bank: Databank = request.app.state.bank
    return bank


def get_settings(bank: Databank = Depends(get_bank)) -> Settings:
    """The settings in force."""
    return bank.settings


def get_keys(request: Request) -> KeyStore:
    """The API key store (made on first use)."""
    state = request.app.state
    if getattr(state, "keys", None) is None:
        state.keys = KeyStore(get_bank(request).engine)
    keys: KeyStore = state.keys
    return keys


def get_ingestion(request: Request) -> IngestionService:
    """The ingestion service (made by the app's lifespan, or on first use without one)."""
    state = request.app.state
    if getattr(state, "ingestion", None) is None:
        state.ingestion = IngestionService(get_bank(request))
    service: IngestionService = state.ingestion
    return service


def require_scope(*scopes: str) -> Callable[..., Principal]:
    """A dependency that admits callers whose API key has one of `scopes` (or `admin`).

    401 (with `WWW-Authenticate: Bearer`) without a key or with a bad or revoked one, 403 with a
    key that lacks the scope. With authentication off (local demos) everyone is admitted.
    """
    unknown = [s for s in scopes if s not in SCOPES]
    if not scopes or unknown:
        raise ValueError(f"unknown scope {unknown or scopes!r}; use one of {SCOPES}")
    wanted = " or ".join(repr(s) for s in scopes)

    def check(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Security(_bearer),
    ) -> Principal:
        if not get_bank(request).settings.api_auth:
            return ANONYMOUS
        if credentials is None:
            raise ApiError(
                401,
                "unauthorized",
                "an API key is required: send `Authorization: Bearer <key>`",
                headers=_CHALLENGE,
            )
        principal = get_keys(request).authenticate(credentials.credentials)
        if principal is None:
            raise ApiError(
                401, "unauthorized", "the API key is not valid or was revoked", headers=_CHALLENGE
            )
        if not any(principal.allows(scope) for scope in scopes):
            raise ApiError(403, "forbidden", f"this API key lacks the {wanted} scope")
        return principal

    check.__name__ = f"require_scope_{'_'.join(scopes)}"
    return check
