"""Requests refused with the API's error body: the status, the code and what to tell the caller."""

from __future__ import annotations

from migrator_platform.rpc import Refused

__all__ = ["Refused", "command_not_found", "device_not_found"]


def device_not_found() -> Refused:
    """Unknown, deleted, or another organisation's: never confirm which."""
    return Refused(404, "DEVICE_NOT_FOUND", "Device not found")


def command_not_found() -> Refused:
    return Refused(404, "COMMAND_NOT_FOUND", "Command not found")
