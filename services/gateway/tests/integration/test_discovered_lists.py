"""A tenant's discovered users, sites, teams, projects and spaces: whole by default, as the API
reference shows them; searched and paged for the wizard's mapping step on a large tenant."""

from __future__ import annotations

import pytest

from .conftest import ATLASSIAN_SERVER, CONTOSO, SOURCE_USERS, Gateway

pytestmark = pytest.mark.integration


async def test_without_a_limit_a_list_is_whole_and_has_no_next_page(gateway: Gateway) -> None:
    body = (await gateway.api.get(f"/v1/tenants/{CONTOSO}/users")).json()
    assert sorted(u["upn"] for u in body["users"]) == sorted(SOURCE_USERS)
    assert body["nextCursor"] is None and body["hasMore"] is False


async def test_pages_follow_each_other_to_the_last_without_a_row_twice(gateway: Gateway) -> None:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        body = (await gateway.api.get(f"/v1/tenants/{CONTOSO}/users", params=params)).json()
        seen += [u["upn"] for u in body["users"]]
        pages += 1
        cursor = body["nextCursor"]
        assert body["hasMore"] is (cursor is not None)
        if cursor is None:
            break
    assert pages == 2 and sorted(seen) == sorted(SOURCE_USERS)


async def test_search_matches_any_case_within_names_addresses_and_keys(gateway: Gateway) -> None:
    async def found(path: str, search: str, field: str) -> list[str]:
        body = (await gateway.api.get(f"/v1/tenants/{path}", params={"search": search})).json()
        return sorted(row[field] for row in next(v for k, v in body.items() if isinstance(v, list)))

    assert await found(f"{CONTOSO}/users", "JOHN", "upn") == ["John.Smith@contoso.com"]
    assert await found(f"{CONTOSO}/users", "c", "upn") == sorted(SOURCE_USERS)  # contoso.com
    assert await found(f"{CONTOSO}/sites", "fin", "url") == ["https://contoso.sharepoint.com/sites/finance"]
    assert await found(f"{CONTOSO}/teams", "sal", "name") == ["Sales"]
    assert await found(f"{ATLASSIAN_SERVER}/projects", "bet", "key") == ["BETA"]
    # Searched and paged at once: the cursor carries on within the matches.
    first = (await gateway.api.get(f"/v1/tenants/{CONTOSO}/users", params={"search": "o", "limit": 1})).json()
    rest = (
        await gateway.api.get(
            f"/v1/tenants/{CONTOSO}/users", params={"search": "o", "cursor": first["nextCursor"]}
        )
    ).json()
    assert len(first["users"]) == 1 and rest["nextCursor"] is None
    assert sorted(u["upn"] for u in first["users"] + rest["users"]) == sorted(SOURCE_USERS)


async def test_a_bad_limit_or_cursor_is_refused_in_the_error_body(gateway: Gateway) -> None:
    for params, field in (
        ({"limit": "0"}, "limit"),
        ({"limit": "5000"}, "limit"),
        ({"cursor": "x"}, "cursor"),
    ):
        message = gateway.error(
            await gateway.api.get(f"/v1/tenants/{CONTOSO}/sites", params=params), 400, "VALIDATION_ERROR"
        )
        assert field in message
