"""Choosing the read store: MongoDB when a URL is configured, else the embedded SQLite store."""

from __future__ import annotations

from pathlib import Path

from migrator_readstore.protocol import ReadStore
from migrator_readstore.traced import TracedStore


def open_read_store(*, mongo_url: str | None, sqlite_path: Path, database: str = "migrator") -> ReadStore:
    """The store the configuration asks for, its writes traced."""
    if mongo_url:
        from migrator_readstore.mongo import MongoReadStore

        return TracedStore(MongoReadStore(mongo_url, database), system="mongodb")
    from migrator_readstore.sqlite import SqliteReadStore

    return TracedStore(SqliteReadStore(sqlite_path), system="sqlite")
