"""/v1/session: the dashboard signs in with an API key and then works on a cookie: HttpOnly and
SameSite=Strict, scoped to the key's organisation, CSRF-checked on whatever changes something,
ended by signing out or by revoking its key, on every replica."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from migrator_gateway.app import create_app
from migrator_gateway.auth import sessions

from .conftest import CONTOSO, KEY, OTHER_KEY, Gateway

pytestmark = pytest.mark.integration


@pytest.fixture
async def browser(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    """A client with no key of its own: it keeps cookies, as a browser does."""
    async with httpx.AsyncClient(transport=gateway.transport, base_url="http://gateway") as client:
        yield client


async def sign_in(browser: httpx.AsyncClient, key: str = KEY) -> dict[str, str]:
    response = await browser.post("/v1/session", json={"apiKey": key})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_a_signed_in_browser_works_on_its_cookie_alone_and_signing_out_ends_it(
    gateway: Gateway, browser: httpx.AsyncClient
) -> None:
    response = await browser.post("/v1/session", json={"apiKey": KEY})
    assert response.status_code == 201, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE}=mss_")
    assert {"HttpOnly", "SameSite=strict", "Path=/"} <= {part.strip() for part in cookie.split(";")}
    session = response.json()
    assert session["orgId"] == "org_GATEWAY" and KEY.startswith(session["keyPrefix"])
    assert KEY not in response.text and session["csrfToken"]
    # The store holds the session token's hash, never the token or the key.
    token = browser.cookies[sessions.COOKIE]
    stored = await gateway.store.collection(sessions.SESSIONS).find({"orgId": "org_GATEWAY"})
    assert stored and all(token not in str(doc) and KEY not in str(doc) for doc in stored)

    assert (await browser.get("/v1/session")).json() == session
    tenants = (await browser.get("/v1/tenants")).json()["tenants"]
    assert CONTOSO in {t["id"] for t in tenants}  # the key's organisation, by the cookie alone
    assert (await browser.get(f"/v1/tenants/{CONTOSO}")).status_code == 200

    # Changing something takes the CSRF token as well: a page on another site cannot read it.
    body = {"name": "from the dashboard"}
    gateway.error(await browser.post("/v1/keys", json=body), 403, "CSRF_TOKEN_INVALID")
    wrong = {sessions.CSRF_HEADER: "0" * 64}
    gateway.error(await browser.post("/v1/keys", json=body, headers=wrong), 403, "CSRF_TOKEN_INVALID")
    csrf = {sessions.CSRF_HEADER: session["csrfToken"]}
    assert (await browser.post("/v1/keys", json=body, headers=csrf)).status_code == 201

    gateway.error(await browser.delete("/v1/session"), 403, "CSRF_TOKEN_INVALID")
    out = await browser.delete("/v1/session", headers=csrf)
    assert out.status_code == 204
    assert sessions.COOKIE not in browser.cookies  # cleared
    # The old cookie, replayed, no longer works anywhere.
    replayed = {"Cookie": f"{sessions.COOKIE}={token}"}
    gateway.error(await browser.get("/v1/tenants", headers=replayed), 401, "UNAUTHORIZED")
    gateway.error(await browser.get("/v1/session", headers=replayed), 401, "UNAUTHORIZED")
    assert (await browser.delete("/v1/session")).status_code == 204  # signing out again: nothing to end


async def test_a_bad_key_or_a_forged_cookie_signs_nobody_in(
    gateway: Gateway, browser: httpx.AsyncClient
) -> None:
    for key in ("tmk_test_" + "x" * 32, "not a key"):
        refused = await browser.post("/v1/session", json={"apiKey": key})
        assert gateway.error(refused, 401, "UNAUTHORIZED") and "set-cookie" not in refused.headers
    gateway.error(await browser.post("/v1/session", json={}), 400, "VALIDATION_ERROR")
    gateway.error(await browser.get("/v1/session"), 401, "UNAUTHORIZED")
    for forged in ("mss_" + "a" * 43, "anything", "mss_" + "b" * 500):
        headers = {"Cookie": f"{sessions.COOKIE}={forged}"}
        gateway.error(await browser.get("/v1/jobs", headers=headers), 401, "UNAUTHORIZED")


async def test_a_session_sees_only_its_organisation(gateway: Gateway, browser: httpx.AsyncClient) -> None:
    await sign_in(browser, OTHER_KEY)
    assert CONTOSO not in {t["id"] for t in (await browser.get("/v1/tenants")).json()["tenants"]}
    gateway.error(await browser.get(f"/v1/tenants/{CONTOSO}"), 404, "TENANT_NOT_FOUND")
    # An API key sent alongside is the one that counts, cookie or not.
    with_key = await browser.get(f"/v1/tenants/{CONTOSO}", headers={"Authorization": f"Bearer {KEY}"})
    assert with_key.status_code == 200


async def test_an_expired_session_is_refused_and_forgotten(
    gateway: Gateway, browser: httpx.AsyncClient
) -> None:
    await sign_in(browser)
    digest = sessions.hash_key(browser.cookies[sessions.COOKIE])
    collection = gateway.store.collection(sessions.SESSIONS)
    await collection.update(digest, {"expiresAt": "2020-01-01T00:00:00Z"})
    gateway.error(await browser.get("/v1/jobs"), 401, "UNAUTHORIZED")
    assert await collection.get(digest) is None


async def test_revoking_the_key_a_session_began_with_ends_it_on_every_replica_at_once(
    gateway: Gateway, browser: httpx.AsyncClient
) -> None:
    """Another gateway caching keys for ten minutes still ends the session at the revocation."""
    created = (await gateway.api.post("/v1/keys", json={"name": "a browser's"})).json()
    session = await sign_in(browser, created["secret"])
    token = browser.cookies[sessions.COOKIE]
    other = create_app(gateway.settings.model_copy(update={"api_key_cache_seconds": 600}))
    async with (
        other.router.lifespan_context(other),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=other),
            base_url="http://replica",
            headers={"Cookie": f"{sessions.COOKIE}={token}"},
        ) as replica,
    ):
        assert (await replica.get("/v1/jobs")).status_code == 200  # the key is cached there now
        csrf = {sessions.CSRF_HEADER: session["csrfToken"]}
        revoked = await browser.delete(f"/v1/keys/{created['key']['id']}", headers=csrf)
        assert revoked.status_code == 200, revoked.text
        deadline = asyncio.get_running_loop().time() + 10
        while (await replica.get("/v1/jobs")).status_code == 200:
            assert asyncio.get_running_loop().time() < deadline, "the other replica kept the session"
            await asyncio.sleep(0.05)
        gateway.error(await replica.get("/v1/jobs"), 401, "UNAUTHORIZED")
    gateway.error(await browser.get("/v1/session"), 401, "UNAUTHORIZED")
