"""Creating teams (an async operation, as Graph's Create team is) and channels, each with its
place in the team site."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from m365_simulator.auth import tenant_for
from m365_simulator.data import Team, Tenant, _uuid
from m365_simulator.mailboxes import iso, now_iso
from m365_simulator.odata import bad_request
from m365_simulator.state import SimState
from m365_simulator.teams import channel_json, team_for
from m365_simulator.teamwork import new_channel, team_site

router = APIRouter(prefix="/graph.microsoft.com/v1.0")
_USER_BIND = re.compile(r"users\('([^']+)'\)")
_BAD_NAME = re.compile(r"[~#%&*{}+/\\:<>?|'\"]")


def when(value: Any, name: str) -> str:
    """An ISO time from a request (400 if it is none), to the millisecond."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{name} is not a valid date and time.", code="BadRequest") from None
    if parsed.tzinfo is None:
        raise bad_request(f"{name} must carry a time zone (UTC: Z).", code="BadRequest")
    return iso(parsed)


def _members(tenant: Tenant, body: dict[str, Any]) -> int:
    """How many members the body names. With application permissions a team needs an owner in
    ``members`` (Create team, example 2), each one a user of this tenant."""
    members = body.get("members") or []
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise bad_request("members must be a collection of conversationMembers.", code="BadRequest")
    for member in members:
        bound = _USER_BIND.search(str(member.get("user@odata.bind", "")))
        if bound is None or tenant.user(bound[1]) is None:
            raise HTTPException(404, {"code": "NotFound", "message": f"Member not found: {member}"})
    migration = body.get("@microsoft.graph.teamCreationMode") == "migration"
    if not migration and not any("owner" in (m.get("roles") or []) for m in members):
        message = "A team created with application permissions needs an owner in members."
        raise bad_request(message, code="BadRequest")
    return len(members)


@router.post("/teams")
async def create_team(request: Request) -> Response:
    sim: SimState = request.app.state.sim
    tenant, body = tenant_for(request), await request.json()
    if "teamsTemplates('standard')" not in str(body.get("template@odata.bind", "")):
        raise bad_request("template@odata.bind must bind the standard template.", code="BadRequest")
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("displayName is required.", code="BadRequest")
    count = _members(tenant, body)
    migration = body.get("@microsoft.graph.teamCreationMode") == "migration"
    created = (
        when(body["createdDateTime"], "createdDateTime")
        if migration and body.get("createdDateTime")
        else now_iso()
    )
    rng = sim.rng("team")
    team = Team(_uuid(rng), name, str(body.get("description") or ""), max(1, count), created=created)
    general = new_channel(rng, "General", "", created)
    general.migration_mode = "inProgress" if migration else None
    team.channels.append(general)
    team_site(rng, tenant, team, files=(0, 0))
    tenant.teams.append(team)
    operation = _uuid(rng)
    sim.operations[operation] = {
        "id": operation,
        "operationType": "createTeam",
        "createdDateTime": created,
        "status": "succeeded",
        "lastActionDateTime": now_iso(),
        "attemptsCount": 1,
        "targetResourceId": team.id,
        "targetResourceLocation": f"/teams('{team.id}')",
        "error": None,
    }
    return Response(
        status_code=202,
        headers={
            "Location": f"/teams('{team.id}')/operations('{operation}')",
            "Content-Location": f"/teams('{team.id}')",
        },
    )


@router.get("/teams/{team_id}/operations/{operation_id}")
@router.get("/teams('{team_id}')/operations('{operation_id}')")
async def team_operation(request: Request, team_id: str, operation_id: str) -> dict[str, Any]:
    tenant_for(request)
    operation = request.app.state.sim.operations.get(operation_id)
    if operation is None or operation["targetResourceId"] != team_id:
        raise HTTPException(404, {"code": "NotFound", "message": "Operation not found"})
    return dict(operation)


@router.post("/teams/{team_id}/channels")
async def create_channel(request: Request, team_id: str) -> JSONResponse:
    tenant, team = team_for(request, team_id)
    body = await request.json()
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip() or len(name) > 50 or _BAD_NAME.search(name):
        raise bad_request(
            "displayName is required: at most 50 characters, none of ~#%&*{}+/\\:<>?|'\".", code="BadRequest"
        )
    if any(c.name.lower() == name.lower() for c in team.channels):
        raise HTTPException(
            409,
            {"code": "NameAlreadyExists", "message": "Channel name already existed, please use other name."},
        )
    if body.get("membershipType", "standard") != "standard":
        raise bad_request("The simulator creates standard channels only.", code="BadRequest")
    migration = body.get("@microsoft.graph.channelCreationMode") == "migration"
    created = (
        when(body["createdDateTime"], "createdDateTime")
        if migration and body.get("createdDateTime")
        else now_iso()
    )
    channel = new_channel(
        request.app.state.sim.rng("channel"), name, str(body.get("description") or ""), created
    )
    channel.migration_mode = "inProgress" if migration else None
    team.channels.append(channel)
    site = tenant.sites.get(team.site_url)
    if site is not None:
        site.put(channel.folder, None)
    return JSONResponse(channel_json(tenant, team, channel), 201)
