"""Per-unit progress of a job: ``/v1/jobs/{id}/mailboxes`` (EMAIL), ``/sites`` (SHAREPOINT,
ONEDRIVE), ``/teams`` (TEAMS), ``/projects`` (JIRA), ``/spaces`` (CONFLUENCE), each a page of
units in the order they were planned (by id), and ``/checks`` (Atlassian's pre-migration checks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query
from migrator_contracts import readmodels
from migrator_contracts.enums import UnitStatus
from pydantic import BaseModel

from migrator_gateway.api import schemas
from migrator_gateway.api.cursor import CursorQuery, decode_id_cursor, encode_id_cursor
from migrator_gateway.api.deps import Caller, CallerDep
from migrator_gateway.api.routes.jobs import job_of_org
from migrator_gateway.api.views import shaped

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=schemas.COMMON_ERRORS)

D = TypeVar("D", bound=readmodels.DiscoveredDoc)
S = TypeVar("S", bound=BaseModel)
_DISCOVERED_COLLECTIONS: dict[type[readmodels.DiscoveredDoc], str] = {
    readmodels.DiscoveredUserDoc: readmodels.DISCOVERED_USERS,
    readmodels.DiscoveredTeamDoc: readmodels.DISCOVERED_TEAMS,
}


@dataclass
class UnitQuery:
    """The query every unit list takes: a status to filter on, and where the page starts."""

    status: UnitStatus | None = None
    limit: Annotated[int, Query(ge=1, le=200)] = 50
    cursor: CursorQuery = None


UnitQueryDep = Annotated[UnitQuery, Depends()]


async def _page(
    caller: Caller, job_id: str, kind: str, query: UnitQuery
) -> tuple[readmodels.JobDoc, list[readmodels.JobUnitDoc], str | None, bool]:
    job = await job_of_org(caller.store, caller.org_id, job_id)
    where: dict[str, Any] = {"jobId": job_id, "orgId": caller.org_id, "kind": kind}
    if query.status is not None:
        where["status"] = query.status.value
    if query.cursor:
        where["_id"] = {"$gt": decode_id_cursor(query.cursor)}
    units = await caller.store.collection(readmodels.JOB_UNITS).find(
        where, sort=[("_id", 1)], limit=query.limit + 1
    )
    page = [readmodels.JobUnitDoc.model_validate(u) for u in units[: query.limit]]
    has_more = len(units) > query.limit
    return job, page, (encode_id_cursor(page[-1].id) if has_more and page else None), has_more


def _row(model: type[S], unit: readmodels.JobUnitDoc, **shown: Any) -> S:
    """A unit's public row: its id, status, counters and times, and what its kind shows."""
    return shaped(model, unit.to_doc(), id=unit.id, **shown)


async def _discovered(
    caller: Caller, model: type[D], tenant_id: str, field: str, page: list[readmodels.JobUnitDoc]
) -> dict[str, D]:
    """The source tenant's discovered documents of the page's units, by ``field`` (lower-case)."""
    collection = _DISCOVERED_COLLECTIONS[model]
    docs = await caller.store.collection(collection).find(
        {"tenantId": tenant_id, field: {"$in": [u.source for u in page]}}
    )
    return {str(d[field]).lower(): model.model_validate(d) for d in docs}


@router.get("/{job_id}/mailboxes")
async def mailboxes(
    job_id: str,
    caller: CallerDep,
    query: UnitQueryDep,
) -> schemas.MailboxPage:
    """Each mailbox of an EMAIL job: source → destination, its item counts and its size."""
    job, page, next_cursor, has_more = await _page(caller, job_id, "mailbox", query)
    users = await _discovered(caller, readmodels.DiscoveredUserDoc, job.source_tenant_id, "upn", page)
    rows = []
    for unit in page:
        user = users.get(unit.source.lower())
        size = user.source_size_bytes if user else None
        row = _row(
            schemas.MailboxProgress, unit, email=unit.source, destEmail=unit.dest or None, sizeBytes=size
        )
        rows.append(row)
    return schemas.MailboxPage(mailboxes=rows, nextCursor=next_cursor, hasMore=has_more)


@router.get("/{job_id}/sites")
async def sites(
    job_id: str,
    caller: CallerDep,
    query: UnitQueryDep,
) -> schemas.SitePage:
    """Each site of a SHAREPOINT or ONEDRIVE job: source → destination and its item counts."""
    _, page, next_cursor, has_more = await _page(caller, job_id, "site", query)
    rows = [_row(schemas.SiteProgress, u, url=u.source, destUrl=u.dest or None) for u in page]
    return schemas.SitePage(sites=rows, nextCursor=next_cursor, hasMore=has_more)


@router.get("/{job_id}/teams")
async def teams(
    job_id: str,
    caller: CallerDep,
    query: UnitQueryDep,
) -> schemas.TeamPage:
    """Each team of a TEAMS job: source → destination team (null until known) and its counts."""
    job, page, next_cursor, has_more = await _page(caller, job_id, "team", query)
    found = await _discovered(caller, readmodels.DiscoveredTeamDoc, job.source_tenant_id, "teamId", page)
    rows = []
    for u in page:
        team = found.get(u.source.lower())
        name = team.name if team else None
        rows.append(_row(schemas.TeamProgress, u, teamId=u.source, name=name, destTeamId=u.dest or None))
    return schemas.TeamPage(teams=rows, nextCursor=next_cursor, hasMore=has_more)


async def _keys(
    caller: Caller, job_id: str, kind: str, query: UnitQuery
) -> tuple[list[schemas.KeyProgress], str | None, bool]:
    _, page, next_cursor, has_more = await _page(caller, job_id, kind, query)
    rows = [_row(schemas.KeyProgress, u, key=u.source) for u in page]
    return rows, next_cursor, has_more


@router.get("/{job_id}/projects")
async def projects(
    job_id: str,
    caller: CallerDep,
    query: UnitQueryDep,
) -> schemas.ProjectPage:
    """Each project of a JIRA job, its issues migrated or failed, and Atlassian's message."""
    rows, next_cursor, has_more = await _keys(caller, job_id, "project", query)
    return schemas.ProjectPage(projects=rows, nextCursor=next_cursor, hasMore=has_more)


@router.get("/{job_id}/spaces")
async def spaces(
    job_id: str,
    caller: CallerDep,
    query: UnitQueryDep,
) -> schemas.SpacePage:
    """Each space of a CONFLUENCE job, its pages migrated or failed, and Atlassian's message."""
    rows, next_cursor, has_more = await _keys(caller, job_id, "space", query)
    return schemas.SpacePage(spaces=rows, nextCursor=next_cursor, hasMore=has_more)


@router.get("/{job_id}/checks")
async def checks(job_id: str, caller: CallerDep) -> schemas.JobChecks:
    """Atlassian's pre-migration checks of a JIRA / CONFLUENCE job: each check's status,
    outcome and message (``status`` PENDING until they have run)."""
    await job_of_org(caller.store, caller.org_id, job_id)
    doc = await caller.store.collection(readmodels.JOB_CHECKS).get(job_id)
    checks = (
        readmodels.JobChecksDoc.model_validate(doc)
        if doc
        else readmodels.JobChecksDoc(job_id=job_id, org_id=caller.org_id)
    )
    return shaped(schemas.JobChecks, checks.to_doc())
