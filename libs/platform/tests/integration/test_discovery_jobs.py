"""A tenant's discoveries in the read store and on real NATS: queued, running, DONE announced once,
ERROR; the lists they find replaced in place; another organisation's tenant left alone."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.nats import NatsBroker
from migrator_contracts import readmodels, subjects
from migrator_contracts.commands import DiscoverTenant
from migrator_contracts.streams import ALL_STREAMS
from migrator_platform.bus import BusPublisher
from migrator_platform.discovery_jobs import (
    finish_discovery,
    found_by,
    queue_discovery,
    replace_discovered,
    running_discovery,
    tenant_to_discover,
)
from migrator_readstore import ReadStore
from nats.js.errors import NotFoundError

pytestmark = pytest.mark.integration

ORG = "org_1"


@pytest.fixture
async def tenant(store: ReadStore) -> str:
    """A connected tenant of its own (the NATS server is shared by the module's tests)."""
    tenant_id = f"ten_{uuid.uuid4().hex[:12]}"
    await store.collection(readmodels.TENANTS).insert(
        tenant_id, {"id": tenant_id, "orgId": ORG, "domain": "contoso.com", "latestDiscoveryJobId": None}
    )
    return tenant_id


def discovery(tenant_id: str) -> DiscoverTenant:
    """A DiscoverTenant as the gateway sends it on demand: no record queued for it."""
    return DiscoverTenant(tenant_id=tenant_id, org_id=ORG, discovery_job_id=f"dis_{uuid.uuid4().hex[:12]}")


async def sent(broker: NatsBroker, subject: str) -> list[tuple[str, dict[str, Any]]]:
    """(Nats-Msg-Id, body) of what JetStream holds on ``subject``, oldest first (read by sequence:
    the command stream is a work queue, which takes no ordered consumer)."""
    js = broker.connection.jetstream()
    stream = next(s.name for s in ALL_STREAMS if subject.startswith(s.subjects[0].rstrip(">")))
    found, seq = [], 1
    while True:
        try:
            msg = await js.get_msg(stream, seq=seq, subject=subject, next=True)
        except NotFoundError:
            return found
        found.append(((msg.headers or {}).get("Nats-Msg-Id", ""), json.loads(msg.data or b"")))
        seq = (msg.seq or 0) + 1


async def job(store: ReadStore, discovery_id: str) -> dict[str, Any]:
    found = await store.collection(readmodels.DISCOVERY_JOBS).get(discovery_id)
    assert found is not None, discovery_id
    return found


async def latest(store: ReadStore, tenant_id: str) -> str | None:
    found = await store.collection(readmodels.TENANTS).get(tenant_id)
    assert found is not None
    return found["latestDiscoveryJobId"]


async def test_a_queued_discovery_is_recorded_as_the_tenants_latest_and_asked_for_on_the_given_subject(
    store: ReadStore, broker: NatsBroker, tenant: str
) -> None:
    subject = subjects.CMD_ATLASSIAN_DISCOVER  # whichever connector discovers the tenant

    discovery_id = await queue_discovery(
        store, BusPublisher(broker), subject=subject, tenant_id=tenant, org_id=ORG
    )

    assert discovery_id.startswith("dis_")
    record = await job(store, discovery_id)
    assert {k: record[k] for k in ("id", "tenantId", "orgId", "status", "startedAt", "completedAt")} == {
        "id": discovery_id,
        "tenantId": tenant,
        "orgId": ORG,
        "status": "QUEUED",
        "startedAt": None,
        "completedAt": None,
    }
    assert await latest(store, tenant) == discovery_id
    asked = [(msg_id, body) for msg_id, body in await sent(broker, subject) if body["tenantId"] == tenant]
    assert asked == [(discovery_id, {"tenantId": tenant, "orgId": ORG, "discoveryJobId": discovery_id})]


async def test_a_discovery_runs_then_ends_done_and_is_announced_once_however_often_it_finishes(
    store: ReadStore, broker: NatsBroker, tenant: str
) -> None:
    cmd, publisher = discovery(tenant), BusPublisher(broker)
    at = datetime(2026, 5, 9, 8, 0, 30, tzinfo=UTC)

    async with running_discovery(store, cmd):
        during = await job(store, cmd.discovery_job_id)
        assert (during["status"], during["completedAt"]) == ("RUNNING", None) and during["startedAt"]
        assert await latest(store, tenant) == cmd.discovery_job_id  # an on-demand discovery too
    await finish_discovery(store, publisher, cmd, at=at)
    await finish_discovery(store, publisher, cmd, at=at)  # the command redelivered after its end

    done = await job(store, cmd.discovery_job_id)
    assert (done["status"], done["completedAt"], done["startedAt"]) == (
        "DONE",
        "2026-05-09T08:00:30Z",
        during["startedAt"],
    )
    ((msg_id, event),) = await sent(broker, subjects.tenant_event(tenant, "TenantDiscovered"))
    assert msg_id == cmd.discovery_job_id
    assert event == {
        "eventId": f"{cmd.discovery_job_id}:done",
        "seq": int(at.timestamp()),
        "occurredAt": "2026-05-09T08:00:30Z",
        "tenantId": tenant,
        "orgId": ORG,
        "discoveryJobId": cmd.discovery_job_id,
        "status": "DONE",
    }


class GraphDown(Exception):
    pass


async def test_a_discovery_that_fails_is_recorded_error_and_its_failure_goes_on_to_the_consumer(
    store: ReadStore, broker: NatsBroker, tenant: str
) -> None:
    cmd = discovery(tenant)

    with pytest.raises(GraphDown):  # the consumer sees it, and retries the command
        async with running_discovery(store, cmd):
            raise GraphDown("503")

    failed = await job(store, cmd.discovery_job_id)
    assert (failed["status"], failed["completedAt"]) == ("ERROR", None)
    assert await sent(broker, subjects.tenant_event(tenant, "TenantDiscovered")) == []

    async with running_discovery(store, cmd):  # the retry
        assert (await job(store, cmd.discovery_job_id))["status"] == "RUNNING"
    await finish_discovery(store, BusPublisher(broker), cmd, at=datetime.now(UTC))
    assert (await job(store, cmd.discovery_job_id))["status"] == "DONE"


async def test_a_discoverys_list_replaces_the_last_in_place_and_a_failed_one_leaves_it_whole(
    store: ReadStore, tenant: str
) -> None:
    sites = store.collection(readmodels.DISCOVERED_SITES)

    def site(cmd: DiscoverTenant, site_id: str, size: int) -> readmodels.DiscoveredSiteDoc:
        return readmodels.DiscoveredSiteDoc(
            **found_by(cmd), id=site_id, site_id=site_id, url=f"https://x/{site_id}", size_bytes=str(size)
        )

    first = discovery(tenant)
    await replace_discovered(
        store, readmodels.DISCOVERED_SITES, first, [site(first, "a", 1), site(first, "b", 1)]
    )
    await sites.insert("other", {"id": "other", "tenantId": "ten_other", "orgId": ORG})  # another tenant's
    await sites.insert("old", {"id": "old", "tenantId": tenant, "orgId": ORG})  # stored before discovery ids

    async def listed() -> dict[str, Any]:
        return {d["id"]: d.get("sizeBytes") for d in await sites.find({"tenantId": tenant})}

    broken = discovery(tenant)

    def breaks_after_one() -> Iterator[readmodels.DiscoveredSiteDoc]:
        yield site(broken, "b", 2)
        raise GraphDown("503")

    with pytest.raises(GraphDown):
        await replace_discovered(store, readmodels.DISCOVERED_SITES, broken, breaks_after_one())
    assert await listed() == {"a": "1", "b": "2", "old": None}  # nothing the last one found is missing

    again = discovery(tenant)
    await replace_discovered(
        store, readmodels.DISCOVERED_SITES, again, [site(again, "b", 3), site(again, "c", 3)]
    )
    assert await listed() == {"b": "3", "c": "3"}
    c = await sites.get("c")
    assert c is not None and (c["tenantId"], c["orgId"], c["discoveryJobId"]) == (
        tenant,
        ORG,
        again.discovery_job_id,
    )
    assert await sites.get("other") is not None
    with pytest.raises(ValueError, match="not found by discovery"):  # stamped by another: a mix-up
        await replace_discovered(store, readmodels.DISCOVERED_SITES, discovery(tenant), [site(again, "d", 1)])
    assert await listed() == {"b": "3", "c": "3"}


async def test_a_tenant_gone_or_of_another_organisation_is_not_discovered(
    store: ReadStore, tenant: str
) -> None:
    assert (await tenant_to_discover(store, discovery(tenant)) or {}).get("id") == tenant
    foreign = DiscoverTenant(tenant_id=tenant, org_id="org_other", discovery_job_id="dis_x")
    assert await tenant_to_discover(store, foreign) is None
    assert await tenant_to_discover(store, discovery("ten_gone")) is None
