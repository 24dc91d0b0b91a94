"""Errors both read-store backends raise alike."""

from __future__ import annotations

from pymongo.errors import ConnectionFailure

# The database cannot be reached (down, restarting, a network fault): retry later. PyMongo
# reconnects by itself; SQLite is a file in the process and has no such state.
STORE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (ConnectionFailure,)


class DuplicateKey(Exception):
    """A write would break a unique index (other than the ``_id`` of an insert, which returns False)."""
