"""Bad input gets a clear 4xx in the documented error body."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.e2e


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "code", "status"}
    assert body["code"] == code and body["status"] == status and body["error"]


def test_unknown_tenant_is_404_tenant_not_found(api: httpx.Client, tenants: dict[str, str]) -> None:
    assert_error(api.get("/v1/tenants/ten_DOESNOTEXIST"), 404, "TENANT_NOT_FOUND")
    response = api.post(
        "/v1/jobs",
        json={
            "sourceTenantId": "ten_NOPE",
            "destTenantId": tenants["fabrikam.com"],
            "type": "SHAREPOINT",
            "options": {"sites": ["https://x/sites/a"]},
        },
    )
    assert_error(response, 404, "TENANT_NOT_FOUND")


def test_malformed_json_missing_fields_and_wrong_enum_are_400(
    api: httpx.Client, tenants: dict[str, str]
) -> None:
    malformed = api.post("/v1/jobs", content=b"{oops", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["status"] == 400
    assert_error(api.post("/v1/jobs", json={"type": "SHAREPOINT"}), 400, "VALIDATION_ERROR")
    wrong_enum = api.post(
        "/v1/jobs",
        json={
            "sourceTenantId": tenants["contoso.com"],
            "destTenantId": tenants["fabrikam.com"],
            "type": "FAX",
        },
    )
    assert_error(wrong_enum, 400, "VALIDATION_ERROR")
    assert_error(
        api.post("/v1/tenants/connect", json={"domain": "contoso.com", "role": "owner"}),
        400,
        "VALIDATION_ERROR",
    )


def test_unknown_job_and_missing_key(api: httpx.Client, stack_url: str) -> None:
    assert_error(api.get("/v1/jobs/job_NOPE"), 404, "JOB_NOT_FOUND")
    assert_error(httpx.get(f"{stack_url}/v1/jobs"), 401, "UNAUTHORIZED")


@pytest.fixture
def stack_url(api: httpx.Client) -> str:
    return str(api.base_url).rstrip("/")


def test_a_failed_pre_flight_check_is_a_422_naming_the_check(
    api: httpx.Client, tenants: dict[str, str]
) -> None:
    source, dest = tenants["contoso.com"], tenants["fabrikam.com"]
    swapped = api.post(
        "/v1/jobs", json={"sourceTenantId": dest, "destTenantId": source, "type": "SHAREPOINT"}
    )
    assert_error(swapped, 422, "PREFLIGHT_ROLES")
    assert "'roles'" in swapped.json()["error"]
    # Jira runs between Atlassian sites: not a workload of a Microsoft 365 tenant.
    jira = api.post("/v1/jobs", json={"sourceTenantId": source, "destTenantId": dest, "type": "JIRA"})
    assert_error(jira, 422, "PREFLIGHT_WORKLOAD")
    assert "JIRA" in jira.json()["error"]
    onedrive = api.post("/v1/jobs", json={"sourceTenantId": source, "destTenantId": dest, "type": "ONEDRIVE"})
    assert_error(onedrive, 422, "PREFLIGHT_SCOPE")
    assert "options.sites" in onedrive.json()["error"]
    not_https = {"options": {"sites": ["http://contoso.sharepoint.com/sites/finance"]}}
    plain = api.post(
        "/v1/jobs", json={"sourceTenantId": source, "destTenantId": dest, "type": "SHAREPOINT", **not_https}
    )
    assert_error(plain, 400, "VALIDATION_ERROR")


def test_oversized_jobs_are_refused_with_a_4xx_not_lost(api: httpx.Client, tenants: dict[str, str]) -> None:
    pair = {
        "sourceTenantId": tenants["contoso.com"],
        "destTenantId": tenants["fabrikam.com"],
        "type": "SHAREPOINT",
    }
    many = [f"https://contoso.sharepoint.com/sites/s{i:05d}" for i in range(10_001)]
    too_many = api.post("/v1/jobs", json=pair | {"options": {"sites": many}})
    assert_error(too_many, 422, "PREFLIGHT_SCOPE")
    assert "10000" in too_many.json()["error"] and "batch" in too_many.json()["error"]
    # Each wave within the cap, but the batch as a whole too big to travel as one command (a
    # wave may only name discovered sites: its user mappings make it big).
    authors = [
        {"source": f"user{i:05d}@contoso.com", "dest": f"user{i:05d}@fabrikam.com"} for i in range(9_000)
    ]
    wave = {"sites": ["https://contoso.sharepoint.com/sites/finance"], "userMappings": authors}
    waves = [{"options": wave} for _ in range(3)]

    def newest() -> list[str]:
        return [j["id"] for j in api.get("/v1/jobs", params={"limit": 1}).json()["jobs"]]

    before = newest()
    too_big = api.post("/v1/jobs/batch", json=pair | {"batches": waves})
    assert_error(too_big, 413, "REQUEST_TOO_LARGE")
    assert newest() == before, "nothing was created"


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"status": "FINISHED"},
        {"status": ""},
        {"cursor": "cur_x"},
    ],
)
def test_bad_listing_parameters_are_400(api: httpx.Client, params: dict[str, str]) -> None:
    response = api.get("/v1/jobs", params=params)
    assert_error(response, 400, "VALIDATION_ERROR")
    assert next(iter(params)) in response.json()["error"]
