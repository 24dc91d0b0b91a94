"""Opaque keyset cursors: ``cur_`` + urlsafe base64 of where the previous page ended. Job
listings page by (createdAt, id); lists in id order (a job's units, what discovery found) by id."""

from __future__ import annotations

import base64
import json
from typing import Annotated

from fastapi import Query

from migrator_gateway.api.errors import ApiError

# What every cursor of this API looks like, declared so a client (and a fuzzer) knows the format
# the API checks; what it encodes stays opaque.
CURSOR_PATTERN = r"^cur_[A-Za-z0-9_-]+$"
CursorQuery = Annotated[
    str | None,
    Query(pattern=CURSOR_PATTERN, max_length=1024, description="`nextCursor` of the previous page"),
]


def encode_cursor(created_at: str, job_id: str) -> str:
    raw = json.dumps([created_at, job_id], separators=(",", ":")).encode()
    return "cur_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """(createdAt, id) of the last item of the previous page; 400 for anything else."""
    try:
        if not cursor.startswith("cur_"):
            raise ValueError(cursor)
        payload = cursor[4:]
        created_at, job_id = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(created_at), str(job_id)
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "VALIDATION_ERROR", "cursor: not a cursor returned by this API") from exc


def encode_id_cursor(last_id: str) -> str:
    return "cur_" + base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_id_cursor(cursor: str) -> str:
    """The id of the previous page's last row; 400 for anything else."""
    try:
        if not cursor.startswith("cur_"):
            raise ValueError(cursor)
        payload = cursor[4:]
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "VALIDATION_ERROR", "cursor: not a cursor returned by this API") from exc
