"""Importing into a channel in migration mode, as Graph documents it: startMigration, root
messages and replies with their author and original time, then completeMigration."""

from __future__ import annotations

import fnmatch
import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from m365_simulator.channels import Channel, Message, epoch_ms
from m365_simulator.data import Team, Tenant
from m365_simulator.mailboxes import now_iso
from m365_simulator.odata import bad_request
from m365_simulator.teams import CHANNEL, channel_of, message_json, team_for
from m365_simulator.teams_create import when

router = APIRouter(prefix="/graph.microsoft.com/v1.0")
APP_ONLY = (
    "Message POST is allowed in application-only context only for import purposes. Refer to "
    "https://docs.microsoft.com/microsoftteams/platform/graph-api/import-messages/"
    "import-external-messages-to-teams "
    "for more details."
)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    return (await request.json()) if raw.strip() else {}


@router.post(CHANNEL + "/startMigration")
async def start_migration(request: Request, team_id: str, channel_id: str) -> Response:
    _, team = team_for(request, team_id)
    channel, body = channel_of(team, channel_id), await _body(request)
    if channel.migration_mode == "inProgress":  # the page's example 2: 400 when already migrating
        raise bad_request("The channel is already in migration mode.", code="BadRequest")
    since = body.get("conversationCreationDateTime")
    if since is None:
        # "If not provided, the current date and time is used": read literally, nothing older than
        # now can then be imported.
        channel.created = now_iso()
    else:
        since = when(since, "conversationCreationDateTime")
        if epoch_ms(since) >= epoch_ms(channel.created):
            raise bad_request(
                "conversationCreationDateTime must be older than the channel's createdDateTime.",
                code="BadRequest",
            )
        channel.created = since
    channel.migration_mode = "inProgress"
    return Response(status_code=204)


@router.post(CHANNEL + "/completeMigration")
async def complete_migration(request: Request, team_id: str, channel_id: str) -> Response:
    _, team = team_for(request, team_id)
    channel = channel_of(team, channel_id)
    if channel.migration_mode != "inProgress":
        raise bad_request("The channel is not in migration mode.", code="BadRequest")
    channel.migration_mode = "completed"
    return Response(status_code=204)


async def _import(
    request: Request, tenant: Tenant, team: Team, channel: Channel, reply_to: str | None
) -> JSONResponse:
    body = await request.json()
    if channel.migration_mode != "inProgress":
        # Application permissions may post messages only to import them.
        raise HTTPException(403, {"code": "Forbidden", "message": APP_ONLY})
    content = (body.get("body") or {}).get("content")
    if not isinstance(content, str):
        raise bad_request("body.content is required.", code="BadRequest")
    sender = ((body.get("from") or {}).get("user") or {}).get("id")
    author = tenant.user(str(sender)) if sender else None
    if author is None:
        raise bad_request(
            "from.user must name a user of this tenant: author attribution is required.", code="BadRequest"
        )
    created = when(body["createdDateTime"], "createdDateTime") if body.get("createdDateTime") else now_iso()
    ms = epoch_ms(created)
    if ms <= epoch_ms(channel.created):
        raise bad_request(
            "createdDateTime must be later than the channel's createdDateTime.", code="BadRequest"
        )
    if ms > time.time() * 1000:
        raise bad_request("createdDateTime can't be in the future.", code="BadRequest")
    if any(fnmatch.fnmatch(content, p) for p in request.app.state.sim.faults.refuse_messages_matching):
        raise bad_request("The message was refused by a policy.", code="BadRequest")
    if channel.taken(ms):
        message = "A message with the same createdDateTime exists in the channel (to the millisecond)."
        raise HTTPException(409, {"code": "Conflict", "message": message})
    # The id is the creation time in ms, as Teams' message ids are; unique, as the times are.
    posted = channel.add(Message(str(ms), created, author.id, author.display_name, content, reply_to))
    return JSONResponse(message_json(tenant, team, channel, posted), 201)


@router.post(CHANNEL + "/messages")
async def import_message(request: Request, team_id: str, channel_id: str) -> JSONResponse:
    tenant, team = team_for(request, team_id)
    return await _import(request, tenant, team, channel_of(team, channel_id), None)


@router.post(CHANNEL + "/messages/{message_id}/replies")
async def import_reply(request: Request, team_id: str, channel_id: str, message_id: str) -> JSONResponse:
    tenant, team = team_for(request, team_id)
    channel = channel_of(team, channel_id)
    if channel.root(message_id) is None:
        raise HTTPException(404, {"code": "NotFound", "message": "Message not found"})
    return await _import(request, tenant, team, channel, message_id)
