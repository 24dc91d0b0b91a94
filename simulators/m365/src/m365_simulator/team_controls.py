"""Test controls for Teams (under ``/_sim``): what a team holds, and generated teams for tests."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from m365_simulator.channels import Message
from m365_simulator.data import Team, Tenant, _uuid
from m365_simulator.state import SimState
from m365_simulator.teamwork import furnish

router = APIRouter(prefix="/_sim")


def _find(
    sim: SimState, domain: str | None, name: str | None, team_id: str | None
) -> tuple[Tenant, Team] | None:
    for tenant in sim.tenants.values():
        if domain is not None and tenant.domain != domain.lower():
            continue
        for team in tenant.teams:
            if team.id == team_id or (team_id is None and team.name == name):
                return tenant, team
    return None


def _row(m: Message, upns: dict[str, str]) -> dict[str, Any]:
    return {
        "id": m.id,
        "createdDateTime": m.created,
        "author": upns.get(m.author, m.author),
        "sha256": hashlib.sha256(m.content.encode()).hexdigest(),
    }


@router.get("/teams")
async def team_content(
    request: Request, domain: str | None = None, name: str | None = None, id: str | None = None
) -> dict[str, Any]:
    """A team's channels (by name) and their messages (by creation time), each with its author's
    UPN and the SHA-256 of its body, replies under their root: what a fidelity test compares."""
    found = _find(request.app.state.sim, domain, name, id)
    if found is None:
        return {"exists": False, "id": id, "name": name, "siteUrl": None, "channels": []}
    tenant, team = found
    upns = {u.id: u.upn for u in tenant.users}
    return {
        "exists": True,
        "id": team.id,
        "name": team.name,
        "siteUrl": team.site_url,
        "channels": [
            {
                "name": c.name,
                "migrationMode": c.migration_mode,
                "createdDateTime": c.created,
                "messages": [
                    _row(root, upns)
                    | {
                        "replies": [
                            _row(r, upns) for r in sorted(c.replies.get(root.id, []), key=lambda r: r.created)
                        ]
                    }
                    for root in sorted(c.roots, key=lambda m: m.created)
                ],
            }
            for c in sorted(team.channels, key=lambda c: c.name)
        ],
    }


@router.post("/teams")
async def create_team(request: Request) -> JSONResponse:
    """``{"domain", "name", "channels": C, "messages": M, "replies": R, "seed": S}``: a team with
    C channels (General first), M root messages in each and R replies to each, and its team site."""
    sim: SimState = request.app.state.sim
    body = await request.json()
    domain, name, seed = str(body["domain"]), str(body["name"]), int(body.get("seed", 1))
    tenant = sim.tenant(domain)
    if tenant is None:
        return JSONResponse({"ok": False, "error": "no such tenant"}, status_code=404)
    if tenant.team(name) is not None:
        return JSONResponse({"ok": False, "error": "a team of that name exists"}, status_code=409)
    rng = random.Random(f"{seed}:{domain}:{name}:team")
    team = Team(
        id=_uuid(rng), name=name, description=str(body.get("description", "")), member_count=len(tenant.users)
    )
    messages, replies = int(body.get("messages", 10)), int(body.get("replies", 1))
    furnish(
        tenant,
        team,
        rng,
        channels=max(1, int(body.get("channels", 2))),
        roots=(messages, messages),
        replies=(replies, replies),
    )
    tenant.teams.append(team)
    return JSONResponse({"ok": True, "id": team.id, "siteUrl": team.site_url})
