"""Graph's Teams API as the simulator serves it: reading a team, creating one, importing into it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration
GRAPH = "/graph.microsoft.com/v1.0"
Headers = Callable[[str], Awaitable[dict[str, str]]]  # the auth fixture


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


async def team_named(sim: httpx.AsyncClient, headers: dict[str, str], name: str) -> dict[str, Any]:
    groups = (await sim.get(f"{GRAPH}/groups", headers=headers)).json()["value"]
    return next(g for g in groups if g["displayName"] == name)


async def test_a_source_team_has_channels_messages_replies_and_a_site(
    sim: httpx.AsyncClient, auth: Headers
) -> None:
    headers = await auth("contoso.com")
    team = await team_named(sim, headers, "Engineering")
    channels = (await sim.get(f"{GRAPH}/teams/{team['id']}/channels", headers=headers)).json()["value"]
    assert channels[0]["displayName"] == "General" and 2 <= len(channels) <= 3
    assert all(c["membershipType"] == "standard" and c["migrationMode"] is None for c in channels)
    base = f"{GRAPH}/teams/{team['id']}/channels/{channels[0]['id']}"
    assert (await sim.get(f"{base}/messages", params={"$top": 51}, headers=headers)).status_code == 400
    roots: list[dict[str, Any]] = []
    url: str | None = f"{base}/messages?$top=7"
    while url:
        body = (await sim.get(url.removeprefix("http://sim"), headers=headers)).json()
        roots += body["value"]
        url = body.get("@odata.nextLink")
    assert 10 <= len(roots) <= 40 and len({r["id"] for r in roots}) == len(roots)
    first = roots[0]
    assert first["from"]["user"]["userIdentityType"] == "aadUser" and first["body"]["contentType"] == "html"
    assert first["channelIdentity"] == {"teamId": team["id"], "channelId": channels[0]["id"]}
    assert any("[policy-block]" in r["body"]["content"] for r in roots)
    replies = [
        (await sim.get(f"{base}/messages/{r['id']}/replies", headers=headers)).json()["value"] for r in roots
    ]
    assert any(replies) and all(
        x["replyToId"] == r["id"] for r, rs in zip(roots, replies, strict=True) for x in rs
    )
    site = (await sim.get(f"{GRAPH}/groups/{team['id']}/sites/root", headers=headers)).json()
    assert (
        site["webUrl"] == "https://contoso.sharepoint.com/sites/Engineering2"
    )  # /sites/engineering is taken
    folder = (await sim.get(f"{base}/filesFolder", headers=headers)).json()
    assert (
        folder["webUrl"] == f"{site['webUrl']}/Shared%20Documents/General"
        and folder["folder"]["childCount"] >= 1
    )
    listed = (await sim.get(f"{GRAPH}/sites", headers=headers)).json()["value"]
    assert site["webUrl"] in {s["webUrl"] for s in listed}
    files = (await sim.get("/_sim/sites", params={"url": site["webUrl"]})).json()["items"]
    assert {"path": "Shared Documents/General", "type": "folder"} in files


async def test_a_created_team_is_an_operation_with_a_general_channel_and_a_site(
    sim: httpx.AsyncClient, auth: Headers
) -> None:
    headers = await auth("fabrikam.com")
    owner = (await sim.get(f"{GRAPH}/users/john.nguyen0@fabrikam.com", headers=headers)).json()["id"]
    body = {
        "template@odata.bind": "https://graph.microsoft.com/v1.0/teamsTemplates('standard')",
        "displayName": "Project X",
        "description": "Migrated",
    }
    ownerless = await sim.post(f"{GRAPH}/teams", json=body, headers=headers)
    assert ownerless.status_code == 400  # application permissions: an owner in members
    members = [
        {
            "@odata.type": "#microsoft.graph.aadUserConversationMember",
            "roles": ["owner"],
            "user@odata.bind": f"https://graph.microsoft.com/v1.0/users('{owner}')",
        }
    ]
    created = await sim.post(f"{GRAPH}/teams", json=body | {"members": members}, headers=headers)
    assert created.status_code == 202
    team_id = created.headers["Content-Location"].split("'")[1]
    assert created.headers["Location"].startswith(f"/teams('{team_id}')/operations('")
    operation = await sim.get(f"{GRAPH}{created.headers['Location']}", headers=headers)
    assert operation.json()["status"] == "succeeded" and operation.json()["targetResourceId"] == team_id
    assert (await team_named(sim, headers, "Project X"))["id"] == team_id
    count = await sim.get(
        f"{GRAPH}/groups/{team_id}/members/$count", headers=headers | {"ConsistencyLevel": "eventual"}
    )
    assert count.text == "1"
    [general] = (await sim.get(f"{GRAPH}/teams/{team_id}/channels", headers=headers)).json()["value"]
    assert general["displayName"] == "General"
    channels = f"{GRAPH}/teams/{team_id}/channels"
    made = await sim.post(
        channels, json={"displayName": "Design", "membershipType": "standard"}, headers=headers
    )
    assert made.status_code == 201 and made.json()["migrationMode"] is None
    assert (await sim.post(channels, json={"displayName": "design"}, headers=headers)).status_code == 409
    assert (await sim.post(channels, json={"displayName": "a/b"}, headers=headers)).status_code == 400
    site = (await sim.get(f"{GRAPH}/groups/{team_id}/sites/root", headers=headers)).json()["webUrl"]
    assert site == "https://fabrikam.sharepoint.com/sites/ProjectX"
    paths = [i["path"] for i in (await sim.get("/_sim/sites", params={"url": site})).json()["items"]]
    assert paths == ["Shared Documents/Design", "Shared Documents/General"]


async def test_messages_are_imported_only_by_the_documented_rules(
    sim: httpx.AsyncClient, auth: Headers
) -> None:
    headers = await auth("fabrikam.com")
    team = await team_named(sim, headers, "Engineering")
    general = (await sim.get(f"{GRAPH}/teams/{team['id']}/channels", headers=headers)).json()["value"][0]
    base = f"{GRAPH}/teams/{team['id']}/channels/{general['id']}"
    author = (await sim.get(f"{GRAPH}/users/lisa.nguyen1@fabrikam.com", headers=headers)).json()
    sender = {
        "user": {"id": author["id"], "displayName": author["displayName"], "userIdentityType": "aadUser"}
    }
    start = datetime(2025, 1, 1, tzinfo=UTC)
    message = {"from": sender, "body": {"contentType": "html", "content": "<p>hello</p>"}}

    early = await sim.post(
        f"{base}/messages", json=message | {"createdDateTime": stamp(start)}, headers=headers
    )
    assert early.status_code == 403  # not in migration mode: application permissions only import
    newer = {"conversationCreationDateTime": stamp(datetime.now(UTC) + timedelta(days=1))}
    assert (await sim.post(f"{base}/startMigration", json=newer, headers=headers)).status_code == 400
    since = {"conversationCreationDateTime": stamp(start)}
    assert (await sim.post(f"{base}/startMigration", json=since, headers=headers)).status_code == 204
    assert (await sim.post(f"{base}/startMigration", json=since, headers=headers)).status_code == 400
    channel = (await sim.get(base, headers=headers)).json()
    assert channel["migrationMode"] == "inProgress" and channel["createdDateTime"] == stamp(start)

    at = stamp(start + timedelta(days=30))
    cases = [
        ({"body": message["body"], "createdDateTime": at}, 400),  # no from
        (
            message
            | {"from": {"user": {"id": "00000000-0000-0000-0000-000000000000"}}, "createdDateTime": at},
            400,
        ),
        (message | {"createdDateTime": stamp(start)}, 400),  # not later than the channel
        (message | {"createdDateTime": stamp(datetime.now(UTC) + timedelta(hours=1))}, 400),  # future
        (message | {"createdDateTime": at}, 201),
        (message | {"createdDateTime": at}, 409),  # the same millisecond
    ]
    answers = [
        (await sim.post(f"{base}/messages", json=body, headers=headers)).status_code for body, _ in cases
    ]
    assert answers == [status for _, status in cases]
    root = (await sim.get(f"{base}/messages", headers=headers)).json()["value"]
    posted = next(m for m in root if m["createdDateTime"] == at)
    assert posted["from"]["user"]["id"] == author["id"]
    reply = message | {"createdDateTime": stamp(start + timedelta(days=30, seconds=1))}
    assert (
        await sim.post(f"{base}/messages/{posted['id']}/replies", json=reply, headers=headers)
    ).status_code == 201
    clash = message | {"createdDateTime": at}  # a reply may not share a root's millisecond either
    assert (
        await sim.post(f"{base}/messages/{posted['id']}/replies", json=clash, headers=headers)
    ).status_code == 409
    await sim.post("/_sim/faults", json={"refuseMessagesMatching": ["*[policy-block]*"]})
    blocked = message | {
        "body": {"content": "<p>x [policy-block]</p>"},
        "createdDateTime": stamp(start + timedelta(days=31)),
    }
    assert (await sim.post(f"{base}/messages", json=blocked, headers=headers)).status_code == 400

    assert (await sim.post(f"{base}/completeMigration", headers=headers)).status_code == 204
    assert (await sim.get(base, headers=headers)).json()["migrationMode"] == "completed"
    assert (await sim.post(f"{base}/completeMigration", headers=headers)).status_code == 400
    view = (await sim.get("/_sim/teams", params={"domain": "fabrikam.com", "name": "Engineering"})).json()
    imported = next(
        m
        for c in view["channels"]
        if c["name"] == "General"
        for m in c["messages"]
        if m["createdDateTime"] == at
    )
    assert imported["author"] == "lisa.nguyen1@fabrikam.com" and len(imported["replies"]) == 1


async def test_team_faults_refuse_and_throttle_one_team(sim: httpx.AsyncClient, auth: Headers) -> None:
    headers = await auth("contoso.com")
    sales, engineering = (
        await team_named(sim, headers, "Sales"),
        await team_named(sim, headers, "Engineering"),
    )
    await sim.post(
        "/_sim/faults", json={"forbiddenTeams": ["Sales"], "throttleTeams": {engineering["id"]: 1}}
    )
    assert (await sim.get(f"{GRAPH}/teams/{sales['id']}/channels", headers=headers)).status_code == 403
    throttled = await sim.get(f"{GRAPH}/teams/{engineering['id']}", headers=headers)
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    assert (await sim.get(f"{GRAPH}/teams/{engineering['id']}", headers=headers)).status_code == 200


async def test_generated_teams_for_tests(sim: httpx.AsyncClient) -> None:
    made = await sim.post(
        "/_sim/teams",
        json={"domain": "contoso.com", "name": "Big", "channels": 3, "messages": 60, "replies": 2, "seed": 5},
    )
    assert made.json()["ok"]
    view = (await sim.get("/_sim/teams", params={"id": made.json()["id"]})).json()
    assert (
        view["exists"] and "General" in [c["name"] for c in view["channels"]] and len(view["channels"]) == 3
    )
    assert all(
        len(c["messages"]) == 60 and all(len(m["replies"]) == 2 for m in c["messages"])
        for c in view["channels"]
    )
    stamps = [m["createdDateTime"] for c in view["channels"][:1] for m in c["messages"]]
    assert stamps == sorted(stamps) and all(
        m["author"].endswith("@contoso.com") for m in view["channels"][0]["messages"]
    )
    assert (await sim.get("/_sim/sites", params={"url": view["siteUrl"]})).json()["exists"]
    removed = await sim.delete("/_sim/sites", params={"url": view["siteUrl"]})
    assert removed.json() == {"ok": True}
    assert (await sim.delete("/_sim/sites", params={"url": view["siteUrl"]})).status_code == 404
