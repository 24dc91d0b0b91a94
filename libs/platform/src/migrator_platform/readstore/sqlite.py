"""The embedded read store: JSON documents in SQLite (WAL), shared by the services' processes.

Writes go through one writer thread per process that commits every write pending at that
moment in a single transaction (each in its own savepoint, so one failure fails alone):
under load many projection updates share one fsync. Reads run on worker threads with their
own connections and never wait for the writer (WAL).
"""

from __future__ import annotations

import asyncio
import json
import queue
import re
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from migrator_platform.readstore.errors import DuplicateKey
from migrator_platform.readstore.protocol import Filter, Sort
from migrator_platform.readstore.sql_filters import field_expr, order_sql, set_sql, where_sql

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_BATCH = 256
Op = Callable[[sqlite3.Connection], Any]


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=30000")
    # Several services open a fresh file at once; switching it to WAL needs a moment alone,
    # and SQLite reports "locked" for that without waiting on the busy handler.
    for attempt in range(100):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError:
            if attempt == 99:
                raise
            time.sleep(0.05)
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _row(key: str, doc: str) -> dict[str, Any]:
    out: dict[str, Any] = {"_id": key, **json.loads(doc)}
    return out


class SqliteReadStore:
    """A ``ReadStore`` in one SQLite file; several processes may open the same file."""

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._path = str(path)
        self._local = threading.local()
        self._ops: queue.SimpleQueue[tuple[Op, Future[Any]] | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_loop, name="readstore-writer", daemon=True)
        self._writer.start()
        self._collections: dict[str, SqliteCollection] = {}

    def collection(self, name: str) -> SqliteCollection:
        """The collection ``name`` (its table is created on first use)."""
        if not _NAME.match(name):
            raise ValueError(f"invalid collection name {name!r}")
        if name not in self._collections:
            self._collections[name] = SqliteCollection(self, name)
        return self._collections[name]

    async def write(self, op: Op) -> Any:
        """Run ``op`` inside the writer's next batched transaction."""
        future: Future[Any] = Future()
        self._ops.put((op, future))
        return await asyncio.wrap_future(future)

    async def read(self, op: Op) -> Any:
        """Run ``op`` on a reader connection of a worker thread."""
        return await asyncio.to_thread(self._read_sync, op)

    def read_now(self, op: Op) -> Any:
        """Run a point read on the caller's thread: a key lookup on a WAL snapshot takes
        microseconds and never waits for the writer, far less than a hop to a worker thread."""
        return self._read_sync(op)

    def _read_sync(self, op: Op) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _connect(self._path)
        return op(conn)

    def open_cursor_connection(self) -> sqlite3.Connection:
        """A dedicated connection for a streaming read (closed by the caller)."""
        return _connect(self._path)

    def _write_loop(self) -> None:
        try:
            conn = _connect(self._path)
        except Exception as exc:  # never leave writers waiting on a dead thread
            while (item := self._ops.get()) is not None:
                item[1].set_exception(exc)
            return
        while True:
            item = self._ops.get()
            if item is None:
                break
            batch = [item]
            while len(batch) < _BATCH:
                try:
                    nxt = self._ops.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._ops.put(None)
                    break
                batch.append(nxt)
            self._commit(conn, batch)
        conn.close()

    @staticmethod
    def _commit(conn: sqlite3.Connection, batch: list[tuple[Op, Future[Any]]]) -> None:
        outcomes: list[tuple[Future[Any], bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op, future in batch:
                conn.execute("SAVEPOINT op")
                try:
                    outcomes.append((future, True, op(conn)))
                    conn.execute("RELEASE op")
                except Exception as exc:
                    conn.execute("ROLLBACK TO op")
                    conn.execute("RELEASE op")
                    outcomes.append((future, False, exc))
            conn.execute("COMMIT")
        except Exception as exc:  # the transaction itself failed: every write in it failed
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for _, future in batch:
                future.set_exception(exc)
            return
        for future, ok, value in outcomes:
            future.set_result(value) if ok else future.set_exception(value)

    async def ping(self) -> bool:
        """True when the file opens and answers."""
        return bool(await self.read(lambda c: c.execute("SELECT 1").fetchone()[0] == 1))

    async def close(self) -> None:
        """Finish pending writes and stop the writer thread."""
        self._ops.put(None)
        await asyncio.to_thread(self._writer.join, 10)


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

    async def _read(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        await self._ensure()
        rows = await self._store.read(lambda c: c.execute(sql, params).fetchall())
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
        return await self._read(sql, [*params, -1 if limit is None else limit, skip])

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
        exprs = ", ".join(field_expr(f) for f in fields)
        name = f'"ix_{self.name}_{"_".join(f.replace(".", "_") for f in fields)}{"_u" if unique else ""}"'
        ddl = f"CREATE {'UNIQUE ' if unique else ''}INDEX IF NOT EXISTS {name} ON {self._table} ({exprs})"
        await self._store.write(lambda c: c.execute(ddl))
