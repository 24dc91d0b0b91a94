"""The dashboard, as an operator uses it, through the page only: sign in with the organisation's
key, connect both tenants by admin consent (the link opens a new tab), run a SharePoint wave of
two batches from the wizard (dry run first) to DONE and watch one job's live log end, download
its CSV, schedule a job an hour ahead then pause, resume and delete it, create and revoke an API
key, queue a device command and cancel it, rediscover and disconnect a tenant, and sign out.
Every page is screenshotted at 1280 and 390 px and checked by axe-core."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from browser import PageAudit, chromium
from migrator_devstack.stack import Stack
from playwright.sync_api import BrowserContext, Locator, Page, expect, sync_playwright
from support import Organisation

pytestmark = pytest.mark.e2e

# Sites of the test's own (a handful of items each), so its jobs are quick and change nothing
# another test's migration of the seeded sites finds.
WAVE_SITES = ("dashboard-wave-one", "dashboard-wave-two", "dashboard-later")
DEVICE = {"hostname": "DASH-PC-01", "ipAddress": "10.0.0.7", "domain": "contoso.local"}
DEST_TENANT_GUID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
JOB_SECONDS = 90_000  # ms: the stack's jobs take up to a minute
STEP = 15_000  # ms: anything that is one request or one poll away
BROWSER_TIME_ZONE = "America/New_York"  # not the machine's: a start typed in local time is converted


def seed_sites(simulator: httpx.Client) -> None:
    for seed, name in enumerate(WAVE_SITES, start=31):  # the seed makes the site's id: one each
        url = f"https://contoso.sharepoint.com/sites/{name}"
        made = simulator.post("/_sim/sites", json={"url": url, "items": 8, "seed": seed})
        assert made.json()["ok"], made.text


def register_device(stack: Stack, organisation: Organisation) -> None:
    """What the agent's installer does, so the organisation has a device to command."""
    body = DEVICE | {"orgId": organisation.id, "agentVersion": "0.6.35"}
    registered = httpx.post(f"{stack.api_url}/v1/devices/register", json=body, timeout=30)
    assert registered.status_code == 201, registered.text


def fact(page: Page, term: str) -> Locator:
    """The value of one of a page's facts (a description list: term, then its value)."""
    return page.locator("dt", has_text=re.compile(f"^{term}$")).locator("xpath=following-sibling::dd[1]")


def sign_in(page: Page, audit: PageAudit, key: str) -> None:
    expect(page.get_by_role("heading", name="Sign in to Migrator")).to_be_visible(timeout=STEP)
    page.get_by_label("API key").fill("tmk_test_not-a-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    audit("sign-in")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Tenants", level=1)).to_be_visible(timeout=STEP)


def connect(page: Page, context: BrowserContext, domain: str, role: str) -> None:
    """Start consent, follow the link to the new tab as the tenant's admin, see the list update."""
    page.get_by_label("Domain").fill(domain)
    page.get_by_role("radio", name=re.compile(f"^{role}")).check()
    page.get_by_role("button", name="Get the consent link").click()
    link = page.get_by_role("link", name=f"Open the consent page for {domain}")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", re.compile("noopener"))
    with context.expect_page() as consent:
        link.click()
    tab = consent.value
    tab.wait_for_load_state()
    assert '"connected":true' in tab.content(), tab.content()
    tab.close()
    tenants = page.get_by_role("region", name="Tenant list")
    expect(tenants.get_by_role("row", name=re.compile(domain))).to_contain_text(role, timeout=STEP)
    expect(link).to_have_count(0)  # the consent landed: the page noticed by itself


def tenants_are_discovered(page: Page, audit: PageAudit) -> None:
    tenants = page.get_by_role("region", name="Tenant list")
    expect(tenants.get_by_text("Discovering…")).to_have_count(0, timeout=JOB_SECONDS)
    expect(tenants.get_by_role("row", name=re.compile("contoso.com"))).to_contain_text("mailboxes")
    audit("tenants")
    page.get_by_role("link", name="contoso.com").click()
    expect(page.get_by_role("heading", name="contoso.com", level=1)).to_be_visible()
    page.get_by_role("tab", name="Sites").click()
    page.get_by_label("Search sites").fill("dashboard-wave")
    sites = page.get_by_role("region", name="Sites")
    expect(sites.get_by_role("row")).to_have_count(3)  # the heading row and the two wave sites
    audit("tenant")
    page.get_by_role("tab", name="Sites").press("ArrowRight")  # the tab list answers to arrow keys
    expect(page.get_by_role("tab", name="Teams")).to_be_focused()
    expect(page.get_by_role("tab", name="Teams")).to_have_attribute("aria-selected", "true")


def plan_sharepoint(page: Page, sites: tuple[str, ...], audit: PageAudit | None = None) -> None:
    """Wizard steps 1 to 3: SharePoint from contoso.com to fabrikam.com, the sites, the dry run."""
    page.get_by_role("link", name="New migration", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Step 1 of 4"))).to_be_visible()
    page.get_by_role("radio", name="SharePoint").check()
    page.get_by_label("Source tenant").select_option(label="contoso.com")
    page.get_by_label("Destination tenant").select_option(label="fabrikam.com")
    if audit:
        audit("wizard-type")
    page.get_by_role("button", name="Next: Selection").click()
    expect(page.get_by_role("heading", name=re.compile("Step 2 of 4"))).to_be_focused()
    page.get_by_label("Search sites").fill("dashboard-")
    found = page.get_by_role("region", name="SharePoint sites").get_by_role("row")
    expect(found).to_have_count(1 + len(WAVE_SITES))  # the API searched: only the test's sites
    for site in sites:
        page.get_by_role("checkbox", name=f"Select {site}").check()
    expect(page.get_by_text(f"{len(sites)} site{'s' if len(sites) > 1 else ''} selected")).to_be_visible()
    if audit:
        audit("wizard-selection")
    page.get_by_role("button", name="Next: Dry run").click()
    expect(page.get_by_text("Every pre-flight check passed")).to_be_visible(timeout=STEP)
    checks = page.get_by_role("region", name="Pre-flight checks")
    for check in ("tenants", "roles", "workload", "connector", "scope", "quota"):
        expect(checks.get_by_role("row", name=re.compile(f"^{check}"))).to_contain_text("Passed")
    if audit:
        audit("wizard-dry-run")


def run_wave(page: Page, audit: PageAudit) -> None:
    """A wave of two batches, each one site, both starting now; then their jobs run to DONE."""
    plan_sharepoint(page, WAVE_SITES[:2], audit)
    page.get_by_role("button", name="Next: Waves").click()
    page.get_by_role("button", name="Add a batch").click()
    page.get_by_label("Batch 2 name").fill("Wave two")
    page.get_by_label(f"Batch for {WAVE_SITES[1]}").select_option(label="Batch 2: Wave two")
    expect(page.get_by_label("Batch 1 start")).to_have_value("")  # empty: now
    audit("wizard-waves")
    page.get_by_role("button", name="Create 2 jobs").click()
    expect(page.get_by_role("heading", name="Jobs", level=1)).to_be_visible(timeout=STEP)
    expect(page.get_by_role("status")).to_contain_text("2 jobs created")
    jobs = page.get_by_role("region", name="Jobs")
    expect(jobs.get_by_role("row")).to_have_count(3)
    expect(jobs.get_by_role("row", name=re.compile("Wave two"))).to_have_count(1)  # the batch's name
    audit("jobs")


def watch_job(page: Page, audit: PageAudit, downloads: Path) -> None:
    """The newest job's page: the live log to its end, the counters at the total, the CSV."""
    page.get_by_role("region", name="Jobs").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name=re.compile("SharePoint job job_"))).to_be_visible()
    log = page.get_by_role("log", name="Log lines")
    expect(page.get_by_text("Log complete: the job ended")).to_contain_text("DONE", timeout=JOB_SECONDS)
    lines = log.get_by_role("listitem")
    expect(lines.first).to_be_visible()
    seen = log.locator("li").evaluate_all("items => items.map(i => i.dataset.seq)")
    assert len(seen) == len(set(seen)), "a log line was shown twice"
    progress = page.get_by_role("progressbar", name="Job progress")
    expect(progress).to_have_attribute("value", re.compile(r"^[1-9]\d*$"), timeout=STEP)
    assert progress.get_attribute("value") == progress.get_attribute("max")
    sites = page.get_by_role("region", name="Sites", exact=True)
    expect(sites.get_by_role("row", name=re.compile(WAVE_SITES[1]))).to_contain_text("DONE", timeout=STEP)
    audit("job")
    # Only errors and warnings: the stream starts again at these levels and ends the same way.
    page.get_by_role("checkbox", name="OK").uncheck()
    page.get_by_role("checkbox", name="INFO").uncheck()
    expect(page.get_by_text("Log complete: the job ended")).to_be_visible(timeout=STEP)
    expect(log.locator("li.level-INFO, li.level-OK")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the log (CSV)").click()
    saved = downloads / "job-logs.csv"
    download.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text())))
    assert rows[0] == ["id", "level", "message", "ts"] and len(rows) - 1 >= len(seen), rows[:3]
    page.get_by_role("link", name="Jobs", exact=True).first.click()
    jobs = page.get_by_role("region", name="Jobs")
    expect(jobs.get_by_role("row")).to_have_count(3)
    for row in jobs.get_by_role("row").all()[1:]:
        expect(row).to_contain_text("DONE", timeout=JOB_SECONDS)
    page.get_by_label("Status").select_option(label="Done")
    expect(jobs.get_by_role("row")).to_have_count(3)


def schedule_pause_resume_delete(page: Page, audit: PageAudit) -> None:
    """A job an hour ahead (local time), paused, resumed and deleted from its page."""
    plan_sharepoint(page, WAVE_SITES[2:])
    page.get_by_role("button", name="Next: Waves").click()
    start = (datetime.now(ZoneInfo(BROWSER_TIME_ZONE)) + timedelta(hours=1)).replace(second=0, microsecond=0)
    page.get_by_label("Batch 1 start").fill(start.strftime("%Y-%m-%dT%H:%M"))
    expect(page.get_by_text(re.compile(rf"^Starts .+\({BROWSER_TIME_ZONE}\)$"))).to_be_visible()
    with page.expect_request(lambda request: request.url.endswith("/v1/jobs/batch")) as sent:
        page.get_by_role("button", name="Create 1 job").click()
    # The wall-clock time typed, as an instant: ISO 8601 with the zone's offset that day.
    body = sent.value.post_data_json
    assert body is not None
    scheduled = body["batches"][0]["scheduledAt"]
    assert datetime.fromisoformat(scheduled) == start, scheduled
    page.get_by_label("Status").select_option(label="Queued")
    jobs = page.get_by_role("region", name="Jobs")
    expect(jobs.get_by_role("row")).to_have_count(2, timeout=STEP)
    jobs.get_by_role("link").first.click()
    job_id = page.url.rsplit("/", 1)[1]
    expect(fact(page, "Status")).to_have_text("QUEUED")
    expect(fact(page, "Started")).to_have_text("Not yet")
    shown = fact(page, "Scheduled").locator("time")  # when it starts, as the API keeps it
    expect(shown).to_have_attribute("datetime", re.compile("Z$"))
    assert datetime.fromisoformat(str(shown.get_attribute("datetime")).replace("Z", "+00:00")) == start
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("status")).to_contain_text("paused")
    expect(fact(page, "Status")).to_have_text("PAUSED")
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible(timeout=STEP)
    expect(fact(page, "Status")).to_have_text("QUEUED")
    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    audit("job-delete")
    dialog.get_by_role("button", name="Cancel").click()  # nothing happens without confirming
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete the job").click()
    expect(page.get_by_role("heading", name="Jobs", level=1)).to_be_visible(timeout=STEP)
    expect(page.get_by_role("status")).to_contain_text("deleted")
    expect(jobs.get_by_role("row")).to_have_count(3)  # the wave's two, done
    expect(page.get_by_role("link", name=re.compile(job_id))).to_have_count(0)
    page.get_by_label("Status").select_option(label="Queued")
    expect(page.get_by_text("No queued jobs.")).to_be_visible(timeout=STEP)


def create_and_revoke_key(page: Page, audit: PageAudit, stack: Stack) -> None:
    page.get_by_role("link", name="API keys").click()
    page.get_by_role("button", name="Create the key").click()
    expect(page.get_by_text("Name the key after what uses it.")).to_be_visible()
    page.get_by_label("Key name").fill("Dashboard test key")
    page.get_by_role("button", name="Create the key").click()
    secret_box = page.get_by_label("New API key")
    expect(secret_box).to_have_value(re.compile(r"^tmk_test_"), timeout=STEP)
    secret = secret_box.input_value()
    audit("keys-secret")
    assert httpx.get(f"{stack.api_url}/v1/tenants", headers={"Authorization": f"Bearer {secret}"}).is_success
    page.get_by_role("button", name="Done: hide the key").click()
    assert secret not in page.content()  # shown once
    keys = page.get_by_role("region", name="API keys")
    row = keys.get_by_role("row", name=re.compile(f"Dashboard test key {re.escape(secret[:14])}"))
    expect(row).to_contain_text("Active")
    row.get_by_role("button", name="Revoke Dashboard test key").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke the key").click()
    expect(row).to_contain_text("Revoked", timeout=STEP)
    audit("keys")
    refused = httpx.get(f"{stack.api_url}/v1/tenants", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401, refused.text


def command_device(page: Page, audit: PageAudit) -> None:
    page.get_by_role("link", name="Devices").click()
    expect(page.get_by_role("link", name=DEVICE["hostname"])).to_be_visible(timeout=STEP)
    audit("devices")
    page.get_by_role("link", name=DEVICE["hostname"]).click()
    expect(page.get_by_role("heading", name=DEVICE["hostname"], level=1)).to_be_visible()
    expect(page.get_by_label("Command", exact=True)).to_have_value("FULL_MIGRATION")
    # Checked as the API checks it, each problem beside its field.
    page.get_by_label("Provisioning package URL").fill("http://storage.example/enroll.ppkg")
    page.get_by_label("Destination tenant id").fill("not-a-guid")
    page.get_by_role("button", name="Queue the command").click()
    expect(page.get_by_label("Provisioning package URL")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Must be an https URL.")).to_be_visible()
    expect(page.get_by_label("Destination tenant id")).to_have_attribute("aria-invalid", "true")
    audit("device-errors")
    page.get_by_label("Provisioning package URL").fill("https://storage.example/enroll.ppkg")
    page.get_by_label("Destination tenant id").fill(DEST_TENANT_GUID)
    page.get_by_role("button", name="Queue the command").click()
    expect(page.get_by_role("status")).to_contain_text("queued for DASH-PC-01", timeout=STEP)
    history = page.get_by_role("region", name="Command history")
    row = history.get_by_role("row", name=re.compile("FULL_MIGRATION"))
    expect(row).to_contain_text("PENDING")
    audit("device")
    row.get_by_role("button", name=re.compile("^Cancel FULL_MIGRATION command cmd_")).click()
    expect(row).to_contain_text("CANCELLED", timeout=STEP)
    expect(row.get_by_role("button")).to_have_count(0)


def rediscover_and_disconnect(page: Page, audit: PageAudit) -> None:
    page.get_by_role("link", name="Tenants", exact=True).click()
    page.get_by_role("link", name="fabrikam.com").click()
    page.get_by_role("button", name="Rediscover").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Discovery of fabrikam.com is complete", timeout=JOB_SECONDS
    )
    page.get_by_role("button", name="Disconnect").click()
    dialog = page.get_by_role("dialog", name="Disconnect fabrikam.com?")
    expect(dialog).to_be_visible()
    audit("tenant-disconnect")
    page.keyboard.press("Escape")  # a second thought: the dialog closes, nothing happens
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Disconnect").click()
    dialog.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_role("heading", name="Tenants", level=1)).to_be_visible(timeout=STEP)
    expect(page.get_by_role("status")).to_contain_text("fabrikam.com is disconnected")
    tenants = page.get_by_role("region", name="Tenant list")
    expect(tenants.get_by_role("row")).to_have_count(2)  # the heading row and contoso.com
    expect(tenants.get_by_role("link", name="fabrikam.com")).to_have_count(0)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Migrator")).to_be_visible(timeout=STEP)
    page.reload()  # the cookie is gone too: a reload does not sign back in
    expect(page.get_by_role("heading", name="Sign in to Migrator")).to_be_visible(timeout=STEP)


@pytest.mark.timeout(900)
def test_an_operator_migrates_and_manages_everything_from_the_dashboard(
    stack: Stack, organisation: Organisation, simulator: httpx.Client, tmp_path: Path
) -> None:
    seed_sites(simulator)
    register_device(stack, organisation)
    with sync_playwright() as playwright, chromium(playwright) as browser:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, timezone_id=BROWSER_TIME_ZONE, accept_downloads=True
        )
        page = context.new_page()
        audit = PageAudit(page)
        page.goto(f"{stack.api_url}/")
        sign_in(page, audit, organisation.key)
        connect(page, context, "contoso.com", "Source")
        connect(page, context, "fabrikam.com", "Destination")
        tenants_are_discovered(page, audit)
        run_wave(page, audit)
        watch_job(page, audit, tmp_path)
        schedule_pause_resume_delete(page, audit)
        create_and_revoke_key(page, audit, stack)
        command_device(page, audit)
        rediscover_and_disconnect(page, audit)
        sign_out(page)
        context.close()
    audit.assert_clean()
