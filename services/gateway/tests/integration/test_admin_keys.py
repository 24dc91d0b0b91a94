"""The key admin CLI: a created key works, is revoked by its prefix, and is never stored in clear."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from migrator_contracts import readmodels
from migrator_gateway import admin
from migrator_gateway.auth.api_keys import (
    PREFIX_LENGTH,
    ApiKeyDoc,
    KeyCache,
    ensure_key,
    new_key,
    org_for_key,
    revoke_key,
)
from migrator_readstore.sqlite import SqliteReadStore

pytestmark = pytest.mark.integration


async def test_create_list_and_revoke_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MIGRATOR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MIGRATOR_MONGO_URL", raising=False)
    settings = admin.GatewaySettings()

    assert await admin.run(admin_args("create-key", "--org", "org_ACME", "--live"), settings) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("tmk_live_")
    store = SqliteReadStore(tmp_path / "readstore.sqlite3")
    try:
        assert await org_for_key(store, key) == "org_ACME"
        assert key.encode() not in store_bytes(tmp_path)

        assert await admin.run(admin_args("list-keys", "--org", "org_ACME"), settings) == 0
        listing = capsys.readouterr().out
        assert key[:PREFIX_LENGTH] in listing and key not in listing and "active" in listing

        assert (
            await admin.run(
                admin_args("revoke-key", "--org", "org_OTHER", "--prefix", key[:PREFIX_LENGTH]), settings
            )
            == 1
        )  # another organisation cannot revoke it
        assert await org_for_key(store, key) == "org_ACME"
        assert (
            await admin.run(
                admin_args("revoke-key", "--org", "org_ACME", "--prefix", key[:PREFIX_LENGTH]), settings
            )
            == 0
        )
        assert await org_for_key(store, key) is None
        # What is kept is what the models declare: the hash, a prefix, the dates; never the key.
        stored = await store.collection(readmodels.API_KEYS).find({"orgId": "org_ACME"})
        assert len(stored) == 1 and not ApiKeyDoc.undeclared(stored[0]), stored
        org = await store.collection(readmodels.ORGS).get("org_ACME")
        assert org is not None and not readmodels.OrgDoc.undeclared(org), org
    finally:
        await store.close()


def admin_args(*argv: str) -> argparse.Namespace:
    return admin.build_parser().parse_args(argv)


def store_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in directory.glob("readstore.sqlite3*"))


async def test_a_revoked_key_stops_working_once_the_lookup_cache_expires(tmp_path: Path) -> None:
    store = SqliteReadStore(tmp_path / "readstore.sqlite3")
    now = [1000.0]
    cache = KeyCache(store, ttl_seconds=5, clock=lambda: now[0])
    key = new_key()
    try:
        await ensure_key(store, org_id="org_ACME", key=key)
        assert await cache.org_for(key) == "org_ACME"
        assert await cache.org_for(new_key()) is None  # unknown keys are remembered too
        assert len(await revoke_key(store, org_id="org_ACME", prefix=key[:PREFIX_LENGTH])) == 1
        now[0] += 4.9
        assert await cache.org_for(key) == "org_ACME", "within the documented TTL"
        now[0] += 0.2
        assert await cache.org_for(key) is None
        assert await cache.org_for("Bearer nonsense") is None
    finally:
        await store.close()
