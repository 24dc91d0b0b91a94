"""Errors both read-store backends raise alike."""

from __future__ import annotations


class DuplicateKey(Exception):
    """A write would break a unique index (other than the ``_id`` of an insert, which returns False)."""
