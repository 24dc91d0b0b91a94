"""Planning which units start next: limits per job, tenant and type, and turns across organisations."""

from __future__ import annotations

import pytest
from migrator_scheduler.domain.dispatch_plan import Candidate, InFlight, Limits, plan

pytestmark = pytest.mark.unit


def job(job_id: str, org: str, units: int, tenant: str = "ten_D", job_type: str = "SHAREPOINT") -> Candidate:
    return Candidate(job_id, org, tenant, job_type, [f"{job_id}_{i}" for i in range(units)])


def test_a_tenant_limit_holds_across_jobs_and_older_jobs_go_first() -> None:
    jobs = [job("job_A", "org_1", 5), job("job_B", "org_1", 5)]
    started = plan(jobs, InFlight(), Limits(per_job=4, per_tenant=6))
    assert started == [("job_A", f"job_A_{i}") for i in range(4)] + [
        ("job_B", "job_B_0"),
        ("job_B", "job_B_1"),
    ]


def test_units_already_in_flight_count_against_every_limit() -> None:
    busy = InFlight.of([("job_A", "org_1", "ten_D", "SHAREPOINT")] * 3)
    assert plan([job("job_A", "org_1", 5)], busy, Limits(per_job=4, per_tenant=10)) == [("job_A", "job_A_0")]
    busy = InFlight.of([("job_X", "org_1", "ten_D", "SHAREPOINT")] * 2)
    assert plan([job("job_A", "org_1", 5)], busy, Limits(per_job=4, per_tenant=2)) == []


def test_organisations_take_turns_under_a_shared_type_limit() -> None:
    big_wave = [job(f"job_B{i}", "org_big", 3, tenant="ten_BIG") for i in range(10)]
    small = [job("job_S0", "org_small", 3, tenant="ten_SMALL")]
    started = plan(
        [*big_wave, *small], InFlight(), Limits(per_job=3, per_tenant=100, per_type={"SHAREPOINT": 6})
    )
    orgs = ["big" if j.startswith("job_B") else "small" for j, _ in started]
    assert orgs == ["big", "small"] * 3, "the small organisation is not starved by the big wave"


def test_a_type_without_a_limit_is_only_bounded_by_job_and_tenant() -> None:
    limits = Limits(per_job=2, per_tenant=3, per_type={"EMAIL": 1})
    started = plan([job("job_A", "org_1", 5, job_type="TEAMS")], InFlight(), limits)
    assert len(started) == 2


def test_per_type_limits_parse_and_refuse_nonsense() -> None:
    assert Limits.parse_per_type(" sharepoint=32, EMAIL=64 ") == {"SHAREPOINT": 32, "EMAIL": 64}
    assert Limits.parse_per_type("") == {}
    for bad in ("SHAREPOINT", "EMAIL=0", "TEAMS=x"):
        with pytest.raises(ValueError, match="expected TYPE=N"):
            Limits.parse_per_type(bad)
