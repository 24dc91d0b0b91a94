"""The embedded read store: JSON documents in SQLite (WAL), shared by the services' processes.

Writes go through one writer thread per process that commits every write pending at that
moment in a single transaction (each in its own savepoint, so one failure fails alone):
under load many projection updates share one fsync. Reads run on worker threads with their
own connections and never wait for the writer (WAL).
"""

from __future__ import annotations

import asyncio
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from migrator_readstore.sqlite_collection import SqliteCollection

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
                if item[1].set_running_or_notify_cancel():
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
        # A write whose caller stopped waiting (its task was cancelled) before it began is not
        # made; one begun is made and answered, and can no longer be cancelled meanwhile.
        batch = [(op, future) for op, future in batch if future.set_running_or_notify_cancel()]
        if not batch:
            return
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
