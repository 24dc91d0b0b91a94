"""A tenant's discoveries in the ``discovery_jobs`` read model, kept the same way by every connector
that discovers tenants: queued, running, then DONE (announced by ``TenantDiscovered``) or ERROR;
and the lists a discovery finds, replaced the same way too."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from migrator_contracts import ids, readmodels, subjects
from migrator_contracts.base import iso
from migrator_contracts.commands import DiscoverTenant
from migrator_contracts.enums import JobStatus
from migrator_contracts.events import TenantDiscovered
from migrator_readstore import ReadStore

from migrator_platform.bus import Publisher
from migrator_platform.ids import new_id
from migrator_platform.structured_logs import get_logger

log = get_logger(__name__)


async def queue_discovery(
    store: ReadStore, publisher: Publisher, *, subject: str, tenant_id: str, org_id: str
) -> str:
    """Record a QUEUED discovery as the tenant's latest and send its ``DiscoverTenant`` on
    ``subject`` (the discovering connector's); its id."""
    discovery_id = new_id(ids.DISCOVERY_JOB)
    queued = readmodels.DiscoveryJobDoc(
        id=discovery_id, tenant_id=tenant_id, org_id=org_id, status=JobStatus.QUEUED
    )
    await store.collection(readmodels.DISCOVERY_JOBS).insert(discovery_id, queued.to_doc())
    await store.collection(readmodels.TENANTS).update(tenant_id, {"latestDiscoveryJobId": discovery_id})
    command = DiscoverTenant(tenant_id=tenant_id, org_id=org_id, discovery_job_id=discovery_id)
    await publisher.publish(subject, command, msg_id=discovery_id)
    return discovery_id


@asynccontextmanager
async def running_discovery(store: ReadStore, cmd: DiscoverTenant) -> AsyncIterator[None]:
    """Mark the discovery RUNNING (from now) and the tenant's latest, then run the block; if the
    block raises, the discovery is ERROR and the exception goes on, so the consumer retries.

    The record is created here when the discovery was asked for on demand (the gateway sends the
    command without one) rather than queued by :func:`queue_discovery`."""
    jobs = store.collection(readmodels.DISCOVERY_JOBS)
    running = readmodels.DiscoveryJobDoc(
        id=cmd.discovery_job_id,
        tenant_id=cmd.tenant_id,
        org_id=cmd.org_id,
        status=JobStatus.RUNNING,
        started_at=iso(datetime.now(UTC)),
    )
    await jobs.upsert(cmd.discovery_job_id, running.to_doc())
    await store.collection(readmodels.TENANTS).update(
        cmd.tenant_id, {"latestDiscoveryJobId": cmd.discovery_job_id}
    )
    try:
        yield
    except Exception:
        await jobs.update(cmd.discovery_job_id, readmodels.DiscoveryJobDoc.as_stored(status=JobStatus.ERROR))
        raise


async def finish_discovery(
    store: ReadStore, publisher: Publisher, cmd: DiscoverTenant, *, at: datetime
) -> None:
    """The discovery is DONE at ``at``, and ``TenantDiscovered`` says so once however often this
    runs (its ``Nats-Msg-Id`` is the discovery's id)."""
    await store.collection(readmodels.DISCOVERY_JOBS).update(
        cmd.discovery_job_id,
        readmodels.DiscoveryJobDoc.as_stored(status=JobStatus.DONE, completed_at=iso(at)),
    )
    await publisher.publish(
        subjects.tenant_event(cmd.tenant_id, "TenantDiscovered"),
        TenantDiscovered(
            event_id=f"{cmd.discovery_job_id}:done",
            seq=int(at.timestamp()),
            occurred_at=at,
            tenant_id=cmd.tenant_id,
            org_id=cmd.org_id,
            discovery_job_id=cmd.discovery_job_id,
            status=JobStatus.DONE,
        ),
        msg_id=cmd.discovery_job_id,
    )


async def tenant_to_discover(store: ReadStore, cmd: DiscoverTenant) -> dict[str, Any] | None:
    """The tenant ``cmd`` asks to discover, or None (and a log line) when it is gone or belongs
    to another organisation: the command is then done with, not retried."""
    tenant = await store.collection(readmodels.TENANTS).get(cmd.tenant_id)
    if tenant is None or tenant.get("orgId") != cmd.org_id:
        log.warning("discovery of an unknown tenant skipped", tenant_id=cmd.tenant_id)
        return None
    return tenant


def found_by(cmd: DiscoverTenant) -> dict[str, str]:
    """What each document a discovery finds carries of it (``DiscoveredDoc``'s own fields)."""
    return {"tenant_id": cmd.tenant_id, "org_id": cmd.org_id, "discovery_job_id": cmd.discovery_job_id}


async def replace_discovered(
    store: ReadStore, collection: str, cmd: DiscoverTenant, docs: Iterable[readmodels.DiscoveredDoc]
) -> None:
    """The tenant's list in ``collection`` becomes ``docs`` (each keyed by its ``id``, made with
    :func:`found_by` this discovery): each is written in place first, then what this discovery did
    not see is deleted, so a reader never finds the list empty mid-discovery."""
    target = store.collection(collection)
    for doc in docs:
        if doc.discovery_job_id != cmd.discovery_job_id or doc.tenant_id != cmd.tenant_id:
            raise ValueError(f"{doc.id} was not found by discovery {cmd.discovery_job_id}")
        await target.upsert(doc.id, doc.to_doc())
    await target.delete_many({"tenantId": cmd.tenant_id, "discoveryJobId": {"$ne": cmd.discovery_job_id}})
    # And what was stored before discoveries stamped their id: real MongoDB's $ne would match
    # it, the wire-protocol server the tests use does not; both match None to a missing field.
    await target.delete_many({"tenantId": cmd.tenant_id, "discoveryJobId": None})
