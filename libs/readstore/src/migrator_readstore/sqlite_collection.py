"""One collection of the embedded store: a table of JSON documents keyed by ``_id``."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from migrator_readstore.errors import DuplicateKey
from migrator_readstore.protocol import Filter, Sort
from migrator_readstore.sql_filters import field_expr, order_sql, set_sql, where_sql

if TYPE_CHECKING:
    from migrator_readstore.sqlite import SqliteReadStore


# Finds this small run on the caller's thread, like key gets: an indexed page of a few dozen
# rows takes tens of microseconds, less than the hop to a worker thread and back.
INLINE_FIND_LIMIT = 100


def _row(key: str, doc: str) -> dict[str, Any]:
    out: dict[str, Any] = orjson.loads(doc)
    out["_id"] = key  # in place: a page of rows is decoded on every listing
    return out


class SqliteCollection:
    """One table: ``_id`` primary key, ``doc`` the JSON document."""

    def __init__(self, store: SqliteReadStore, name: str) -> None:
        self.name = name
        self._store = store
        self._table = f'"c_{name}"'
        self._ready = False

    async def _ensure(self) -> None:
        if not self._ready:
            ddl = f"CREATE TABLE IF NOT EXISTS {self._table} (_id TEXT PRIMARY KEY, doc TEXT NOT NULL)"
            await self._store.write(lambda c: c.execute(ddl))
            self._ready = True

    async def _read(self, sql: str, params: Sequence[Any], *, inline: bool = False) -> list[dict[str, Any]]:
        await self._ensure()
        op = lambda c: c.execute(sql, params).fetchall()  # noqa: E731
        rows = self._store.read_now(op) if inline else await self._store.read(op)
        return [_row(k, d) for k, d in rows]

    async def _write(self, sql: str, params: Sequence[Any]) -> int:
        await self._ensure()

        def op(conn: sqlite3.Connection) -> int:
            try:
                return conn.execute(sql, params).rowcount
            except sqlite3.IntegrityError as exc:
                raise DuplicateKey(str(exc)) from exc

        return int(await self._store.write(op))

    async def get(self, key: str) -> dict[str, Any] | None:
        await self._ensure()
        sql = f"SELECT _id, doc FROM {self._table} WHERE _id = ?"
        row = self._store.read_now(lambda c: c.execute(sql, [key]).fetchone())
        return _row(*row) if row else None

    async def find_one(self, where: Filter) -> dict[str, Any] | None:
        rows = await self.find(where, limit=1)
        return rows[0] if rows else None

    async def find(
        self, where: Filter | None = None, *, sort: Sort = (), limit: int | None = None, skip: int = 0
    ) -> list[dict[str, Any]]:
        clause, params = where_sql(where)
        sql = f"SELECT _id, doc FROM {self._table} WHERE {clause}{order_sql(sort)} LIMIT ? OFFSET ?"
        inline = limit is not None and limit <= INLINE_FIND_LIMIT and skip == 0
        return await self._read(sql, [*params, -1 if limit is None else limit, skip], inline=inline)

    async def iterate(
        self, where: Filter | None = None, *, sort: Sort = (), batch_size: int = 1000
    ) -> AsyncIterator[dict[str, Any]]:
        await self._ensure()
        clause, params = where_sql(where)
        conn = self._store.open_cursor_connection()
        try:
            conn.execute("BEGIN")  # one snapshot for the whole iteration
            cursor = conn.execute(
                f"SELECT _id, doc FROM {self._table} WHERE {clause}{order_sql(sort)}", params
            )
            while rows := await asyncio.to_thread(cursor.fetchmany, batch_size):
                for key, doc in rows:
                    yield _row(key, doc)
        finally:
            conn.close()

    async def count(self, where: Filter | None = None) -> int:
        await self._ensure()
        clause, params = where_sql(where)
        sql = f"SELECT COUNT(*) FROM {self._table} WHERE {clause}"
        return int(await self._store.read(lambda c: c.execute(sql, params).fetchone()[0]))

    async def insert(self, key: str, doc: Mapping[str, Any]) -> bool:
        body = json.dumps({k: v for k, v in doc.items() if k != "_id"})
        try:
            return (
                await self._write(f"INSERT INTO {self._table} (_id, doc) VALUES (?, json(?))", [key, body])
                == 1
            )
        except DuplicateKey as exc:
            if f"c_{self.name}._id" in str(exc):
                return False
            raise

    async def insert_many(self, docs: Mapping[str, Mapping[str, Any]]) -> int:
        if not docs:
            return 0
        await self._ensure()
        rows = [(key, json.dumps({k: v for k, v in doc.items() if k != "_id"})) for key, doc in docs.items()]
        # A key already there is skipped; any other unique index still refuses a duplicate.
        sql = f"INSERT INTO {self._table} (_id, doc) VALUES (?, json(?)) ON CONFLICT(_id) DO NOTHING"

        def op(conn: sqlite3.Connection) -> int:
            try:
                return conn.executemany(sql, rows).rowcount
            except sqlite3.IntegrityError as exc:
                raise DuplicateKey(str(exc)) from exc

        return int(await self._store.write(op))

    async def upsert(self, key: str, fields: Mapping[str, Any]) -> None:
        setter, params = set_sql(fields)
        body = json.dumps(dict(fields))
        await self._write(
            f"INSERT INTO {self._table} (_id, doc) VALUES (?, json(?)) "
            f"ON CONFLICT(_id) DO UPDATE SET doc = {setter}",
            [key, body, *params],
        )

    async def update(self, key: str, fields: Mapping[str, Any], *, where: Filter | None = None) -> bool:
        setter, params = set_sql(fields)
        clause, where_params = where_sql(where)
        sql = f"UPDATE {self._table} SET doc = {setter} WHERE _id = ? AND {clause}"
        return await self._write(sql, [*params, key, *where_params]) == 1

    async def put_if_newer(
        self, key: str, fields: Mapping[str, Any], *, seq: int, seq_field: str = "seq"
    ) -> bool:
        full = {**fields, seq_field: seq}
        setter, params = set_sql(full)
        guard = field_expr(seq_field)
        sql = (
            f"INSERT INTO {self._table} (_id, doc) VALUES (?, json(?)) ON CONFLICT(_id) DO UPDATE "
            f"SET doc = {setter} WHERE {guard} IS NULL OR {guard} < ?"
        )
        return await self._write(sql, [key, json.dumps(full), *params, seq]) == 1

    async def delete(self, key: str) -> bool:
        return await self._write(f"DELETE FROM {self._table} WHERE _id = ?", [key]) == 1

    async def delete_many(self, where: Filter) -> int:
        clause, params = where_sql(where)
        return await self._write(f"DELETE FROM {self._table} WHERE {clause}", params)

    async def ensure_index(self, fields: Sequence[str], *, unique: bool = False) -> None:
        await self._ensure()
        # The key closes every plain index: a sort that breaks ties by _id (keyset pages)
        # then reads in index order instead of sorting. (Not done for MongoDB: the wire
        # server the tests use rejects writes once an index names _id.)
        columns = [*fields, "_id"] if not unique and "_id" not in fields else list(fields)
        exprs = ", ".join(field_expr(f) for f in columns)
        name = f'"ix_{self.name}_{"_".join(f.replace(".", "_") for f in fields)}{"_u" if unique else ""}"'
        ddl = f"CREATE {'UNIQUE ' if unique else ''}INDEX IF NOT EXISTS {name} ON {self._table} ({exprs})"
        await self._store.write(lambda c: c.execute(ddl))
