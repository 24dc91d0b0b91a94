"""Opaque keyset cursors for job listings: ``cur_`` + urlsafe base64 of (createdAt, id)."""

from __future__ import annotations

import base64
import json

from migrator_gateway.api.errors import ApiError


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
