"""The app's client-credential tokens per tenant, by MSAL: one implementation for every service.

MSAL does the protocol (tenant discovery, the token request, its cache and renewal). It is a
blocking library, so calls run on a worker thread; in front of it a small cache hands out a
token that still has minutes to live without that hop, because a migration makes a call per
item. MSAL talks to the real Microsoft URLs; its HTTP client sends them wherever ``Endpoints``
says (the simulator in the embedded default), so nothing in MSAL is patched or bypassed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msal
import requests

from migrator_microsoft.endpoints import LOGIN, Endpoints

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
RENEW_BEFORE_SECONDS = 300.0  # a token this close to expiry is renewed, not handed out
DIRECTORY_CACHE_SECONDS = 10.0  # a tenant revoked by another replica stops being used this soon


class TokenError(Exception):
    """No token for this tenant: not connected, consent revoked, or the app's secret refused."""


class ConsentLost(TokenError):
    """The directory no longer consents to the app (AADSTS65001: revoked by an administrator, or
    never given again after it lapsed): nothing works there until the tenant is reconnected.
    ``tenant_id`` is the platform's tenant, when the caller asked by it."""

    def __init__(self, message: str, *, tenant_id: str | None = None) -> None:
        super().__init__(message)
        self.tenant_id = tenant_id


CONSENT_MISSING = 65001  # AADSTS65001: "The user or administrator has not consented to use the application"


class _ResolvingSession(requests.Session):
    """MSAL's HTTP client: the real Microsoft URLs it asks for, sent to where they are served."""

    def __init__(self, endpoints: Endpoints, timeout: float) -> None:
        super().__init__()
        self._endpoints, self._timeout = endpoints, timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        verb = method.decode() if isinstance(method, bytes) else method
        target = url.decode() if isinstance(url, bytes) else url
        return super().request(verb, self._endpoints.resolve(target), *args, **kwargs)


class ClientCredentials:
    """Tokens of the app registration (``client_id`` / ``client_secret``) for one directory (a
    tenant's GUID, or one of its verified domains) at a time."""

    def __init__(
        self, *, client_id: str, client_secret: str, endpoints: Endpoints, timeout: float = 30.0
    ) -> None:
        self._client_id, self._secret = client_id, client_secret
        self._http = _ResolvingSession(endpoints, timeout)
        self._apps: dict[str, msal.ConfidentialClientApplication] = {}
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}  # -> (token, good until, monotonic)
        self._locks: dict[str, asyncio.Lock] = {}

    async def token(self, directory: str, *, scope: str = GRAPH_SCOPE) -> str:
        """A token for ``scope`` in ``directory`` with minutes left to live."""
        cached = self._tokens.get((directory, scope))
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        async with self._locks.setdefault(directory, asyncio.Lock()):
            cached = self._tokens.get((directory, scope))
            if cached is not None and cached[1] > time.monotonic():
                return cached[0]
            result = await asyncio.to_thread(self._acquire, directory, scope)
        if "access_token" not in result:
            # MSAL keeps an app's refused answers for a while: the next try (after a reconnect)
            # must ask the identity provider again, not get this refusal back from a cache.
            self._apps.pop(directory, None)
        if "access_token" not in result and CONSENT_MISSING in (result.get("error_codes") or ()):
            raise ConsentLost(f"{directory} no longer consents to the app: {result.get('error')}")
        if "access_token" not in result:
            raise TokenError(
                f"token for {directory} refused: {result.get('error')}: "
                f"{str(result.get('error_description') or '')[:200]}"
            )
        token = str(result["access_token"])
        lifetime = float(result.get("expires_in") or 3599)
        self._tokens[(directory, scope)] = (token, time.monotonic() + max(lifetime - RENEW_BEFORE_SECONDS, 0))
        return token

    def _acquire(self, directory: str, scope: str) -> dict[str, Any]:
        app = self._apps.get(directory)
        if app is None:
            try:
                app = msal.ConfidentialClientApplication(
                    self._client_id,
                    client_credential=self._secret,
                    authority=f"{LOGIN}/{directory}",
                    http_client=self._http,
                )
            except ValueError as exc:  # the directory's OpenID configuration was refused
                return {"error": "invalid_tenant", "error_description": str(exc)}
            self._apps[directory] = app
        result: dict[str, Any] = app.acquire_token_for_client(scopes=[scope])
        return result

    def forget(self, directory: str) -> None:
        """Stop using this directory's tokens at once (revoked early, or the tenant removed)."""
        self._apps.pop(directory, None)
        for key in [k for k in self._tokens if k[0] == directory]:
            del self._tokens[key]


class TenantTokens:
    """Tokens for the platform's tenants (``ten_…``). Each service knows its tenants' directories
    its own way (``directory_of``, which raises :class:`TokenError` for a tenant it does not know)."""

    def __init__(self, credentials: ClientCredentials, directory_of: Callable[[str], Awaitable[str]]) -> None:
        self._credentials, self._directory_of = credentials, directory_of
        self._directories: dict[str, tuple[str, float]] = {}

    async def access_token(self, tenant_id: str) -> str:
        """A bearer token for Graph in this tenant (:class:`ConsentLost` naming the tenant when
        its directory withdrew consent)."""
        try:
            return await self._credentials.token(await self._directory(tenant_id))
        except ConsentLost as exc:
            raise ConsentLost(str(exc), tenant_id=tenant_id) from exc

    async def _directory(self, tenant_id: str) -> str:
        known = self._directories.get(tenant_id)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        directory = await self._directory_of(tenant_id)
        self._directories[tenant_id] = (directory, time.monotonic() + DIRECTORY_CACHE_SECONDS)
        return directory

    def forget(self, tenant_id: str) -> None:
        """A token was refused (401), or the tenant is gone: the next call starts afresh."""
        known = self._directories.pop(tenant_id, None)
        if known is not None:
            self._credentials.forget(known[0])
