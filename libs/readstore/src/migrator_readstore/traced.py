"""Projection writes as spans, so a trace ends where a request's effect becomes readable.

Only writes are traced, and only inside a recorded trace: an unsampled write costs one
context lookup. Both backends are wrapped alike, so a trace reads the same on either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from typing import Any, TypeVar

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from migrator_readstore.protocol import Collection, Filter, ReadStore, Sort

_tracer = trace.get_tracer("migrator.readstore")
T = TypeVar("T")


class TracedCollection:
    """A collection whose writes are spans named ``<operation> <collection>``."""

    def __init__(self, inner: Collection, *, system: str) -> None:
        self._inner = inner
        self.name = inner.name
        self._attributes = {"db.system.name": system, "db.collection.name": inner.name}

    def _span(self, operation: str) -> Any:
        return _tracer.start_as_current_span(
            f"{operation} {self.name}",
            kind=SpanKind.CLIENT,
            attributes={**self._attributes, "db.operation.name": operation},
        )

    async def _write(self, operation: str, write: Awaitable[T]) -> T:
        """Await the write, in a span of its own when a recorded trace is current."""
        if not trace.get_current_span().is_recording():
            return await write
        with self._span(operation) as span:
            result = await write
            if isinstance(result, bool):
                span.set_attribute("migrator.applied", result)
            return result

    async def get(self, key: str) -> dict[str, Any] | None:
        return await self._inner.get(key)

    async def find_one(self, where: Filter) -> dict[str, Any] | None:
        return await self._inner.find_one(where)

    async def find(
        self, where: Filter | None = None, *, sort: Sort = (), limit: int | None = None, skip: int = 0
    ) -> list[dict[str, Any]]:
        return await self._inner.find(where, sort=sort, limit=limit, skip=skip)

    def iterate(
        self, where: Filter | None = None, *, sort: Sort = (), batch_size: int = 1000
    ) -> AsyncIterator[dict[str, Any]]:
        return self._inner.iterate(where, sort=sort, batch_size=batch_size)

    async def count(self, where: Filter | None = None) -> int:
        return await self._inner.count(where)

    async def insert(self, key: str, doc: Mapping[str, Any]) -> bool:
        return await self._write("insert", self._inner.insert(key, doc))

    async def insert_many(self, docs: Mapping[str, Mapping[str, Any]]) -> int:
        return await self._write("insert_many", self._inner.insert_many(docs))

    async def upsert(self, key: str, fields: Mapping[str, Any]) -> None:
        return await self._write("upsert", self._inner.upsert(key, fields))

    async def update(self, key: str, fields: Mapping[str, Any], *, where: Filter | None = None) -> bool:
        return await self._write("update", self._inner.update(key, fields, where=where))

    async def put_if_newer(
        self, key: str, fields: Mapping[str, Any], *, seq: int, seq_field: str = "seq"
    ) -> bool:
        return await self._write(
            "put_if_newer", self._inner.put_if_newer(key, fields, seq=seq, seq_field=seq_field)
        )

    async def delete(self, key: str) -> bool:
        return await self._write("delete", self._inner.delete(key))

    async def delete_many(self, where: Filter) -> int:
        return await self._write("delete_many", self._inner.delete_many(where))

    async def ensure_index(self, fields: Sequence[str], *, unique: bool = False) -> None:
        await self._inner.ensure_index(fields, unique=unique)


class TracedStore:
    """A read store whose collections trace their writes."""

    def __init__(self, inner: ReadStore, *, system: str) -> None:
        self._inner = inner
        self._system = system
        self._collections: dict[str, TracedCollection] = {}

    def collection(self, name: str) -> Collection:
        traced = self._collections.get(name)
        if traced is None:
            traced = self._collections[name] = TracedCollection(
                self._inner.collection(name), system=self._system
            )
        return traced

    async def ping(self) -> bool:
        return await self._inner.ping()

    async def close(self) -> None:
        await self._inner.close()
