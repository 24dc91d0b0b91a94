"""OData paging as Graph does it: page sizes from ``$top`` or ``Prefer: odata.maxpagesize``, next
links carrying the state, and the opaque state tokens of delta queries."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import HTTPException, Request

DEFAULT_PAGE, MAX_PAGE = 100, 1000
_PREFER = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)


def bad_request(message: str, code: str = "ErrorInvalidRequest", status: int = 400) -> HTTPException:
    return HTTPException(status, {"code": code, "message": message})


def number(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"Invalid value '{raw}' for {name}.") from None


def page_size(request: Request, *, default: int = DEFAULT_PAGE, cap: int = MAX_PAGE) -> int:
    """``$top``, else the Prefer header's odata.maxpagesize, else ``default``; at most ``cap``."""
    prefer = _PREFER.search(request.headers.get("Prefer", ""))
    size = number(request, "$top", int(prefer[1]) if prefer else default)
    return max(1, min(size, cap))


def link(request: Request, params: dict[str, Any]) -> str:
    """This request's URL with other query parameters, absolute on the base the caller used (the
    same form as every other next link of the simulator: the caller maps it back to the real host)."""
    query = urlencode({k: str(v) for k, v in params.items()}, quote_via=quote, safe="'")
    return f"{str(request.base_url).rstrip('/')}{request.url.path}" + (f"?{query}" if query else "")


def skip_page(
    request: Request,
    rows: list[dict[str, Any]],
    *,
    key: str = "$skip",
    default: int = DEFAULT_PAGE,
    cap: int = MAX_PAGE,
) -> dict[str, Any]:
    """One page of a collection, with an ``@odata.nextLink`` while rows remain."""
    size, skip = page_size(request, default=default, cap=cap), max(0, number(request, key, 0))
    body: dict[str, Any] = {"value": rows[skip : skip + size]}
    if skip + size < len(rows):
        body["@odata.nextLink"] = link(request, dict(request.query_params) | {key: skip + size, "$top": size})
    return body


def encode_token(state: dict[str, Any]) -> str:
    """An opaque state token (URL-safe base64 of the state)."""
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any] | None:
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        return None
    return state if isinstance(state, dict) else None
