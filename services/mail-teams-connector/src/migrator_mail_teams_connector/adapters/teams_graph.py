"""Microsoft Graph for Teams (v1.0), as a team migration uses it.

Source side: the team, its channels, their messages and each message's replies, paged by
``@odata.nextLink``. Destination side: the team (created with the standard template, a
long-running operation) and its channels; messages imported in migration mode —
``startMigration``, then each message with its author (required) and ``createdDateTime``
(unique to the millisecond within the channel: 409 otherwise), then ``completeMigration``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from migrator_microsoft.graph import GraphClient, GraphError

PERMISSION = "Teamwork.Migrate.All"  # what importing messages in migration mode needs
OPERATION_POLLS = 60  # checks of a team's creation before giving up (a second apart)
MESSAGES_PAGE = 50  # channel messages and replies are listed at most 50 a page


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    description: str
    created: str
    migration_mode: str | None


@dataclass(frozen=True)
class Post:
    """A message or a reply, as read from the source."""

    id: str
    created: str
    author_id: str | None
    author_name: str
    content_type: str
    content: str


class TeamsApi:
    """Calls on one tenant's teams, through its Graph client."""

    def __init__(self, graph: GraphClient) -> None:
        self._graph = graph

    async def team(self, tenant_id: str, team_id: str) -> dict[str, Any]:
        body: dict[str, Any] = await self._graph.get_json(tenant_id, f"/teams/{team_id}")
        return body

    async def teams_named(self, tenant_id: str, name: str) -> list[str]:
        """The ids of the tenant's teams with this display name."""
        found = []
        async for group in self._graph.pages(
            tenant_id, "/groups?$filter=resourceProvisioningOptions/Any(x:x eq 'Team')"
        ):
            if str(group.get("displayName") or "").casefold() == name.casefold():
                found.append(str(group["id"]))
        return found

    async def create_team(self, tenant_id: str, *, name: str, description: str, owner_id: str) -> str:
        """A new standard team; its id once Teams says the creation succeeded. An app creating a
        team must name a user as its owner."""
        owner = {
            "@odata.type": "#microsoft.graph.aadUserConversationMember",
            "roles": ["owner"],
            "user@odata.bind": f"https://graph.microsoft.com/v1.0/users('{owner_id}')",
        }
        response = await self._graph.request(
            "POST",
            tenant_id,
            "/teams",
            json={
                "template@odata.bind": "https://graph.microsoft.com/v1.0/teamsTemplates('standard')",
                "displayName": name,
                "description": description,
                "members": [owner],
            },
        )
        team_id = _quoted_id(response.headers.get("Content-Location", ""))
        # Location: /teams('{id}')/operations('{operationId}'), read in Graph's other key syntax.
        location = response.headers.get("Location", "")
        operation_id = (
            _quoted_id(location[location.find("/operations") :]) if "/operations" in location else ""
        )
        for _ in range(OPERATION_POLLS):
            if not operation_id:
                break
            state = await self._graph.get_json(tenant_id, f"/teams/{team_id}/operations/{operation_id}")
            status = str(state.get("status") or "").lower()
            if status == "succeeded":
                return str(state.get("targetResourceId") or team_id)
            if status == "failed":
                raise GraphError(500, "TeamCreationFailed", str(state.get("error") or "the operation failed"))
            await asyncio.sleep(1.0)
        return team_id

    async def channels(self, tenant_id: str, team_id: str) -> list[Channel]:
        return [_channel(c) async for c in self._graph.pages(tenant_id, f"/teams/{team_id}/channels")]

    async def channel(self, tenant_id: str, team_id: str, channel_id: str) -> Channel:
        return _channel(await self._graph.get_json(tenant_id, f"/teams/{team_id}/channels/{channel_id}"))

    async def create_channel(self, tenant_id: str, team_id: str, *, name: str, description: str) -> Channel:
        body = {"displayName": name, "description": description, "membershipType": "standard"}
        return _channel(await self._graph.post_json(tenant_id, f"/teams/{team_id}/channels", body))

    async def posts(
        self, tenant_id: str, team_id: str, channel_id: str, *, replies_to: str | None = None
    ) -> list[Post]:
        """A channel's root messages, or one message's replies, oldest first."""
        path = f"/teams/{team_id}/channels/{channel_id}/messages"
        if replies_to:
            path += f"/{replies_to}/replies"
        path += f"?$top={MESSAGES_PAGE}"
        posts = [
            _post(m)
            async for m in self._graph.pages(tenant_id, path)
            if m.get("messageType", "message") == "message"
        ]
        return sorted(posts, key=lambda p: (p.created, p.id))

    async def start_migration(
        self, tenant_id: str, team_id: str, channel_id: str, *, since: str | None
    ) -> None:
        body = {"conversationCreationDateTime": since} if since else {}
        await self._graph.request(
            "POST", tenant_id, f"/teams/{team_id}/channels/{channel_id}/startMigration", json=body
        )

    async def complete_migration(self, tenant_id: str, team_id: str, channel_id: str) -> None:
        await self._graph.request(
            "POST", tenant_id, f"/teams/{team_id}/channels/{channel_id}/completeMigration"
        )

    async def import_post(
        self,
        tenant_id: str,
        team_id: str,
        channel_id: str,
        post: Post,
        *,
        created: str,
        author: tuple[str, str],
        reply_to: str | None = None,
    ) -> str:
        """The new message's id; a 409 (that millisecond is taken) is the caller's to handle."""
        path = f"/teams/{team_id}/channels/{channel_id}/messages"
        if reply_to:
            path += f"/{reply_to}/replies"
        body = {
            "createdDateTime": created,
            "from": {"user": {"id": author[0], "displayName": author[1], "userIdentityType": "aadUser"}},
            "body": {"contentType": post.content_type, "content": post.content},
        }
        answer = await self._graph.post_json(tenant_id, path, body)
        return str(answer["id"])

    async def site_url(self, tenant_id: str, group_id: str) -> str:
        """The team's SharePoint site, where its channel files are."""
        return str((await self._graph.get_json(tenant_id, f"/groups/{group_id}/sites/root"))["webUrl"])

    async def users(self, tenant_id: str) -> list[dict[str, Any]]:
        return [
            u async for u in self._graph.pages(tenant_id, "/users?$select=id,userPrincipalName,displayName")
        ]


def _quoted_id(location: str) -> str:
    """``/teams('abc')`` → ``abc``."""
    start = location.find("('")
    return location[start + 2 : location.find("')", start)] if start >= 0 else ""


def _channel(raw: dict[str, Any]) -> Channel:
    return Channel(
        id=str(raw["id"]),
        name=str(raw.get("displayName") or ""),
        description=str(raw.get("description") or ""),
        created=str(raw.get("createdDateTime") or ""),
        migration_mode=raw.get("migrationMode"),
    )


def _post(raw: dict[str, Any]) -> Post:
    user = (raw.get("from") or {}).get("user") or {}
    body = raw.get("body") or {}
    return Post(
        id=str(raw["id"]),
        created=str(raw.get("createdDateTime") or ""),
        author_id=user.get("id"),
        author_name=str(user.get("displayName") or ""),
        content_type=str(body.get("contentType") or "html"),
        content=str(body.get("content") or ""),
    )
