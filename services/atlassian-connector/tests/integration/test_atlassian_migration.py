"""atlassian-connector against the Atlassian simulator (the real simulator app, in-process): the
API client and status-tree reader (500 children read page by page exactly once, throttling
absorbed), then whole jobs through the runner: checks, a blocking check, an override, a dry run,
a failed project, and a connector killed mid-walk that resumes."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from atlassian_simulator.app import create_app
from atlassian_simulator.checks import CATALOGUE
from atlassian_simulator.config import SimSettings
from migrator_atlassian_connector.adapters.migration_api import MigrationApi, MigrationApiError, SiteBudget
from migrator_atlassian_connector.migration.job_state import AtlassianTask, UnitReport
from migrator_atlassian_connector.migration.runner import AtlassianMigration, Target
from migrator_atlassian_connector.migration.status_tree import Snapshot, check_results, migration_snapshot
from migrator_atlassian_connector.tenants.removal import forget_tenant
from migrator_contracts import readmodels
from migrator_contracts.atlassian_checks import NOT_EXCLUDABLE
from migrator_contracts.commands import AtlassianUnit, MigrateAtlassianScope
from migrator_contracts.enums import JobType, UnitStatus
from migrator_contracts.events import TenantRemoved, UnitProgressed
from migrator_platform.throttling import throttle_listener
from migrator_readstore.sqlite import SqliteReadStore

from .conftest import Recorder

pytestmark = pytest.mark.integration

SERVER_ID = "BSQ4-J2CB-XYZ1-ABCD"
REDIRECT = "http://migrator.example/v1/tenants/callback"


@dataclass
class Sim:
    control: httpx.AsyncClient
    api: MigrationApi
    status_reads: list[str]
    access_token: Callable[[bool], Awaitable[str]]


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    # Fast timings, and a read budget (the simulator's and ours) that lets a test poll freely.
    settings = SimSettings(
        check_seconds=0.05, items_per_second=1_000_000, apps_lag_seconds=0.1, reads_per_minute=100_000
    )
    app = create_app(settings)
    reads: list[str] = []

    async def count(request: httpx.Request) -> None:
        if request.url.path.endswith("/status"):
            reads.append(str(request.url))

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sim", event_hooks={"request": [count]}
    ) as http:
        token = await _consent(http, "acme.atlassian.net")

        async def access_token(renew: bool = False) -> str:
            return token

        api = MigrationApi(
            http,
            base_url="http://sim/api",
            access_token=access_token,
            budget=SiteBudget(reads_per_minute=100_000),
        )
        yield Sim(http, api, reads, access_token)


async def _consent(http: httpx.AsyncClient, site: str) -> str:
    consent = await http.get(
        "/auth/authorize",
        params={
            "audience": "api.atlassian.com",
            "client_id": "migrator-atlassian",
            "scope": "offline_access read:jira-work",
            "redirect_uri": REDIRECT,
            "state": "s",
            "response_type": "code",
            "prompt": "consent",
            "site": site,
        },
    )
    code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
    answer = await http.post(
        "/auth/oauth/token",
        json={
            "grant_type": "authorization_code",
            "client_id": "migrator-atlassian",
            "client_secret": "sim-secret",
            "code": code,
            "redirect_uri": REDIRECT,
        },
    )
    return str(answer.json()["access_token"])


def jira_job(keys: list[str]) -> dict[str, Any]:
    return {
        "flow": "jira-onpremises-to-cloud",
        "name": "wave 1",
        "source": {"serverId": SERVER_ID},
        "destination": {"url": "https://acme.atlassian.net"},
        "scope": {"projects": {"includedKeys": keys, "includedData": "all"}},
        "usersAndGroups": {"mode": "ALL"},
        "apps": {"includedKeys": []},
    }


async def finished_snapshot(sim: Sim, job_id: str, task_id: str, container: str) -> Snapshot:
    deadline = time.monotonic() + 30
    while True:
        snapshot = await migration_snapshot(sim.api, job_id, task_id, container)
        if snapshot.root.finished and snapshot.items and all(n.finished for n in snapshot.items.values()):
            return snapshot
        assert time.monotonic() < deadline, snapshot
        await asyncio.sleep(0.05)


async def test_a_jira_job_checks_then_migrates_and_reports_each_project(sim: Sim) -> None:
    await sim.control.post("/_sim/faults", json={"failKeys": ["BETA"]})
    await sim.control.post(
        "/_sim/checks",
        json={
            "flow": "jira",
            "outcomes": {"MissingAttachments": {"outcome": "WARNING", "message": "3 missing"}},
        },
    )
    job_id = await sim.api.create_job(jira_job(["ALPHA", "BETA", "GAMMA"]))
    check_id = await sim.api.create_task(job_id, "check")
    for _ in range(200):
        verdict, checks = await check_results(sim.api, job_id, check_id)
        if verdict is not None and verdict.finished:
            break
        await asyncio.sleep(0.02)
    assert verdict is not None and verdict.outcome == "WARNING"
    assert len(checks) == 22 and checks["MissingAttachments"].message == "3 missing"  # two pages of checks
    migrate_id = await sim.api.create_task(job_id, "migrate")
    await finished_snapshot(sim, job_id, migrate_id, "projects")
    snapshot = await migration_snapshot(sim.api, job_id, migrate_id, "projects", detail=True)
    assert {k: n.outcome for k, n in snapshot.items.items()} == {
        "ALPHA": "SUCCESS",
        "BETA": "FAILED",
        "GAMMA": "SUCCESS",
    }
    assert snapshot.items["BETA"].message and "usersAndGroups" in snapshot.scopes
    assert snapshot.checks["MissingAttachments"].outcome == "WARNING"


async def test_a_task_created_before_a_crash_is_adopted_not_created_again(sim: Sim) -> None:
    # A connector killed after Atlassian created its task, before it recorded the id: on the
    # redelivery it must follow that task, or the job would migrate twice.
    job_id = await sim.api.create_job(jira_job(["ALPHA"]))
    check_id = await sim.api.ensure_task(job_id, "check")
    lost_migrate_id = await sim.api.create_task(job_id, "migrate")
    assert await sim.api.ensure_task(job_id, "migrate") == lost_migrate_id
    assert await sim.api.ensure_task(job_id, "check") == check_id
    listed = (await sim.api.tasks(job_id))["data"]
    assert sorted(t["taskType"] for t in listed) == ["check", "migrate"]


async def test_every_child_of_a_500_project_node_is_read_once(sim: Sim) -> None:
    generated = await sim.control.post(
        f"/_sim/servers/{SERVER_ID}/generate", json={"projects": 500, "seed": 3}
    )
    keys = [k for k in generated.json()["projects"] if k not in ("ALPHA", "BETA", "GAMMA")][:500]
    assert len(keys) == 500
    job_id = await sim.api.create_job(jira_job(keys))
    migrate_id = await sim.api.create_task(job_id, "migrate")
    snapshot = await finished_snapshot(sim, job_id, migrate_id, "projects")
    sim.status_reads.clear()
    snapshot = await migration_snapshot(sim.api, job_id, migrate_id, "projects")
    assert sorted(snapshot.items) == sorted(keys)
    assert all(n.outcome == "SUCCESS" for n in snapshot.items.values())
    pages = [r for r in sim.status_reads if "migrate%2Cprojects" in r or "migrate,projects" in r]
    assert len(pages) == 25  # 20 children a page, each page read once


async def test_throttling_slows_calls_down_without_failing_them(sim: Sim) -> None:
    held_back: list[tuple[int, float | None]] = []
    throttle_listener.set(lambda status, wait, retry_after: held_back.append((status, retry_after)))
    await sim.control.post("/_sim/faults", json={"throttle": {"count": 2}})
    job_id = await sim.api.create_job(jira_job(["ALPHA"]))
    assert job_id and [status for status, _ in held_back] == [429, 429]
    assert all(retry_after is not None for _, retry_after in held_back)  # the simulator's Retry-After


async def test_creates_are_paced_to_the_sites_budget_before_atlassian_refuses_them(sim: Sim) -> None:
    budget = SiteBudget(creates_per_minute=2)
    api = MigrationApi(sim.control, base_url="http://sim/api", access_token=sim.access_token, budget=budget)
    for _ in range(2):
        await api.create_job(jira_job(["ALPHA"]))
    # The budget is spent: a third create would wait here rather than be sent and refused.
    assert not budget.job_creates.has_capacity() and budget.reads.has_capacity()
    assert budget.task_creates.has_capacity()  # each API group has its own budget


def test_the_checks_refused_at_job_creation_are_those_atlassian_never_marks_excludable() -> None:
    # The gateway refuses these overrides up front; the simulator (Atlassian here) must agree.
    for job_type, product in ((JobType.JIRA, "jira"), (JobType.CONFLUENCE, "confluence")):
        never = {name for name, (excludable, _) in CATALOGUE[product].items() if not excludable}
        assert never == NOT_EXCLUDABLE[job_type], job_type


async def test_a_refused_definition_names_atlassians_reason(sim: Sim) -> None:
    with pytest.raises(MigrationApiError) as refused:
        await sim.api.create_job(jira_job(["NOPE"]))
    assert refused.value.status == 400 and "KEY_NOT_FOUND" in str(refused.value)


# --- a whole job through the runner -------------------------------------------------------


def runner(
    sim: Sim, store: SqliteReadStore, recorder: Recorder, *, node_wait_seconds: float = 30.0
) -> AtlassianMigration:
    async def resolve(cmd: MigrateAtlassianScope) -> Target:
        return Target(api=sim.api, server_id=SERVER_ID, site_url="https://acme.atlassian.net")

    return AtlassianMigration(
        tasks=store.collection(readmodels.ATLASSIAN_TASKS),
        checks=store.collection(readmodels.JOB_CHECKS),
        publisher=recorder,
        resolve=resolve,
        poll_seconds=0.02,
        node_wait_seconds=node_wait_seconds,
    )


def scope(job_type: JobType, keys: dict[str, int], **extra: Any) -> MigrateAtlassianScope:
    return MigrateAtlassianScope(
        job_id="job_ATL1",
        org_id="org_A",
        job_type=job_type,
        source_tenant_id="ten_SRC",
        dest_tenant_id="ten_DST",
        units=[
            AtlassianUnit(unit_id=f"job_ATL1_{i}", key=k, total_items=n)
            for i, (k, n) in enumerate(keys.items())
        ],
        **extra,
    )


async def migration_jobs(sim: Sim) -> list[dict[str, Any]]:
    body = (await sim.control.get("/_sim/jobs")).json()
    return list(body["jobs"] if isinstance(body, dict) else body)


async def test_a_jira_job_runs_to_its_end_with_a_failed_project(sim: Sim, store: SqliteReadStore) -> None:
    await sim.control.post("/_sim/faults", json={"failKeys": ["BETA"]})
    await sim.control.post(
        "/_sim/checks",
        json={
            "flow": "jira",
            "outcomes": {"DatabaseSize": {"outcome": "WARNING", "message": "Large database"}},
        },
    )
    recorder = Recorder()
    await runner(sim, store, recorder).run(scope(JobType.JIRA, {"ALPHA": 120, "BETA": 45, "GAMMA": 300}))
    progress = recorder.progress()
    assert {p.unit_id: (p.status, p.done_items, p.error_items) for p in progress.values()} == {
        "job_ATL1_0": (UnitStatus.DONE, 120, 0),
        "job_ATL1_1": (UnitStatus.ERROR, 0, 45),
        "job_ATL1_2": (UnitStatus.DONE, 300, 0),
    }
    assert progress["job_ATL1_1"].message  # Atlassian's reason
    lines = recorder.lines()
    assert ("WARN", "Pre-migration check DatabaseSize: WARNING — Large database") in lines
    # A project's outcome is the UnitProgressed above; its line is log-stream's, never also ours.
    assert not [text for _, text in lines if text.startswith(("ALPHA", "BETA", "GAMMA"))]
    checks = await store.collection(readmodels.JOB_CHECKS).get("job_ATL1")
    assert checks is not None and checks["outcome"] == "WARNING" and len(checks["checks"]) == 22
    seqs = [m.seq for _, m in recorder.sent if isinstance(m, UnitProgressed)]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    # What the connector keeps is what its models declare (the gateway reads the checks by theirs).
    assert not readmodels.JobChecksDoc.undeclared(checks), readmodels.JobChecksDoc.undeclared(checks)
    assert not set().union(*(readmodels.CheckRow.undeclared(c) for c in checks["checks"]))
    state = await store.collection(readmodels.ATLASSIAN_TASKS).get("job_ATL1")
    assert state is not None and not AtlassianTask.undeclared(state), AtlassianTask.undeclared(state)
    assert not set().union(*(UnitReport.undeclared(u) for u in state["units"].values()))
    assert state["seq"] == seqs[-1]  # a resumed run goes on from the last report sent


async def test_a_project_atlassian_skips_is_skipped_with_its_reason_never_migrated(
    sim: Sim, store: SqliteReadStore
) -> None:
    await sim.control.post("/_sim/faults", json={"skipKeys": ["BETA"]})
    recorder = Recorder()
    await runner(sim, store, recorder).run(scope(JobType.JIRA, {"ALPHA": 120, "BETA": 45}))
    progress = recorder.progress()
    beta = progress["job_ATL1_1"]
    assert (beta.status, beta.done_items, beta.error_items, beta.skipped_items) == (UnitStatus.DONE, 0, 0, 45)
    assert beta.skipped_reason == beta.message == "Project BETA already exists on the destination site"
    alpha = progress["job_ATL1_0"]
    assert (alpha.done_items, alpha.skipped_items, alpha.skipped_reason) == (120, 0, None)
    landed = (await sim.control.get("/_sim/sites/acme.atlassian.net")).json()["projects"]
    assert [p["key"] for p in landed] == ["ALPHA"]  # nothing of BETA moved


async def test_a_projects_count_never_steps_back_between_its_export_and_import_phases(
    sim: Sim, store: SqliteReadStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sim.control.post("/_sim/faults", json={"itemsPerSecond": 300})  # ALPHA: 0.8 s a phase
    shown: list[tuple[str, int]] = []  # (phase, processed) as Atlassian showed ALPHA's progress
    read = sim.api.status

    async def status(job_id: str, task_id: str, **query: Any) -> dict[str, Any]:
        page = await read(job_id, task_id, **query)
        alpha = ((page.get("data") or {}).get("children") or {}).get("ALPHA") or {}
        for d in (alpha.get("progressDetails") or {}).get("data") or []:
            shown.append((d["name"], d["processed"]))
        return page

    monkeypatch.setattr(sim.api, "status", status)
    recorder = Recorder()
    await runner(sim, store, recorder).run(scope(JobType.JIRA, {"ALPHA": 240}))
    # Atlassian's count went back to zero when ALPHA moved from export to import...
    phases = [name for name, _ in shown]
    assert "Issues - export" in phases and "Issues - import" in phases
    assert any(later < earlier for (_, earlier), (_, later) in itertools.pairwise(shown))
    # ...but the job's never did.
    counts = [m.done_items for _, m in recorder.sent if isinstance(m, UnitProgressed)]
    assert counts == sorted(counts) and counts[-1] == 240 and len(counts) > 3, counts


async def test_a_migration_atlassian_cannot_schedule_fails_with_its_check_levels_error(
    sim: Sim, store: SqliteReadStore
) -> None:
    await sim.control.post("/_sim/faults", json={"unscheduled": "Another migration holds the cloud site"})
    recorder = Recorder()
    await runner(sim, store, recorder).run(scope(JobType.CONFLUENCE, {"ENG": 80, "HR": 25}))
    reason = "Atlassian could not schedule the migration: Another migration holds the cloud site"
    assert {p.unit_id: (p.status, p.done_items, p.message) for p in recorder.progress().values()} == {
        "job_ATL1_0": (UnitStatus.ERROR, 0, reason),
        "job_ATL1_1": (UnitStatus.ERROR, 0, reason),
    }
    assert ("ERROR", reason) in recorder.lines()
    assert (await sim.control.get("/_sim/sites/acme.atlassian.net")).json()["spaces"] == []


async def test_a_project_whose_node_never_appears_fails_by_name_after_a_bounded_wait(
    sim: Sim, store: SqliteReadStore
) -> None:
    await sim.control.post("/_sim/faults", json={"hideKeys": ["BETA"]})
    recorder = Recorder()
    following = runner(sim, store, recorder, node_wait_seconds=0.3)
    await asyncio.wait_for(following.run(scope(JobType.JIRA, {"ALPHA": 120, "BETA": 45})), 30)
    progress = recorder.progress()
    assert (progress["job_ATL1_0"].status, progress["job_ATL1_0"].done_items) == (UnitStatus.DONE, 120)
    beta = progress["job_ATL1_1"]
    assert (beta.status, beta.done_items, beta.error_items) == (UnitStatus.ERROR, 0, 45)
    assert (beta.message or "").startswith("Atlassian never reported an outcome for BETA (")
    assert "the migration ended SUCCESS" in (beta.message or "")
    state = await store.collection(readmodels.ATLASSIAN_TASKS).get("job_ATL1")
    assert state is not None and state["finishedAt"] and state["scheduled"] is True


async def test_a_failed_blocking_check_stops_the_job_before_migrate(sim: Sim, store: SqliteReadStore) -> None:
    await sim.control.post(
        "/_sim/checks",
        json={
            "flow": "jira",
            "outcomes": {
                "CloudFreeUserLimit": {"outcome": "FAILED", "message": "Too many users", "excludable": True}
            },
        },
    )
    recorder = Recorder()
    await runner(sim, store, recorder).run(scope(JobType.JIRA, {"ALPHA": 120}))
    (report,) = recorder.progress().values()
    assert report.status is UnitStatus.ERROR and "CloudFreeUserLimit" in (report.message or "")
    assert ("ERROR", "Pre-migration check CloudFreeUserLimit: FAILED — Too many users") in recorder.lines()
    (job,) = await migration_jobs(sim)
    assert [t["taskType"] for t in job["tasks"]] == ["check"]  # never migrated


async def test_an_overridden_check_lets_the_job_migrate(sim: Sim, store: SqliteReadStore) -> None:
    await sim.control.post(
        "/_sim/checks",
        json={
            "flow": "jira",
            "outcomes": {
                "CloudFreeUserLimit": {"outcome": "FAILED", "message": "Too many users", "excludable": True}
            },
        },
    )
    recorder = Recorder()
    await runner(sim, store, recorder).run(
        scope(JobType.JIRA, {"ALPHA": 120}, override_checks=["CloudFreeUserLimit"])
    )
    (report,) = recorder.progress().values()
    assert report.status is UnitStatus.DONE and report.done_items == 120
    assert (
        "WARN",
        "Pre-migration check CloudFreeUserLimit: FAILED (overridden) — Too many users",
    ) in recorder.lines()


async def test_an_override_of_a_check_atlassian_does_not_let_be_excluded_stops_the_job(
    sim: Sim, store: SqliteReadStore
) -> None:
    await sim.control.post(
        "/_sim/checks",
        json={
            "flow": "jira",
            "outcomes": {
                "CloudFreeUserLimit": {"outcome": "FAILED", "message": "Too many users", "excludable": False}
            },
        },
    )
    recorder = Recorder()
    await runner(sim, store, recorder).run(
        scope(JobType.JIRA, {"ALPHA": 120}, override_checks=["CloudFreeUserLimit"])
    )
    (report,) = recorder.progress().values()
    assert report.status is UnitStatus.ERROR and report.done_items == 0
    assert report.message == (
        "Pre-migration check failed: CloudFreeUserLimit (Too many users); "
        "CloudFreeUserLimit cannot be overridden (not excludable)"
    )
    assert ("ERROR", "Pre-migration check CloudFreeUserLimit: FAILED — Too many users") in recorder.lines()
    checks = await store.collection(readmodels.JOB_CHECKS).get("job_ATL1")
    assert checks is not None
    assert [c["overridden"] for c in checks["checks"] if c["name"] == "CloudFreeUserLimit"] == [False]
    assert (await sim.control.get("/_sim/sites/acme.atlassian.net")).json()["projects"] == []


async def test_a_dry_run_stops_after_the_checks(sim: Sim, store: SqliteReadStore) -> None:
    recorder = Recorder()
    await runner(sim, store, recorder).run(scope(JobType.CONFLUENCE, {"ENG": 80}, dry_run=True))
    (report,) = recorder.progress().values()
    assert report.status is UnitStatus.DONE and report.message == "Checks passed (dry run)"
    (job,) = await migration_jobs(sim)
    assert [t["taskType"] for t in job["tasks"]] == ["check"]
    assert (await sim.control.get("/_sim/sites/acme.atlassian.net")).json()["spaces"] == []


async def test_a_connector_killed_mid_walk_resumes_without_a_second_migration(
    sim: Sim, store: SqliteReadStore
) -> None:
    await sim.control.post("/_sim/faults", json={"itemsPerSecond": 200})  # slow enough to stop it mid-way
    first = Recorder()
    running = asyncio.create_task(
        runner(sim, store, first).run(scope(JobType.CONFLUENCE, {"ENG": 80, "HR": 25}))
    )
    for _ in range(500):
        state = await store.collection(readmodels.ATLASSIAN_TASKS).get("job_ATL1")
        if state and state.get("migrateTaskId"):
            break
        await asyncio.sleep(0.01)
    running.cancel()  # the replica dies mid-walk
    with pytest.raises(asyncio.CancelledError):
        await running
    second = Recorder()
    await runner(sim, store, second).run(scope(JobType.CONFLUENCE, {"ENG": 80, "HR": 25}))
    assert {p.status for p in second.progress().values()} == {UnitStatus.DONE}
    (job,) = await migration_jobs(sim)
    assert sorted(t["taskType"] for t in job["tasks"]) == ["check", "migrate"]  # nothing created twice
    first_seqs = [m.seq for _, m in first.sent if isinstance(m, UnitProgressed)]
    second_seqs = [m.seq for _, m in second.sent if isinstance(m, UnitProgressed)]
    assert not first_seqs or min(second_seqs) > max(first_seqs)  # the sequence went on
    spaces = (await sim.control.get("/_sim/sites/acme.atlassian.net")).json()["spaces"]
    assert {s["key"]: s["pageCount"] for s in spaces} == {"ENG": 80, "HR": 25}


async def test_a_removed_tenant_leaves_no_tokens_or_discovery_behind(store: SqliteReadStore) -> None:
    secrets = store.collection(readmodels.ATLASSIAN_SECRETS)
    await secrets.upsert("ten_SRV", {"orgId": "org_A", "sealed": "…"})
    await secrets.upsert("ten_KEEP", {"orgId": "org_A", "sealed": "…"})
    for name in (readmodels.DISCOVERED_PROJECTS, readmodels.DISCOVERED_SPACES):
        await store.collection(name).upsert("ten_SRV:K", {"tenantId": "ten_SRV", "key": "K"})
    removed = TenantRemoved(
        event_id="e1", seq=1, occurred_at=datetime.now(UTC), tenant_id="ten_SRV", org_id="org_A"
    )
    await forget_tenant(store, removed)
    await forget_tenant(store, removed)  # redelivered: nothing left, nothing fails
    assert await secrets.get("ten_SRV") is None and await secrets.get("ten_KEEP") is not None
    for name in (readmodels.DISCOVERED_PROJECTS, readmodels.DISCOVERED_SPACES):
        assert await store.collection(name).count({"tenantId": "ten_SRV"}) == 0
    other_org = TenantRemoved(
        event_id="e2", seq=1, occurred_at=datetime.now(UTC), tenant_id="ten_KEEP", org_id="org_B"
    )
    await forget_tenant(store, other_org)
    assert await secrets.get("ten_KEEP") is not None  # another organisation's event changes nothing
