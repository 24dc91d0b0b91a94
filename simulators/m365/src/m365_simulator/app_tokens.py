"""Tokens for tests that drive the simulator in process: what the app does against Entra (an
admin's consent, then client credentials), per tenant, through any httpx client of the app."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

CLIENT_ID = "migrator-dev-client"


class SimTokens:
    """The ``access_token(tenant_id)`` port of the connectors' Graph clients. ``domains``: each
    tenant id a test uses → the simulated tenant's domain (``contoso.com``, ``fabrikam.com``)."""

    def __init__(self, http: httpx.AsyncClient, domains: dict[str, str]) -> None:
        self._http, self._domains, self._tokens = http, domains, dict[str, str]()

    async def access_token(self, tenant_id: str) -> str:
        if tenant_id not in self._tokens:
            consent = await self._http.get(
                f"/login.microsoftonline.com/{self._domains[tenant_id]}/adminconsent",
                params={"client_id": CLIENT_ID, "state": "s", "redirect_uri": "http://cb/"},
            )
            directory = parse_qs(urlsplit(consent.headers["location"]).query)["tenant"][0]
            answer = await self._http.post(
                f"/login.microsoftonline.com/{directory}/oauth2/v2.0/token",
                data={
                    "client_id": CLIENT_ID,
                    "client_secret": "x",
                    "grant_type": "client_credentials",
                    "scope": "https://graph.microsoft.com/.default",
                },
            )
            self._tokens[tenant_id] = str(answer.json()["access_token"])
        return self._tokens[tenant_id]

    def forget(self, tenant_id: str) -> None:
        self._tokens.pop(tenant_id, None)
