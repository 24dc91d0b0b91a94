"""The second day: ``make run`` stopped with Ctrl-C and started again on the same data directory
goes on where it stopped — tenants still consented, sites made through the simulator still
there, a registered Data Center still at its URL — and what it prints is what a user needs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from migrator_devstack import infra
from support import connect_contoso_and_fabrikam, create_job, new_site, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.embedded_only,
    # make run's own entry runs on the embedded store: the MongoDB pass would repeat it as is.
    pytest.mark.skipif(os.environ.get("MIGRATOR_E2E_STORE") == "mongo-wire", reason="embedded store only"),
]

READY = "Ctrl-C stops everything."


@dataclass
class Running:
    api: httpx.Client
    simulator: httpx.Client
    atlassian_url: str
    printed: str


@contextmanager
def make_run(data_dir: Path, port: int) -> Iterator[Running]:
    """``make run`` (``python -m migrator_devstack``) on ``data_dir`` until the block ends, then
    Ctrl-C, as a user at the terminal would stop it."""
    env = {**os.environ, "MIGRATOR_DATA_DIR": str(data_dir), "MIGRATOR_HTTP_PORT": str(port)}
    env.pop("MIGRATOR_BOOTSTRAP_KEYS", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrator_devstack"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    printed = ""
    try:
        deadline = time.monotonic() + 180
        while READY not in printed:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, f"make run ended before it was ready:\n{printed}"
            assert time.monotonic() < deadline, f"make run not ready in 180 s:\n{printed}"
            printed += line
        key = re.search(r"^  API key\s+(\S+)", printed, re.MULTILINE)  # its own line, not the hint
        m365 = re.search(r"Simulators\s+(\S+)", printed)
        atlassian = re.search(r"Data Center \S+ at (\S+)/server/", printed)
        assert key and m365 and atlassian, printed
        headers = {"Authorization": f"Bearer {key.group(1)}"}
        with (
            httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as api,
            httpx.Client(base_url=m365.group(1), timeout=30) as simulator,
        ):
            yield Running(api, simulator, atlassian.group(1), printed)
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0 and "migrator: stopped." in out, out


def content(simulator: httpx.Client, url: str) -> dict[str, str]:
    items = simulator.get("/_sim/sites", params={"url": url}).json()["items"]
    return {i["path"]: i.get("sha256") or "folder" for i in items}


def migrated(api: httpx.Client, tenants: dict[str, str], site: str) -> dict[str, object]:
    job = create_job(api, tenants, type="SHAREPOINT", options={"sites": [site]})
    return dict(
        wait_until(
            lambda: (
                (j := api.get(f"/v1/jobs/{job['id']}").json()["job"])["status"] in ("DONE", "ERROR") and j
            ),
            timeout=180,
            what="the job to end",
        )
    )


def test_a_restarted_make_run_goes_on_where_it_stopped(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "migrator", infra.free_port()
    site, dest = "https://contoso.sharepoint.com/sites/dayone", "https://fabrikam.sharepoint.com/sites/dayone"
    with make_run(data_dir, port) as first:
        tenants = connect_contoso_and_fabrikam(first.api)
        new_site(first.simulator, "dayone", 12, api=first.api, tenants=tenants)
        assert migrated(first.api, tenants, site)["status"] == "DONE"
        # The README's Data Center registration, with what make run printed.
        registered = first.api.post(
            "/v1/tenants/servers",
            json={
                "serverId": "BSQ4-J2CB-XYZ1-ABCD",
                "baseUrl": f"{first.atlassian_url}/server/BSQ4-J2CB-XYZ1-ABCD",
                "accessToken": "sim-pat-server-1",
            },
        )
        assert registered.status_code == 201, registered.text
        server = registered.json()["tenant"]["id"]
        first_job_content = content(first.simulator, dest)

    with make_run(data_dir, port) as second:
        # The platform remembers its tenants, and the simulator its consents and the site made on day one.
        listed = {t["id"] for t in second.api.get("/v1/tenants").json()["tenants"]}
        assert set(tenants.values()) | {server} <= listed
        assert second.atlassian_url == first.atlassian_url, "the registered Data Center URL still answers"
        assert content(second.simulator, dest) == first_job_content
        changed = second.simulator.post(
            "/_sim/sites/changes", params={"url": site}, json={"put": {"Shared Documents/day-two.txt": "new"}}
        )
        assert changed.json()["ok"], changed.text
        again = migrated(second.api, tenants, site)
        assert again["status"] == "DONE", again
        # The destination holds both days' content: the first job's, and what changed since.
        assert content(second.simulator, dest) == content(second.simulator, site)
        assert "Shared Documents/day-two.txt" in content(second.simulator, dest)
        discovery = second.api.post(f"/v1/tenants/{server}/discover")
        assert discovery.status_code == 202, discovery.text
        latest = discovery.json()["latestJob"]["id"]

        def discovered_again() -> bool:
            body = second.api.get(f"/v1/tenants/{server}/projects").json()
            return body["latestJob"]["id"] == latest and body["latestJob"]["status"] == "DONE"

        wait_until(
            discovered_again, timeout=60, what="the Data Center registered on day one, discovered on day two"
        )
        assert len(second.api.get(f"/v1/tenants/{server}/projects").json()["projects"]) == 3
