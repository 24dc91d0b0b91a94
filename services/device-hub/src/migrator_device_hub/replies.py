"""What device-hub answers over request/reply: an HTTP status and the body the gateway returns."""

from __future__ import annotations

from typing import Any

import orjson


class Refused(Exception):
    """A request refused with the API's error body (``status``, ``code``, message)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def answer(body: dict[str, Any], status: int = 200) -> bytes:
    return orjson.dumps({"status": status, "body": body})


def refusal(exc: Refused) -> bytes:
    return answer({"error": exc.message, "code": exc.code, "status": exc.status}, exc.status)


def device_not_found() -> Refused:
    """Unknown, deleted, or another organisation's: never confirm which."""
    return Refused(404, "DEVICE_NOT_FOUND", "Device not found")


def command_not_found() -> Refused:
    return Refused(404, "COMMAND_NOT_FOUND", "Command not found")
