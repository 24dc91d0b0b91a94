"""Request/reply to a service over NATS, with a clear 503 when nobody answers in time."""

from __future__ import annotations

from typing import TypeVar

import orjson
from faststream.nats import NatsBroker
from migrator_contracts.base import Message
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from opentelemetry.propagate import inject
from pydantic import ValidationError
from starlette.responses import Response

from migrator_gateway.api.errors import ApiError
from migrator_gateway.api.views import FastJSONResponse

R = TypeVar("R", bound=Message)


async def ask(
    broker: NatsBroker, subject: str, request: Message, reply_model: type[R], *, wait_seconds: float
) -> R:
    """Send ``request`` and parse the reply (503 SERVICE_UNAVAILABLE on timeout or no responder)."""
    reply = await _request(broker, subject, request.to_json(), wait_seconds)
    try:
        return reply_model.model_validate_json(reply)
    except ValidationError as exc:
        raise ApiError(502, "BAD_GATEWAY", "The service gave an unreadable answer") from exc


async def relay(broker: NatsBroker, subject: str, request: Message, *, wait_seconds: float) -> Response:
    """Ask a service that answers ``{"status", "body"}`` (device-hub) and return that as the response."""
    reply = await _request(broker, subject, request.to_json(), wait_seconds)
    try:
        answer = orjson.loads(reply)
        status, body = int(answer["status"]), answer["body"]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ApiError(502, "BAD_GATEWAY", "The service gave an unreadable answer") from exc
    return FastJSONResponse(body, status_code=status)


async def _request(broker: NatsBroker, subject: str, payload: bytes, wait_seconds: float) -> bytes:
    """The reply's bytes; the trace context travels in the headers, so the span continues there."""
    headers: dict[str, str] = {}
    inject(headers)
    try:
        reply = await broker.connection.request(
            subject, payload, timeout=wait_seconds, headers=headers or None
        )
    except (NatsTimeout, NoRespondersError) as exc:
        raise ApiError(
            503, "SERVICE_UNAVAILABLE", "The service did not answer in time; retry shortly"
        ) from exc
    return bytes(reply.data)
