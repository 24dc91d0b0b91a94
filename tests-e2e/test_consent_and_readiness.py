"""Consent is single-use and bound to its state; secrets never sit in clear; readiness tells the truth."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from migrator_devstack.stack import Stack
from migrator_platform.consent_states import ConsentState
from support import CONSENT_TTL_SECONDS, Organisation, connect_tenant, create_job, new_site, wait_until

pytestmark = pytest.mark.e2e


def start(api: httpx.Client, domain: str, role: str = "source") -> str:
    response = api.post("/v1/tenants/connect", json={"domain": domain, "role": role})
    assert response.status_code == 200, response.text
    return str(response.json()["authUrl"])


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"error": response.json()["error"], "code": code, "status": status}


def test_a_consent_link_works_once(api: httpx.Client, tenants: dict[str, str]) -> None:
    consent = httpx.get(start(api, "contoso.com"), follow_redirects=False, timeout=30)
    callback = consent.headers["location"]
    assert httpx.get(callback, timeout=30).status_code == 200
    assert_error(httpx.get(callback, timeout=30), 400, "STATE_USED")


def test_an_expired_consent_link_is_refused(api: httpx.Client) -> None:
    consent = httpx.get(start(api, "contoso.com"), follow_redirects=False, timeout=30)
    time.sleep(CONSENT_TTL_SECONDS + 1)
    assert_error(httpx.get(consent.headers["location"], timeout=30), 400, "STATE_EXPIRED")


def test_unknown_state_and_refused_consent_are_clear_errors(stack: Stack, api: httpx.Client) -> None:
    forged = httpx.get(
        f"{stack.api_url}/v1/tenants/callback",
        params={"state": "tok_FORGED", "admin_consent": "True", "tenant": "x"},
        timeout=30,
    )
    assert_error(forged, 400, "STATE_INVALID")
    refused = httpx.get(start(api, "nowhere.com"), follow_redirects=True, timeout=30)
    assert_error(refused, 400, "CONSENT_DENIED")
    assert "nowhere.com" not in {t["domain"] for t in api.get("/v1/tenants").json()["tenants"]}


def test_connecting_the_same_domain_again_updates_never_duplicates(
    api: httpx.Client, tenants: dict[str, str]
) -> None:
    again = connect_tenant(api, "contoso.com", "source")
    assert again == tenants["contoso.com"]
    domains = [t["domain"] for t in api.get("/v1/tenants").json()["tenants"]]
    assert domains.count("contoso.com") == 1


def test_api_keys_and_tokens_are_not_stored_in_clear(
    stack: Stack, organisation: Organisation, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    path = Path(stack.data_dir) / "readstore.sqlite3"
    if not path.exists():
        pytest.skip("the read store is MongoDB in this run")
    raw = b"".join(p.read_bytes() for p in Path(stack.data_dir).glob("readstore.sqlite3*"))
    assert stack.api_key.encode() not in raw and organisation.key.encode() not in raw
    # Microsoft tokens live in the services' memory (MSAL), renewed by client credentials: none
    # the identity provider issued is anywhere in the store; a connected tenant keeps its directory.
    issued = simulator.get("/_sim/tokens").json()["tokens"]
    assert issued and not [t[:8] for t in issued if t.encode() in raw]
    with sqlite3.connect(path) as conn:
        grants = [json.loads(doc) for (doc,) in conn.execute("SELECT doc FROM c_tenant_secrets")]
        consents = [json.loads(doc) for (doc,) in conn.execute("SELECT doc FROM c_consents")]
    assert len(grants) >= 2 and all(set(g) <= {"orgId", "externalTenantId"} for g in grants)
    # A consent keeps what its model declares: whose it is and until when, no token.
    assert consents and not set().union(*map(ConsentState.undeclared, consents))


def test_readiness_fails_while_a_service_is_down_and_recovers(stack: Stack) -> None:
    assert httpx.get(f"{stack.api_url}/readyz", timeout=10).status_code == 200
    stack.kill_service("device-hub")
    down = wait_until(
        lambda: (r := httpx.get(f"{stack.api_url}/readyz", timeout=10)).status_code == 503 and r,
        timeout=30,
        what="/readyz to report the dead service",
    )
    assert down.json()["code"] == "NOT_READY" and "device-hub" in down.json()["error"]
    stack.start_service("device-hub")
    stack.wait_ready(timeout=60)


def test_a_revoked_consent_says_to_reconnect_and_reconnecting_makes_jobs_work(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    source, mailbox = tenants["contoso.com"], "hana.nguyen11@contoso.com"
    site = new_site(simulator, "revoked-consent", 6, api=api, tenants=tenants)
    said = "consent for contoso.com was revoked or expired — reconnect the tenant"
    revoked = simulator.post("/_sim/tenants/contoso.com/revoke-consent")  # an administrator removes the app
    assert revoked.status_code == 200, revoked.text
    try:
        # A mailbox finds it first: its unit says what to do, and the tenant shows it.
        mail = finished(api, create_job(api, tenants, type="EMAIL", options={"mailboxes": [mailbox]})["id"])
        assert mail["status"] == "ERROR" and mail["errorItems"] >= 1
        assert f"{mailbox} — {said}" in log_messages(api, str(mail["id"]))
        tenant = wait_until(
            lambda: (
                (t := api.get(f"/v1/tenants/{source}").json()["tenant"])["status"] == "RECONNECT_REQUIRED"
                and t
            ),
            timeout=30,
            what="the tenant to say it needs reconnecting",
        )
        assert tenant["statusMessage"] == said
        # A site says the same, in the same words, once.
        failed = finished(api, create_job(api, tenants, type="SHAREPOINT", options={"sites": [site]})["id"])
        assert failed["status"] == "ERROR" and failed["errorItems"] >= 1
        log = log_messages(api, str(failed["id"]))
        assert [m for m in log if said in m] == [f"{site} — {said}"], log
    finally:
        assert connect_tenant(api, "contoso.com", "source") == source  # the same tenant, consented again
    assert api.get(f"/v1/tenants/{source}").json()["tenant"]["status"] == "CONNECTED"
    again = finished(api, create_job(api, tenants, type="SHAREPOINT", options={"sites": [site]})["id"])
    assert again["status"] == "DONE" and again["doneItems"] == 6, again


def log_messages(api: httpx.Client, job_id: str) -> list[str]:
    export = api.get(f"/v1/jobs/{job_id}/logs/export").text
    return [row["message"] for row in csv.DictReader(io.StringIO(export))]


def finished(api: httpx.Client, job_id: str) -> dict[str, object]:
    return dict(
        wait_until(
            lambda: (j := api.get(f"/v1/jobs/{job_id}").json()["job"])["status"] in ("DONE", "ERROR") and j,
            timeout=120,
            what=f"job {job_id} to end",
        )
    )
