"""A tenant's discoveries in the ``discovery_jobs`` read model, kept the same way by every connector
that discovers tenants: queued, running, then DONE (announced by ``TenantDiscovered``) or ERROR."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from migrator_contracts import ids, readmodels, subjects
from migrator_contracts.base import iso
from migrator_contracts.commands import DiscoverTenant
from migrator_contracts.enums import JobStatus
from migrator_contracts.events import TenantDiscovered

from migrator_platform.bus import Publisher
from migrator_platform.ids import new_id
from migrator_platform.readstore import ReadStore


async def queue_discovery(
    store: ReadStore, publisher: Publisher, *, subject: str, tenant_id: str, org_id: str
) -> str:
    """Record a QUEUED discovery as the tenant's latest and send its ``DiscoverTenant`` on
    ``subject`` (the discovering connector's); its id."""
    discovery_id = new_id(ids.DISCOVERY_JOB)
    await store.collection(readmodels.DISCOVERY_JOBS).insert(
        discovery_id,
        {
            "id": discovery_id,
            "tenantId": tenant_id,
            "orgId": org_id,
            "status": JobStatus.QUEUED.value,
            "startedAt": None,
            "completedAt": None,
        },
    )
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
    await jobs.upsert(
        cmd.discovery_job_id,
        {
            "id": cmd.discovery_job_id,
            "tenantId": cmd.tenant_id,
            "orgId": cmd.org_id,
            "status": JobStatus.RUNNING.value,
            "startedAt": iso(datetime.now(UTC)),
            "completedAt": None,
        },
    )
    await store.collection(readmodels.TENANTS).update(
        cmd.tenant_id, {"latestDiscoveryJobId": cmd.discovery_job_id}
    )
    try:
        yield
    except Exception:
        await jobs.update(cmd.discovery_job_id, {"status": JobStatus.ERROR.value})
        raise


async def finish_discovery(
    store: ReadStore, publisher: Publisher, cmd: DiscoverTenant, *, at: datetime
) -> None:
    """The discovery is DONE at ``at``, and ``TenantDiscovered`` says so once however often this
    runs (its ``Nats-Msg-Id`` is the discovery's id)."""
    await store.collection(readmodels.DISCOVERY_JOBS).update(
        cmd.discovery_job_id, {"status": JobStatus.DONE.value, "completedAt": iso(at)}
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
