"""Schemathesis against /openapi.json: no 5xx, and every response matches the documented schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from migrator_devstack.stack import Stack
from support import FUZZ_KEY, connect_tenant, discovered

pytestmark = pytest.mark.e2e

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        # A method a path does not take: 405, with an Allow header naming the documented ones.
        "unsupported_method",
        "allow_header_conformance",
    )
)


def test_fuzzing_the_openapi_document_finds_no_server_error_and_no_schema_violation(
    stack: Stack, tmp_path: Path
) -> None:
    # Real resources of the fuzzer's own organisation, so path parameters reach more than 404s.
    headers = {"Authorization": f"Bearer {FUZZ_KEY}"}
    with httpx.Client(base_url=stack.api_url, headers=headers, timeout=30) as api:
        source = connect_tenant(api, "contoso.com", "source")
        dest = connect_tenant(api, "fabrikam.com", "destination")
        discovered(api, source)
        job = api.post(
            "/v1/jobs",
            json={
                "sourceTenantId": source,
                "destTenantId": dest,
                "type": "SHAREPOINT",
                "scheduledAt": "2099-01-01T00:00:00Z",
            },
        ).json()["job"]
        device = api.post(
            "/v1/devices/register",
            json={"orgId": "org_FUZZ", "hostname": "FUZZ-1", "ipAddress": "10.9.9.9", "domain": "fuzz.local"},
        ).json()["deviceId"]
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        f'[parameters]\n"path.tenant_id" = "{source}"\n"path.job_id" = "{job["id"]}"\n'
        f'"path.device_id" = "{device}"\n'
    )
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "run",
        f"{stack.api_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {FUZZ_KEY}",
        "--checks",
        CHECKS,
        # The live log stream of a job that is not due for years stays open by design; its
        # errors (400s, 404s) and its stream are tested in test_job_logs.py.
        "--exclude-path-regex",
        "/logs$",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "20",  # a bounded run: a few hundred requests in all
        "--seed",
        "20261124",
        "--generation-database",
        "none",
        "--request-timeout",
        "20",
        "--no-color",
        "--report-dir",
        str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]


# The consent callback is authenticated by its state; agents by their device secret.
AUTHENTICATED_OTHERWISE = {
    "/v1/tenants/callback",
    "/v1/devices/register",
    "/v1/devices/checkin",
    "/v1/devices/result",
}


def test_the_openapi_document_declares_the_api_key_and_the_docs_are_served(stack: Stack) -> None:
    document = httpx.get(f"{stack.api_url}/openapi.json").json()
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            needs_key = path.startswith("/v1/") and path not in AUTHENTICATED_OTHERWISE
            assert ("security" in operation) == needs_key, f"{method.upper()} {path}"
    create = document["paths"]["/v1/jobs"]["post"]
    assert {"201", "200", "422", "401", "429"} <= set(create["responses"])
    assert httpx.get(f"{stack.api_url}/docs").status_code == 200
