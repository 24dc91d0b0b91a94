"""The simulated tenants: users, mailboxes, sites with real content, teams — deterministic from a seed."""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass, field

FIRST = ["John", "Lisa", "Ahmed", "Maria", "Wei", "Olga", "Sven", "Chloé", "Kofi", "Priya", "Diego", "Hana"]
LAST = ["Smith", "Nguyen", "Khan", "Garcia", "Zhang", "Ivanova", "Larsen", "Dubois", "Mensah", "Patel"]
EXTENSIONS = [".docx", ".xlsx", ".pdf", ".pptx", ".txt", ".png"]
TIB = 1024**4


@dataclass
class User:
    id: str
    upn: str
    display_name: str
    mailbox_bytes: int
    item_count: int


@dataclass
class Site:
    """A site and its Documents library: web-relative path → bytes (None for a folder)."""

    id: str
    web_id: str
    url: str
    name: str
    content: dict[str, bytes | None] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return "/" + self.url.split("/", 3)[3] if self.url.count("/") >= 3 else ""


@dataclass
class Team:
    id: str
    name: str
    description: str
    member_count: int


@dataclass
class Tenant:
    domain: str
    guid: str
    sp_host: str
    users: list[User]
    sites: dict[str, Site]
    teams: list[Team]
    quota_bytes: int


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _site(rng: random.Random, host: str, name: str, *, with_tmp: bool) -> Site:
    site = Site(id=_uuid(rng), web_id=_uuid(rng), url=f"https://{host}/sites/{name}", name=name.capitalize())
    lib = "Shared Documents"
    folders = [f"{lib}/Plans", f"{lib}/Plans/2026 Q1", f"{lib}/Reports", f"{lib}/Ünïcode & Co"][
        : rng.randint(3, 4)
    ]
    for folder in folders:
        site.content[folder] = None
    places = [lib, *folders]
    for i in range(rng.randint(15, 30)):
        size = rng.choice(
            [0, rng.randint(1, 2_000), rng.randint(2_000, 60_000), rng.randint(60_000, 300_000)]
        )
        stem = rng.choice(["budget", "notes", "O'Brien memo", "plan v2", "café menu", "Résumé"]) + f" {i}"
        body = hashlib.sha256(f"{host}{name}{i}".encode()).digest() * (size // 32 + 1)
        site.content[f"{rng.choice(places)}/{stem}{rng.choice(EXTENSIONS)}"] = body[:size]
    if with_tmp:
        site.content[f"{lib}/~lock {name}.tmp"] = b"lock"
        site.content[f"{folders[0]}/scratch.tmp"] = b"scratch" * 10
    return site


def build_tenants(seed: int) -> dict[str, Tenant]:
    """contoso.com (source, with `.tmp` files that fail by default) and fabrikam.com."""
    rng = random.Random(seed)
    tenants: dict[str, Tenant] = {}
    for domain, site_names, with_tmp in (
        ("contoso.com", ["marketing", "engineering", "finance"], True),
        ("fabrikam.com", ["hr", "sales"], False),
    ):
        host = f"{domain.split('.')[0]}.sharepoint.com"
        users = []
        for i in range(12):
            first, last = FIRST[i % len(FIRST)], rng.choice(LAST)
            users.append(
                User(
                    id=_uuid(rng),
                    upn=f"{first.lower()}.{last.lower()}{i}@{domain}".replace("é", "e"),
                    display_name=f"{first} {last}",
                    mailbox_bytes=rng.randint(50, 4000) * 1024**2,
                    item_count=rng.randint(100, 9000),
                )
            )
        sites = {s.url: s for s in (_site(rng, host, n, with_tmp=with_tmp) for n in site_names)}
        teams = [
            Team(id=_uuid(rng), name=n, description=d, member_count=rng.randint(3, 60))
            for n, d in (("Engineering", "Core engineering team"), ("Sales", ""), ("Leadership", "Execs"))
        ]
        tenants[domain] = Tenant(
            domain=domain,
            guid=_uuid(rng),
            sp_host=host,
            users=users,
            sites=sites,
            teams=teams[: 2 + (domain == "contoso.com")],
            quota_bytes=25 * TIB,
        )
    return tenants
