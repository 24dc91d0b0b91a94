"""The test-facing switches under ``/_sim``: servers and their content, check outcomes, faults."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from atlassian_simulator.auth import sim_state
from atlassian_simulator.checks import CheckSetting
from atlassian_simulator.data import Server, User
from atlassian_simulator.state import Faults

router = APIRouter(prefix="/_sim")
_CAMEL = ConfigDict(populate_by_name=True, extra="forbid")


class ProjectSpec(BaseModel):
    model_config = _CAMEL
    key: str
    name: str
    issue_count: int = Field(0, alias="issueCount")
    attachments_bytes: int = Field(0, alias="attachmentsBytes")


class SpaceSpec(BaseModel):
    model_config = _CAMEL
    key: str
    name: str
    page_count: int = Field(0, alias="pageCount")
    size_bytes: int = Field(0, alias="sizeBytes")


class UserSpec(BaseModel):
    model_config = _CAMEL
    name: str
    email_address: str = Field(alias="emailAddress")
    display_name: str = Field(alias="displayName")


class ServerSpec(BaseModel):
    model_config = _CAMEL
    server_id: str = Field(alias="serverId")
    products: list[Literal["jira", "confluence"]]
    pat: str
    deployment_type: Literal["Server", "DataCenter"] = Field("DataCenter", alias="deploymentType")
    server_title: str = Field("Atlassian", alias="serverTitle")
    projects: list[ProjectSpec] = []
    spaces: list[SpaceSpec] = []
    users: list[UserSpec] = []


class Generate(BaseModel):
    projects: int = Field(0, ge=0, le=100_000)
    spaces: int = Field(0, ge=0, le=100_000)
    seed: int = 1


class CheckSpec(BaseModel):
    model_config = _CAMEL
    outcome: Literal["SUCCESS", "WARNING", "FAILED", "SKIPPED"]
    message: str | None = None
    excludable: bool | None = None
    occurrences: list[Any] = []
    description: str | None = None


class CheckOutcomes(BaseModel):
    flow: Literal["jira", "confluence"]
    outcomes: dict[str, CheckSpec] = {}


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/servers")
async def put_server(request: Request, spec: ServerSpec) -> dict[str, Any]:
    """Create or replace a Server / Data Center instance."""
    server = Server(spec.server_id, tuple(spec.products), spec.pat, spec.deployment_type, spec.server_title)
    for p in spec.projects:
        server.add_project(p.key, p.name, issues=p.issue_count, attachments_bytes=p.attachments_bytes)
    for s in spec.spaces:
        server.add_space(s.key, s.name, pages=s.page_count, size_bytes=s.size_bytes)
    server.users = [User(u.name, u.email_address, u.display_name) for u in spec.users]
    sim_state(request).servers[server.server_id] = server
    return {"serverId": server.server_id, "projects": len(server.projects), "spaces": len(server.spaces)}


@router.get("/servers")
async def list_servers(request: Request) -> dict[str, Any]:
    return {
        "servers": [
            {
                "serverId": s.server_id,
                "products": list(s.products),
                "projects": list(s.projects),
                "spaces": list(s.spaces),
            }
            for s in sim_state(request).servers.values()
        ]
    }


@router.post("/servers/{server_id}/generate", response_model=None)
async def generate(request: Request, server_id: str, spec: Generate) -> dict[str, Any] | JSONResponse:
    """Add many seeded projects and/or spaces: ``{"projects": 500, "seed": 1}``."""
    server = sim_state(request).servers.get(server_id)
    if server is None:
        return JSONResponse({"error": f"no server {server_id}"}, 404)
    server.generate(projects=spec.projects, spaces=spec.spaces, seed=spec.seed)
    return {"serverId": server_id, "projects": list(server.projects), "spaces": list(server.spaces)}


@router.post("/checks")
async def set_checks(request: Request, spec: CheckOutcomes) -> dict[str, Any]:
    """Check outcomes for tasks created from now on; ``outcomes: {}`` restores the defaults.

    A name outside the catalogue adds that check (the real catalogue grows over time).
    """
    sim_state(request).check_settings[spec.flow] = {
        name: CheckSetting(c.outcome, c.message, c.excludable, tuple(c.occurrences), c.description)
        for name, c in spec.outcomes.items()
    }
    return {"flow": spec.flow, "outcomes": sorted(spec.outcomes)}


@router.post("/sites/{host}/revoke-consent")
async def revoke_consent(request: Request, host: str) -> JSONResponse:
    """The site's admin removes the app: every token and code issued for the site is gone (API
    calls with an old token 401, a refresh gets ``invalid_grant``), until consent is given again."""
    sim = sim_state(request)
    if host not in sim.sites:
        return JSONResponse({"error": f"no site {host}"}, status_code=404)
    for grants in (sim.codes, sim.access_tokens, sim.refresh_tokens):
        for token in [t for t, grant in grants.items() if grant.site == host]:
            del grants[token]
    return JSONResponse({"site": host, "consented": False})


@router.post("/faults")
async def set_faults(request: Request) -> dict[str, Any]:
    """Merge switches: ``failKeys``, ``warnKeys``, ``skipKeys``, ``hideKeys`` (nodes never shown),
    ``unscheduled`` (a reason: migrate tasks cannot be scheduled), ``itemsPerSecond`` (all for
    later tasks), ``throttle: {count}``."""
    faults, body = sim_state(request).faults, await request.json()
    if "failKeys" in body:
        faults.fail_keys = set(body["failKeys"])
    if "warnKeys" in body:
        faults.warn_keys = set(body["warnKeys"])
    if "skipKeys" in body:
        faults.skip_keys = set(body["skipKeys"])
    if "hideKeys" in body:
        faults.hide_keys = set(body["hideKeys"])
    if "unscheduled" in body:
        faults.unscheduled = body["unscheduled"] or None
    if "itemsPerSecond" in body:
        faults.items_per_second = float(body["itemsPerSecond"]) if body["itemsPerSecond"] else None
    if throttle := body.get("throttle"):
        faults.throttle_count = int(throttle.get("count", 1))
    return {"ok": True}


@router.delete("/faults")
async def reset_faults(request: Request) -> dict[str, Any]:
    sim_state(request).faults = Faults()
    return {"ok": True}
