"""The simulator's identity, Graph and SharePoint surfaces behave as the real services document."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

pytestmark = pytest.mark.integration
LOGIN = "/login.microsoftonline.com"
Headers = Callable[[str], Awaitable[dict[str, str]]]  # the auth fixture


async def test_consent_redirects_back_with_state_and_tenant_guid(sim: httpx.AsyncClient) -> None:
    response = await sim.get(
        f"{LOGIN}/contoso.com/adminconsent",
        params={"client_id": "app", "state": "tok_X", "redirect_uri": "http://cb/callback"},
    )
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert response.headers["location"].startswith("http://cb/callback?")
    assert (
        query["admin_consent"] == ["True"] and query["state"] == ["tok_X"] and len(query["tenant"][0]) == 36
    )
    unknown = await sim.get(
        f"{LOGIN}/nowhere.com/adminconsent",
        params={"client_id": "app", "state": "s", "redirect_uri": "http://cb/x"},
    )
    assert parse_qs(urlsplit(unknown.headers["location"]).query)["error"] == ["invalid_tenant"]


async def test_no_token_without_consent_and_no_graph_without_token(sim: httpx.AsyncClient) -> None:
    refused = await sim.post(
        f"{LOGIN}/fabrikam.com/oauth2/v2.0/token",
        data={
            "client_id": "app",
            "client_secret": "x",
            "grant_type": "client_credentials",
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert refused.status_code == 400 and refused.json()["error"] == "unauthorized_client"
    assert (await sim.get("/graph.microsoft.com/v1.0/users")).status_code == 401


async def test_graph_paging_returns_every_user_once(sim: httpx.AsyncClient, auth: Headers) -> None:
    headers = await auth("contoso.com")
    url: str | None = "/graph.microsoft.com/v1.0/users?$top=5"
    upns: list[str] = []
    pages = 0
    while url:
        body = (await sim.get(url, headers=headers)).json()
        upns += [u["userPrincipalName"] for u in body["value"]]
        url = body.get("@odata.nextLink")
        pages += 1
    assert pages == 3 and len(upns) == len(set(upns)) == 12
    count = await sim.get(f"/graph.microsoft.com/v1.0/groups/{'0' * 8}/members/$count", headers=headers)
    assert count.status_code == 400  # $count needs ConsistencyLevel: eventual, as in Graph


async def test_unknown_migration_job_gives_the_documented_500(sim: httpx.AsyncClient, auth: Headers) -> None:
    headers = await auth("contoso.com")
    response = await sim.get(
        "/contoso.sharepoint.com/sites/marketing/_api/site/"
        "GetMigrationJobProgress(jobId='3e280efa-78a3-4ba1-bac6-e447aa538ca5',nextToken=0)",
        headers=headers,
    )
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "-2147213145, Microsoft.SharePoint.SPException"
    assert error["message"] == {"lang": "en-US", "value": "Job not found"}


async def test_throttle_fault_answers_with_retry_after_then_recovers(
    sim: httpx.AsyncClient, auth: Headers
) -> None:
    headers = await auth("contoso.com")
    await sim.post("/_sim/faults", json={"throttle": {"status": 429, "count": 2, "retryAfter": 3}})
    for _ in range(2):
        throttled = await sim.get("/graph.microsoft.com/v1.0/users", headers=headers)
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
    assert (await sim.get("/graph.microsoft.com/v1.0/users", headers=headers)).status_code == 200


async def test_source_listing_and_download_match_the_content(sim: httpx.AsyncClient, auth: Headers) -> None:
    headers = await auth("contoso.com") | {"Accept": "application/json;odata=verbose"}
    site = "/contoso.sharepoint.com/sites/marketing"
    rows, url = [], f"{site}/_api/web/lists/GetByTitle('Documents')/items?$top=7"
    while url:
        body = (await sim.get(url, headers=headers)).json()["d"]
        rows += body["results"]
        url = body.get("__next", "").replace("http://sim", "")
    inspected = (
        await sim.get("/_sim/sites", params={"url": "https://contoso.sharepoint.com/sites/marketing"})
    ).json()
    assert len(rows) == len(inspected["items"])
    a_file = next(r for r in rows if r["FSObjType"] == 0 and int(r["File_x0020_Size"]) > 0)
    literal = a_file["FileRef"].replace("'", "''")
    content = await sim.get(
        f"{site}/_api/web/GetFileByServerRelativeUrl('{literal}')/$value", headers=headers
    )
    assert len(content.content) == int(a_file["File_x0020_Size"])
