"""One job is one trace: from the HTTP request through every NATS hop to the projection write."""

from __future__ import annotations

import json
import secrets

import httpx
import pytest
from migrator_devstack.stack import Stack
from support import new_site, post_job, wait_until
from trace_sink import Span, TraceSink

pytestmark = pytest.mark.e2e


def _ancestry(span: Span, by_id: dict[str, Span]) -> list[Span]:
    """The span and its ancestors, root first, as far as they were received."""
    chain = [span]
    while chain[-1].parent_id in by_id:
        chain.append(by_id[chain[-1].parent_id])
    return chain[::-1]


def _services_in_order(chain: list[Span]) -> list[str]:
    out: list[str] = []
    for span in chain:
        name = span.service.removeprefix("migrator-")
        if not out or out[-1] != name:
            out.append(name)
    return out


def _is_subsequence(wanted: list[str], seen: list[str]) -> bool:
    remaining = iter(seen)
    return all(any(w == s for s in remaining) for w in wanted)


def _projection_path(spans: list[Span], *, through: list[str]) -> list[Span] | None:
    """A projection write whose ancestry passes through ``through`` in order, or None."""
    by_id = {s.span_id: s for s in spans}
    for span in spans:
        if "db.operation.name" not in span.attributes:
            continue
        chain = _ancestry(span, by_id)
        if _is_subsequence(through, _services_in_order(chain)):
            return chain
    return None


def test_a_sharepoint_job_is_one_trace_from_the_request_to_the_projection_write(
    stack: Stack, api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str], trace_sink: TraceSink
) -> None:
    trace_id = secrets.token_hex(16)
    # The caller asks for this request to be traced (W3C trace context, sampled flag set); the
    # deployment records no other trace, so everything received under this id is the job's.
    created = post_job(
        api,
        tenants,
        type="SHAREPOINT",
        options={"sites": [new_site(simulator, "traced", 20, api=api, tenants=tenants)]},
        headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
    )
    assert created.status_code == 201, created.text
    job = created.json()["job"]
    wait_until(
        lambda: api.get(f"/v1/jobs/{job['id']}").json()["job"]["status"] == "DONE",
        timeout=120,
        what="the traced job to finish",
    )
    through = ["gateway", "scheduler", "sp-connector", "scheduler"]

    def path() -> list[Span] | None:
        return _projection_path(trace_sink.trace(trace_id), through=through)

    chain: list[Span] | None = None
    try:
        chain = wait_until(path, timeout=30, what="the spans to be exported")
    finally:
        if chain is None:
            spans = trace_sink.trace(trace_id)
            print(
                f"{len(spans)} spans in the trace:", *sorted({(s.service, s.name) for s in spans}), sep="\n"
            )
    assert chain is not None
    services = _services_in_order(chain)
    assert services[0] == "gateway" and chain[0].name.startswith("POST /v1/jobs"), _describe(chain)
    # The request's span is the root: the trace is the job's, not stitched from several.
    assert chain[0].parent_id and chain[0].parent_id not in {s.span_id for s in trace_sink.trace(trace_id)}
    last = chain[-1]
    assert last.attributes["db.collection.name"] and last.attributes["db.system.name"] in (
        "sqlite",
        "mongodb",
    )
    # Every service that took part is in the same trace.
    seen = {s.service for s in trace_sink.trace(trace_id)}
    assert {"migrator-gateway", "migrator-scheduler", "migrator-sp-connector", "migrator-log-stream"} <= seen
    # And the connector's JSON log lines about the job carry the trace's id: an operator goes
    # from a log line to the whole trace, and back.
    lines = [
        json.loads(line)
        for line in stack.procs["sp-connector"].log_path.read_text().splitlines()
        if line.startswith("{")
    ]
    ours = [line for line in lines if line.get("trace_id") == trace_id]
    assert any(
        line.get("event") == "import submitted" and job["id"] in line.get("unit_id", "") for line in ours
    ), ours


def test_an_untraced_request_records_nothing(
    api: httpx.Client, tenants: dict[str, str], trace_sink: TraceSink
) -> None:
    # Sampling is the caller's: without the sampled flag no span of this request is exported.
    trace_id = secrets.token_hex(16)
    response = api.get("/v1/tenants", headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-00"})
    assert response.status_code == 200
    before = len(trace_sink.spans)
    traced = secrets.token_hex(16)
    api.get("/v1/tenants", headers={"traceparent": f"00-{traced}-{secrets.token_hex(8)}-01"})
    wait_until(lambda: trace_sink.trace(traced), timeout=30, what="the sampled request's span")
    assert len(trace_sink.spans) > before
    assert trace_sink.trace(trace_id) == []


def _describe(chain: list[Span]) -> str:
    return " → ".join(f"{s.service}:{s.name}" for s in chain)
