"""The Python client and the `migrator` command against the running system."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from migrator_client import Client
from migrator_client.cli import app
from migrator_devstack.stack import Stack
from support import Organisation
from typer.testing import CliRunner

pytestmark = pytest.mark.e2e

FINANCE = "https://contoso.sharepoint.com/sites/finance"


def test_the_cli_creates_a_job_watches_it_to_done_and_lists_it(
    stack: Stack, api: httpx.Client, organisation: Organisation, tenants: dict[str, str]
) -> None:
    runner = CliRunner()
    auth = ["--url", stack.api_url, "--api-key", organisation.key]
    with Client(stack.api_url, organisation.key) as client:
        assert {t["domain"] for t in client.tenants()} >= {"contoso.com", "fabrikam.com"}
    source, dest = tenants["contoso.com"], tenants["fabrikam.com"]
    created = runner.invoke(
        app,
        [
            *auth,
            "jobs",
            "create",
            "--source",
            source,
            "--dest",
            dest,
            "--type",
            "sharepoint",
            "--site",
            FINANCE,
        ],
    )
    assert created.exit_code == 0, created.output
    job_id, status = created.stdout.split()
    assert job_id.startswith("job_") and status in ("QUEUED", "RUNNING")

    wide = {"COLUMNS": "200"}  # the line under the bar is long; a narrow terminal cuts it
    watched = runner.invoke(app, [*auth, "jobs", "watch", job_id, "--interval", "0.2"], env=wide)
    assert watched.exit_code == 0, watched.output
    assert job_id in watched.stdout and "DONE" in watched.stdout and "done" in watched.stdout
    assert api.get(f"/v1/jobs/{job_id}").json()["job"]["status"] == "DONE"

    listed = runner.invoke(app, [*auth, "--json", "jobs", "list", "--status", "DONE", "--limit", "200"])
    assert listed.exit_code == 0, listed.output
    assert job_id in {j["id"] for j in json.loads(listed.stdout)}
    table = runner.invoke(app, [*auth, "tenants", "list"], env=wide)
    assert table.exit_code == 0 and "contoso.com" in table.stdout
    # In an 80-column terminal, the ids a user copies next are whole (other columns give way).
    narrow = {"COLUMNS": "80"}
    tenants_table = runner.invoke(app, [*auth, "tenants", "list"], env=narrow)
    jobs_table = runner.invoke(app, [*auth, "jobs", "list", "--limit", "5"], env=narrow)
    assert tenants_table.exit_code == 0 and jobs_table.exit_code == 0
    assert source in tenants_table.stdout and dest in tenants_table.stdout
    assert job_id in jobs_table.stdout and "DONE" in jobs_table.stdout


def test_the_cli_reports_api_errors_in_one_line_with_their_code(
    stack: Stack, organisation: Organisation
) -> None:
    runner = CliRunner()
    refused = runner.invoke(
        app, ["--url", stack.api_url, "--api-key", "tmk_test_nope_nope_nope_nope", "tenants", "list"]
    )
    assert refused.exit_code == 2
    assert "UNAUTHORIZED" in refused.stderr and "Traceback" not in refused.output
    missing = runner.invoke(
        app, ["--url", stack.api_url, "--api-key", organisation.key, "jobs", "get", "job_NOPE"]
    )
    assert missing.exit_code == 2 and "JOB_NOT_FOUND" in missing.stderr


def test_the_cli_follows_a_jobs_log_to_its_end_and_exports_it(
    stack: Stack, organisation: Organisation, tenants: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    auth = ["--url", stack.api_url, "--api-key", organisation.key]
    with Client(stack.api_url, organisation.key) as client:
        job_id = client.create_job(
            sourceTenantId=tenants["contoso.com"],
            destTenantId=tenants["fabrikam.com"],
            type="SHAREPOINT",
            options={"sites": [FINANCE]},
        )["job"]["id"]
        events = list(client.logs(job_id))
    assert events[-1] == ("done", events[-1][1]) and events[-1][1]["status"] == "DONE"
    followed = runner.invoke(app, [*auth, "jobs", "logs", job_id], env={"COLUMNS": "300"})
    assert followed.exit_code == 0, followed.output
    assert "Job finished: DONE" in followed.stdout and f"{job_id}: DONE" in followed.stdout
    errors_only = runner.invoke(app, [*auth, "--json", "jobs", "logs", job_id, "--level", "ERROR"])
    assert errors_only.exit_code == 0 and '"level": "ERROR"' in errors_only.stdout
    assert '"level": "OK"' not in errors_only.stdout
    target = tmp_path / "job-logs.csv"
    exported = runner.invoke(app, [*auth, "jobs", "logs", job_id, "--export", str(target)])
    assert exported.exit_code == 0, exported.output
    rows = target.read_text().splitlines()
    assert rows[0] == "id,level,message,ts" and len(rows) - 1 == sum(1 for kind, _ in events if kind == "log")


def test_the_cli_creates_a_wave_from_a_file_and_shows_each_jobs_sites(
    stack: Stack, api: httpx.Client, organisation: Organisation, tenants: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    auth = ["--url", stack.api_url, "--api-key", organisation.key]
    wave = tmp_path / "wave.json"
    wave.write_text(
        json.dumps(
            {
                "sourceTenantId": tenants["contoso.com"],
                "destTenantId": tenants["fabrikam.com"],
                "type": "SHAREPOINT",
                "batches": [
                    {"name": "Wave 1 — Finance", "options": {"sites": [FINANCE]}},
                    {
                        "name": "Wave 2 — later",
                        "scheduledAt": "2099-01-01T00:00:00Z",
                        "options": {"sites": [FINANCE]},
                    },
                ],
            }
        )
    )
    created = runner.invoke(app, [*auth, "jobs", "batch", str(wave)], env={"COLUMNS": "200"})
    assert created.exit_code == 0, created.output
    lines = created.stdout.strip().splitlines()
    assert len(lines) == 2 and "Wave 1 — Finance" in lines[0] and "2099-01-01T00:00:00Z" in lines[1]
    first, second = (line.split()[0] for line in lines)
    assert api.get(f"/v1/jobs/{second}").json()["job"]["status"] == "QUEUED"  # waits for its time
    watched = runner.invoke(app, [*auth, "jobs", "watch", first, "--interval", "0.2"])
    assert watched.exit_code == 0, watched.output

    units = runner.invoke(app, [*auth, "jobs", "units", first], env={"COLUMNS": "200"})
    assert units.exit_code == 0, units.output
    assert FINANCE in units.stdout and "DONE" in units.stdout and "100%" in units.stdout
    as_json = runner.invoke(app, [*auth, "--json", "jobs", "units", first])
    (site,) = json.loads(as_json.stdout)
    assert site["url"] == FINANCE and site["doneItems"] + site["errorItems"] == site["totalItems"] > 0

    # A file that is not a batch request is refused before anything is sent.
    wave.write_text('{"type": "SHAREPOINT"}')
    refused = runner.invoke(app, [*auth, "jobs", "batch", str(wave)])
    assert refused.exit_code == 2 and '"batches" list' in refused.stderr


def test_the_cli_lists_devices_and_queues_and_cancels_a_command(
    stack: Stack, organisation: Organisation
) -> None:
    registered = httpx.post(
        f"{stack.api_url}/v1/devices/register",
        json={
            "orgId": organisation.id,
            "hostname": "CLI-PC-01",
            "ipAddress": "10.0.0.9",
            "domain": "contoso.local",
        },
        timeout=30,
    )
    assert registered.status_code == 201, registered.text
    device_id = registered.json()["deviceId"]
    runner = CliRunner()
    auth = ["--url", stack.api_url, "--api-key", organisation.key]
    listed = runner.invoke(app, [*auth, "devices", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and device_id in listed.stdout and "CLI-PC-01" in listed.stdout

    payload = json.dumps(
        {
            "ppkgUrl": "https://storage.example/enroll.ppkg",
            "destTenantId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        }
    )
    queued = runner.invoke(
        app, [*auth, "devices", "queue", device_id, "--type", "full_migration", "--payload", payload]
    )
    assert queued.exit_code == 0, queued.output
    command_id, status = queued.stdout.split()
    assert status == "PENDING"
    cancelled = runner.invoke(app, [*auth, "devices", "cancel", device_id, command_id])
    assert cancelled.exit_code == 0 and cancelled.stdout.strip() == "CANCELLED"
    history = runner.invoke(app, [*auth, "--json", "devices", "commands", device_id])
    assert [(c["id"], c["status"]) for c in json.loads(history.stdout)] == [(command_id, "CANCELLED")]

    # The API's own validation, in one line with its code: a payload the command type refuses.
    bad = runner.invoke(
        app, [*auth, "devices", "queue", device_id, "--type", "FULL_MIGRATION", "--payload", "{}"]
    )
    assert bad.exit_code == 2 and "VALIDATION_ERROR" in bad.stderr
    again = runner.invoke(app, [*auth, "devices", "cancel", device_id, command_id])  # idempotent, as the API
    assert again.exit_code == 0 and again.stdout.strip() == "CANCELLED"
    unknown = runner.invoke(app, [*auth, "devices", "commands", "dev_NOPE"])
    assert unknown.exit_code == 2 and "DEVICE_NOT_FOUND" in unknown.stderr


def test_the_cli_creates_lists_and_revokes_a_key_which_then_gets_401(
    stack: Stack, organisation: Organisation
) -> None:
    runner = CliRunner()
    auth = ["--url", stack.api_url, "--api-key", organisation.key]
    created = runner.invoke(app, [*auth, "keys", "create", "CI pipeline"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("tmk_test_") and "shown once" in created.stderr
    key_id = created.stderr.split(":")[0].strip()
    with Client(stack.api_url, secret) as as_new_key:
        assert isinstance(as_new_key.tenants(), list)
    listed = runner.invoke(app, [*auth, "--json", "keys", "list"])
    mine = next(k for k in json.loads(listed.stdout) if k["id"] == key_id)
    assert mine["name"] == "CI pipeline" and secret.startswith(mine["prefix"]) and "secret" not in mine
    revoked = runner.invoke(app, [*auth, "keys", "revoke", key_id])
    assert revoked.exit_code == 0 and f"{key_id} revoked" in revoked.stdout
    refused = runner.invoke(app, ["--url", stack.api_url, "--api-key", secret, "tenants", "list"])
    assert refused.exit_code == 2 and "UNAUTHORIZED" in refused.stderr


def test_the_cli_finds_a_tenants_users_and_sites_by_a_few_letters(
    stack: Stack, organisation: Organisation, tenants: dict[str, str]
) -> None:
    runner = CliRunner()
    auth = ["--url", stack.api_url, "--api-key", organisation.key, "--json"]
    source = tenants["contoso.com"]
    every = json.loads(runner.invoke(app, [*auth, "tenants", "users", source]).stdout)
    assert len(every) > 1
    upn = every[-1]["upn"]
    found = runner.invoke(app, [*auth, "tenants", "users", source, "--search", upn.split("@")[0].upper()])
    assert found.exit_code == 0, found.output
    assert upn in {u["upn"] for u in json.loads(found.stdout)}
    assert len(json.loads(found.stdout)) < len(every)
    with Client(stack.api_url, organisation.key) as client:  # the same, a page of one at a time
        assert [u["upn"] for u in client.found(source, "users", page_size=1)] == [u["upn"] for u in every]
    sites = json.loads(runner.invoke(app, [*auth, "tenants", "sites", source, "--search", "FINANCE"]).stdout)
    assert FINANCE in {s["url"] for s in sites}
