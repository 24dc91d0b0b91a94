"""Requests refused with the API's error body: the status, the code and what to tell the caller."""

from __future__ import annotations


class Refused(Exception):
    """A request refused with the API's error body (``status``, ``code``, message)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def device_not_found() -> Refused:
    """Unknown, deleted, or another organisation's: never confirm which."""
    return Refused(404, "DEVICE_NOT_FOUND", "Device not found")


def command_not_found() -> Refused:
    return Refused(404, "COMMAND_NOT_FOUND", "Command not found")
