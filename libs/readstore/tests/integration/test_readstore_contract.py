"""One contract, every backend: what the projections and the gateway rely on from the read store."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from migrator_readstore import DuplicateKey, ReadStore
from migrator_readstore.sqlite import SqliteReadStore

pytestmark = pytest.mark.integration


async def test_insert_creates_once_and_never_overwrites(store: ReadStore) -> None:
    jobs = store.collection("jobs")
    assert await jobs.insert("job_1", {"status": "QUEUED", "n": 1})
    assert not await jobs.insert("job_1", {"status": "DONE", "n": 2})
    assert await jobs.get("job_1") == {"_id": "job_1", "status": "QUEUED", "n": 1}
    assert await jobs.get("job_missing") is None


async def test_filters_sort_limit_skip_and_count(store: ReadStore) -> None:
    jobs = store.collection("jobs")
    for i in range(10):
        await jobs.insert(
            f"j{i}",
            {
                "i": i,
                "status": "DONE" if i % 2 else "RUNNING",
                "dryRun": i == 3,
                "meta": {"org": "a" if i < 5 else "b"},
                "note": None if i == 0 else "x",
            },
        )
    assert [d["i"] for d in await jobs.find({"status": "DONE"}, sort=[("i", -1)])] == [9, 7, 5, 3, 1]
    assert [d["i"] for d in await jobs.find({"i": {"$gte": 3, "$lt": 6}}, sort=[("i", 1)])] == [3, 4, 5]
    assert [d["i"] for d in await jobs.find({"i": {"$in": [1, 8, 42]}}, sort=[("i", 1)])] == [1, 8]
    assert [d["i"] for d in await jobs.find({"dryRun": True})] == [3]
    assert await jobs.count({"dryRun": False}) == 9
    assert await jobs.count({"meta.org": "b"}) == 5
    assert [d["i"] for d in await jobs.find({"note": None})] == [0]
    assert await jobs.count({"status": {"$ne": "DONE"}}) == 5
    assert await jobs.count({"missing": {"$exists": False}}) == 10
    assert [d["i"] for d in await jobs.find({}, sort=[("status", 1), ("i", -1)], limit=3, skip=1)] == [
        7,
        5,
        3,
    ]
    assert (await jobs.find_one({"i": 4}) or {})["status"] == "RUNNING"


async def test_keyset_pagination_visits_every_document_once(store: ReadStore) -> None:
    jobs = store.collection("jobs")
    for i in range(25):
        await jobs.insert(f"job_{i:02d}", {"createdAt": f"2026-01-01T00:00:{i // 2:02d}Z", "orgId": "o"})
    seen: list[str] = []
    cursor: tuple[str, str] | None = None
    while True:
        where: dict[str, object] = {"orgId": "o"}
        page = await jobs.find(where, sort=[("createdAt", -1), ("_id", -1)], limit=100)
        if cursor:
            page = [d for d in page if (d["createdAt"], d["_id"]) < cursor]
        page = page[:7]
        if not page:
            break
        seen.extend(d["_id"] for d in page)
        cursor = (page[-1]["createdAt"], page[-1]["_id"])
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 25


async def test_upsert_creates_then_replaces_only_the_given_fields(store: ReadStore) -> None:
    tasks = store.collection("tasks")
    await tasks.upsert("t", {"phase": "packaging", "progress": {"a": 1, "b": 2}})
    await tasks.upsert("t", {"progress": {"a": 5}, "seq": 3})
    assert await tasks.get("t") == {"_id": "t", "phase": "packaging", "progress": {"a": 5}, "seq": 3}


async def test_update_is_a_compare_and_set_only_one_concurrent_writer_wins(store: ReadStore) -> None:
    jobs = store.collection("jobs")
    await jobs.insert("j", {"version": 1, "status": "QUEUED"})
    results = await asyncio.gather(
        *(jobs.update("j", {"version": 2, "winner": n}, where={"version": 1}) for n in range(20))
    )
    assert sum(results) == 1
    doc = await jobs.get("j")
    assert doc is not None and doc["version"] == 2 and results[doc["winner"]]
    assert not await jobs.update("absent", {"x": 1})


async def test_put_if_newer_ends_in_the_state_of_the_highest_seq_whatever_the_order(store: ReadStore) -> None:
    units = store.collection("units")
    seqs = [1, 2, 3, 4, 5, 6, 7, 8] * 2
    random.Random(3).shuffle(seqs)
    applied = [await units.put_if_newer("u", {"done": s * 10}, seq=s) for s in seqs]
    assert await units.get("u") == {"_id": "u", "done": 80, "seq": 8}
    assert applied[seqs.index(8)]  # the first delivery of the newest applies…
    assert not await units.put_if_newer("u", {"done": 0}, seq=8)  # …a replay never does
    assert not await units.put_if_newer("u", {"done": 0}, seq=2)


async def test_delete_and_delete_many(store: ReadStore) -> None:
    docs = store.collection("docs")
    for i in range(5):
        await docs.insert(f"d{i}", {"tenantId": "t1" if i < 3 else "t2"})
    assert await docs.delete("d4") and not await docs.delete("d4")
    assert await docs.delete_many({"tenantId": "t1"}) == 3
    assert [d["_id"] for d in await docs.find()] == ["d3"]


async def test_a_unique_index_rejects_a_duplicate(store: ReadStore) -> None:
    tenants = store.collection("tenants")
    await tenants.ensure_index(["orgId", "domain"], unique=True)
    await tenants.ensure_index(["orgId", "domain"], unique=True)  # idempotent
    assert await tenants.insert("t1", {"orgId": "o", "domain": "contoso.com"})
    with pytest.raises(DuplicateKey):
        await tenants.insert("t2", {"orgId": "o", "domain": "contoso.com"})
    assert await tenants.insert("t3", {"orgId": "p", "domain": "contoso.com"})


async def test_iterate_streams_every_document_in_order(store: ReadStore) -> None:
    lines = store.collection("lines")
    await asyncio.gather(*(lines.insert(f"l{i:05d}", {"n": i}) for i in range(3000)))
    seen = [d["n"] async for d in lines.iterate({}, sort=[("n", 1)], batch_size=250)]
    assert seen == list(range(3000))


async def test_two_store_instances_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    a, b = SqliteReadStore(tmp_path / "s.db"), SqliteReadStore(tmp_path / "s.db")
    try:
        await asyncio.gather(*(a.collection("jobs").insert(f"j{i}", {"i": i}) for i in range(200)))
        await asyncio.gather(
            *(b.collection("jobs").upsert(f"j{i}", {"seen": True}) for i in range(0, 200, 2))
        )
        assert await b.collection("jobs").count() == 200
        assert await a.collection("jobs").count({"seen": True}) == 100
    finally:
        await a.close()
        await b.close()


async def test_writes_whose_callers_are_cancelled_leave_the_store_working(store: ReadStore) -> None:
    """A task cancelled mid-write (a unit cut off, a service stopping) must not take the store
    down with it: the write is made or not, and the next ones are."""
    coll = store.collection("cancelled")

    async def cancel_half_of_many_writes() -> None:
        for round_ in range(20):
            writes = [asyncio.create_task(coll.upsert(f"k{round_}-{i}", {"n": i})) for i in range(50)]
            await asyncio.sleep(0)
            for task in writes[::2]:
                task.cancel()
            await asyncio.gather(*writes, return_exceptions=True)

    await asyncio.wait_for(cancel_half_of_many_writes(), timeout=20)
    assert await asyncio.wait_for(coll.insert("after", {"ok": True}), timeout=5)
    assert (await coll.get("after") or {}).get("ok") is True


async def test_insert_many_creates_the_new_ones_and_leaves_the_rest(store: ReadStore) -> None:
    lines = store.collection("job_logs")
    assert await lines.insert_many({}) == 0
    assert await lines.insert("l2", {"n": 2, "v": "first"})
    created = await lines.insert_many({f"l{i}": {"n": i, "v": "batch"} for i in range(5)})
    assert created == 4, "l2 was there already"
    assert await lines.get("l2") == {"_id": "l2", "n": 2, "v": "first"}
    assert sorted(d["n"] for d in await lines.find({"v": "batch"})) == [0, 1, 3, 4]
    assert await lines.insert_many({"l0": {"n": 0, "v": "again"}}) == 0  # a redelivered batch


async def test_insert_many_still_refuses_what_another_unique_index_refuses(store: ReadStore) -> None:
    users = store.collection("users")
    await users.ensure_index(["email"], unique=True)
    await users.insert("u1", {"email": "a@contoso.com"})
    with pytest.raises(DuplicateKey):
        await users.insert_many({"u2": {"email": "b@contoso.com"}, "u3": {"email": "a@contoso.com"}})
