"""Tokens of Atlassian tenants, sealed at rest: a cloud site's OAuth tokens (refreshed when they
expire; Atlassian rotates refresh tokens, so each new one is kept), a server's access token."""

from __future__ import annotations

import json
import time

import httpx
from migrator_contracts import readmodels
from migrator_contracts.readmodels import Doc
from migrator_platform.secret_box import SecretBox
from migrator_readstore import ReadStore

from migrator_atlassian_connector.config import AtlassianSettings

SCOPES = (
    "offline_access read:jira-work read:confluence-space.summary read:me "
    "migrate:confluence manage:jira-configuration"
)


class TokenError(Exception):
    """No usable token: the tenant is not connected, or Atlassian refused to refresh."""


class GrantRefused(TokenError):
    """Atlassian answered ``invalid_grant``: the code or refresh token is no longer good."""


class ConsentRevoked(TokenError):
    """Atlassian refused to refresh the site's token: its admin removed the app, or the grant
    lapsed. Nothing works there until the site is connected again."""

    def __init__(self, message: str, *, tenant_id: str) -> None:
        super().__init__(message)
        self.tenant_id = tenant_id


class Secret(Doc):
    """What a tenant's sealed document holds, opened: a cloud site's OAuth tokens and cloud id,
    or a server's base URL and access token."""

    access_token: str | None = None
    expires_at: float = 0.0  # epoch seconds
    refresh_token: str | None = None
    cloud_id: str | None = None
    base_url: str | None = None
    server_token: str | None = None


class SealedSecret(Doc):
    """One ``atlassian_secrets`` document (by tenant id): the organisation, and the secret sealed."""

    org_id: str
    sealed: str


class Credentials:
    def __init__(
        self, http: httpx.AsyncClient, *, store: ReadStore, box: SecretBox, settings: AtlassianSettings
    ) -> None:
        self._http, self._box, self._settings = http, box, settings
        self._secrets = store.collection(readmodels.ATLASSIAN_SECRETS)

    async def save(self, tenant_id: str, org_id: str, secret: Secret) -> None:
        sealed = self._box.seal(json.dumps(secret.to_doc()).encode(), context=tenant_id)
        await self._secrets.upsert(tenant_id, SealedSecret(org_id=org_id, sealed=sealed).to_doc())

    async def load(self, tenant_id: str) -> Secret:
        doc = await self._secrets.get(tenant_id)
        if doc is None:
            raise TokenError(f"tenant {tenant_id} has no credentials")
        stored = SealedSecret.model_validate(doc)
        return Secret.model_validate_json(self._box.open(stored.sealed, context=tenant_id))

    async def server(self, tenant_id: str) -> tuple[str, str]:
        """A server's base URL and access token."""
        secret = await self.load(tenant_id)
        if not secret.base_url or not secret.server_token:
            raise TokenError(f"tenant {tenant_id} is not a registered server")
        return secret.base_url, secret.server_token

    async def exchange(self, code: str, redirect_uri: str) -> Secret:
        """The tokens for an authorisation code."""
        return await self._token_call(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )

    async def access_token(self, tenant_id: str, *, renew: bool = False) -> str:
        """A cloud site's access token, refreshed a minute before it expires (or now, with
        ``renew``: the one we had was refused)."""
        secret = await self.load(tenant_id)
        if secret.access_token and secret.expires_at - 60 > time.time() and not renew:
            return secret.access_token
        if not secret.refresh_token:
            raise TokenError(f"tenant {tenant_id}: the access token expired and there is no refresh token")
        try:
            fresh = await self._token_call(
                {"grant_type": "refresh_token", "refresh_token": secret.refresh_token}
            )
        except GrantRefused as exc:
            raise ConsentRevoked(str(exc), tenant_id=tenant_id) from exc
        doc = await self._secrets.get(tenant_id)
        org_id = SealedSecret.model_validate(doc).org_id if doc else ""
        # Atlassian rotates refresh tokens: the new one replaces the old when it comes.
        kept = fresh.model_dump(exclude_unset=True)
        await self.save(tenant_id, org_id, secret.model_copy(update=kept))
        assert fresh.access_token is not None
        return fresh.access_token

    async def _token_call(self, grant: dict[str, str]) -> Secret:
        body = grant | {
            "client_id": self._settings.atlassian_client_id,
            "client_secret": self._settings.atlassian_client_secret,
        }
        response = await self._http.post(f"{self._settings.atlassian_auth_url}/oauth/token", json=body)
        if response.status_code != 200:
            try:
                error = str(response.json().get("error") or "")
            except ValueError:
                error = ""
            refused = GrantRefused if error == "invalid_grant" else TokenError
            raise refused(f"Atlassian refused a token: HTTP {response.status_code} {error}".rstrip())
        answer = response.json()
        tokens = Secret(
            access_token=answer["access_token"],
            expires_at=time.time() + float(answer.get("expires_in", 3600)),
        )
        if answer.get("refresh_token"):
            tokens.refresh_token = answer["refresh_token"]
        return tokens
