"""Graph's Teams API (v1.0), the reading side: teams, channels, root messages and replies (newest
first, 20 a page, at most 50), a channel's files folder and the team's site."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request

from m365_simulator.auth import tenant_for
from m365_simulator.channels import Channel, Message
from m365_simulator.data import Team, Tenant
from m365_simulator.odata import bad_request, number, skip_page
from m365_simulator.throttling import guard_team

router = APIRouter(prefix="/graph.microsoft.com/v1.0")
CHANNEL = "/teams/{team_id}/channels/{channel_id}"
MESSAGE_PAGE, MESSAGE_PAGE_MAX = 20, 50  # "The default page size is 20 ... up to 50"


def team_for(request: Request, team_id: str) -> tuple[Tenant, Team]:
    tenant = tenant_for(request)
    team = next((t for t in tenant.teams if t.id == team_id), None)
    if team is None:
        raise HTTPException(404, {"code": "NotFound", "message": f"No team found with Group Id {team_id}"})
    guard_team(request, team)
    return tenant, team


def channel_of(team: Team, channel_id: str) -> Channel:
    channel = next((c for c in team.channels if c.id == channel_id), None)
    if channel is None:
        raise HTTPException(404, {"code": "NotFound", "message": "Channel not found"})
    return channel


def channel_json(tenant: Tenant, team: Team, channel: Channel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "createdDateTime": channel.created,
        "displayName": channel.name,
        "description": channel.description,
        "membershipType": channel.membership,
        "migrationMode": channel.migration_mode,
        "tenantId": tenant.guid,
        "webUrl": f"https://teams.microsoft.com/l/channel/{quote(channel.id)}/{quote(channel.name)}"
        f"?groupId={team.id}&tenantId={tenant.guid}",
    }


def message_json(tenant: Tenant, team: Team, channel: Channel, m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "replyToId": m.reply_to,
        "etag": m.id,
        "messageType": "message",
        "createdDateTime": m.created,
        "lastModifiedDateTime": m.created,
        "lastEditedDateTime": None,
        "deletedDateTime": None,
        "subject": None,
        "importance": "normal",
        "locale": "en-us",
        "from": {
            "application": None,
            "device": None,
            "user": {
                "id": m.author,
                "displayName": m.author_name,
                "userIdentityType": "aadUser",
                "tenantId": tenant.guid,
            },
        },
        "body": {"contentType": "html", "content": m.content},
        "channelIdentity": {"teamId": team.id, "channelId": channel.id},
        "attachments": [],
        "mentions": [],
        "reactions": [],
    }


def _messages(
    request: Request, tenant: Tenant, team: Team, channel: Channel, found: list[Message]
) -> dict[str, Any]:
    """Newest first, as the list pages show; $top above 50 is refused, not trimmed."""
    if number(request, "$top", MESSAGE_PAGE) > MESSAGE_PAGE_MAX:
        raise bad_request(f"$top can't exceed {MESSAGE_PAGE_MAX}.", code="BadRequest")
    shown = sorted(found, key=lambda m: m.created, reverse=True)
    rows = [message_json(tenant, team, channel, m) for m in shown]
    return skip_page(request, rows, key="$skiptoken", default=MESSAGE_PAGE, cap=MESSAGE_PAGE_MAX)


@router.get("/teams/{team_id}")
async def team(request: Request, team_id: str) -> dict[str, Any]:
    tenant, found = team_for(request, team_id)
    return {
        "id": found.id,
        "displayName": found.name,
        "description": found.description,
        "createdDateTime": found.created,
        "isArchived": False,
        "tenantId": tenant.guid,
        "webUrl": f"https://teams.microsoft.com/l/team/?groupId={found.id}&tenantId={tenant.guid}",
    }


@router.get("/teams/{team_id}/channels")
async def channels(request: Request, team_id: str) -> dict[str, Any]:
    tenant, found = team_for(request, team_id)
    return {
        "@odata.count": len(found.channels),
        "value": [channel_json(tenant, found, c) for c in found.channels],
    }


@router.get(CHANNEL)
async def channel(request: Request, team_id: str, channel_id: str) -> dict[str, Any]:
    tenant, found = team_for(request, team_id)
    return channel_json(tenant, found, channel_of(found, channel_id))


@router.get(CHANNEL + "/messages")
async def messages(request: Request, team_id: str, channel_id: str) -> dict[str, Any]:
    tenant, found = team_for(request, team_id)
    where = channel_of(found, channel_id)
    return _messages(request, tenant, found, where, where.roots)


@router.get(CHANNEL + "/messages/{message_id}")
async def message(request: Request, team_id: str, channel_id: str, message_id: str) -> dict[str, Any]:
    tenant, found = team_for(request, team_id)
    where = channel_of(found, channel_id)
    root = where.root(message_id)
    if root is None:
        raise HTTPException(404, {"code": "NotFound", "message": "Message not found"})
    return message_json(tenant, found, where, root)


@router.get(CHANNEL + "/messages/{message_id}/replies")
async def replies(request: Request, team_id: str, channel_id: str, message_id: str) -> dict[str, Any]:
    tenant, found = team_for(request, team_id)
    where = channel_of(found, channel_id)
    if where.root(message_id) is None:
        raise HTTPException(404, {"code": "NotFound", "message": "Message not found"})
    return _messages(request, tenant, found, where, where.replies.get(message_id, []))


@router.get(CHANNEL + "/filesFolder")
async def files_folder(request: Request, team_id: str, channel_id: str) -> dict[str, Any]:
    tenant, found = team_for(request, team_id)
    where = channel_of(found, channel_id)
    site = tenant.sites.get(found.site_url)
    if site is None or where.folder not in site.content:
        raise HTTPException(404, {"code": "NotFound", "message": "The channel's files folder was not found."})
    inside = [
        p for p in site.content if p.startswith(where.folder + "/") and "/" not in p[len(where.folder) + 1 :]
    ]
    return {
        "id": site.ids[where.folder],
        "name": where.name,
        "webUrl": f"{site.url}/{quote(where.folder)}",
        "size": sum(len(site.content[p] or b"") for p in inside),
        "folder": {"childCount": len(inside)},
        "parentReference": {"driveId": f"drive-{site.id}", "driveType": "documentLibrary"},
    }


@router.get("/groups/{group_id}/sites/root")
async def group_site(request: Request, group_id: str) -> dict[str, Any]:
    tenant, found = team_for(request, group_id)
    site = tenant.sites.get(found.site_url)
    if site is None:
        raise HTTPException(404, {"code": "itemNotFound", "message": "The group has no site."})
    return {
        "id": f"{tenant.sp_host},{site.id},{site.web_id}",
        "name": found.nickname,
        "displayName": found.name,
        "webUrl": site.url,
    }
