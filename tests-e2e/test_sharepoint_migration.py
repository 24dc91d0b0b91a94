"""SharePoint migrations for real: a 10,000-item site under faults, incremental passes, bad input.

Each test builds its own source site in the simulator, so what it asserts is about that site only.
"""

from __future__ import annotations

import csv
import io
import os
from typing import Any

import httpx
import pytest
from support import create_job, new_site, post_job, wait_until

pytestmark = pytest.mark.e2e

DEST = "https://fabrikam.sharepoint.com/sites"


def content(simulator: httpx.Client, url: str) -> dict[str, str]:
    """path -> sha256 (files) / "folder" of a site, as the simulator holds it."""
    body = simulator.get("/_sim/sites", params={"url": url}).json()
    return {i["path"]: i.get("sha256") or "folder" for i in body["items"]}


def finish(api: httpx.Client, job_id: str, *, timeout: float = 120) -> dict[str, Any]:
    """The job once it has ended (DONE or ERROR)."""
    return dict(
        wait_until(
            lambda: (j := api.get(f"/v1/jobs/{job_id}").json()["job"])["status"] in ("DONE", "ERROR") and j,
            timeout=timeout,
            what=f"job {job_id} to finish",
        )
    )


def migrate(
    api: httpx.Client,
    tenants: dict[str, str],
    site: str,
    *,
    kind: str = "SHAREPOINT",
    timeout: float = 120,
    **options: Any,
) -> dict[str, Any]:
    """Run a job of this type for one site (with these extra options) to its end; the finished job."""
    job = create_job(api, tenants, type=kind, options={"sites": [site], **options})
    return finish(api, job["id"], timeout=timeout)


def mapped(site: str, dest: str) -> dict[str, Any]:
    """Options migrating ``site`` to ``{DEST}/{dest}``."""
    return {"sites": [site], "siteMappings": [{"source": site, "dest": f"{DEST}/{dest}"}]}


def log_rows(api: httpx.Client, job_id: str) -> list[dict[str, str]]:
    export = api.get(f"/v1/jobs/{job_id}/logs/export")
    assert export.status_code == 200, export.text
    return list(csv.DictReader(io.StringIO(export.text)))


@pytest.fixture(autouse=True)
def calm_simulator(simulator: httpx.Client) -> None:
    """No object delay here (conftest's faults_end_with_the_test switches it off afterwards)."""
    simulator.post("/_sim/faults", json={"objectDelayMs": 0})


@pytest.mark.skipif(
    os.environ.get("MIGRATOR_E2E_STORE") == "mongo-wire",
    reason="two minutes of CPU on a 2-core CI box; the store's part in it is the same as in the "
    "smaller SharePoint tests, which do run on the MongoDB backend",
)
def test_ten_thousand_items_arrive_whole_through_throttling_and_item_failures(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    site = new_site(simulator, "bigsite", 10_000, api=api, tenants=tenants)
    source = content(simulator, site)
    assert len(source) == 10_000
    simulator.post(
        "/_sim/faults",
        json={
            "throttle": {"rate": 0.01, "retryAfter": 1},  # 429s and 503s, one call in a hundred
            "failItemsMatching": ["file *3.png"],  # the import refuses these (JobError)
            "failDownloadsMatching": ["file *77.txt"],  # the source answers 500: never retried
        },
    )
    job = migrate(api, tenants, site, timeout=600)

    refused = {p for p in source if p.rsplit("/", 1)[-1].endswith("3.png")}
    unreadable = {p for p in source if p.rsplit("/", 1)[-1].endswith("77.txt")}
    assert refused and unreadable
    dest = content(simulator, f"{DEST}/bigsite")
    assert dest == {p: h for p, h in source.items() if p not in refused | unreadable}
    assert job["status"] == "DONE"
    assert job["totalItems"] == len(source)
    assert job["errorItems"] == len(refused | unreadable)
    assert job["doneItems"] == len(dest) and job["skippedItems"] == 0
    errors = [r for r in log_rows(api, job["id"]) if r["level"] == "ERROR"]
    logged = " ".join(r["message"] for r in errors)
    for path in list(refused)[:5] + list(unreadable)[:5]:
        assert path.rsplit("/", 1)[-1] in logged, f"{path} has no error line"
    assert any("Throttled" in r["message"] for r in log_rows(api, job["id"]))
    exports = [j for j in simulator.get("/_sim/migration-jobs", params={"site": site}).json()["jobs"]]
    assert sum(j["objects"] for j in exports) >= 10_000  # the read went through AMR


def test_an_incremental_pass_moves_only_what_changed_and_levels_the_destination(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    site = new_site(simulator, "delta", 120, api=api, tenants=tenants)
    first = migrate(api, tenants, site)
    assert first["status"] == "DONE" and first["totalItems"] == 120
    assert content(simulator, f"{DEST}/delta") == content(simulator, site)

    source = content(simulator, site)
    files = sorted(p for p, h in source.items() if h != "folder")
    folder = next(p for p, h in sorted(source.items()) if h == "folder" and p.count("/") == 1)
    in_folder = [p for p in source if p.startswith(folder + "/")]
    edited, deleted, renamed = next(f for f in files if not f.startswith(folder + "/")), files[-1], files[-2]
    assert len({edited, deleted, renamed}) == 3 and not {deleted, renamed} & set(in_folder)
    simulator.post(
        "/_sim/sites/changes",
        params={"url": site},
        json={
            "put": {"Shared Documents/brand new.txt": "hello", edited: "edited"},
            "delete": [deleted],
            "rename": {renamed: renamed + ".moved", folder: folder + " (archive)"},
        },
    )
    second = migrate(api, tenants, site)
    assert second["status"] == "DONE"
    assert content(simulator, f"{DEST}/delta") == content(simulator, site)
    # add + edit + delete + file rename + the folder and everything in it: nothing else moved
    assert second["totalItems"] == 4 + 1 + len(in_folder)
    imports = [
        j for j in simulator.get("/_sim/migration-jobs", params={"site": f"{DEST}/delta"}).json()["jobs"]
    ]
    assert imports[-1]["objects"] == 3 + 1 + len(in_folder)

    # A change token SharePoint no longer honours: a full read, said in the log, still level.
    simulator.post(
        "/_sim/sites/changes", params={"url": site}, json={"put": {"Shared Documents/late.txt": "x"}}
    )
    simulator.post("/_sim/sites/expire-change-log", params={"url": site})
    third = migrate(api, tenants, site)
    assert third["status"] == "DONE" and third["totalItems"] == len(content(simulator, site))
    assert content(simulator, f"{DEST}/delta") == content(simulator, site)
    assert any("too old" in r["message"] for r in log_rows(api, third["id"]))


def test_a_full_pass_can_be_asked_for_and_must_be_a_boolean(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    site = new_site(simulator, "again", 25, api=api, tenants=tenants)
    assert migrate(api, tenants, site)["totalItems"] == 25
    assert migrate(api, tenants, site)["totalItems"] == 0  # nothing changed: nothing moves
    full = migrate(api, tenants, site, fullPass=True)
    assert full["status"] == "DONE" and full["totalItems"] == full["doneItems"] == 25
    bad = post_job(api, tenants, type="SHAREPOINT", options={"sites": [site], "fullPass": "yes"})
    assert bad.status_code == 400 and bad.json()["code"] == "VALIDATION_ERROR"
    assert "options.fullPass" in bad.json()["error"]


@pytest.mark.parametrize(
    ("name", "fault", "said"),
    [
        ("wrongkey", {"wrongKey": True}, "could not be decrypted with the job's key"),
        ("truncated", {"corruptManifest": "truncate"}, "truncated"),
        ("garbled", {"corruptManifest": "garble"}, "is corrupt"),
        ("vanished", {"vanishJobs": True}, "no longer knows migration job"),
        ("cancelled", {"cancelJobs": True}, "SharePoint cancelled the import job"),
    ],
)
def test_what_cannot_be_read_fails_the_site_clearly_and_the_connector_goes_on(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str], name: str, fault: Any, said: str
) -> None:
    site = new_site(simulator, f"bad-{name}", 30, api=api, tenants=tenants)
    simulator.post("/_sim/faults", json=fault)
    failed = migrate(api, tenants, site)
    assert failed["status"] == "ERROR"
    errors = [r["message"] for r in log_rows(api, failed["id"]) if r["level"] == "ERROR"]
    assert any(said in m for m in errors), errors
    # One line for the site's end (log-stream's, from its event; not the connector's as well),
    # and the site counts as failed in the job and in the line that ends it.
    assert len([m for m in errors if m.startswith(site)]) == 1, errors
    assert failed["errorItems"] >= 1
    assert any(
        m.startswith("Job finished: ERROR") and f"{failed['errorItems']:,} failed" in m for m in errors
    )
    # The consumer did not crash: the same site migrates once the fault is gone.
    again = migrate(api, tenants, site)
    assert again["status"] == "DONE" and again["doneItems"] == 30
    assert content(simulator, f"{DEST}/bad-{name}") == content(simulator, site)


def test_unreadable_queue_messages_and_unknown_events_are_skipped_and_said(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    site = new_site(simulator, "noisy", 40, api=api, tenants=tenants)
    warned = sorted(p for p in content(simulator, site) if p.endswith(".docx"))
    assert warned
    simulator.post(
        "/_sim/faults",
        json={
            "garbageQueueMessages": 1,
            "unknownEvents": 1,
            "postponeSeconds": 1,
            "warnItemsMatching": ["*.docx"],
        },
    )
    job = migrate(api, tenants, site)
    assert job["status"] == "DONE" and job["doneItems"] == 40  # a warning is not an error
    assert content(simulator, f"{DEST}/noisy") == content(simulator, site)
    rows = log_rows(api, job["id"])
    warnings = " ".join(r["message"] for r in rows if r["level"] == "WARN")
    assert "could not be read" in warnings and "GetMigrationJobProgress" in warnings
    assert "'JobTeleported'" in warnings
    for path in warned:  # each JobWarning is a line naming its item
        assert f"{path}: The author of" in warnings
    assert any("postponed the import" in r["message"] and r["level"] == "INFO" for r in rows)


def test_a_onedrive_job_moves_a_personal_site_to_the_same_users_onedrive(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    contoso = next(
        t for t in simulator.get("/_sim/tenants").json()["tenants"] if t["domain"] == "contoso.com"
    )
    onedrive = next(url for url in contoso["sites"] if "-my.sharepoint.com/personal/" in url)
    done = migrate(api, tenants, onedrive, kind="ONEDRIVE")
    source = content(simulator, onedrive)
    dest = onedrive.replace("contoso-my", "fabrikam-my").replace("_contoso_com", "_fabrikam_com")
    assert done["status"] == "DONE" and done["totalItems"] == len(source) == done["doneItems"]
    assert content(simulator, dest) == source


def versions(simulator: httpx.Client, url: str) -> dict[str, list[str]]:
    """path -> SHA-256 of each earlier version, oldest first (files that have any)."""
    body = simulator.get("/_sim/sites", params={"url": url}).json()
    return {i["path"]: i["versions"] for i in body["items"] if i.get("versions")}


def test_versions_come_along_when_asked_and_only_then(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    site = new_site(simulator, "history", 30, api=api, tenants=tenants)
    files = sorted(p for p, h in content(simulator, site).items() if h != "folder")[:3]
    for round_ in (1, 2):  # every edit keeps what the file held as a version
        simulator.post(
            "/_sim/sites/changes", params={"url": site}, json={"put": {f: f"edit {round_}" for f in files}}
        )
    source = versions(simulator, site)
    assert set(source) == set(files) and all(len(v) == 2 for v in source.values())

    plain = create_job(api, tenants, type="SHAREPOINT", options=mapped(site, "history-plain"))
    asked = create_job(
        api, tenants, type="SHAREPOINT", options=mapped(site, "history") | {"includeVersions": True}
    )
    assert [finish(api, job["id"])["status"] for job in (plain, asked)] == ["DONE", "DONE"]
    assert content(simulator, f"{DEST}/history") == content(simulator, site)
    assert versions(simulator, f"{DEST}/history") == source
    assert content(simulator, f"{DEST}/history-plain") == content(simulator, site)
    assert versions(simulator, f"{DEST}/history-plain") == {}


def permissions(simulator: httpx.Client, url: str) -> dict[str, dict[str, str]]:
    """path -> {user: role} for the items of a site with unique permissions."""
    body = simulator.get("/_sim/sites", params={"url": url}).json()
    return {i["path"]: i["permissions"] for i in body["items"] if "permissions" in i}


def test_permissions_come_along_when_asked_mapped_to_destination_users(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    people = {t["domain"]: t["userNames"] for t in simulator.get("/_sim/tenants").json()["tenants"]}
    # Every seeded contoso.com user has a namesake at fabrikam.com: this one has none.
    unmapped = "nobody.here@contoso.com"
    made = simulator.post("/_sim/mailboxes", json={"upn": unmapped, "items": 0})
    assert made.json()["ok"], made.text
    granted, target = people["contoso.com"][0], people["fabrikam.com"][0]
    site = new_site(simulator, "guarded", 30, api=api, tenants=tenants)
    items = content(simulator, site)
    file = next(p for p, h in sorted(items.items()) if h != "folder")
    folder = next(p for p, h in sorted(items.items()) if h == "folder")
    simulator.post(
        "/_sim/sites/changes",
        params={"url": site},
        json={"grant": {file: {granted: "Read"}, folder: {granted: "Contribute", unmapped: "Read"}}},
    )

    plain = create_job(api, tenants, type="SHAREPOINT", options=mapped(site, "guarded-plain"))
    asked = create_job(
        api,
        tenants,
        type="SHAREPOINT",
        options=mapped(site, "guarded")
        | {"includePermissions": True, "userMappings": [{"source": granted, "dest": target}]},
    )
    assert [finish(api, job["id"])["status"] for job in (plain, asked)] == ["DONE", "DONE"]
    # The mapped user gets their roles at the destination; the other (same name at fabrikam.com,
    # who does not exist there) is left out, and the log says so.
    assert permissions(simulator, f"{DEST}/guarded") == {
        file: {target: "Read"},
        folder: {target: "Contribute"},
    }
    missing = unmapped.split("@")[0] + "@fabrikam.com"
    warnings = [r["message"] for r in log_rows(api, asked["id"]) if r["level"] == "WARN"]
    assert any(missing in m and "does not exist at the destination" in m for m in warnings), warnings
    assert content(simulator, f"{DEST}/guarded") == content(simulator, site)
    assert permissions(simulator, f"{DEST}/guarded-plain") == {}
    bad = post_job(
        api, tenants, type="SHAREPOINT", options={"sites": [site], "userMappings": [{"source": granted}]}
    )
    assert bad.status_code == 400 and "options.userMappings" in bad.json()["error"]
