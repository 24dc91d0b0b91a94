"""The client's own logic: rates, pagination, error bodies, what is retried and what is not.

The HTTP side is an httpx MockTransport: these test the client's decisions, not the API
(tests-e2e/test_client_cli.py drives the real system).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from migrator_client import ApiError, Client
from migrator_client.rates import RateMeter, eta_seconds
from migrator_client.watch import watch
from rich.console import Console

pytestmark = pytest.mark.unit

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, attempts: int = 3) -> Client:
    return Client("http://api", "tmk_test_x", attempts=attempts, transport=httpx.MockTransport(handler))


def error(status: int, code: str, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, json={"error": code.lower(), "code": code, "status": status}, headers=headers
    )


def test_the_rate_is_smoothed_and_resets_when_a_counter_goes_back() -> None:
    meter = RateMeter(half_life=1.0)
    assert meter.update(0.0, 0) is None
    assert meter.update(1.0, 100) == 100.0
    assert meter.update(2.0, 100) == 50.0  # one half-life later, half the old rate remains
    assert meter.update(3.0, 50) is None
    assert eta_seconds(100, 20.0) == 5.0 and eta_seconds(100, None) is None and eta_seconds(5, 0.0) is None


def test_jobs_follow_the_cursor_until_there_is_no_more() -> None:
    pages = {
        None: {"jobs": [{"id": "job_3"}, {"id": "job_2"}], "nextCursor": "cur_A", "hasMore": True},
        "cur_A": {"jobs": [{"id": "job_1"}], "nextCursor": None, "hasMore": False},
    }
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.url.params))
        assert request.headers["Authorization"] == "Bearer tmk_test_x"
        return httpx.Response(200, json=pages[request.url.params.get("cursor")])

    with client(handler) as api:
        assert [j["id"] for j in api.jobs(status="RUNNING", page_size=2)] == ["job_3", "job_2", "job_1"]
    assert seen == [
        {"status": "RUNNING", "limit": "2"},
        {"status": "RUNNING", "limit": "2", "cursor": "cur_A"},
    ]


def test_an_error_body_becomes_an_api_error_with_its_code() -> None:
    with client(lambda _: error(404, "JOB_NOT_FOUND")) as api, pytest.raises(ApiError) as caught:
        api.job("job_X")
    assert (caught.value.status, caught.value.code) == (404, "JOB_NOT_FOUND")


def test_a_429_is_retried_after_retry_after_and_a_create_is_not_retried_on_503() -> None:
    calls: list[str] = []

    def limited(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) == 1:
            return error(429, "RATE_LIMITED", **{"Retry-After": "0"})
        return httpx.Response(201, json={"job": {"id": "job_1"}})

    with client(limited) as api:
        assert api.create_job(type="SHAREPOINT", sourceTenantId="a", destTenantId="b")["job"]["id"] == "job_1"
    assert calls == ["POST", "POST"]

    calls.clear()

    def unavailable(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return error(503, "SERVICE_UNAVAILABLE")

    with client(unavailable) as api:
        with pytest.raises(ApiError):
            api.create_job(type="SHAREPOINT", sourceTenantId="a", destTenantId="b")
        assert calls == ["POST"], "a create that may have been applied is never sent twice"
        with pytest.raises(ApiError):
            api.tenants()
    assert calls == ["POST", "GET", "GET", "GET"], "reads are retried up to the attempt limit"


def test_pause_resume_and_delete_send_the_documented_requests() -> None:
    sent: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, request.url.path))
        body = {"deleted": True} if request.method == "DELETE" else {"status": "PAUSED"}
        return httpx.Response(200, content=json.dumps(body))

    with client(handler) as api:
        api.pause_job("job_1")
        api.resume_job("job_1")
        api.delete_job("job_1")
    assert sent == [
        ("PATCH", "/v1/jobs/job_1/pause"),
        ("PATCH", "/v1/jobs/job_1/resume"),
        ("DELETE", "/v1/jobs/job_1"),
    ]


def test_watch_follows_a_job_from_unknown_total_to_done_and_shows_rates() -> None:
    snapshots = iter(
        [
            {
                "id": "job_1",
                "status": "QUEUED",
                "totalItems": 0,
                "doneItems": 0,
                "errorItems": 0,
                "skippedItems": 0,
            },
            {
                "id": "job_1",
                "status": "RUNNING",
                "totalItems": 40,
                "doneItems": 10,
                "errorItems": 0,
                "skippedItems": 0,
                "bytesTransferred": 1024,
            },
            {
                "id": "job_1",
                "status": "RUNNING",
                "totalItems": 40,
                "doneItems": 30,
                "errorItems": 0,
                "skippedItems": 0,
                "bytesTransferred": 4096,
            },
            {
                "id": "job_1",
                "status": "DONE",
                "totalItems": 40,
                "doneItems": 38,
                "errorItems": 2,
                "skippedItems": 0,
                "bytesTransferred": 8192,
            },
        ]
    )
    ticks = iter(range(100))
    console = Console(record=True, width=160)
    code = watch(
        lambda: next(snapshots),
        interval=0,
        console=console,
        clock=lambda: float(next(ticks)),
        sleep=lambda _: None,
    )
    shown = console.export_text()
    assert code == 0
    assert "40/40" in shown and "38 done, 2 failed" in shown and "items/s" in shown and "KB/s" in shown


def test_watch_exits_1_for_a_failed_job() -> None:
    failed = {
        "id": "job_1",
        "status": "ERROR",
        "totalItems": 1,
        "doneItems": 0,
        "errorItems": 1,
        "skippedItems": 0,
    }
    assert watch(lambda: failed, interval=0, console=Console(record=True), sleep=lambda _: None) == 1


# --- the CLI's tables ----------------------------------------------------------------------------

TENANTS = [
    {
        "id": f"ten_01JEXAMPLE{n}AAAAAAAAAAAAAAA",
        "domain": f"subsidiary-{n}.contoso-holdings.com",
        "role": "source",
        "siteCount": 1200,
        "mailboxCount": 4500,
        "workloads": ["SHAREPOINT", "ONEDRIVE", "EMAIL", "TEAMS"],
        "discoveredAt": "2026-12-06T21:40:00Z",
    }
    for n in range(3)
]


@pytest.mark.parametrize("columns", [60, 80, 120, 250])
def test_the_tenants_table_keeps_every_id_whole_at_any_terminal_width(
    monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    from migrator_client import cli
    from typer.testing import CliRunner

    def tenants(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"tenants": TENANTS, "nextCursor": None})

    monkeypatch.setattr(cli, "Client", lambda url, key: client(tenants))
    shown = CliRunner().invoke(
        cli.app, ["--api-key", "tmk_test_x", "tenants", "list"], env={"COLUMNS": str(columns)}
    )
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert all(len(line) <= columns for line in lines)
    for tenant in TENANTS:
        assert any(tenant["id"] in line for line in lines), f"{tenant['id']} cut at {columns} columns"
    if columns >= 250:
        assert "discoveredAt" in shown.stdout and "Not shown" not in shown.stdout
    else:  # what had to go is said, least important first
        assert "Not shown for the terminal's width: discoveredAt" in " ".join(shown.stdout.split())
