"""Request/reply, answered one way by every service: a typed request in, a ``Reply`` out.

The reply is ``{"status": <HTTP status>, "body": {...}}``: the body the gateway returns, or the
API's error body (``error``, ``code``, ``status``) when the request is refused. So an operator's
``nats req`` sees what HTTP would, and the gateway needs one way to read every service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from migrator_contracts.base import Message
from migrator_readstore import STORE_UNAVAILABLE_ERRORS
from pydantic import ValidationError

from migrator_platform.responder import Responder
from migrator_platform.structured_logs import get_logger

if TYPE_CHECKING:  # service.py imports this module (through health.py)
    from migrator_platform.service import Runtime

log = get_logger(__name__)

M = TypeVar("M", bound=Message)
Body = dict[str, Any] | Message


class Refused(Exception):
    """A request refused with the API's error body (``status``, ``code``, message)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def reply(body: Body, status: int = 200) -> bytes:
    """A ``Reply``'s bytes (orjson: check-ins come by the thousand a second); a message body goes
    in its wire form (camelCase)."""
    content = body.model_dump(mode="json", by_alias=True) if isinstance(body, Message) else body
    return orjson.dumps({"status": status, "body": content})


def refusal(exc: Refused) -> bytes:
    return reply({"error": exc.message, "code": exc.code, "status": exc.status}, exc.status)


def describe(errors: Sequence[Mapping[str, Any]], *, located: bool = False) -> str:
    """What is wrong with a request, in the API's words (``field: problem; …``, the first five).
    ``located``: each error's path starts with where in the HTTP request it is (``body``,
    ``query``…), which the API's words leave out."""
    problems = []
    for error in errors[:5]:
        loc = tuple(error.get("loc", ()))[1 if located else 0 :]
        where, msg = ".".join(str(p) for p in loc), str(error.get("msg", "invalid"))
        problems.append(f"{where}: {msg}" if where else msg)
    return "; ".join(problems)


def answer_requests(
    runtime: Runtime,
    subject: str,
    model: type[M],
    handle: Callable[[M], Awaitable[Body]],
    *,
    queue: str,
    status: int = 200,
    workers: int = 1,
) -> None:
    """Answer ``subject`` (queue group ``queue``: replicas share the requests) with ``handle``'s
    body and ``status``, or the refusal: 400 for a request that is not ``model``, the handler's
    ``Refused``, 503 while the store is unreachable, 500 for anything else (logged)."""

    async def answer_one(data: bytes) -> bytes:
        try:
            request = model.model_validate_json(data or b"{}")  # an empty request asks with no fields
        except ValidationError as exc:
            return refusal(Refused(400, "VALIDATION_ERROR", describe(exc.errors())))
        try:
            return reply(await handle(request), status)
        except Refused as exc:
            return refusal(exc)
        except STORE_UNAVAILABLE_ERRORS as exc:
            log.warning("request failed: database unavailable", subject=subject, error=repr(exc)[:300])
            return refusal(Refused(503, "SERVICE_UNAVAILABLE", "The database is unavailable; retry shortly"))
        except Exception:
            log.exception("request failed", subject=subject)
            return refusal(Refused(500, "INTERNAL_ERROR", "An unexpected error occurred"))

    runtime.responders.append(Responder(subject, answer_one, queue=queue, workers=workers))
