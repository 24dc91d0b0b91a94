"""How a refusal from Microsoft reads in a job's log: ``403 Forbidden on MailboxItem.ImportExport.All``."""

from __future__ import annotations

from http import HTTPStatus

from migrator_microsoft.graph import GraphError


def describe(exc: GraphError, permission: str) -> str:
    """Status and reason, then the permission a refused call needs (401, 403) or Graph's own
    code and message (anything else)."""
    try:
        reason = HTTPStatus(exc.status).phrase
    except ValueError:
        reason = "Error"
    if exc.status in (401, 403):
        return f"{exc.status} {reason} on {permission}" + (f" ({exc.code})" if exc.code else "")
    detail = " — ".join(part for part in (exc.code, exc.message) if part)
    return f"{exc.status} {reason}" + (f": {detail}" if detail else "")
