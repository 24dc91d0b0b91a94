"""A Microsoft Graph client: the tenant's token, ``@odata.nextLink`` paging, polite retries.

429/503/504 wait ``Retry-After`` (or back off), a 401 renews the token once, anything else
over 399 is a :class:`GraphError` carrying Graph's error code. Paths are relative to
``https://graph.microsoft.com/v1.0``; absolute URLs (next links, import URLs) are used as
given, mapped by ``Endpoints`` like every other Microsoft URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx
from migrator_platform.throttling import Throttled, raise_if_throttled, retrying

from migrator_microsoft.endpoints import GRAPH, Endpoints


class TokenSource(Protocol):
    """Bearer tokens for the platform's tenants."""

    async def access_token(self, tenant_id: str) -> str: ...

    def forget(self, tenant_id: str) -> None: ...


class GraphError(Exception):
    """A Graph answer that retrying will not fix."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"Graph {status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class GraphClient:
    """Calls Graph on behalf of a connected tenant."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        endpoints: Endpoints,
        tokens: TokenSource,
        page_size: int = 100,
        max_attempts: int = 8,
    ) -> None:
        self._http, self._endpoints, self._tokens = http, endpoints, tokens
        self._page_size, self._max_attempts = page_size, max_attempts

    def url(self, path_or_url: str) -> str:
        """The real URL of a Graph path (absolute URLs are kept)."""
        return path_or_url if path_or_url.startswith("https://") else f"{GRAPH}{path_or_url}"

    async def request(
        self,
        method: str,
        tenant_id: str,
        path_or_url: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        authorized: bool = True,
    ) -> httpx.Response:
        """One call, retried while throttled; ``authorized=False`` for pre-authenticated URLs."""
        refreshed = False
        target = self._endpoints.resolve(self.url(path_or_url))
        async for attempt in retrying(self._max_attempts):
            with attempt:
                sent = dict(headers or {})
                if authorized:
                    sent["Authorization"] = f"Bearer {await self._tokens.access_token(tenant_id)}"
                response = await self._http.request(method, target, json=json, headers=sent)
                raise_if_throttled(response)
                if response.status_code == 401 and authorized and not refreshed:
                    refreshed = True  # a token revoked early: renew it and try once more
                    self._tokens.forget(tenant_id)
                    raise Throttled(401, 0.0)
                if response.status_code >= 400:
                    raise graph_error(response)
        return response

    async def get_json(self, tenant_id: str, path: str, *, headers: dict[str, str] | None = None) -> Any:
        return (await self.request("GET", tenant_id, path, headers=headers)).json()

    async def post_json(self, tenant_id: str, path: str, body: Any = None) -> Any:
        response = await self.request("POST", tenant_id, path, json=body if body is not None else {})
        return response.json() if response.content else None

    async def get_text(self, tenant_id: str, path: str, *, headers: dict[str, str] | None = None) -> str:
        return (await self.request("GET", tenant_id, path, headers=headers)).text

    async def page(
        self, tenant_id: str, path_or_link: str, *, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """One page of a collection (the first from a path, the next from its ``@odata.nextLink``);
        its links are given back as real URLs."""
        if not path_or_link.startswith("https://") and "$top=" not in path_or_link:
            sep = "&" if "?" in path_or_link else "?"
            path_or_link = f"{path_or_link}{sep}$top={self._page_size}"
        body: dict[str, Any] = await self.get_json(tenant_id, path_or_link, headers=headers)
        for link in ("@odata.nextLink", "@odata.deltaLink"):
            if body.get(link):
                body[link] = self._endpoints.unresolve(str(body[link]))
        return body

    async def pages(self, tenant_id: str, path: str) -> AsyncIterator[dict[str, Any]]:
        """Every item of a collection, following ``@odata.nextLink``."""
        link: str | None = path
        while link:
            body = await self.page(tenant_id, link)
            for item in body.get("value", []):
                yield item
            link = body.get("@odata.nextLink")


def graph_error(response: httpx.Response) -> GraphError:
    """Graph's ``{"error": {"code", "message"}}`` (or the bare text) as an exception."""
    try:
        error = response.json().get("error", {})
        return GraphError(response.status_code, str(error.get("code", "")), str(error.get("message", "")))
    except (ValueError, AttributeError):
        return GraphError(response.status_code, "", response.text[:200])
