"""Job logs: SSE history + live + done, resumable with Last-Event-ID; CSV export; isolation."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import threading
import time
from typing import Any

import httpx
import nats
import pytest
from httpx_sse import connect_sse
from migrator_devstack.stack import Stack
from support import create_job, wait_until

pytestmark = pytest.mark.e2e

FINANCE = "https://contoso.sharepoint.com/sites/finance"
ENGINEERING = "https://contoso.sharepoint.com/sites/engineering"


def read_events(
    api: httpx.Client,
    job_id: str,
    *,
    last_event_id: str | None = None,
    stop_after: int | None = None,
    opened: threading.Event | None = None,
    **params: Any,
) -> list[tuple[str, str, dict[str, Any]]]:
    """(event, id, data) for each SSE event, until ``done`` (or ``stop_after`` log events);
    ``opened`` is set once the gateway has answered (the stream is open)."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    out: list[tuple[str, str, dict[str, Any]]] = []
    with connect_sse(
        api, "GET", f"/v1/jobs/{job_id}/logs", params=params, headers=headers, timeout=httpx.Timeout(180)
    ) as source:
        assert source.response.status_code == 200, source.response.read()
        assert source.response.headers["content-type"].startswith("text/event-stream")
        if opened is not None:
            opened.set()
        for sse in source.iter_sse():
            if not sse.data:
                continue  # a heartbeat comment (httpx-sse reports it as an empty message; browsers do not)
            out.append((sse.event, sse.id, json.loads(sse.data)))
            if sse.event == "done":
                break
            if stop_after is not None and len(out) >= stop_after:
                break
    return out


def export(api: httpx.Client, job_id: str) -> list[dict[str, str]]:
    response = api.get(f"/v1/jobs/{job_id}/logs/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'attachment; filename="job-logs.csv"'
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode()
    assert text.startswith("id,level,message,ts\r\n")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_a_live_tail_replays_then_streams_then_says_done_and_matches_the_export(
    api: httpx.Client, tenants: dict[str, str]
) -> None:
    job_id = create_job(api, tenants, type="SHAREPOINT", options={"sites": [FINANCE, ENGINEERING]})["id"]
    events = read_events(api, job_id)  # connects while the job runs
    logs = [(i, d) for e, i, d in events if e == "log"]
    assert events[-1][0] == "done" and events[-1][2]["status"] == "DONE" and events[-1][2]["completedAt"]
    ids = [int(i) for i, _ in logs]
    assert ids == sorted(set(ids)), "in stream order, none twice"
    messages = [d["message"] for _, d in logs]
    assert messages[0].startswith("Job queued")
    assert any(m.startswith("Job started: 2 units") for m in messages)
    assert any(m.startswith(f"{FINANCE} → ") for m in messages)
    assert any(d["level"] == "ERROR" and d.get("fields", {}).get("itemUrl") for _, d in logs), (
        "per-item errors"
    )
    assert messages[-1].startswith("Job finished: DONE")
    # The export holds exactly what the stream delivered, in the same order.
    rows = export(api, job_id)
    exported = {r["id"] for r in rows}
    assert [r["id"] for r in rows] == [d["id"] for _, d in logs], [
        x for x in logs if x[1]["id"] not in exported
    ]
    assert [r["ts"] for r in rows] == [d["ts"] for _, d in logs]
    # A finished job: its whole history, then done at once.
    again = read_events(api, job_id)
    assert [d["id"] for e, _, d in again if e == "log"] == [d["id"] for _, d in logs]
    assert again[-1][0] == "done"


def test_reconnecting_with_last_event_id_resumes_exactly_after_it(
    api: httpx.Client, tenants: dict[str, str]
) -> None:
    job_id = create_job(api, tenants, type="SHAREPOINT", options={"sites": [FINANCE, ENGINEERING]})["id"]
    first = read_events(api, job_id, stop_after=3)  # then the client goes away mid-job
    assert all(e == "log" for e, _, _ in first)
    rest = read_events(api, job_id, last_event_id=first[-1][1])
    seen = [d["id"] for e, _, d in first + rest if e == "log"]
    full = [d["id"] for e, _, d in read_events(api, job_id) if e == "log"]
    assert seen == full, "no gap, no repeat"
    # Each of several disconnects resumes the same way.
    resumed, cursor = [], None
    while True:
        chunk = read_events(api, job_id, last_event_id=cursor, stop_after=2)
        resumed += [d["id"] for e, _, d in chunk if e == "log"]
        if chunk[-1][0] == "done":
            break
        cursor = chunk[-1][1]
    assert resumed == full


def test_the_level_filter_keeps_only_those_levels_and_still_ends_with_done(
    api: httpx.Client, tenants: dict[str, str]
) -> None:
    job_id = create_job(api, tenants, type="SHAREPOINT", options={"sites": [FINANCE]})["id"]
    events = read_events(api, job_id, level="ERROR,WARN")
    assert events[-1][0] == "done"
    levels = {d["level"] for e, _, d in events if e == "log"}
    assert levels and levels <= {"ERROR", "WARN"}
    assert api.get(f"/v1/jobs/{job_id}/logs", params={"level": "LOUD"}).json()["code"] == "VALIDATION_ERROR"
    bad = api.get(f"/v1/jobs/{job_id}/logs", headers={"Last-Event-ID": "abc"})
    assert bad.status_code == 400 and bad.json()["code"] == "VALIDATION_ERROR"


HOSTILE = [
    "a, b, and c",
    'she said "hi"',
    "two\nlines\r\nand a CR",
    "unicode: żółć 😀 — ✓",
    '=HYPERLINK("http://evil")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tTAB first",
]


async def _publish_lines(stack: Stack, job_id: str, messages: list[str]) -> None:
    nc = await nats.connect(stack.env["MIGRATOR_NATS_URL"])
    try:
        js = nc.jetstream()
        for n, message in enumerate(messages):
            line = {
                "id": f"log_hostile_{job_id}_{n}",
                "jobId": job_id,
                "level": "INFO",
                "message": message,
                "ts": "2026-05-09T08:05:00Z",
            }
            await js.publish(
                f"migrator.log.job.{job_id}", json.dumps(line).encode(), headers={"Nats-Msg-Id": line["id"]}
            )
    finally:
        await nc.close()


def test_the_csv_export_round_trips_hostile_messages_safely(
    stack: Stack, api: httpx.Client, tenants: dict[str, str]
) -> None:
    job_id = create_job(api, tenants, type="SHAREPOINT", options={"sites": [FINANCE]})["id"]
    # FINANCE was migrated before: this pass retries only its blocked .tmp files, which fail
    # again, so the job ends ERROR. Either end will do here: the lines come after it.
    wait_until(
        lambda: api.get(f"/v1/jobs/{job_id}").json()["job"]["status"] in ("DONE", "ERROR"),
        timeout=120,
        what="the job",
    )
    asyncio.run(_publish_lines(stack, job_id, HOSTILE))  # what an operator can put on the subject
    rows = wait_until(
        lambda: (
            (r := export(api, job_id))
            and sum(x["id"].startswith("log_hostile_") for x in r) == len(HOSTILE)
            and r
        ),
        timeout=30,
        what="the lines to be projected",
    )
    got = [r["message"] for r in rows if r["id"].startswith("log_hostile_")]
    # Exactly the text, except that a leading = + - @ or TAB is made inert with a quote.
    expected = ["'" + m if m[0] in "=+-@\t" else m for m in HOSTILE]
    assert got == expected


def test_another_organisation_and_unknown_jobs_get_404(
    api: httpx.Client, other_org_api: httpx.Client, tenants: dict[str, str]
) -> None:
    job_id = create_job(api, tenants, type="SHAREPOINT", options={"sites": [FINANCE]})["id"]
    for client, target in ((other_org_api, job_id), (api, "job_01NOPE00000000000000000000")):
        for path in (f"/v1/jobs/{target}/logs", f"/v1/jobs/{target}/logs/export"):
            response = client.get(path)
            assert response.status_code == 404, (path, response.text)
            assert response.json() == {"error": "Job not found", "code": "JOB_NOT_FOUND", "status": 404}


async def _lines_on_stream(stack: Stack, job_id: str) -> int:
    nc = await nats.connect(stack.env["MIGRATOR_NATS_URL"])
    try:
        info = await nc.jetstream().stream_info("MIGRATOR_LOG", subjects_filter=f"migrator.log.job.{job_id}")
        return sum((info.state.subjects or {}).values())
    finally:
        await nc.close()


def test_a_deleted_jobs_logs_go_with_it(stack: Stack, api: httpx.Client, tenants: dict[str, str]) -> None:
    job_id = create_job(api, tenants, type="SHAREPOINT", options={"sites": [FINANCE]})["id"]
    assert read_events(api, job_id)[-1][0] == "done"
    assert asyncio.run(_lines_on_stream(stack, job_id)) > 0
    assert api.delete(f"/v1/jobs/{job_id}").status_code == 200
    wait_until(
        lambda: asyncio.run(_lines_on_stream(stack, job_id)) == 0, timeout=30, what="the lines to be purged"
    )
    assert api.get(f"/v1/jobs/{job_id}/logs/export").status_code == 404


def test_throttling_shows_in_the_log_with_its_delay(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    # The simulator throttles the next two calls, whoever makes them: a job an earlier test left
    # running (the 404 test does not wait for its own) must not take them.
    wait_until(
        lambda: not api.get("/v1/jobs", params={"status": "RUNNING"}).json()["jobs"],
        timeout=120,
        what="earlier tests' jobs to finish",
    )
    simulator.post(
        "/_sim/faults", json={"throttle": {"status": 429, "count": 2, "retryAfter": 1}}
    ).raise_for_status()
    try:
        # A full pass: the throttled calls are the copy's, and FINANCE was migrated before.
        job_id = create_job(api, tenants, type="SHAREPOINT", options={"sites": [FINANCE], "fullPass": True})[
            "id"
        ]
        events = read_events(api, job_id)
    finally:
        simulator.delete("/_sim/faults").raise_for_status()
    assert events[-1][0] == "done" and events[-1][2]["status"] == "DONE"
    throttled = [d for e, _, d in events if e == "log" and d["message"].startswith("Throttled (429)")]
    assert len(throttled) == 2, [d.get("message") for _, _, d in events]
    assert all(d["level"] == "WARN" and d["fields"]["retryAfterSeconds"] == 1 for d in throttled)
    assert throttled[0]["message"] == "Throttled (429) — retrying in 1s"
    assert throttled[0]["fields"]["source"] == FINANCE


def test_an_idle_stream_sends_heartbeats_and_a_client_can_leave_at_any_time(
    api: httpx.Client, tenants: dict[str, str]
) -> None:
    job_id = create_job(
        api, tenants, type="SHAREPOINT", scheduledAt="2099-01-01T00:00:00Z", options={"sites": [FINANCE]}
    )["id"]
    received = b""
    with api.stream("GET", f"/v1/jobs/{job_id}/logs", timeout=httpx.Timeout(10)) as response:
        assert response.status_code == 200
        started = time.monotonic()
        for chunk in response.iter_raw():
            received += chunk
            if b": ping" in received or time.monotonic() - started > 8:
                break
    assert b"Job queued" in received  # its history so far
    assert b": ping\r\n\r\n" in received, received  # then keep-alive comments while nothing happens
    assert api.delete(f"/v1/jobs/{job_id}").status_code == 200


def test_a_gateway_stopping_ends_its_streams_and_they_resume_on_the_next(
    stack: Stack, api: httpx.Client, tenants: dict[str, str]
) -> None:
    job_id = create_job(
        api, tenants, type="SHAREPOINT", scheduledAt="2099-01-01T00:00:00Z", options={"sites": [FINANCE]}
    )["id"]
    first = read_events(api, job_id, stop_after=1)  # "Job queued"
    received, opened, ended = b"", threading.Event(), threading.Event()

    def follow() -> None:
        nonlocal received
        with api.stream("GET", f"/v1/jobs/{job_id}/logs", headers={"Last-Event-ID": first[0][1]}) as response:
            opened.set()
            for chunk in response.iter_raw():
                received += chunk
        ended.set()

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    assert opened.wait(30), "the gateway answered the stream"  # open, and idle
    stack.procs["gateway"].stop(timeout=30)  # SIGTERM
    assert ended.wait(30), "the stream ended when its gateway stopped"
    log = stack.procs["gateway"].log_path.read_text()
    assert "timeout graceful shutdown exceeded" not in log, (
        "the gateway did not wait out its shutdown timeout"
    )
    stack.start_service("gateway")
    stack.wait_ready(timeout=60)
    # The client resumes on the new gateway after the last line it saw: nothing is repeated, and
    # deleting the job ends the stream with done.
    resumed: list[tuple[str, str, dict[str, Any]]] = []
    reopened = threading.Event()
    again = threading.Thread(
        target=lambda: resumed.extend(read_events(api, job_id, last_event_id=first[0][1], opened=reopened))
    )
    again.start()
    assert reopened.wait(30), "the new gateway answered the stream"
    assert api.delete(f"/v1/jobs/{job_id}").status_code == 200
    again.join(30)
    assert [(e, d["status"]) for e, _, d in resumed] == [("done", "CANCELLED")]
    assert api.get(f"/v1/jobs/{job_id}/logs").status_code == 404  # a deleted job's log is gone with it
