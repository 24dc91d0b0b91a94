"""A JIRA / CONFLUENCE job's own state (``atlassian_tasks``, by job id), read and written as its model.

Each step is recorded as it happens (the migration job's id, then each task's), and each unit's
last report with the sequence it went out with, so a resumed run neither creates a second
migration nor sends a report twice.
"""

from __future__ import annotations

from datetime import datetime

from migrator_contracts.enums import UnitStatus
from migrator_contracts.readmodels import Doc
from migrator_readstore import Collection
from pydantic import Field


class UnitReport(Doc):
    """What a project or space was last reported as."""

    status: UnitStatus
    total: int
    done: int
    errors: int
    skipped: int = 0
    message: str | None = None


class AtlassianTask(Doc):
    job_id: str
    org_id: str
    seq: int = 0  # the job's last progress report (one sequence for all its units)
    units: dict[str, UnitReport] = Field(default_factory=dict)  # by unit id
    migration_job_id: str | None = None  # Atlassian's migration, created once
    check_task_id: str | None = None
    checks_done: bool = False
    migrate_task_id: str | None = None
    scheduled: bool = False  # the migrate task's check level passed: Atlassian scheduled it
    finished_at: datetime | None = None  # when its root was first seen FINISHED (the wait for late nodes)


class AtlassianTasks:
    def __init__(self, tasks: Collection) -> None:
        self._tasks = tasks

    async def get(self, job_id: str) -> AtlassianTask | None:
        doc = await self._tasks.get(job_id)
        return None if doc is None else AtlassianTask.model_validate(doc)

    async def put(self, task: AtlassianTask) -> None:
        await self._tasks.upsert(task.job_id, task.to_doc())
