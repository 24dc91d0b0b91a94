"""The production read store: MongoDB through PyMongo's native async client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.errors import BulkWriteError, DuplicateKeyError

from migrator_readstore.errors import DuplicateKey
from migrator_readstore.protocol import Filter, Sort

DUPLICATE_KEY = 11000  # MongoDB's error code for a unique index refusing a write


def _sort(sort: Sort) -> list[tuple[str, int]]:
    return [(f, DESCENDING if d < 0 else ASCENDING) for f, d in sort]


class MongoCollection:
    """One MongoDB collection; ``_id`` is the document key."""

    def __init__(self, collection: Any) -> None:
        self._c = collection
        self.name: str = collection.name

    async def get(self, key: str) -> dict[str, Any] | None:
        doc: dict[str, Any] | None = await self._c.find_one({"_id": key})
        return doc

    async def find_one(self, where: Filter) -> dict[str, Any] | None:
        doc: dict[str, Any] | None = await self._c.find_one(dict(where))
        return doc

    async def find(
        self, where: Filter | None = None, *, sort: Sort = (), limit: int | None = None, skip: int = 0
    ) -> list[dict[str, Any]]:
        cursor = self._c.find(dict(where or {}))
        if sort:
            cursor = cursor.sort(_sort(sort))
        if skip:
            cursor = cursor.skip(skip)
        if limit is not None:
            if limit == 0:
                return []
            cursor = cursor.limit(limit)
        return [doc async for doc in cursor]

    async def iterate(
        self, where: Filter | None = None, *, sort: Sort = (), batch_size: int = 1000
    ) -> AsyncIterator[dict[str, Any]]:
        cursor = self._c.find(dict(where or {}), batch_size=batch_size)
        if sort:
            cursor = cursor.sort(_sort(sort))
        async for doc in cursor:
            yield doc

    async def count(self, where: Filter | None = None) -> int:
        return int(await self._c.count_documents(dict(where or {})))

    async def insert(self, key: str, doc: Mapping[str, Any]) -> bool:
        try:
            await self._c.insert_one({**doc, "_id": key})
        except DuplicateKeyError as exc:
            if await self._c.find_one({"_id": key}, {"_id": 1}) is not None:
                return False
            raise DuplicateKey(str(exc)) from exc
        return True

    async def insert_many(self, docs: Mapping[str, Mapping[str, Any]]) -> int:
        if not docs:
            return 0
        try:
            result = await self._c.insert_many(
                [{**doc, "_id": key} for key, doc in docs.items()], ordered=False
            )
        except BulkWriteError as exc:
            # Unordered: every other document was written. A refused one whose key is there is
            # the "already exists" of insert; one refused by another unique index is an error.
            refused = [e["op"]["_id"] for e in exc.details.get("writeErrors", [])]
            there = {d["_id"] async for d in self._c.find({"_id": {"$in": refused}}, {"_id": 1})}
            if any(
                e.get("code") != DUPLICATE_KEY or e["op"]["_id"] not in there
                for e in exc.details["writeErrors"]
            ):
                raise DuplicateKey(str(exc.details["writeErrors"][0].get("errmsg"))) from exc
            return int(exc.details.get("nInserted", 0))
        return len(result.inserted_ids)

    async def upsert(self, key: str, fields: Mapping[str, Any]) -> None:
        # update_one + $set, not replace_one: an upserting replace loses the _id on some servers.
        try:
            await self._c.update_one({"_id": key}, {"$set": dict(fields)}, upsert=True)
        except DuplicateKeyError as exc:
            raise DuplicateKey(str(exc)) from exc

    async def update(self, key: str, fields: Mapping[str, Any], *, where: Filter | None = None) -> bool:
        try:
            result = await self._c.update_one({**dict(where or {}), "_id": key}, {"$set": dict(fields)})
        except DuplicateKeyError as exc:
            raise DuplicateKey(str(exc)) from exc
        return bool(result.matched_count)

    async def put_if_newer(
        self, key: str, fields: Mapping[str, Any], *, seq: int, seq_field: str = "seq"
    ) -> bool:
        guard = {"_id": key, "$or": [{seq_field: {"$lt": seq}}, {seq_field: {"$exists": False}}]}
        try:
            result = await self._c.update_one(guard, {"$set": {**fields, seq_field: seq}}, upsert=True)
        except DuplicateKeyError:
            return False  # the document exists with a seq at least as new: the guard excluded it
        return bool(result.matched_count or result.upserted_id is not None)

    async def delete(self, key: str) -> bool:
        return bool((await self._c.delete_one({"_id": key})).deleted_count)

    async def delete_many(self, where: Filter) -> int:
        return int((await self._c.delete_many(dict(where))).deleted_count)

    async def ensure_index(self, fields: Sequence[str], *, unique: bool = False) -> None:
        await self._c.create_index([(f, ASCENDING) for f in fields], unique=unique)


class MongoReadStore:
    """A ``ReadStore`` on one MongoDB database."""

    def __init__(self, url: str, database: str) -> None:
        # PyMongo waits 30 s for a server by default; a request (or /readyz) should fail fast
        # with a 503 instead. A URL that sets serverSelectionTimeoutMS keeps its own value.
        options: dict[str, Any] = (
            {} if "serverselectiontimeoutms" in url.lower() else {"serverSelectionTimeoutMS": 5000}
        )
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True, **options)
        self._db = self._client[database]

    def collection(self, name: str) -> MongoCollection:
        return MongoCollection(self._db[name])

    async def ping(self) -> bool:
        try:
            await self._client.admin.command("ping")
        except Exception:
            return False
        return True

    async def close(self) -> None:
        await self._client.close()
