"""A Microsoft Graph client: the tenant's token, ``@odata.nextLink`` paging, polite retries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from migrator_platform.throttling import Throttled, raise_if_throttled, retrying

from migrator_sp_connector.endpoints import GRAPH, Endpoints
from migrator_sp_connector.tenants.tokens import TokenProvider


class GraphError(Exception):
    """A Graph answer that retrying will not fix."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"Graph {status} {code}: {message}")
        self.status, self.code = status, code


class GraphClient:
    """Calls Graph on behalf of a connected tenant."""

    def __init__(
        self, http: httpx.AsyncClient, *, endpoints: Endpoints, tokens: TokenProvider, page_size: int = 100
    ) -> None:
        self._http, self._endpoints, self._tokens, self._page_size = http, endpoints, tokens, page_size

    async def _get(
        self, tenant_id: str, url: str, *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        refreshed = False
        async for attempt in retrying():
            with attempt:
                token = await self._tokens.access_token(tenant_id)
                response = await self._http.get(
                    self._endpoints.resolve(url),
                    headers={"Authorization": f"Bearer {token}", **(headers or {})},
                )
                raise_if_throttled(response)
                if response.status_code == 401 and not refreshed:
                    refreshed = True  # a token revoked early: renew it and try once more
                    await self._tokens.forget(tenant_id)
                    raise Throttled(401, 0.0)
                if response.status_code >= 400:
                    error = _error_of(response)
                    raise GraphError(response.status_code, error.get("code", ""), error.get("message", ""))
        return response

    async def get_json(self, tenant_id: str, path: str) -> dict[str, Any]:
        body: dict[str, Any] = (await self._get(tenant_id, f"{GRAPH}{path}")).json()
        return body

    async def get_text(self, tenant_id: str, path: str, *, headers: dict[str, str] | None = None) -> str:
        return (await self._get(tenant_id, f"{GRAPH}{path}", headers=headers)).text

    async def pages(self, tenant_id: str, path: str) -> AsyncIterator[dict[str, Any]]:
        """Every item of a collection, following ``@odata.nextLink``."""
        sep = "&" if "?" in path else "?"
        url: str | None = f"{GRAPH}{path}{sep}$top={self._page_size}"
        while url:
            body = (await self._get(tenant_id, url)).json()
            for item in body.get("value", []):
                yield item
            nxt = body.get("@odata.nextLink")
            url = self._endpoints.unresolve(nxt) if nxt else None


def _error_of(response: httpx.Response) -> dict[str, str]:
    try:
        error = response.json().get("error", {})
        return {"code": str(error.get("code", "")), "message": str(error.get("message", ""))}
    except ValueError:
        return {"code": "", "message": response.text[:200]}
