"""The two seeded tenants: contoso.com (the source, with content everywhere) and fabrikam.com.

Each kind of content added after the first version draws from its own random stream (personal
sites, mailboxes, team content), so adding it left everything generated before exactly as it was.
"""

from __future__ import annotations

import random

from m365_simulator.data import FIRST, LAST, TIB, Team, Tenant, User, _site, _uuid
from m365_simulator.mailbox_gen import seeded_mailbox
from m365_simulator.teamwork import furnish


def build_tenants(seed: int) -> dict[str, Tenant]:
    """contoso.com (source, with `.tmp` files that fail by default) and fabrikam.com, whose users
    are contoso's namesakes (``john.nguyen0@contoso.com`` ↔ ``john.nguyen0@fabrikam.com``)."""
    rng = random.Random(seed)
    tenants: dict[str, Tenant] = {}
    for domain, site_names, with_tmp in (
        ("contoso.com", ["marketing", "engineering", "finance"], True),
        ("fabrikam.com", ["hr", "sales"], False),
    ):
        host = f"{domain.split('.')[0]}.sharepoint.com"
        source = domain == "contoso.com"
        namesakes = [] if source else tenants["contoso.com"].users
        users = []
        for i in range(12):
            first, last = FIRST[i % len(FIRST)], rng.choice(LAST)
            if namesakes:  # the name drawn is dropped, for the same reason
                last = namesakes[i].display_name.split(" ", 1)[1]
            user_id = _uuid(rng)
            rng.randint(50, 4000)  # were a random mailbox size and item count: drawn still, so the
            rng.randint(100, 9000)  # stream goes on as it always did
            upn = f"{first.lower()}.{last.lower()}{i}@{domain}".replace("é", "e")
            mailbox = seeded_mailbox(seed, upn, populated=source)
            users.append(User(id=user_id, upn=upn, display_name=f"{first} {last}", mailbox=mailbox))
        sites = {s.url: s for s in (_site(rng, host, n, with_tmp=with_tmp) for n in site_names)}
        teams = [
            Team(id=_uuid(rng), name=n, description=d, member_count=rng.randint(3, 60))
            for n, d in (("Engineering", "Core engineering team"), ("Sales", ""), ("Leadership", "Execs"))
        ]
        # OneDrive: a personal site for some users, on the tenant's -my host. At fabrikam.com they
        # are not the namesakes of contoso's OneDrive owners, so a OneDrive migration lands in a
        # OneDrive of its own.
        my_host = f"{domain.split('.')[0]}-my.sharepoint.com"
        personal_rng = random.Random(f"{seed}:{domain}:personal")
        for user in users[:3] if source else users[3:6]:
            name = user.upn.replace("@", "_").replace(".", "_")
            site = _site(personal_rng, my_host, name, with_tmp=False)
            site.url = f"https://{my_host}/personal/{name}"
            sites[site.url] = site
        tenant = Tenant(
            domain=domain,
            guid=_uuid(rng),
            sp_host=host,
            users=users,
            sites=sites,
            teams=teams[: 2 + source],
            quota_bytes=25 * TIB,
        )
        for team in tenant.teams:
            team_rng = random.Random(f"{seed}:{domain}:team:{team.id}")
            furnish(
                tenant,
                team,
                team_rng,
                channels=team_rng.randint(2, 3),
                roots=(10, 40) if source else (0, 5),
                replies=(0, 3) if source else (0, 1),
            )
        tenants[domain] = tenant
    return tenants
