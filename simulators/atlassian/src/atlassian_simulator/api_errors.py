"""Errors answered as a body of the callee's own shape (the migration API's ``{"errors": [...]}``)."""

from __future__ import annotations

from typing import Any


class SimError(Exception):
    """An HTTP error with a ready-made JSON body and optional headers."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class InvalidRequest(Exception):
    """A migration API request that fails validation: each error as (code, message)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def migration_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> SimError:
    return SimError(status, errors_body([(code, message)]), headers)


def errors_body(errors: list[tuple[str, str]]) -> dict[str, Any]:
    return {"errors": [{"code": code, "message": message} for code, message in errors]}
