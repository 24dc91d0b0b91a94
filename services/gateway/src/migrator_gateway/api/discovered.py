"""What a tenant's discovery found, searched and paged: a tenant of 50,000 users is a page of
them at a time, found by a few letters of a name, as the wizard's mapping step needs. Without
``limit`` a list is whole, as the API reference shows it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query

from migrator_gateway.api.cursor import CursorQuery, decode_id_cursor, encode_id_cursor

MAX_LIMIT = 1000


@dataclass(frozen=True)
class ListQuery:
    search: str | None
    limit: int | None
    after: str | None  # the id of the previous page's last row


async def list_query(
    search: Annotated[
        str | None,
        Query(max_length=200, description="Only rows whose name, address or key contains this (any case)"),
    ] = None,
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_LIMIT, description="Rows per page (default: every row, one page)")
    ] = None,
    cursor: CursorQuery = None,
) -> ListQuery:
    return ListQuery(
        search.strip().casefold() if search else None, limit, decode_id_cursor(cursor) if cursor else None
    )


ListQueryDep = Annotated[ListQuery, Depends(list_query)]


async def page(
    rows: AsyncIterator[dict[str, Any]], query: ListQuery, fields: tuple[str, ...]
) -> tuple[list[dict[str, Any]], str | None]:
    """The rows of this page (``rows`` in id order, from after the cursor) and the next cursor."""
    found: list[dict[str, Any]] = []
    async for doc in rows:
        if query.search and not any(query.search in str(doc.get(f) or "").casefold() for f in fields):
            continue
        if query.limit is not None and len(found) == query.limit:
            return found, encode_id_cursor(str(found[-1]["_id"]))
        found.append(doc)
    return found, None
