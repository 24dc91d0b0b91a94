"""Two replicas of every service (``MIGRATOR_REPLICAS=2``; with compose, ``up --scale``): a job
ends as it does with one, and killing one replica of each in the middle of it loses nothing."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from migrator_devstack import infra
from migrator_devstack.secrets import new_api_key
from migrator_devstack.stack import SERVICES, Stack
from support import connect_contoso_and_fabrikam, post_job, wait_until

pytestmark = pytest.mark.e2e

SITES = ["https://contoso.sharepoint.com/sites/engineering", "https://contoso.sharepoint.com/sites/marketing"]


@pytest.fixture(scope="module")
def replicated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Two processes of every service on one bus and one store: a stack of its own (embedded),
    or the suite's compose stack scaled with `docker compose up --scale` and back again after."""
    if os.environ.get("MIGRATOR_E2E_TARGET") == "compose":
        stack = request.getfixturevalue("stack")
        organisation = next(request.getfixturevalue("unused_organisations"))
        stack.scale(2)
        try:
            replicas = copy.copy(stack)  # the same containers, as an organisation of its own
            replicas.api_key = organisation.key
            yield replicas
        finally:
            stack.scale(1)
        return
    data_dir: Path = tmp_path_factory.mktemp("replicas")
    env = {"MIGRATOR_BOOTSTRAP_KEYS": f"org_REP:{new_api_key()}", "MIGRATOR_ACK_WAIT_SECONDS": "6"}
    mongo = None
    if os.environ.get("MIGRATOR_E2E_STORE") == "mongo-wire":
        mongo = infra.start_mongo_wire(log_dir=data_dir / "logs", data_dir=data_dir / "mongo")
        env["MIGRATOR_MONGO_URL"] = mongo.urls["mongo"]
    stack = Stack(data_dir=data_dir, http_port=infra.free_port(), env=env, replicas=2)
    try:
        stack.start(timeout=180)
        yield stack
    finally:
        stack.stop()
        if mongo is not None:
            mongo.stop()


def client(stack: Stack, url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {stack.api_key}"}, timeout=30)


def job_state(api: httpx.Client, job_id: str) -> dict[str, Any]:
    return dict(api.get(f"/v1/jobs/{job_id}").json()["job"])


def expected(simulator: httpx.Client) -> dict[str, int]:
    """What one replica of everything makes of these sites: every item, minus the .tmp files
    the destination refuses (the single-replica suite asserts the same of each site)."""
    items = [i for site in SITES for i in simulator.get("/_sim/sites", params={"url": site}).json()["items"]]
    failed = sum(1 for i in items if i["path"].endswith(".tmp"))
    return {
        "totalItems": len(items),
        "doneItems": len(items) - failed,
        "errorItems": failed,
        "skippedItems": 0,
    }


def working_replica(stack: Stack, service: str, needle: str) -> str:
    """The replica of ``service`` whose log mentions ``needle`` (the one doing the work)."""
    for name in stack.replica_names(service):
        if needle in stack.procs[name].log_path.read_text(errors="replace"):
            return name
    return stack.replica_names(service)[0]


def test_two_replicas_of_everything_finish_a_job_as_one_would_though_one_of_each_is_killed(
    replicated: Stack,
) -> None:
    stack = replicated
    first, second = (client(stack, url) for url in stack.gateway_urls)
    simulator = httpx.Client(base_url=stack.procs["m365-simulator"].urls["base"], timeout=30)
    with first, second, simulator:
        tenants = connect_contoso_and_fabrikam(first, second)
        # Slow the copy down so the kills land in the middle of it.
        simulator.post("/_sim/faults", json={"objectDelayMs": 150}).raise_for_status()
        created = post_job(first, tenants, type="SHAREPOINT", options={"sites": SITES})
        assert created.status_code == 201, created.text
        job_id = created.json()["job"]["id"]
        wait_until(lambda: job_state(second, job_id)["doneItems"] > 0, timeout=120, what="progress")

        # One replica of each service dies at once, with no chance to finish anything: the
        # connector replica copying a site, the gateway the job was created through, and one
        # of each of the others.
        killed = [working_replica(stack, "sp-connector", job_id), "gateway"]
        killed += [stack.replica_names(s)[1] for s in SERVICES if s not in ("sp-connector", "gateway")]
        for name in killed:
            stack.kill_service(name)
        assert job_state(second, job_id)["status"] == "RUNNING", "the kills must land mid-job"
        simulator.delete("/_sim/faults").raise_for_status()

        final = wait_until(
            lambda: (s := job_state(second, job_id))["status"] in ("DONE", "ERROR") and s,
            timeout=240,
            what="the job to finish on the surviving replicas",
        )
        assert {k: final[k] for k in expected(simulator)} == expected(simulator), final
        assert final["status"] == "DONE"
        # Each site went through once: one unit per site, each DONE.
        sites = second.get(f"/v1/jobs/{job_id}/sites").json()["sites"]
        assert [s["status"] for s in sites] == ["DONE", "DONE"], sites
        assert sum(s["doneItems"] for s in sites) == final["doneItems"]
        # The job's log (kept by log-stream, one of whose replicas died) says it finished, once.
        exported = second.get(f"/v1/jobs/{job_id}/logs/export").text
        assert exported.count("Job finished: DONE") == 1, exported[-2000:]
