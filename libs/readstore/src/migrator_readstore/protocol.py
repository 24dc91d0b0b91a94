"""The repository interface every read model is written and read through.

Filters are a small, portable subset of MongoDB's query language so that both backends
can honour them with real indexes:
  ``{"field": value}`` equality (dotted paths allowed),
  ``{"field": {"$in": [...]}}``, ``{"$ne": v}``, ``{"$lt"|"$lte"|"$gt"|"$gte": v}``, ``{"$exists": bool}``.
Documents are JSON objects; ``_id`` is the key (a string) and is returned in results.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

Filter = Mapping[str, Any]
Sort = Sequence[tuple[str, int]]  # (field, 1 | -1)


class Collection(Protocol):
    """One collection of documents keyed by a string ``_id``."""

    name: str

    async def get(self, key: str) -> dict[str, Any] | None:
        """The document with this key, or None."""
        ...

    async def find_one(self, where: Filter) -> dict[str, Any] | None:
        """The first document matching ``where``, or None."""
        ...

    async def find(
        self,
        where: Filter | None = None,
        *,
        sort: Sort = (),
        limit: int | None = None,
        skip: int = 0,
    ) -> list[dict[str, Any]]:
        """Documents matching ``where`` in ``sort`` order."""
        ...

    def iterate(
        self, where: Filter | None = None, *, sort: Sort = (), batch_size: int = 1000
    ) -> AsyncIterator[dict[str, Any]]:
        """Stream matching documents without loading them all into memory."""
        ...

    async def count(self, where: Filter | None = None) -> int:
        """How many documents match."""
        ...

    async def insert(self, key: str, doc: Mapping[str, Any]) -> bool:
        """Create the document if the key is absent. False (and nothing written) if it exists."""
        ...

    async def insert_many(self, docs: Mapping[str, Mapping[str, Any]]) -> int:
        """``insert`` of each (key → document) in one round trip: those whose key exists are
        left as they are. How many were created."""
        ...

    async def upsert(self, key: str, fields: Mapping[str, Any]) -> None:
        """Set these top-level fields, creating the document if absent."""
        ...

    async def update(self, key: str, fields: Mapping[str, Any], *, where: Filter | None = None) -> bool:
        """Set fields on the document only if it exists and also matches ``where``
        (compare-and-set). True if it was updated."""
        ...

    async def put_if_newer(
        self, key: str, fields: Mapping[str, Any], *, seq: int, seq_field: str = "seq"
    ) -> bool:
        """Guarded upsert for projections: set ``fields`` and ``seq_field = seq`` only if the
        stored ``seq_field`` is absent or lower than ``seq`` (creating the document if absent).
        A replayed or out-of-order event (``seq`` not newer) changes nothing. True if applied."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove the document. True if it existed."""
        ...

    async def delete_many(self, where: Filter) -> int:
        """Remove every matching document; how many."""
        ...

    async def ensure_index(self, fields: Sequence[str], *, unique: bool = False) -> None:
        """Create an index on these fields (idempotent)."""
        ...


class ReadStore(Protocol):
    """A database of collections."""

    def collection(self, name: str) -> Collection:
        """The collection with this name (created on first use)."""
        ...

    async def ping(self) -> bool:
        """True when the store answers."""
        ...

    async def close(self) -> None:
        """Release connections / threads."""
        ...
