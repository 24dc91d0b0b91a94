"""Tokens of Atlassian tenants, sealed at rest: a cloud site's OAuth tokens (refreshed when they
expire; Atlassian rotates refresh tokens, so each new one is kept), a server's access token."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from migrator_contracts import readmodels
from migrator_platform.secret_box import SecretBox
from migrator_readstore import ReadStore

from migrator_atlassian_connector.config import AtlassianSettings

SCOPES = (
    "offline_access read:jira-work read:confluence-space.summary read:me "
    "migrate:confluence manage:jira-configuration"
)


class TokenError(Exception):
    """No usable token: the tenant is not connected, or Atlassian refused to refresh."""


class Credentials:
    def __init__(
        self, http: httpx.AsyncClient, *, store: ReadStore, box: SecretBox, settings: AtlassianSettings
    ) -> None:
        self._http, self._box, self._settings = http, box, settings
        self._secrets = store.collection(readmodels.ATLASSIAN_SECRETS)

    async def save(self, tenant_id: str, org_id: str, secret: dict[str, Any]) -> None:
        sealed = self._box.seal(json.dumps(secret).encode(), context=tenant_id)
        await self._secrets.upsert(tenant_id, {"orgId": org_id, "sealed": sealed})

    async def load(self, tenant_id: str) -> dict[str, Any]:
        doc = await self._secrets.get(tenant_id)
        if doc is None:
            raise TokenError(f"tenant {tenant_id} has no credentials")
        secret: dict[str, Any] = json.loads(self._box.open(doc["sealed"], context=tenant_id))
        return secret

    async def exchange(self, code: str, redirect_uri: str) -> dict[str, Any]:
        """The tokens for an authorisation code."""
        return await self._token_call(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )

    async def access_token(self, tenant_id: str) -> str:
        """A cloud site's access token, refreshed a minute before it expires."""
        secret = await self.load(tenant_id)
        if float(secret.get("expiresAt", 0)) - 60 > time.time():
            return str(secret["accessToken"])
        if not secret.get("refreshToken"):
            raise TokenError(f"tenant {tenant_id}: the access token expired and there is no refresh token")
        fresh = await self._token_call(
            {"grant_type": "refresh_token", "refresh_token": secret["refreshToken"]}
        )
        doc = await self._secrets.get(tenant_id)
        await self.save(tenant_id, str((doc or {}).get("orgId", "")), secret | fresh)
        return str(fresh["accessToken"])

    async def _token_call(self, grant: dict[str, str]) -> dict[str, Any]:
        body = grant | {
            "client_id": self._settings.atlassian_client_id,
            "client_secret": self._settings.atlassian_client_secret,
        }
        response = await self._http.post(f"{self._settings.atlassian_auth_url}/oauth/token", json=body)
        if response.status_code != 200:
            raise TokenError(f"Atlassian refused a token: HTTP {response.status_code}")
        answer = response.json()
        tokens = {
            "accessToken": answer["access_token"],
            "expiresAt": time.time() + float(answer.get("expires_in", 3600)),
        }
        if answer.get("refresh_token"):
            tokens["refreshToken"] = answer["refresh_token"]
        return tokens
