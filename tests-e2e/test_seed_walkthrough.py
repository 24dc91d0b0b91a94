"""Every example of the public API reference, sent as written (with real ids), gets the documented
response shape. The examples are read from the reference, so a new one is walked (or noticed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from migrator_devstack.stack import Stack
from seed_examples import Example, load_examples
from support import SEED_KEY, connect_tenant, discovered, wait_until

pytestmark = pytest.mark.e2e

# Walked elsewhere: devices in test_devices; the log stream (SSE, CSV) is not JSON (test_job_logs).
DEFERRED = ("/logs", "/v1/devices")
# Documented with a value, but legitimately null at some moments (a job not started, a last page).
NULLABLE = {"nextCursor", "startedAt", "completedAt"}


def shape_errors(
    documented: Any, actual: Any, where: str = "$", nullable: frozenset[str] | set[str] = NULLABLE
) -> list[str]:
    """How ``actual`` departs from the documented example: missing keys, wrong JSON types."""
    if documented is None:
        return []
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {type(actual).__name__}"]
        errors = [f"{where}.{k}: missing" for k in documented if k not in actual]
        for key, value in documented.items():
            if key in actual and not (actual[key] is None and key in nullable):
                errors += shape_errors(value, actual[key], f"{where}.{key}", nullable)
        return errors
    if isinstance(documented, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {type(actual).__name__}"]
        if documented and isinstance(documented[0], dict | list):
            return [
                e
                for i, item in enumerate(actual)
                for e in shape_errors(documented[0], item, f"{where}[{i}]", nullable)
            ]
        return []
    kinds = (
        (bool,)
        if isinstance(documented, bool)
        else (int,)
        if isinstance(documented, int)
        else (type(documented),)
    )
    if not isinstance(actual, kinds) or (isinstance(actual, bool) and not isinstance(documented, bool)):
        return [f"{where}: expected {type(documented).__name__}, got {actual!r}"]
    return []


@pytest.fixture(scope="module")
def seed_api(stack: Stack) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {SEED_KEY}"}
    with httpx.Client(base_url=stack.api_url, headers=headers, timeout=30) as client:
        yield client


def test_the_reference_examples_parse() -> None:
    examples = load_examples()
    assert len(examples) == 25
    walked = [e for e in examples if not any(d in e.path for d in DEFERRED)]
    assert len(walked) == 15 and all(e.response is not None for e in walked)


def test_the_shape_check_catches_missing_keys_and_wrong_types() -> None:
    documented = {"job": {"id": "job_1", "totalItems": 0, "dryRun": False, "startedAt": None}, "ids": ["x"]}
    ok = {"job": {"id": "j", "totalItems": 3, "dryRun": True, "startedAt": None}, "ids": []}
    assert shape_errors(documented, ok) == []
    wrong = {"job": {"id": 7, "totalItems": True, "dryRun": 0, "startedAt": "x"}, "ids": {}}
    assert shape_errors(documented, wrong) == [
        "$.job.id: expected str, got 7",
        "$.job.totalItems: expected int, got True",
        "$.job.dryRun: expected bool, got 0",
        "$.ids: expected a list, got dict",
    ]
    assert shape_errors({"a": {"b": 1}}, {}) == ["$.a: missing"]


def test_walk_the_reference_end_to_end(seed_api: httpx.Client) -> None:
    examples = [e for e in load_examples() if not any(d in e.path for d in DEFERRED)]
    # Deleting is shown before what needs the deleted: walk the deletes last (job, then tenant).
    job_delete = next(e for e in examples if e.method == "DELETE" and "/jobs/" in e.path)
    tenant_delete = next(e for e in examples if e.method == "DELETE" and "/tenants/" in e.path)
    examples = [e for e in examples if e not in (job_delete, tenant_delete)] + [job_delete, tenant_delete]
    ids: dict[str, str] = {}

    def send(example: Example) -> httpx.Response:
        path, body = example.path, example.body
        for placeholder, real in ids.items():
            path = path.replace(placeholder, real)
        if body is not None:
            body = _with_real_ids(body, ids, seed_api)
        response = seed_api.request(example.method, path, json=body)
        assert response.status_code in (200, 201), f"{example.method} {path}: {response.text}"
        errors = shape_errors(example.response, response.json())
        assert not errors, f"{example.method} {example.path}: {errors}"
        return response

    connect, *rest = examples
    started = send(connect)  # the reference's own connect example, then the admin's consent
    landed = httpx.get(started.json()["authUrl"], follow_redirects=True, timeout=30)
    ids["ten_01HXKP3B"] = landed.json()["tenantId"]
    ids["ten_02HXZ9QW"] = connect_tenant(seed_api, "fabrikam.com", "destination")
    for tenant_id in (ids["ten_01HXKP3B"], ids["ten_02HXZ9QW"]):
        discovered(seed_api, tenant_id)
    for example in rest:
        response = send(example)
        if example.method == "POST" and example.path == "/v1/jobs":
            ids["job_01HY2MQR"] = response.json()["job"]["id"]
            # The reference lists RUNNING jobs next: wait until this one is.
            wait_until(
                lambda: seed_api.get(f"/v1/jobs/{ids['job_01HY2MQR']}").json()["job"]["status"] == "RUNNING",
                timeout=30,
                what="the job to start",
            )
        if example.path.endswith("/pause"):
            assert response.json() == {"status": "PAUSED"}
        if example.path.endswith("/resume"):
            assert response.json() == {"status": "QUEUED"}
    assert seed_api.get(f"/v1/jobs/{ids['job_01HY2MQR']}").status_code == 404
    assert seed_api.get("/v1/tenants").json()["tenants"] == [
        seed_api.get(f"/v1/tenants/{ids['ten_02HXZ9QW']}").json()["tenant"]
    ]


def _with_real_ids(body: Any, ids: dict[str, str], api: httpx.Client) -> Any:
    """The example body with real tenant ids, and real mailboxes where the reference shows
    (redacted) addresses."""
    body = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    if "batches" in body:
        upns = [u["upn"] for u in api.get(f"/v1/tenants/{body['sourceTenantId']}/users").json()["users"]]
        for index, batch in enumerate(body["batches"]):
            mine = upns[2 * index : 2 * index + 2]
            batch["options"]["mailboxes"] = mine
            batch["options"]["mailboxMappings"] = [
                {"source": u, "dest": u.replace("contoso.com", "fabrikam.com")} for u in mine
            ]
    return body
