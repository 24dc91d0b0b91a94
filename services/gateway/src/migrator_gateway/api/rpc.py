"""Request/reply to a service over NATS, with a clear 503 when nobody answers in time."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from faststream.nats import NatsBroker
from migrator_contracts.base import Message
from migrator_platform.bus import check_send
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from opentelemetry.propagate import inject
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from migrator_gateway.api.errors import ApiError

R = TypeVar("R", bound=BaseModel)


async def ask(
    broker: NatsBroker,
    subject: str,
    request: Message,
    reply_model: type[R],
    *,
    wait_seconds: float,
    response: Response | None = None,
) -> R:
    """Send ``request`` and read the answer's body as ``reply_model``; a refusal is raised as the
    ``ApiError`` it carries (503 SERVICE_UNAVAILABLE on timeout or no responder). With
    ``response``, the route answers with the service's status as well as its body."""
    status, body = await _answer(broker, subject, request, wait_seconds)
    _raise_refusal(status, body)
    try:
        reply = reply_model.model_validate(body)
    except ValidationError as exc:
        raise ApiError(502, "BAD_GATEWAY", "The service gave an unreadable answer") from exc
    if response is not None:
        response.status_code = status
    return reply


def _raise_refusal(status: int, body: dict[str, Any]) -> None:
    if status >= 400:
        raise ApiError(status, str(body.get("code", "ERROR")), str(body.get("error", "Refused")))


async def _answer(
    broker: NatsBroker, subject: str, request: Message, wait_seconds: float
) -> tuple[int, dict[str, Any]]:
    """The ``Reply`` every responder gives: its status and body."""
    data = await _request(broker, subject, request, wait_seconds)
    try:
        answer = orjson.loads(data)
        status, body = int(answer["status"]), answer["body"]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ApiError(502, "BAD_GATEWAY", "The service gave an unreadable answer") from exc
    if not isinstance(body, dict):
        raise ApiError(502, "BAD_GATEWAY", "The service gave an unreadable answer")
    return status, body


async def _request(broker: NatsBroker, subject: str, request: Message, wait_seconds: float) -> bytes:
    """The reply's bytes; the trace context travels in the headers, so the span continues there."""
    check_send(broker, subject, request)
    payload = request.to_json()
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
