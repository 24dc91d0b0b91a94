"""Read-model storage: one small interface, two real backends (embedded SQLite, MongoDB)."""

from migrator_readstore.errors import STORE_UNAVAILABLE_ERRORS, DuplicateKey
from migrator_readstore.factory import open_read_store
from migrator_readstore.protocol import Collection, Filter, ReadStore, Sort

__all__ = [
    "STORE_UNAVAILABLE_ERRORS",
    "Collection",
    "DuplicateKey",
    "Filter",
    "ReadStore",
    "Sort",
    "open_read_store",
]
