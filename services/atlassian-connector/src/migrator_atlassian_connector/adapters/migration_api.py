"""The Atlassian migration API (``/migrations/public/v1``) for one destination cloud site.

Each site has its own budget, as Atlassian counts per API group: 5 job creates and 5 task
creates a minute, 600 status and task-list reads a minute. Calls wait for the budget before
they are sent, so a connector running many jobs on one site paces itself rather than collect
429s; a 429 that still comes (another client of the site spent it) waits its Retry-After and
is retried (``migrator_platform.throttling``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from migrator_platform.throttling import Throttled, raise_if_throttled, retrying

PATH = "/migrations/public/v1"


class MigrationApiError(Exception):
    """A definitive refusal (4xx other than 429): the status and Atlassian's ``errors`` list."""

    def __init__(self, status: int, errors: list[dict[str, Any]]) -> None:
        detail = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors) or f"HTTP {status}"
        super().__init__(detail)
        self.status, self.errors = status, errors


@dataclass
class SiteBudget:
    """One destination site's request budget, shared by every job this replica runs on it."""

    creates_per_minute: int = 5
    reads_per_minute: int = 600
    job_creates: AsyncLimiter = field(init=False)
    task_creates: AsyncLimiter = field(init=False)
    reads: AsyncLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.job_creates = AsyncLimiter(self.creates_per_minute, 60)
        self.task_creates = AsyncLimiter(self.creates_per_minute, 60)
        self.reads = AsyncLimiter(self.reads_per_minute, 60)


class Budgets:
    """Budgets by destination site."""

    def __init__(self, *, creates_per_minute: int = 5, reads_per_minute: int = 600) -> None:
        self._creates, self._reads = creates_per_minute, reads_per_minute
        self._sites: dict[str, SiteBudget] = {}

    def of(self, site: str) -> SiteBudget:
        if site not in self._sites:
            self._sites[site] = SiteBudget(self._creates, self._reads)
        return self._sites[site]


class MigrationApi:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        access_token: Callable[[bool], Awaitable[str]],
        budget: SiteBudget,
    ) -> None:
        """``access_token(renew)``: the site's token; with ``renew``, a new one (the last was refused)."""
        self._http, self._base, self._token, self._budget = (
            http,
            base_url.rstrip("/") + PATH,
            access_token,
            budget,
        )

    async def create_job(self, definition: dict[str, Any]) -> str:
        body = await self._call("POST", "/jobs", self._budget.job_creates, json=definition)
        return str(body["jobId"])

    async def create_task(self, job_id: str, task: str, options: dict[str, Any] | None = None) -> str:
        body = {"task": task, "options": options or {}}
        answer = await self._call("POST", f"/jobs/{job_id}/tasks", self._budget.task_creates, json=body)
        return str(answer["taskId"])

    async def tasks(self, job_id: str, cursor: str | None = None) -> dict[str, Any]:
        params = {"cursor": cursor} if cursor else None
        return await self._call("GET", f"/jobs/{job_id}/tasks", self._budget.reads, params=params)

    async def latest_task(self, job_id: str, task: str) -> str | None:
        """The newest ``task`` (check, migrate) of the migration job, if it has one: every page."""
        cursor: str | None = None
        while True:
            page = await self.tasks(job_id, cursor)
            for listed in page.get("data", []):
                if listed.get("taskType") == task:  # newest first
                    return str(listed["taskId"])
            cursor = page.get("links", {}).get("next")
            if not cursor:
                return None

    async def ensure_task(self, job_id: str, task: str, options: dict[str, Any] | None = None) -> str:
        """The migration job's ``task``, created unless it exists: a connector killed between
        creating a task and recording its id adopts that task instead of starting a second."""
        return await self.latest_task(job_id, task) or await self.create_task(job_id, task, options)

    async def status(
        self,
        job_id: str,
        task_id: str,
        *,
        level: str | None = None,
        expand_children: bool = False,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """One page of a task's status tree at ``level`` (``None``: the root)."""
        params: dict[str, str] = {}
        if level:
            params["level"] = level
        if expand_children:
            params["expandChildren"] = "true"
        if cursor:
            params["cursor"] = cursor
        return await self._call(
            "GET", f"/jobs/{job_id}/tasks/{task_id}/status", self._budget.reads, params=params
        )

    async def _call(self, method: str, path: str, limiter: AsyncLimiter, **kwargs: Any) -> dict[str, Any]:
        renew = False
        async for attempt in retrying():
            with attempt:
                async with limiter:
                    headers = {"Authorization": f"Bearer {await self._token(renew)}"}
                    response = await self._http.request(method, self._base + path, headers=headers, **kwargs)
                raise_if_throttled(response)
                if response.status_code == 401 and not renew:
                    renew = True  # refused: a new token, once (none if the site withdrew consent)
                    raise Throttled(401, 0.0)
        if response.status_code >= 400:
            try:
                errors = list(response.json().get("errors") or [])
            except ValueError:
                errors = []
            raise MigrationApiError(response.status_code, errors)
        body: dict[str, Any] = response.json()
        return body
