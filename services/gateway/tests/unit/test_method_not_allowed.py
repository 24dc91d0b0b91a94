"""A method a path does not take is a 405 whose Allow header names the methods the OpenAPI
document gives that path: never the methods of another route whose pattern also matches it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from migrator_gateway.app import create_app
from migrator_gateway.config import GatewaySettings

pytestmark = pytest.mark.unit

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
EXAMPLE_IDS = {
    "tenant_id": "ten_X",
    "job_id": "job_X",
    "device_id": "dev_X",
    "command_id": "cmd_X",
    "key_id": "key_X",
}


async def test_every_path_answers_an_undocumented_method_with_its_documented_methods(tmp_path: Path) -> None:
    app = create_app(GatewaySettings(data_dir=tmp_path))  # no lifespan: a 405 needs no client
    document = app.openapi()
    checked, wrong = 0, []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        for template, operations in document["paths"].items():
            path = template.format(**EXAMPLE_IDS)
            documented = {m.upper() for m in operations}
            for method in METHODS:
                if method in documented:
                    continue
                response = await http.request(method, path)
                checked += 1
                allow = {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}
                # HEAD is where GET is, on the routes that take it; the document lists neither.
                if response.status_code != 405 or allow - {"HEAD"} != documented:
                    wrong.append(f"{method} {path}: {response.status_code}, Allow {sorted(allow)}")
                elif response.json()["code"] != "METHOD_NOT_ALLOWED":
                    wrong.append(f"{method} {path}: {response.text}")
    assert wrong == [] and checked > 100


async def test_the_literal_path_beside_a_pattern_is_its_own(tmp_path: Path) -> None:
    """GET /v1/jobs/batch is not a request for the job called "batch"."""
    app = create_app(GatewaySettings(data_dir=tmp_path))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        response = await http.get("/v1/jobs/batch")
        assert response.status_code == 405 and response.headers["allow"] == "POST"
        assert response.json() == {
            "error": "GET is not allowed here; allowed: POST",
            "code": "METHOD_NOT_ALLOWED",
            "status": 405,
        }
