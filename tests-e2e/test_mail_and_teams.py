"""EMAIL and TEAMS jobs through the public API, as a partner runs them: per-mailbox and per-team
rows, the live log to its `done`, the CSV, and both sides of the simulator compared after."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest
from fidelity import mailbox_difference, namesake, thread_shape
from migrator_devstack.stack import Stack
from support import create_job, post_job, wait_until

pytestmark = pytest.mark.e2e

# Seeded contoso.com users (each has a namesake at fabrikam.com); each test takes its own.
THROTTLED, FAULTY, FORBIDDEN = (
    "wei.garcia4@contoso.com",
    "olga.khan5@contoso.com",
    "sven.ivanova6@contoso.com",
)


def mailbox(simulator: httpx.Client, upn: str) -> dict[str, Any]:
    return dict(simulator.get("/_sim/mailboxes", params={"upn": upn}).json())


def team(simulator: httpx.Client, domain: str, name: str) -> dict[str, Any]:
    return dict(simulator.get("/_sim/teams", params={"domain": domain, "name": name}).json())


def follow_log(
    api: httpx.Client, job_id: str, timeout: float = 180
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The job's live log read to its ``done`` event: (log lines, the done event's data)."""
    lines: list[dict[str, Any]] = []
    event = ""
    with api.stream(
        "GET", f"/v1/jobs/{job_id}/logs", headers={"Accept": "text/event-stream"}, timeout=timeout
    ) as stream:
        assert stream.status_code == 200
        for raw in stream.iter_lines():
            if raw.startswith("event: "):
                event = raw.removeprefix("event: ")
            elif raw.startswith("data: ") and event == "log":
                lines.append(json.loads(raw.removeprefix("data: ")))
            elif raw.startswith("data: ") and event == "done":
                return lines, json.loads(raw.removeprefix("data: "))
    raise AssertionError("the stream closed without a done event")


def failed_items(lines: list[dict[str, Any]], upn: str) -> set[str]:
    """Source item ids the log names as failed for this mailbox."""
    urls = [line.get("fields", {}).get("itemUrl", "") for line in lines if line["level"] == "ERROR"]
    return {url.rsplit("/", 1)[1] for url in urls if url.startswith(f"{upn}/")}


def test_an_email_job_moves_each_mailbox_and_says_what_failed_in_the_references_words(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    simulator.post(
        "/_sim/faults",
        json={
            "throttleMailboxes": {THROTTLED: 2},
            "retryAfter": 1,
            "unexportableItems": {FAULTY: 9},
            "forbiddenMailboxes": [FORBIDDEN],
        },
    ).raise_for_status()
    job = create_job(api, tenants, type="EMAIL", options={"mailboxes": [THROTTLED, FAULTY, FORBIDDEN]})
    assert job["scope"] == {"email": True, "calendar": True, "contacts": True}, (
        "an omitted scope is all three"
    )
    lines, done = follow_log(api, job["id"])
    assert done["status"] == "DONE" and done["completedAt"]
    messages = [line["message"] for line in lines]

    rows = api.get(f"/v1/jobs/{job['id']}/mailboxes").json()
    assert [(r["email"], r["destEmail"], r["status"]) for r in rows["mailboxes"]] == [
        (THROTTLED, namesake("fabrikam.com")(THROTTLED), "DONE"),
        (FAULTY, namesake("fabrikam.com")(FAULTY), "DONE"),
        (FORBIDDEN, namesake("fabrikam.com")(FORBIDDEN), "ERROR"),
    ]
    first = rows["mailboxes"][0]
    assert list(first) == [
        "id",
        "email",
        "destEmail",
        "status",
        "totalItems",
        "doneItems",
        "errorItems",
        "sizeBytes",
        "startedAt",
        "completedAt",
    ]
    assert all(
        r["id"].startswith("mbp_") and r["startedAt"] and r["completedAt"] for r in rows["mailboxes"][:2]
    )
    assert rows["hasMore"] is False and rows["nextCursor"] is None
    paged = api.get(f"/v1/jobs/{job['id']}/mailboxes", params={"limit": 2}).json()
    rest = api.get(f"/v1/jobs/{job['id']}/mailboxes", params={"cursor": paged["nextCursor"]}).json()
    assert [r["id"] for r in paged["mailboxes"] + rest["mailboxes"]] == [r["id"] for r in rows["mailboxes"]]
    errors = api.get(f"/v1/jobs/{job['id']}/mailboxes", params={"status": "ERROR"}).json()["mailboxes"]
    assert [r["email"] for r in errors] == [FORBIDDEN]

    for row in rows["mailboxes"][:2]:
        assert f"{row['email']} → {row['doneItems']:,} items migrated" in " ".join(messages) or any(
            m.startswith(f"{row['email']} → {row['doneItems']:,} items migrated") for m in messages
        )
    assert f"{FORBIDDEN} — 403 Forbidden on MailboxItem.ImportExport.All (ErrorAccessDenied)" in messages
    assert any(m.startswith("Throttled (429) — retrying in") for m in messages)
    failed = failed_items(lines, FAULTY)
    assert failed and len(failed) == rows["mailboxes"][1]["errorItems"], "one ERROR line per failed item"

    for upn, leave_out in ((THROTTLED, set()), (FAULTY, failed)):
        source, dest = mailbox(simulator, upn), mailbox(simulator, namesake("fabrikam.com")(upn))
        assert mailbox_difference(source, dest, failed=leave_out) == ({}, {}), upn
    final = api.get(f"/v1/jobs/{job['id']}").json()["job"]
    assert final["doneItems"] + final["errorItems"] + final["skippedItems"] == final["totalItems"]

    export = api.get(f"/v1/jobs/{job['id']}/logs/export")
    rows_csv = list(csv.DictReader(io.StringIO(export.text)))
    assert {"OK", "WARN", "ERROR"} <= {r["level"] for r in rows_csv}
    assert any(r["message"].startswith(f"{THROTTLED} → ") for r in rows_csv)

    again = create_job(api, tenants, type="EMAIL", options={"mailboxes": [THROTTLED]})
    _, repeat = follow_log(api, again["id"])
    assert repeat["status"] == "DONE"
    assert api.get(f"/v1/jobs/{again['id']}").json()["job"]["doneItems"] == 0, (
        "already-migrated items are skipped"
    )


def test_a_teams_job_moves_channels_threads_and_channel_files(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    source = team(simulator, "contoso.com", "Leadership")
    job = create_job(api, tenants, type="TEAMS", options={"teams": [source["id"]]})
    assert job["scope"] == {"messages": True, "files": True}
    lines, done = follow_log(api, job["id"], timeout=240)
    assert done["status"] == "DONE", [line["message"] for line in lines if line["level"] == "ERROR"]
    rows = api.get(f"/v1/jobs/{job['id']}/teams").json()["teams"]
    dest = team(simulator, "fabrikam.com", "Leadership")
    assert [(r["teamId"], r["name"], r["destTeamId"], r["status"]) for r in rows] == [
        (source["id"], "Leadership", dest["id"], "DONE")
    ]
    assert thread_shape(dest) == thread_shape(source, author=namesake("fabrikam.com"))
    files = simulator.get("/_sim/sites", params={"url": source["siteUrl"]}).json()["items"]
    landed = simulator.get("/_sim/sites", params={"url": dest["siteUrl"]}).json()["items"]
    moved = {(i["path"], i.get("sha256")) for i in files if i["type"] == "file"}
    assert moved and moved <= {(i["path"], i.get("sha256")) for i in landed}, (
        "channel files, through SharePoint"
    )
    posts = sum(1 + len(m["replies"]) for c in source["channels"] for m in c["messages"])
    assert rows[0]["doneItems"] >= posts + len(moved) - rows[0]["errorItems"]
    assert any(line["message"].startswith("Leadership → ") for line in lines)


def test_a_mailbox_paused_resumed_and_its_connector_killed_arrives_whole(
    stack: Stack, api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    upn, dest_upn = "wave.big@contoso.com", "wave.big@fabrikam.com"
    for who, items in ((upn, 1500), (dest_upn, 0)):
        assert simulator.post(
            "/_sim/mailboxes", json={"upn": who, "items": items, "seed": 9, "folders": 6}
        ).json()["ok"]
    for tenant in tenants.values():  # discovery sees the new users
        discovery = api.post(f"/v1/tenants/{tenant}/discover").json()["latestJob"]["id"]
        wait_until(
            lambda t=tenant, d=discovery: (
                (u := api.get(f"/v1/tenants/{t}/users").json())["latestJob"]["id"] == d
                and u["latestJob"]["status"] == "DONE"
            ),
            timeout=60,
            what="rediscovery",
        )
    job = create_job(api, tenants, type="EMAIL", options={"mailboxes": [upn]})

    def done_items() -> int:
        return int(api.get(f"/v1/jobs/{job['id']}").json()["job"]["doneItems"])

    wait_until(lambda: done_items() >= 100, timeout=60, what="the mailbox to get going")
    assert api.patch(f"/v1/jobs/{job['id']}/pause").json() == {"status": "PAUSED"}
    stopped = wait_until(
        lambda: (n := done_items()) == done_items() and n, timeout=30, what="the batch in flight"
    )
    assert stopped < 1500, "it stopped between batches"
    moved = sum(len(f["items"]) for f in mailbox(simulator, dest_upn)["folders"])
    assert api.patch(f"/v1/jobs/{job['id']}/resume").json() == {"status": "QUEUED"}
    wait_until(
        lambda: done_items() >= max(stopped, moved) + 200, timeout=60, what="it to go on after the resume"
    )
    stack.kill_service("mail-teams-connector")  # mid-mailbox: its command comes back to the next one
    stack.start_service("mail-teams-connector")
    final = wait_until(
        lambda: (j := api.get(f"/v1/jobs/{job['id']}").json()["job"])["status"] in ("DONE", "ERROR") and j,
        timeout=180,
        what="the job to finish",
    )
    assert (final["status"], final["doneItems"], final["errorItems"]) == ("DONE", 1500, 0)
    assert mailbox_difference(mailbox(simulator, upn), mailbox(simulator, dest_upn)) == ({}, {}), (
        "none lost, none twice"
    )


def test_a_job_type_no_running_connector_takes_is_refused_not_accepted_and_forgotten(
    stack: Stack, api: httpx.Client, tenants: dict[str, str]
) -> None:
    stack.kill_service("mail-teams-connector")
    try:
        refused = wait_until(
            lambda: (
                (r := post_job(api, tenants, type="EMAIL", options={"mailboxes": [THROTTLED]})).status_code
                == 400
                and r
            ),
            timeout=60,
            what="the connector's announcement to expire",
        )
        assert refused.json()["code"] == "JOB_TYPE_UNAVAILABLE"
        assert "migrator.cmd.mailbox.migrate" in refused.json()["error"]
    finally:
        stack.start_service("mail-teams-connector")
    wait_until(
        lambda: (
            post_job(api, tenants, type="EMAIL", dryRun=True, options={"mailboxes": [THROTTLED]}).status_code
            == 200
        ),
        timeout=60,
        what="the connector to be back",
    )
