"""A site unit's own state (``sp_tasks``, by unit id) and a site pair's last pass (``sp_sync``),
read and written as their models.

A task is written whole at each step (``SiteTasks.put``): its phase says where a redelivered
command picks up, its ``seq`` orders the unit's progress reports.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Literal

from migrator_contracts.readmodels import Doc
from migrator_readstore import Collection
from pydantic import Field

from migrator_sp_connector.domain.progress import SiteProgress

# reading: the source is read and copied (again, after a crash); submitted: SharePoint imports
# it and the task follows the import's progress log; finished: only the final report is left.
Phase = Literal["reading", "packaging", "submitted", "finished"]


class StoredProgress(Doc):
    """``SiteProgress`` as a task stores it (the same fields; its sets as sorted lists)."""

    total: int = 0
    processed: int = 0
    bytes: int = 0
    failed_ids: list[str] = Field(default_factory=list)
    fatal: str | None = None
    ended: bool = False
    done_high: int = 0
    reported_errors: int = 0
    local_done: int = 0
    local_failed: list[str] = Field(default_factory=list)
    retried: int = 0
    unsupported: int = 0

    @classmethod
    def of(cls, p: SiteProgress) -> StoredProgress:
        values = {f.name: getattr(p, f.name) for f in fields(p)}
        return cls.model_validate(
            values | {"failed_ids": sorted(p.failed_ids), "local_failed": sorted(p.local_failed)}
        )

    def progress(self) -> SiteProgress:
        values = self.model_dump()
        return SiteProgress(
            **values
            | {"failed_ids": frozenset(self.failed_ids), "local_failed": frozenset(self.local_failed)}
        )


class SiteTask(Doc):
    job_id: str
    phase: Phase = "reading"
    seq: int = 0  # the unit's last progress report
    dest_url: str | None = None  # the destination site (unknown only to a unit failed before it began)
    progress: StoredProgress = Field(default_factory=StoredProgress)
    change_token: str | None = None  # the source's, as the read left it: the next pass starts there
    incremental: bool = False
    failed_urls: list[str] = Field(default_factory=list)  # items the next pass reads again
    sp_job_id: str | None = None  # SharePoint's import job, once submitted
    # The staging containers, report queue and package key SharePoint provisioned, sealed to the
    # unit: a copy resumed after a crash goes on in the same containers.
    staging: str | None = None
    secrets: str | None = None  # the package key and report queue URL, sealed to the unit
    progress_token: str = "0"  # how far the import's progress log has been read

    def with_progress(self, progress: SiteProgress, **fields: object) -> SiteTask:
        """The next state: ``progress`` as the unit's next report (``seq`` moves on)."""
        return self.model_copy(
            update={**fields, "seq": self.seq + 1, "progress": StoredProgress.of(progress)}
        )


class StagedFile(Doc):
    """A file copied into a unit's staging container, as the read that found it described it:
    a copy resumed after a crash skips it while the source still says the same."""

    unit_id: str
    uid: str
    modified: str
    source_size: int  # as the read said (FileSize)
    size: int  # as copied
    versions: list[tuple[str, int]] = Field(default_factory=list)  # earlier versions: (blob, size)
    version_ids: list[int] = Field(default_factory=list)  # as the read listed them
    attachments: list[tuple[str, str, int]] = Field(default_factory=list)  # a list item's: (name, blob, size)


class SiteSync(Doc):
    """A (source site, destination site) pair's last pass: where the next one reads from."""

    org_id: str
    source_tenant_id: str
    dest_tenant_id: str
    source_site_url: str
    dest_site_url: str
    change_token: str | None = None  # None: the next pass reads everything
    retry_urls: list[str] = Field(default_factory=list)  # items that failed, read again next time
    last_job_id: str
    last_pass_at: str


class SiteTasks:
    def __init__(self, tasks: Collection, sync: Collection) -> None:
        self._tasks, self._sync = tasks, sync

    async def get(self, unit_id: str) -> SiteTask | None:
        doc = await self._tasks.get(unit_id)
        return None if doc is None else SiteTask.model_validate(doc)

    async def put(self, unit_id: str, task: SiteTask) -> None:
        await self._tasks.upsert(unit_id, task.to_doc())

    async def last_pass(self, key: str) -> SiteSync | None:
        doc = await self._sync.get(key)
        return None if doc is None else SiteSync.model_validate(doc)

    async def remember_pass(self, key: str, sync: SiteSync) -> None:
        await self._sync.upsert(key, sync.to_doc())
