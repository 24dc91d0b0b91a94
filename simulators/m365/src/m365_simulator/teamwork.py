"""Teams content: channels with messages and replies, and each team's SharePoint team site with a
folder of files per channel — generated from a random stream, or made empty for a new team."""

from __future__ import annotations

import hashlib
import random
import re
from datetime import UTC, datetime, timedelta

from m365_simulator.channels import Channel, Message, epoch_ms
from m365_simulator.data import EXTENSIONS, Site, Team, Tenant, User, _uuid
from m365_simulator.mailboxes import iso

CHANNEL_NAMES = ["Announcements", "Design Reviews", "Projects", "Random", "Support"]
# Generated conversations happen in this fixed window (a fixed past, so the data never changes).
TEAMS_CREATED = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
TALK_FROM, TALK_SPAN_MS = datetime(2026, 1, 5, tzinfo=UTC), 230 * 86_400_000
POLICY_MARKER = "[policy-block]"  # every 10th generated root post carries it
PHRASES = [
    "Draft is in the channel folder",
    "Can we move the review to Thursday?",
    "Numbers for Q2 look good & on track",
    "Shipping the fix today",
    "Notes from the customer call",
    "Who owns the <b>rollout</b> plan?",
]


def nickname_for(tenant: Tenant, name: str) -> str:
    """A mailNickname from the display name, with a number added while a site or another team has
    it already (SharePoint URLs are case-insensitive)."""
    base = re.sub(r"[^A-Za-z0-9]", "", name) or "team"
    taken = {url.rsplit("/", 1)[1].lower() for url in tenant.sites} | {
        t.nickname.lower() for t in tenant.teams
    }
    nickname, n = base, 1
    while nickname.lower() in taken:
        n += 1
        nickname = f"{base}{n}"
    return nickname


def new_channel(rng: random.Random, name: str, description: str, created: str) -> Channel:
    return Channel(
        id=f"19:{rng.getrandbits(128):032x}@thread.tacv2", name=name, description=description, created=created
    )


def _post(
    channel: Channel, rng: random.Random, users: list[User], index: int, reply_to: str | None
) -> Message:
    """A message at a random millisecond of the window that no other message of the channel has."""
    ms = epoch_ms(iso(TALK_FROM)) + rng.randint(0, TALK_SPAN_MS)
    if reply_to is not None:  # a reply follows its root
        ms = epoch_ms(next(m.created for m in channel.roots if m.id == reply_to)) + rng.randint(
            1, 3 * 86_400_000
        )
    while channel.taken(ms):
        ms += 1
    author = rng.choice(users)
    text = rng.choice(PHRASES).replace("&", "&amp;")
    marker = f" {POLICY_MARKER}" if reply_to is None and index % 10 == 9 else ""
    created = iso(datetime.fromtimestamp(ms / 1000, UTC))
    content = f"<p>{channel.name} #{index}: {text}{marker}</p>"
    return channel.add(Message(str(ms), created, author.id, author.display_name, content, reply_to))


def fill_channel(
    channel: Channel, rng: random.Random, users: list[User], roots: int, replies: tuple[int, int]
) -> None:
    for i in range(roots):
        root = _post(channel, rng, users, i, None)
        for j in range(rng.randint(*replies)):
            _post(channel, rng, users, j, root.id)


def team_site(rng: random.Random, tenant: Tenant, team: Team, files: tuple[int, int]) -> Site:
    """The team site, registered in the tenant, with a folder per channel holding a few small files."""
    team.nickname = team.nickname or nickname_for(tenant, team.name)
    team.site_url = f"https://{tenant.sp_host}/sites/{team.nickname}"
    site = Site(id=_uuid(rng), web_id=_uuid(rng), url=team.site_url, name=team.name)
    for channel in team.channels:
        site.put(channel.folder, None, uid=_uuid(rng))
        for i in range(rng.randint(*files)):
            size = rng.randint(10, 5_000)
            body = (hashlib.sha256(f"{team.site_url}{channel.name}{i}".encode()).digest() * (size // 32 + 1))[
                :size
            ]
            site.put(f"{channel.folder}/notes {i}{rng.choice(EXTENSIONS)}", body, uid=_uuid(rng))
    tenant.sites[site.url] = site
    return site


def furnish(
    tenant: Tenant,
    team: Team,
    rng: random.Random,
    *,
    channels: int,
    roots: tuple[int, int],
    replies: tuple[int, int],
    files: tuple[int, int] = (1, 3),
) -> None:
    """Give a team ``channels`` channels (General first), each with messages, and its team site."""
    team.created = team.created or iso(TEAMS_CREATED + timedelta(days=rng.randint(0, 40)))
    names = ["General", *rng.sample(CHANNEL_NAMES, min(channels - 1, len(CHANNEL_NAMES)))]
    names += [f"Channel {i:02d}" for i in range(len(names), channels)]
    for name in names:
        channel = new_channel(rng, name, f"{name} of {team.name}", team.created)
        team.channels.append(channel)
        fill_channel(channel, rng, tenant.users, rng.randint(*roots), replies)
    team_site(rng, tenant, team, files)
