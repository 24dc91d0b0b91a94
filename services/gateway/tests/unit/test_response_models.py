"""The payload and the OpenAPI document come from one type: every JSON route declares its
response model, which FastAPI checks what the route returns against and renders; the two hot
reads, plain Starlette routes, render through the same models."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from fastapi.routing import APIRoute
from migrator_gateway.api import hot_reads, schemas
from migrator_gateway.app import create_app
from migrator_gateway.config import GatewaySettings
from pydantic import ValidationError

pytestmark = pytest.mark.unit

# Not JSON: a live event stream and a CSV file.
NOT_JSON = {"/v1/jobs/{job_id}/logs", "/v1/jobs/{job_id}/logs/export"}

JOB = schemas.JOB_EXAMPLE


def test_every_json_route_declares_its_response_model(tmp_path: Path) -> None:
    app = create_app(GatewaySettings(data_dir=tmp_path))
    routes = [r for r in app.routes if isinstance(r, APIRoute) and r.path.startswith("/v1/")]
    assert len(routes) >= 25
    undeclared = [
        f"{sorted(r.methods)} {r.path}" for r in routes if r.response_model is None and r.path not in NOT_JSON
    ]
    assert undeclared == []
    document = app.openapi()
    listing = document["paths"]["/v1/jobs"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listing["schema"] == {"$ref": "#/components/schemas/JobPage"}


def test_a_hot_read_renders_through_its_model() -> None:
    internal = {"orgId": "org_A", "traceContext": {"traceparent": "00-…"}, "dueAt": None}
    rendered = orjson.loads(hot_reads._json(schemas.JobEnvelope, {"job": JOB | internal}).body)
    assert rendered == {"job": JOB}  # the documented fields, nothing internal
    with pytest.raises(ValidationError):  # a payload that is not the documented shape is not sent
        hot_reads._json(schemas.JobEnvelope, {"job": JOB | {"totalItems": None}})
