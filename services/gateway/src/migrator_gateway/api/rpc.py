"""Request/reply to a service over NATS, with a clear 503 when nobody answers in time."""

from __future__ import annotations

from typing import TypeVar

from faststream.nats import NatsBroker
from migrator_contracts.base import Message
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from pydantic import ValidationError

from migrator_gateway.api.errors import ApiError

R = TypeVar("R", bound=Message)


async def ask(
    broker: NatsBroker, subject: str, request: Message, reply_model: type[R], *, wait_seconds: float
) -> R:
    """Send ``request`` and parse the reply (503 SERVICE_UNAVAILABLE on timeout or no responder)."""
    try:
        reply = await broker.connection.request(subject, request.to_json(), timeout=wait_seconds)
    except (NatsTimeout, NoRespondersError) as exc:
        raise ApiError(
            503, "SERVICE_UNAVAILABLE", "The service did not answer in time; retry shortly"
        ) from exc
    try:
        return reply_model.model_validate_json(reply.data)
    except ValidationError as exc:
        raise ApiError(502, "BAD_GATEWAY", "The service gave an unreadable answer") from exc
