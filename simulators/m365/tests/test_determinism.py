"""The generated tenants are the same for a seed, and what existed before mailboxes and team content
were added is exactly as it was (end-to-end tests compare site contents)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from m365_simulator.data import Site, Tenant
from m365_simulator.tenants import build_tenants

pytestmark = pytest.mark.unit


def site_print(site: Site) -> str:
    digest = hashlib.sha256(f"{site.url}|{site.id}|{site.web_id}|{site.name}".encode())
    for path in sorted(site.content):
        body = site.content[path]
        digest.update(
            f"|{path}|{site.ids[path]}|{'dir' if body is None else hashlib.sha256(body).hexdigest()}".encode()
        )
    return digest.hexdigest()


def sites_print(tenant: Tenant, urls: list[str]) -> str:
    return hashlib.sha256("".join(site_print(tenant.sites[u]) for u in sorted(urls)).encode()).hexdigest()


def everything(tenants: dict[str, Tenant]) -> Any:
    return {
        domain: {
            "sites": sites_print(t, list(t.sites)),
            "users": [(u.id, u.upn, u.mailbox and u.mailbox.id) for u in t.users],
            "items": [
                (f.name, i.id, i.size, i.created, i.change_key, hashlib.sha256(i.content).hexdigest())
                for u in t.users
                if u.mailbox
                for f in u.mailbox.folders.values()
                for i in f.items.values()
            ],
            "teams": [
                (
                    team.id,
                    team.site_url,
                    [(c.id, c.name, [(m.id, m.author, m.content) for m in c.roots]) for c in team.channels],
                )
                for team in t.teams
            ],
        }
        for domain, t in tenants.items()
    }


def test_the_same_seed_builds_the_same_tenants() -> None:
    assert json.dumps(everything(build_tenants(42))) == json.dumps(everything(build_tenants(42)))
    assert json.dumps(everything(build_tenants(42))) != json.dumps(everything(build_tenants(43)))


def test_what_was_generated_before_mailboxes_and_team_content_is_unchanged() -> None:
    """Constants computed with the code as it was before mailboxes and team content existed."""
    tenants = build_tenants(42)
    contoso, fabrikam = tenants["contoso.com"], tenants["fabrikam.com"]
    team_sites = {t.site_url for t in [*contoso.teams, *fabrikam.teams]}
    contoso_sites = [u for u in contoso.sites if u not in team_sites]
    assert len(contoso_sites) == 6
    assert (
        sites_print(contoso, contoso_sites)
        == "dbd6eba6ba950b6b6ea1e93e456adbfa7aa7d17ca0af4e961cb13e00071d907f"
    )
    people = json.dumps([(u.id, u.upn, u.display_name) for u in contoso.users]).encode()
    assert (
        hashlib.sha256(people).hexdigest()
        == "5d45d52c7bb03faf5f84d1843f69c47febac0b8c5cc2ff44857f4dd13fd16ab8"
    )
    # fabrikam.com's team sites are new, its users renamed, its OneDrives those of other users.
    fabrikam_sites = [u for u in fabrikam.sites if "/sites/" in u and u not in team_sites]
    assert (
        sites_print(fabrikam, fabrikam_sites)
        == "6d27e0a6977ce6dd912e0f1cc648b86b56f5e2d9d56180543823f7de9533c842"
    )
    ids = json.dumps([u.id for u in fabrikam.users]).encode()
    assert (
        hashlib.sha256(ids).hexdigest() == "40153e725f3dceba2b57f4c5e64f4f7f1c69f36e8a10561a6306d21c915e4f79"
    )
    assert (contoso.guid, fabrikam.guid) == (
        "f7294951-8591-41d2-bbda-02422d174fc9",
        "f1b64afe-d31e-4f1a-a9ff-1cae41c8ca8c",
    )
    assert [t.id for t in contoso.teams] == [
        "7d7ddbed-d284-476c-ab88-f83dd97dc9cd",
        "a2b5b498-5cb8-4aed-b5f6-2c976efb63b1",
        "272a6d8e-b512-4df8-b5b1-7a55d4262982",
    ]
    assert [t.id for t in fabrikam.teams] == [
        "21d53971-3367-49b5-acf6-bf756a5e6920",
        "5da8d6d2-f8b3-4a8b-a05f-b8bc8a16a06c",
    ]


def test_each_source_mailbox_has_a_namesake_at_the_destination() -> None:
    tenants = build_tenants(42)
    contoso, fabrikam = tenants["contoso.com"], tenants["fabrikam.com"]
    assert [u.upn.split("@")[0] for u in contoso.users] == [u.upn.split("@")[0] for u in fabrikam.users]
    assert [u.display_name for u in contoso.users] == [u.display_name for u in fabrikam.users]
    sizes = [len(u.mailbox.all_items()) for u in contoso.users if u.mailbox]
    assert len(sizes) == 12 and all(30 <= n <= 150 for n in sizes)
    assert all(u.mailbox and not u.mailbox.all_items() for u in fabrikam.users)
    assert len({u.mailbox.id for u in [*contoso.users, *fabrikam.users] if u.mailbox}) == 24
