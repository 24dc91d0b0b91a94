"""A small synchronous client of the public API, on httpx.

Every error becomes :class:`ApiError` with the API's code. A 429 is retried after its
``Retry-After``; reads are also retried on connection errors and 502/503/504. A create is
never retried once it may have reached the server (it is not idempotent).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any, BinaryIO

import httpx
from httpx_sse import connect_sse
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

DEFAULT_URL = "http://127.0.0.1:8000"
_TRANSIENT = {502, 503, 504}


class ApiError(Exception):
    """An error answer of the API: ``{"error", "code", "status"}``."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{message} ({code})")
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
            code, message = str(body["code"]), str(body["error"])
        except (ValueError, KeyError, TypeError):
            code, message = f"HTTP_{response.status_code}", response.text[:200] or response.reason_phrase
        retry_after = response.headers.get("Retry-After")
        return cls(response.status_code, code, message, float(retry_after) if retry_after else None)


def _retryable(exc: BaseException, *, safe: bool) -> bool:
    if isinstance(exc, ApiError):
        return exc.status == 429 or (safe and exc.status in _TRANSIENT)
    return safe and isinstance(exc, httpx.TransportError)


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, ApiError) and exc.retry_after is not None:
        return min(exc.retry_after, 60.0)
    return float(wait_exponential(multiplier=0.5, max=8)(state))


class Client:
    """The API, scoped to the organisation of ``api_key``."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        attempts: int = 5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        key = api_key or os.environ.get("MIGRATOR_API_KEY", "")
        if not key:
            raise ValueError("an API key is required (argument or MIGRATOR_API_KEY)")
        self._http = httpx.Client(
            base_url=base_url or os.environ.get("MIGRATOR_URL", DEFAULT_URL),
            headers={"Authorization": f"Bearer {key}", "User-Agent": "migrator-client/0.1"},
            timeout=timeout,
            transport=transport,
        )
        self._attempts = attempts

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send, retrying what is safe to retry; the decoded JSON body."""
        safe = method in ("GET", "HEAD")
        for attempt in Retrying(
            stop=stop_after_attempt(self._attempts),
            wait=_wait,
            retry=retry_if_exception(lambda exc: _retryable(exc, safe=safe)),
            reraise=True,
        ):
            with attempt:
                response = self._http.request(method, path, **kwargs)
                if response.is_error:
                    raise ApiError.from_response(response)
                return response.json()
        raise AssertionError("unreachable")  # pragma: no cover

    # Tenants
    def tenants(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "/v1/tenants")["tenants"])

    def tenant(self, tenant_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/v1/tenants/{tenant_id}")["tenant"])

    def connect_tenant(self, domain: str, role: str) -> dict[str, str]:
        return dict(self.request("POST", "/v1/tenants/connect", json={"domain": domain, "role": role}))

    def delete_tenant(self, tenant_id: str) -> dict[str, Any]:
        return dict(self.request("DELETE", f"/v1/tenants/{tenant_id}"))

    def discover(self, tenant_id: str) -> dict[str, Any]:
        return dict(self.request("POST", f"/v1/tenants/{tenant_id}/discover"))

    def discovered(self, tenant_id: str, kind: str) -> dict[str, Any]:
        """``kind``: users, sites or teams."""
        return dict(self.request("GET", f"/v1/tenants/{tenant_id}/{kind}"))

    def found(
        self, tenant_id: str, kind: str, *, search: str | None = None, page_size: int = 500
    ) -> Iterator[dict[str, Any]]:
        """What the tenant's latest discovery found (``kind``: users, sites, teams, projects or
        spaces), those matching ``search`` if given, page by page."""
        return self.pages(f"/v1/tenants/{tenant_id}/{kind}", kind, search=search, limit=page_size)

    # Jobs
    def create_job(self, **body: Any) -> dict[str, Any]:
        """The created job, or with ``dryRun=True`` the pre-flight result (``job`` and ``preflight``)."""
        return dict(self.request("POST", "/v1/jobs", json=_without_none(body)))

    def create_batch(self, **body: Any) -> list[str]:
        return list(self.request("POST", "/v1/jobs/batch", json=_without_none(body))["jobIds"])

    def pages(self, path: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every row of a paged list (``{key: [...], nextCursor, hasMore}``), page by page."""
        query = _without_none(params)
        while True:
            page = self.request("GET", path, params=query)
            yield from page[key]
            if not page["hasMore"]:
                return
            query["cursor"] = page["nextCursor"]

    def jobs(self, *, status: str | None = None, page_size: int = 50) -> Iterator[dict[str, Any]]:
        """Every job, newest first."""
        return self.pages("/v1/jobs", "jobs", status=status, limit=page_size)

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/v1/jobs/{job_id}")["job"])

    def pause_job(self, job_id: str) -> str:
        return str(self.request("PATCH", f"/v1/jobs/{job_id}/pause")["status"])

    def resume_job(self, job_id: str) -> str:
        return str(self.request("PATCH", f"/v1/jobs/{job_id}/resume")["status"])

    def delete_job(self, job_id: str) -> bool:
        return bool(self.request("DELETE", f"/v1/jobs/{job_id}")["deleted"])

    def units(self, job_id: str, kind: str) -> Iterator[dict[str, Any]]:
        """The job's sites, mailboxes, teams, projects or spaces (``kind``) with their progress."""
        return self.pages(f"/v1/jobs/{job_id}/{kind}", kind, limit=200)

    # API keys
    def keys(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "/v1/keys")["keys"])

    def create_key(self, name: str, *, live: bool = False) -> dict[str, Any]:
        """``{"key": {...}, "secret": "tmk_…"}``: the secret is in this answer only."""
        return dict(self.request("POST", "/v1/keys", json={"name": name, "live": live}))

    def revoke_key(self, key_id: str) -> dict[str, Any]:
        return dict(self.request("DELETE", f"/v1/keys/{key_id}")["key"])

    # Devices
    def devices(self, *, status: str | None = None) -> Iterator[dict[str, Any]]:
        return self.pages("/v1/devices", "devices", status=status)

    def device(self, device_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/v1/devices/{device_id}")["device"])

    def commands(self, device_id: str, *, status: str | None = None) -> Iterator[dict[str, Any]]:
        """The device's command history, newest first."""
        return self.pages(f"/v1/devices/{device_id}/commands", "commands", status=status)

    def queue_command(self, device_id: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = {"type": kind, "payload": payload}
        return dict(self.request("POST", f"/v1/devices/{device_id}/commands", json=body)["command"])

    def cancel_command(self, device_id: str, command_id: str) -> str:
        path = f"/v1/devices/{device_id}/commands/{command_id}/cancel"
        return str(self.request("PATCH", path)["status"])

    # Logs

    def logs(self, job_id: str, *, level: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """The job's log as ``("log", line)`` pairs (its history, then live lines), ending with
        ``("done", {"status", "completedAt"})``. A dropped connection is resumed after the last
        line seen (``Last-Event-ID``): nothing is missed, nothing repeated."""
        last_id: str | None = None
        failures = 0
        params = _without_none({"level": level})
        while True:
            headers = {"Last-Event-ID": last_id} if last_id else {}
            try:
                with connect_sse(
                    self._http,
                    "GET",
                    f"/v1/jobs/{job_id}/logs",
                    params=params,
                    headers=headers,
                    timeout=httpx.Timeout(30.0, read=None),  # an idle stream is not a dead one
                ) as source:
                    if source.response.is_error:
                        source.response.read()
                        raise ApiError.from_response(source.response)
                    for event in source.iter_sse():
                        if not event.data:
                            continue  # a heartbeat comment
                        data = json.loads(event.data)
                        if event.event == "done":
                            yield "done", data
                            return
                        last_id, failures = event.id or last_id, 0
                        yield "log", data
            except httpx.TransportError:
                failures += 1
                if failures >= self._attempts:
                    raise
                time.sleep(min(2.0**failures, 10.0))
            # The stream ended without ``done`` (a gateway restarting): carry on where it stopped.

    def export_logs(self, job_id: str, into: BinaryIO) -> int:
        """Write the job's whole log as CSV into ``into``; the bytes written."""
        written = 0
        with self._http.stream(
            "GET", f"/v1/jobs/{job_id}/logs/export", timeout=httpx.Timeout(30.0, read=None)
        ) as r:
            if r.is_error:
                r.read()
                raise ApiError.from_response(r)
            for chunk in r.iter_bytes():
                into.write(chunk)
                written += len(chunk)
        return written


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
