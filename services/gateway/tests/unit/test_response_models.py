"""The payload and the OpenAPI document come from one type: every JSON route returns its
response model, which FastAPI documents and renders; the two hot reads, plain Starlette
routes, render the same models."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from fastapi.routing import APIRoute
from migrator_gateway.api import hot_reads, schemas
from migrator_gateway.api.views import job_view
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

    def documented(route: APIRoute) -> bool:
        """A response model, or (a route answering in two shapes) a model for each success, or
        no body at all (204)."""
        if route.status_code == 204:
            return True
        successes = [r for code, r in route.responses.items() if str(code).startswith("2")]
        return route.response_model is not None or (bool(successes) and all("model" in r for r in successes))

    undeclared = [
        f"{sorted(r.methods)} {r.path}" for r in routes if not documented(r) and r.path not in NOT_JSON
    ]
    assert undeclared == []
    document = app.openapi()
    listing = document["paths"]["/v1/jobs"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listing["schema"] == {"$ref": "#/components/schemas/JobPage"}


def test_a_job_is_shown_as_its_model_from_the_stored_document() -> None:
    internal = {"orgId": "org_A", "traceContext": {"traceparent": "00-…"}, "dueAt": None}
    view = job_view(JOB | internal)
    assert isinstance(view, schemas.Job)
    rendered = orjson.loads(hot_reads._json(schemas.JobEnvelope(job=view)).body)
    assert rendered == {"job": JOB}  # the documented fields, nothing internal
    fresh = {k: v for k, v in JOB.items() if k not in ("doneItems", "startedAt", "completedAt")}
    assert job_view(fresh).doneItems == 0 and job_view(fresh).startedAt is None  # not counted yet
    with pytest.raises(ValidationError):  # a document that is not the documented shape is not sent
        job_view(JOB | {"totalItems": "many"})
