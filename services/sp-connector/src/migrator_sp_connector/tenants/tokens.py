"""Client-credential tokens per tenant, sealed at rest and renewed before they expire."""

from __future__ import annotations

import time

import httpx
from migrator_contracts import readmodels
from migrator_platform.readstore import ReadStore
from migrator_platform.secret_box import SecretBox

from migrator_sp_connector.config import ConnectorSettings
from migrator_sp_connector.endpoints import LOGIN, Endpoints

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
# How long a token read from the store is reused without reading it again. A site copy makes a
# call per file; reading and unsealing the token for each cost more than the call. Short, so a
# tenant revoked by another replica stops being used within seconds (this one forgets at once).
CACHE_SECONDS = 10.0


class TokenError(Exception):
    """The identity provider refused a token (consent revoked, wrong secret…)."""


async def acquire_token(
    http: httpx.AsyncClient,
    *,
    endpoints: Endpoints,
    settings: ConnectorSettings,
    external_tenant_id: str,
    scope: str = GRAPH_SCOPE,
) -> tuple[str, float]:
    """(access token, expiry epoch) by client credentials."""
    response = await http.post(
        endpoints.resolve(f"{LOGIN}/{external_tenant_id}/oauth2/v2.0/token"),
        data={
            "client_id": settings.m365_client_id,
            "client_secret": settings.m365_client_secret,
            "scope": scope,
            "grant_type": "client_credentials",
        },
    )
    if response.status_code != 200:
        raise TokenError(f"token request refused ({response.status_code}): {response.text[:200]}")
    body = response.json()
    return str(body["access_token"]), time.time() + float(body.get("expires_in", 3599))


class TokenProvider:
    """Bearer tokens for connected tenants, kept sealed in ``tenant_secrets``."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        store: ReadStore,
        box: SecretBox,
        endpoints: Endpoints,
        settings: ConnectorSettings,
    ) -> None:
        self._http, self._box, self._endpoints, self._settings = http, box, endpoints, settings
        self._secrets = store.collection(readmodels.TENANT_SECRETS)
        self._cache: dict[str, tuple[str, float]] = {}  # tenant id -> (token, reuse until)

    async def store_token(
        self, tenant_id: str, *, org_id: str, external_tenant_id: str, token: str, expires_at: float
    ) -> None:
        """Seal and keep a tenant's token (context-bound to the tenant id)."""
        await self._secrets.upsert(
            tenant_id,
            {
                "orgId": org_id,
                "externalTenantId": external_tenant_id,
                "expiresAt": expires_at,
                "accessToken": self._box.seal(token.encode(), context=tenant_id),
            },
        )

    async def access_token(self, tenant_id: str, *, scope: str = GRAPH_SCOPE) -> str:
        """A token valid for at least another minute, renewing it if needed."""
        cached = self._cache.get(tenant_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        secret = await self._secrets.get(tenant_id)
        if secret is None:
            raise TokenError(f"tenant {tenant_id} is not connected")
        if (left := float(secret["expiresAt"]) - time.time()) > 60:
            token = self._box.open(secret["accessToken"], context=tenant_id).decode()
            self._cache[tenant_id] = (token, time.monotonic() + min(CACHE_SECONDS, left - 60))
            return token
        token, expires_at = await acquire_token(
            self._http,
            endpoints=self._endpoints,
            settings=self._settings,
            external_tenant_id=secret["externalTenantId"],
            scope=scope,
        )
        await self.store_token(
            tenant_id,
            org_id=secret["orgId"],
            external_tenant_id=secret["externalTenantId"],
            token=token,
            expires_at=expires_at,
        )
        return token

    async def forget(self, tenant_id: str) -> None:
        """Drop a tenant's cached token so the next call renews it."""
        self._cache.pop(tenant_id, None)
        await self._secrets.update(tenant_id, {"expiresAt": 0})

    def drop_cached(self, tenant_id: str) -> None:
        """Stop using a tenant's token at once (it has been revoked)."""
        self._cache.pop(tenant_id, None)
