"""Throttling and access faults: the global switch every call passes, and the per-mailbox and
per-team ones (Exchange's limits apply per app per mailbox, so one busy mailbox is throttled alone)."""

from __future__ import annotations

import random
import time

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from m365_simulator.data import Team
from m365_simulator.state import SimState


class ThrottleMiddleware(BaseHTTPMiddleware):
    """Answers the next N Graph / SharePoint calls with 429 or 503 and Retry-After, as the services do."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        faults = request.app.state.sim.faults
        path = request.url.path
        exempt = path.startswith(("/_sim", "/login.microsoftonline.com"))
        counted = faults.throttle_count > 0
        if not exempt and (counted or random.random() < faults.throttle_rate):
            faults.throttle_count = max(0, faults.throttle_count - 1)
            # Throttling at a rate mixes both answers SharePoint gives: 429 and 503.
            status = faults.throttle_status if counted else random.choice((429, 503))
            body = {
                "error": {
                    "code": "TooManyRequests" if status == 429 else "ServiceUnavailable",
                    "message": "Please retry again later.",
                }
            }
            return JSONResponse(body, status, headers={"Retry-After": str(faults.retry_after)})
        return await call_next(request)


def _take(counts: dict[str, int], *names: str) -> bool:
    """Whether a countdown under one of ``names`` (any case) had calls left; spends one."""
    wanted = {n.lower() for n in names}
    for key, left in counts.items():
        if key.lower() in wanted and left > 0:
            counts[key] = left - 1
            return True
    return False


def _throttled(code: str, message: str, retry_after: int) -> HTTPException:
    return HTTPException(429, {"code": code, "message": message}, headers={"Retry-After": str(retry_after)})


def guard_mailbox(request: Request, upn: str) -> None:
    """The mailbox faults, checked on every call that touches ``upn``'s mailbox."""
    sim: SimState = request.app.state.sim
    faults, key = sim.faults, upn.lower()
    if key in {u.lower() for u in faults.forbidden_mailboxes}:
        # What Exchange answers an app without MailboxItem.ImportExport.All on the mailbox.
        raise HTTPException(
            403,
            {"code": "ErrorAccessDenied", "message": "Access is denied. Check credentials and try again."},
        )
    busy = "Application is over its MailboxConcurrency limit."
    if _take(faults.throttle_mailboxes, key):
        raise _throttled("ApplicationThrottled", busy, faults.retry_after)
    if faults.mailbox_requests_per_second > 0:
        second = int(time.time())
        start, calls = sim.calls.get(key, (second, 0))
        calls = calls + 1 if start == second else 1
        sim.calls[key] = (second, calls)
        if calls > faults.mailbox_requests_per_second:
            raise _throttled("ApplicationThrottled", busy, 1)  # the window is a second


def guard_team(request: Request, team: Team) -> None:
    """The team faults, checked on every call on ``team`` and its channels."""
    faults = request.app.state.sim.faults
    if {team.id.lower(), team.name.lower()} & {t.lower() for t in faults.forbidden_teams}:
        raise HTTPException(403, {"code": "Forbidden", "message": "Access to this team is denied."})
    if _take(faults.throttle_teams, team.id, team.name):
        raise _throttled("TooManyRequests", "Too many requests, retry later.", faults.retry_after)
