"""The pre-flight checks that read discovery: a selection names discovered items, EMAIL mailboxes
and TEAMS mappings have a discovered destination, and the job is created with its scope and
destinations spelt out for the scheduler."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .conftest import Gateway

pytestmark = pytest.mark.integration

FINANCE = "https://contoso.sharepoint.com/sites/finance"
MARKETING = "https://contoso.sharepoint.com/sites/marketing"
ENGINEERING = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SALES = "ffffffff-0000-1111-2222-333333333333"
DEST_TEAM = "99999999-8888-7777-6666-555555555555"
ALL_MAIL = {"email": True, "calendar": True, "contacts": True}


async def created(gateway: Gateway, **body: Any) -> dict[str, Any]:
    """The CreateJob command published for a job the gateway accepted."""
    response, command = await gateway.create(**body)
    assert response.status_code == 201, response.text
    assert command is not None
    return command


async def refused(gateway: Gateway, code: str, **body: Any) -> str:
    """The 422's message; nothing was published."""
    response, command = await gateway.create(**body)
    assert command is None
    return gateway.error(response, 422, code)


async def test_the_scope_is_stored_in_full_and_must_select_something(gateway: Gateway) -> None:
    response, command = await gateway.create(type="EMAIL", options={"mailboxes": ["ceo@contoso.com"]})
    assert response.status_code == 201 and response.json()["job"]["scope"] == ALL_MAIL
    assert command is not None and command["scope"] == ALL_MAIL
    mail_only = await created(
        gateway, type="EMAIL", scope={"email": True}, options={"mailboxes": ["ceo@contoso.com"]}
    )
    assert mail_only["scope"] == {"email": True, "calendar": False, "contacts": False}
    teams = await created(gateway, type="TEAMS", scope={}, options={"teams": [SALES]})
    assert teams["scope"] == {"messages": True, "files": True}
    assert (await created(gateway, type="SHAREPOINT", options={"sites": [FINANCE]}))["scope"] == {}
    nothing = await refused(gateway, "PREFLIGHT_SCOPE", type="EMAIL", scope={"email": False})
    assert nothing.startswith("Pre-flight check 'scope' failed: scope: selects nothing to migrate")
    dry = await gateway.api.post(
        "/v1/jobs",
        json={
            "sourceTenantId": "ten_CONTOSO",
            "destTenantId": "ten_FABRIKAM",
            "type": "TEAMS",
            "dryRun": True,
            "scope": {"files": True},
        },
    )
    assert dry.status_code == 200 and dry.json()["job"]["scope"] == {"messages": False, "files": True}


async def test_a_dry_run_lists_every_check_in_order(gateway: Gateway) -> None:
    body = {
        "sourceTenantId": "ten_CONTOSO",
        "destTenantId": "ten_FABRIKAM",
        "type": "EMAIL",
        "dryRun": True,
        "options": {
            "mailboxes": ["ceo@contoso.com", "cfo@contoso.com", "lonely@contoso.com"],
            "mailboxMappings": [{"source": "lonely@contoso.com", "dest": "boss@fabrikam.com"}],
        },
    }
    response, command = await gateway.published(
        "migrator.cmd.job.create", lambda: gateway.api.post("/v1/jobs", json=body)
    )
    assert response.status_code == 200, response.text
    assert command is None  # a dry run creates nothing
    checks = response.json()["preflight"]
    assert [c["check"] for c in checks] == ["tenants", "roles", "workload", "connector", "scope", "quota"]
    assert all(c["ok"] for c in checks)
    details = {c["check"]: c["detail"] for c in checks}
    assert details["connector"] == "migrator.cmd.mailbox.migrate consumed by a running connector"
    assert details["scope"] == "3 mailboxes selected; destinations at fabrikam.com: 1 mapped, 2 by name"


async def test_selected_mailboxes_teams_sites_and_keys_must_be_discovered(gateway: Gateway) -> None:
    mailboxes = await refused(
        gateway,
        "PREFLIGHT_SCOPE",
        type="EMAIL",
        options={"mailboxes": ["ceo@contoso.com", "ghost@contoso.com"]},
    )
    assert mailboxes == (
        "Pre-flight check 'scope' failed: options.mailboxes: 1 not found by the discovery of "
        "contoso.com: ghost@contoso.com (if they are new, rediscover it: "
        "POST /v1/tenants/ten_CONTOSO/discover)"
    )
    teams = await refused(
        gateway, "PREFLIGHT_SCOPE", type="TEAMS", options={"teams": [ENGINEERING, "no-such-team"]}
    )
    assert "options.teams: 1 not found" in teams and "no-such-team" in teams
    sites = await refused(
        gateway, "PREFLIGHT_SCOPE", type="SHAREPOINT", options={"sites": [FINANCE, f"{FINANCE}-old"]}
    )
    assert f"options.sites: 1 not found by the discovery of contoso.com: {FINANCE}-old " in sites
    projects = await refused(
        gateway,
        "PREFLIGHT_SCOPE",
        type="JIRA",
        sourceTenantId="ten_DATACENTER",
        destTenantId="ten_CLOUD",
        options={"projects": ["ALPHA", "alpha", "GAMMA"]},
    )
    assert "options.projects: 2 not found by the discovery of jira.acme.local: alpha, GAMMA " in projects
    assert (
        await created(
            gateway,
            type="JIRA",
            sourceTenantId="ten_DATACENTER",
            destTenantId="ten_CLOUD",
            options={"projects": ["BETA"]},
        )
    )["options"] == {"projects": ["BETA"]}


async def test_many_unknown_items_are_listed_twenty_and_counted(gateway: Gateway) -> None:
    ghosts = [f"ghost{i:02d}@contoso.com" for i in range(25)]
    message = await refused(gateway, "PREFLIGHT_SCOPE", type="EMAIL", options={"mailboxes": ghosts})
    assert "25 not found" in message and "ghost19@contoso.com … (25 in all)" in message
    assert "ghost20@contoso.com" not in message


async def test_selected_items_are_named_as_discovery_spells_them(gateway: Gateway) -> None:
    email = await created(gateway, type="EMAIL", options={"mailboxes": ["JOHN.SMITH@CONTOSO.COM"]})
    assert email["options"]["mailboxes"] == ["John.Smith@contoso.com"]
    sites = await created(
        gateway,
        type="SHAREPOINT",
        options={
            "sites": ["https://Contoso.SharePoint.com/sites/finance/", MARKETING],
            "siteMappings": [
                {
                    "source": "https://contoso.sharepoint.com/sites/finance",
                    "dest": "https://fabrikam.sharepoint.com/sites/money",
                }
            ],
            "fullPass": True,
        },
    )
    assert sites["options"] == {
        "sites": [FINANCE, MARKETING],
        "siteMappings": [{"source": FINANCE, "dest": "https://fabrikam.sharepoint.com/sites/money"}],
        "fullPass": True,
    }
    teams = await created(gateway, type="TEAMS", options={"teams": [SALES.upper()]})
    assert teams["options"] == {"teams": [SALES]}


async def test_omitted_selections_mean_everything_discovered_but_onedrives_must_be_named(
    gateway: Gateway,
) -> None:
    assert (await created(gateway, type="SHAREPOINT"))["options"] == {"sites": [FINANCE, MARKETING]}
    assert (await created(gateway, type="TEAMS"))["options"]["teams"] == [ENGINEERING, SALES]
    unnamed = await refused(gateway, "PREFLIGHT_SCOPE", type="ONEDRIVE")
    assert "options.sites: name the sites to migrate" in unnamed


async def test_a_onedrive_is_named_after_a_discovered_user(gateway: Gateway) -> None:
    mine = "https://contoso-my.sharepoint.com/personal/john_smith_contoso_com"
    assert (await created(gateway, type="ONEDRIVE", options={"sites": [mine]}))["options"] == {
        "sites": [mine]
    }
    strangers = [
        "https://contoso-my.sharepoint.com/personal/ghost_contoso_com",
        FINANCE,  # a team site is not a OneDrive
        "https://contoso.sharepoint.com/personal/ceo_contoso_com",  # not the -my host
    ]
    message = await refused(
        gateway, "PREFLIGHT_SCOPE", type="ONEDRIVE", options={"sites": [mine, *strangers]}
    )
    assert f"3 not found by the discovery of contoso.com: {', '.join(strangers)} " in message


async def test_a_selection_of_an_undiscovered_source_is_refused(gateway: Gateway) -> None:
    message = await refused(
        gateway,
        "PREFLIGHT_SCOPE",
        type="SHAREPOINT",
        sourceTenantId="ten_LITWARE",
        options={"sites": [FINANCE]},
    )
    assert message == (
        "Pre-flight check 'scope' failed: discovery of litware.com has not completed, so its sites "
        "are not known yet; retry when it has"
    )


async def test_each_mailbox_goes_to_its_mapping_else_its_namesake(gateway: Gateway) -> None:
    command = await created(
        gateway,
        type="EMAIL",
        options={
            "mailboxes": ["ceo@contoso.com", "cfo@contoso.com", "john.smith@contoso.com"],
            "mailboxMappings": [{"source": "CEO@contoso.com", "dest": "BOSS@fabrikam.com"}],
        },
    )
    assert command["options"]["mailboxMappings"] == [
        {"source": "ceo@contoso.com", "dest": "boss@fabrikam.com"},
        {"source": "cfo@contoso.com", "dest": "CFO@fabrikam.com"},
        {"source": "John.Smith@contoso.com", "dest": "john.smith@fabrikam.com"},
    ]


async def test_a_mailbox_with_nowhere_to_go_refuses_the_job(gateway: Gateway) -> None:
    nameless = await refused(
        gateway,
        "PREFLIGHT_MAPPING",
        type="EMAIL",
        options={"mailboxes": ["ceo@contoso.com", "lonely@contoso.com"]},
    )
    assert nameless == (
        "Pre-flight check 'scope' failed: options.mailboxes: no user of the same name at fabrikam.com "
        "for 1 mailbox(es): lonely@contoso.com; map each to a destination user in options.mailboxMappings"
    )
    everyone = await refused(gateway, "PREFLIGHT_MAPPING", type="EMAIL")  # lonely@ is among them
    assert "lonely@contoso.com" in everyone
    wrong = await refused(
        gateway,
        "PREFLIGHT_MAPPING",
        type="EMAIL",
        options={
            "mailboxes": ["lonely@contoso.com"],
            "mailboxMappings": [{"source": "lonely@contoso.com", "dest": "lonely@fabrikam.com"}],
        },
    )
    assert (
        "options.mailboxMappings: 1 destination(s) not a user discovered at fabrikam.com: "
        "lonely@contoso.com → lonely@fabrikam.com" in wrong
    )
    mapped = await created(
        gateway,
        type="EMAIL",
        options={
            "mailboxes": ["lonely@contoso.com"],
            "mailboxMappings": [{"source": "lonely@contoso.com", "dest": "boss@fabrikam.com"}],
        },
    )
    assert mapped["options"]["mailboxMappings"] == [
        {"source": "lonely@contoso.com", "dest": "boss@fabrikam.com"}
    ]


async def test_email_needs_the_destination_discovered(gateway: Gateway) -> None:
    message = await refused(
        gateway,
        "PREFLIGHT_SCOPE",
        type="EMAIL",
        destTenantId="ten_NORTHWIND",
        options={"mailboxes": ["ceo@contoso.com"]},
    )
    assert message == (
        "Pre-flight check 'scope' failed: discovery of northwind.com has not completed, so its users "
        "are not known yet; retry when it has"
    )


async def test_teams_mappings_name_discovered_destination_teams_and_users(gateway: Gateway) -> None:
    team = await refused(
        gateway,
        "PREFLIGHT_MAPPING",
        type="TEAMS",
        options={"teams": [ENGINEERING], "teamMappings": [{"source": ENGINEERING, "dest": "not-a-team"}]},
    )
    assert "options.teamMappings: 1 not found by the discovery of fabrikam.com: not-a-team" in team
    authors = await refused(
        gateway,
        "PREFLIGHT_MAPPING",
        type="TEAMS",
        options={"userMappings": [{"source": "ceo@contoso.com", "dest": "ceo@nowhere.com"}]},
    )
    assert "options.userMappings: 1 not found by the discovery of fabrikam.com: ceo@nowhere.com" in authors
    fallback = await refused(
        gateway, "PREFLIGHT_MAPPING", type="TEAMS", options={"fallbackUser": "ghost@fabrikam.com"}
    )
    assert (
        "options.fallbackUser: 1 not found by the discovery of fabrikam.com: ghost@fabrikam.com" in fallback
    )
    command = await created(
        gateway,
        type="TEAMS",
        options={
            "teams": [ENGINEERING, SALES],
            "teamMappings": [{"source": ENGINEERING, "dest": DEST_TEAM.upper()}],
            "userMappings": [{"source": "ceo@contoso.com", "dest": "Boss@Fabrikam.com"}],
            "fallbackUser": "cfo@fabrikam.com",
        },
    )
    assert command["options"] == {
        "teams": [ENGINEERING, SALES],
        "teamMappings": [{"source": ENGINEERING, "dest": DEST_TEAM}],
        "userMappings": [{"source": "ceo@contoso.com", "dest": "boss@fabrikam.com"}],
        "fallbackUser": "CFO@fabrikam.com",
    }


async def test_unmapped_teams_wait_for_the_connector_even_to_an_undiscovered_destination(
    gateway: Gateway,
) -> None:
    command = await created(gateway, type="TEAMS", destTenantId="ten_NORTHWIND", options={"teams": [SALES]})
    assert command["options"] == {"teams": [SALES]}
    mapped = await refused(
        gateway,
        "PREFLIGHT_SCOPE",
        type="TEAMS",
        destTenantId="ten_NORTHWIND",
        options={"fallbackUser": "ceo@northwind.com"},
    )
    assert "discovery of northwind.com has not completed" in mapped


async def test_a_batch_checks_each_item_against_discovery_with_its_path(gateway: Gateway) -> None:
    response, command = await gateway.batch(
        type="EMAIL",
        batches=[
            {"options": {"mailboxes": ["ceo@contoso.com"]}},
            {"options": {"mailboxes": ["ghost@contoso.com"]}},
        ],
    )
    assert command is None
    assert "failed: batches[1].options.mailboxes: 1 not found" in gateway.error(
        response, 422, "PREFLIGHT_SCOPE"
    )
    response, command = await gateway.batch(
        type="EMAIL",
        scope={"calendar": True},
        batches=[
            {"options": {"mailboxes": ["ceo@contoso.com"]}},
            {"options": {"mailboxes": ["cfo@contoso.com"]}},
        ],
    )
    assert response.status_code == 201, response.text
    assert command is not None
    assert [job["scope"] for job in command["jobs"]] == [
        {"email": False, "calendar": True, "contacts": False}
    ] * 2
    assert [job["options"]["mailboxMappings"] for job in command["jobs"]] == [
        [{"source": "ceo@contoso.com", "dest": "ceo@fabrikam.com"}],
        [{"source": "cfo@contoso.com", "dest": "CFO@fabrikam.com"}],
    ]
