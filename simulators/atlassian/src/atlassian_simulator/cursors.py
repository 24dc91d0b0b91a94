"""Opaque base64 cursors shaped like the migration API's (``root:check#finished#skipped#name``)."""

from __future__ import annotations

import base64
import binascii


class BadCursor(ValueError):
    """The cursor was not issued by this API (or for another node or list)."""


def encode(*parts: str) -> str:
    return base64.b64encode("#".join(parts).encode()).decode()


def decode(cursor: str, *, parts: int) -> list[str]:
    """The cursor's ``parts`` fields; the last may itself contain ``#``."""
    try:
        text = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise BadCursor(cursor) from exc
    fields = text.split("#", parts - 1)
    if len(fields) != parts:
        raise BadCursor(cursor)
    return fields
