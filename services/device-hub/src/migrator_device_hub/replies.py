"""What device-hub answers over request/reply: an HTTP status and the body the gateway returns."""

from __future__ import annotations

from typing import Any

import orjson

from migrator_device_hub.domain.refusals import Refused


def answer(body: dict[str, Any], status: int = 200) -> bytes:
    return orjson.dumps({"status": status, "body": body})


def refusal(exc: Refused) -> bytes:
    return answer({"error": exc.message, "code": exc.code, "status": exc.status}, exc.status)
