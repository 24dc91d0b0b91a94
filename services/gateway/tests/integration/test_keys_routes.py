"""/v1/keys: an organisation lists, creates and revokes its own API keys, and only its own."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from migrator_contracts import readmodels
from migrator_gateway import admin
from migrator_gateway.app import create_app

from .conftest import Gateway

pytestmark = pytest.mark.integration


async def test_a_created_key_works_is_listed_and_once_revoked_is_refused_at_once(gateway: Gateway) -> None:
    created = await gateway.api.post("/v1/keys", json={"name": "Nightly sync"})
    assert created.status_code == 201, created.text
    body = created.json()
    secret, key = body["secret"], body["key"]
    assert secret.startswith("tmk_test_") and secret.startswith(key["prefix"])
    assert key["name"] == "Nightly sync" and key["revokedAt"] is None and key["lastUsedAt"] is None
    # Stored as a hash only: no document holds the secret.
    stored = await gateway.store.collection(readmodels.API_KEYS).find({"orgId": "org_GATEWAY"})
    assert all(secret not in str(doc) for doc in stored)

    async with httpx.AsyncClient(
        transport=gateway.transport, base_url="http://gateway", headers={"Authorization": f"Bearer {secret}"}
    ) as new:
        assert (await new.get("/v1/tenants")).status_code == 200
        listed = (await gateway.api.get("/v1/keys")).json()["keys"]
        mine = next(k for k in listed if k["id"] == key["id"])
        assert mine["lastUsedAt"] is not None  # it has just been used
        assert all("secret" not in k for k in listed)

        revoked = await gateway.api.delete(f"/v1/keys/{key['id']}")
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["revoked"] is True and revoked.json()["key"]["revokedAt"]
        refused = await new.get("/v1/tenants")  # at once, though it was just cached
        assert gateway.error(refused, 401, "UNAUTHORIZED")
    again = await gateway.api.delete(f"/v1/keys/{key['id']}")
    assert again.status_code == 200 and again.json()["key"]["revokedAt"] == revoked.json()["key"]["revokedAt"]
    assert (await gateway.api.get("/v1/tenants")).status_code == 200  # the caller's own key still works


async def test_another_organisation_neither_sees_nor_revokes_the_keys(gateway: Gateway) -> None:
    created = (await gateway.api.post("/v1/keys", json={"name": "Ours", "live": True})).json()
    assert created["secret"].startswith("tmk_live_")
    theirs = (await gateway.other.get("/v1/keys")).json()["keys"]
    assert created["key"]["id"] not in {k["id"] for k in theirs}
    gateway.error(await gateway.other.delete(f"/v1/keys/{created['key']['id']}"), 404, "KEY_NOT_FOUND")
    ours = (await gateway.api.get("/v1/keys")).json()["keys"]
    assert next(k for k in ours if k["id"] == created["key"]["id"])["revokedAt"] is None


async def test_bad_input_is_refused_in_the_error_body(gateway: Gateway) -> None:
    message = gateway.error(await gateway.api.post("/v1/keys", json={"name": ""}), 400, "VALIDATION_ERROR")
    assert "name" in message
    gateway.error(
        await gateway.api.post("/v1/keys", json={"name": "x", "scope": "all"}), 400, "VALIDATION_ERROR"
    )
    for live in (0, "yes", "true"):  # a boolean is true or false, not something that looks like one
        message = gateway.error(
            await gateway.api.post("/v1/keys", json={"name": "x", "live": live}), 400, "VALIDATION_ERROR"
        )
        assert "live" in message
    gateway.error(await gateway.api.delete("/v1/keys/key_nope"), 404, "KEY_NOT_FOUND")
    unauthenticated = httpx.AsyncClient(transport=gateway.transport, base_url="http://gateway")
    async with unauthenticated:
        gateway.error(await unauthenticated.get("/v1/keys"), 401, "UNAUTHORIZED")


async def test_a_key_revoked_through_one_replica_or_the_admin_command_stops_working_on_another_at_once(
    gateway: Gateway, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another gateway on the same bus and store, caching keys for ten minutes: a revocation
    reaches it as an event (ApiKeyRevoked), not when its cache would have let the key go."""
    other = create_app(gateway.settings.model_copy(update={"api_key_cache_seconds": 600}))
    through_api = (await gateway.api.post("/v1/keys", json={"name": "replicated"})).json()
    through_admin = (await gateway.api.post("/v1/keys", json={"name": "admin"})).json()
    async with (
        other.router.lifespan_context(other),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://replica") as replica,
    ):

        async def status(secret: str) -> int:
            response = await replica.get("/v1/keys", headers={"Authorization": f"Bearer {secret}"})
            return response.status_code

        async def refused(secret: str) -> None:
            deadline = asyncio.get_running_loop().time() + 10
            while await status(secret) == 200:
                assert asyncio.get_running_loop().time() < deadline, "the other replica still takes the key"
                await asyncio.sleep(0.05)
            assert await status(secret) == 401

        for created in (through_api, through_admin):
            assert await status(created["secret"]) == 200  # cached there now
        assert (await gateway.api.delete(f"/v1/keys/{through_api['key']['id']}")).status_code == 200
        await refused(through_api["secret"])

        prefix = through_admin["key"]["prefix"]
        args = admin.build_parser().parse_args(["revoke-key", "--org", "org_GATEWAY", "--prefix", prefix])
        assert await admin.run(args, gateway.settings) == 0
        assert "revoked 1 key(s)" in capsys.readouterr().out
        await refused(through_admin["secret"])
