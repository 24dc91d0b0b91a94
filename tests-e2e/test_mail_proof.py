"""The mail fidelity proof: many mailboxes, throttling and faults on, every item accounted for.

Twenty mailboxes migrated in four waves (one batch request), with the simulator throttling at
random across the board and per mailbox, some items unexportable and some import sessions
expiring mid-mailbox. After it, every destination mailbox equals its source (folder paths, item
count, sizes, content hashes) minus exactly the items the jobs' logs name as failed; a second
batch moves nothing; an added and a changed item move exactly those two.

`make test` runs it on MIGRATOR_MAIL_PROOF_ITEMS=1200; `make mail-proof` on 50,000.
"""

from __future__ import annotations

import csv
import io
import os
from typing import Any

import httpx
import pytest
from fidelity import mailbox_difference
from support import wait_until

pytestmark = pytest.mark.e2e

ITEMS = int(os.environ.get("MIGRATOR_MAIL_PROOF_ITEMS", "1200"))
MAILBOXES, WAVES = 20, 4


def mailbox(simulator: httpx.Client, upn: str) -> dict[str, Any]:
    return dict(simulator.get("/_sim/mailboxes", params={"upn": upn}, timeout=120).json())


def rediscover(api: httpx.Client, tenant: str) -> None:
    discovery = api.post(f"/v1/tenants/{tenant}/discover").json()["latestJob"]["id"]
    wait_until(
        lambda: (
            (u := api.get(f"/v1/tenants/{tenant}/users").json()["latestJob"])["id"] == discovery
            and u["status"] == "DONE"
        ),
        timeout=120,
        what="rediscovery",
    )


def run_waves(
    api: httpx.Client, tenants: dict[str, str], upns: list[str], timeout: float
) -> list[dict[str, Any]]:
    per_wave = len(upns) // WAVES
    body = {
        "sourceTenantId": tenants["contoso.com"],
        "destTenantId": tenants["fabrikam.com"],
        "type": "EMAIL",
        "batches": [
            {"name": f"Proof wave {w + 1}", "options": {"mailboxes": upns[w * per_wave : (w + 1) * per_wave]}}
            for w in range(WAVES)
        ],
    }
    created = api.post("/v1/jobs/batch", json=body)
    assert created.status_code == 201, created.text
    jobs = []
    for job_id in created.json()["jobIds"]:
        jobs.append(
            wait_until(
                lambda j=job_id: (
                    (s := api.get(f"/v1/jobs/{j}").json()["job"])["status"] in ("DONE", "ERROR") and s
                ),
                timeout=timeout,
                what=f"wave {job_id} to finish",
            )
        )
    return jobs


def failed_by_mailbox(api: httpx.Client, job_ids: list[str]) -> dict[str, set[str]]:
    failed: dict[str, set[str]] = {}
    for job_id in job_ids:
        for row in csv.DictReader(io.StringIO(api.get(f"/v1/jobs/{job_id}/logs/export").text)):
            if row["level"] == "ERROR" and "@contoso.com/" in row["message"]:
                item = row["message"].split(" — ", 1)[0]
                failed.setdefault(item.split("/", 1)[0], set()).add(item.rsplit("/", 1)[1])
    return failed


def test_mailboxes_arrive_whole_under_faults_then_only_changes_move(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    upns = [f"proof{i:02d}@contoso.com" for i in range(MAILBOXES)]
    for i, upn in enumerate(upns):
        for who, items in ((upn, ITEMS // MAILBOXES), (upn.replace("contoso", "fabrikam"), 0)):
            made = simulator.post(
                "/_sim/mailboxes", json={"upn": who, "items": items, "seed": 100 + i, "folders": 8}
            )
            assert made.json()["ok"], made.text
    for tenant in tenants.values():
        rediscover(api, tenant)
    simulator.delete("/_sim/faults")
    simulator.post(
        "/_sim/faults",
        json={
            "throttle": {"rate": 0.01, "retryAfter": 1},
            "throttleMailboxes": {upns[1]: 3, upns[6]: 2},
            "mailboxRequestsPerSecond": 200,
            "unexportableItems": {upns[2]: 37, upns[9]: 53},
            "importSessionMaxImports": {upns[3].replace("contoso", "fabrikam"): 25},
        },
    ).raise_for_status()
    try:
        jobs = run_waves(api, tenants, upns, timeout=max(300, ITEMS / 20))
    finally:
        simulator.delete("/_sim/faults")
    assert [j["status"] for j in jobs] == ["DONE"] * WAVES
    failed = failed_by_mailbox(api, [j["id"] for j in jobs])
    assert set(failed) == {upns[2], upns[9]}, "only the unexportable items failed"
    assert sum(j["errorItems"] for j in jobs) == sum(len(f) for f in failed.values())
    assert sum(j["doneItems"] + j["errorItems"] for j in jobs) == sum(j["totalItems"] for j in jobs) >= ITEMS
    for upn in upns:
        source, dest = mailbox(simulator, upn), mailbox(simulator, upn.replace("contoso", "fabrikam"))
        assert mailbox_difference(source, dest, failed=failed.get(upn, set())) == ({}, {}), upn

    again = run_waves(api, tenants, upns, timeout=300)
    assert sum(j["doneItems"] for j in again) == sum(len(f) for f in failed.values()), (
        "a second pass moves nothing but what failed before (now exportable)"
    )
    for upn in upns:
        source, dest = mailbox(simulator, upn), mailbox(simulator, upn.replace("contoso", "fabrikam"))
        assert mailbox_difference(source, dest) == ({}, {}), upn

    changed = next(f["items"][0]["id"] for f in mailbox(simulator, upns[0])["folders"] if f["items"])
    simulator.post(
        "/_sim/mailboxes/changes",
        params={"upn": upns[0]},
        json={"add": [{"folder": "Inbox", "size": 4096}], "change": [changed]},
    ).raise_for_status()
    third = run_waves(api, tenants, upns, timeout=300)
    assert sum(j["doneItems"] for j in third) == 2 and sum(j["totalItems"] for j in third) == 2
    source, dest = mailbox(simulator, upns[0]), mailbox(simulator, upns[0].replace("contoso", "fabrikam"))
    assert mailbox_difference(source, dest) == ({}, {})
