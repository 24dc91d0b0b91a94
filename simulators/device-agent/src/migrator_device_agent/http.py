"""The three device calls, each retried with backoff while the failure may pass (5xx, 429, network)."""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

if TYPE_CHECKING:
    from migrator_device_agent.config import AgentConfig
    from migrator_device_agent.state import UnreportedResult
    from migrator_device_agent.stats import FleetStats, Reservoir

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 600.0  # a hub asking for longer is more likely wrong than right
RESULT_LIMIT = 4000  # characters the hub accepts in a result message


class ApiError(Exception):
    """A reply other than 2xx, with the hub's error code (or HTTP_<status> when it sent none)."""

    def __init__(self, status: int, code: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after

    @property
    def transient(self) -> bool:
        return self.status >= 500 or self.status == 429


def _may_pass(exc: BaseException) -> bool:
    return isinstance(exc, httpx.TransportError) or (isinstance(exc, ApiError) and exc.transient)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _error(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"error": response.text[:200]}
    return ApiError(
        response.status_code,
        str(body.get("code") or f"HTTP_{response.status_code}"),
        str(body.get("error") or body.get("detail") or ""),
        retry_after=_retry_after(response),
    )


class DeviceApi:
    def __init__(self, client: httpx.AsyncClient, *, config: AgentConfig, stats: FleetStats) -> None:
        self._client, self._config, self._stats = client, config, stats
        self._base = config.base_url.rstrip("/")
        backoff = wait_random_exponential(multiplier=config.backoff_initial, max=config.backoff_max)

        def wait(state: RetryCallState) -> float:
            # The hub's Retry-After wins over our own backoff.
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, ApiError) and exc.retry_after is not None:
                return exc.retry_after
            return float(backoff(state))

        self._wait = wait

    async def register(self) -> dict[str, Any]:
        """Register this machine; the reply holds ``deviceId`` and ``secret``."""
        c = self._config
        body: dict[str, Any] = {
            "orgId": c.org_id,
            "hostname": c.hostname,
            "ipAddress": c.ip_address,
            "domain": c.domain,
            "agentVersion": c.agent_version,
        }
        if c.enrollment_token:
            body["enrollmentToken"] = c.enrollment_token
        return await self._call("/v1/devices/register", body, self._stats.request_latency)

    async def checkin(self, *, device_id: str, secret: str, checkin_id: str) -> list[dict[str, Any]]:
        """Check in; every retry carries the same ``checkin_id`` so a lost reply is replayed."""
        body = {
            "deviceId": device_id,
            "secret": secret,
            "agentVersion": self._config.agent_version,
            "checkinId": checkin_id,
        }
        reply = await self._call("/v1/devices/checkin", body, self._stats.checkin_latency)
        commands = reply.get("commands") or []
        return [c for c in commands if isinstance(c, dict)]

    async def report(self, *, device_id: str, secret: str, result: UnreportedResult) -> None:
        """Deliver one result; an ApiError that is not transient is the hub's final word."""
        body = {
            "deviceId": device_id,
            "secret": secret,
            "commandId": result.command_id,
            "status": result.status,
            "result": result.result[:RESULT_LIMIT],
        }
        await self._call("/v1/devices/result", body, self._stats.request_latency)

    async def _call(self, path: str, body: dict[str, Any], latency: Reservoir) -> dict[str, Any]:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._config.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(_may_pass),
            before_sleep=lambda state: self._retrying(path, state),
            reraise=True,
        )
        reply: dict[str, Any] = await retrying(self._post, path, body, latency)
        return reply

    async def _post(self, path: str, body: dict[str, Any], latency: Reservoir) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            response = await self._client.post(
                self._base + path, json=body, timeout=self._config.request_timeout
            )
        finally:
            latency.add(time.perf_counter() - started)
        if not response.is_success:
            raise _error(response)
        try:
            reply = response.json()
        except ValueError:
            raise ApiError(response.status_code, "INVALID_REPLY", "reply is not JSON") from None
        return reply if isinstance(reply, dict) else {}

    def _retrying(self, path: str, state: RetryCallState) -> None:
        self._stats.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else None
        log.info(
            "retrying request",
            extra={
                "hostname": self._config.hostname,
                "path": path,
                "attempt": state.attempt_number,
                "waitSeconds": round(wait, 3) if wait is not None else None,
                "reason": str(exc) or type(exc).__name__,
            },
        )
