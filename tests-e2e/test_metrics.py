"""Prometheus metrics of the running system: what an operator's dashboards read."""

from __future__ import annotations

import httpx
import pytest
from migrator_devstack.stack import Stack
from prometheus_client.parser import text_string_to_metric_families
from support import create_job, new_site, wait_until

pytestmark = pytest.mark.e2e


def scrape(stack: Stack, name: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(f"{stack.ops_url(name)}/metrics", timeout=10).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    """The sum over every series of ``name`` carrying these labels."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def test_a_job_shows_in_every_services_metrics(
    stack: Stack, api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    site = new_site(simulator, "metrics", 40, api=api, tenants=tenants)  # discovered before the faults
    # Two throttling answers from SharePoint on the way.
    simulator.post("/_sim/faults", json={"throttle": {"status": 429, "count": 2, "retryAfter": 1}})
    try:
        job = create_job(api, tenants, type="SHAREPOINT", options={"sites": [site]})
        wait_until(
            lambda: api.get(f"/v1/jobs/{job['id']}").json()["job"]["status"] == "DONE",
            timeout=120,
            what="the job",
        )
    finally:
        simulator.delete("/_sim/faults")
    api.get(f"/v1/jobs/{job['id']}")

    scheduler = scrape(stack, "scheduler")
    assert (
        value(scheduler, "migrator_messages_handled_total", consumer="scheduler-create-job", outcome="acked")
        > 0
    )
    assert value(scheduler, "migrator_handler_seconds_count") > 0
    # Lag is read from the server for every durable consumer the service reads.
    assert any(n == "migrator_consumer_pending_messages" for n, _ in scheduler)

    connector = scrape(stack, "sp-connector")
    assert value(connector, "migrator_upstream_throttled_total", status="429") >= 2
    assert value(connector, "migrator_upstream_throttle_wait_seconds_total") >= 1

    gateway = scrape(stack, "gateway")
    # API latency by route template: a job's id never becomes a series of its own.
    assert value(gateway, "migrator_http_request_seconds_count", route="/v1/jobs/{job_id}", status="200") > 0
    assert not any(job["id"] in dict(ls).get("route", "") for _, ls in gateway)
    assert value(gateway, "migrator_http_request_seconds_count", route="/v1/jobs", method="POST") > 0
