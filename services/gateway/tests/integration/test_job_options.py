"""Every job's options and scope are checked against its type before anything is published: a
wrong key, a wrong type, a duplicate or a stray mapping is a 400 naming the field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .conftest import Gateway

pytestmark = pytest.mark.integration

FINANCE = "https://contoso.sharepoint.com/sites/finance"


async def refused(gateway: Gateway, **body: Any) -> str:
    """The 400's message; nothing was published."""
    response, command = await gateway.create(**body)
    assert command is None
    return gateway.error(response, 400, "VALIDATION_ERROR")


async def test_an_unknown_option_is_refused_by_name_for_every_type(gateway: Gateway) -> None:
    message = await refused(gateway, type="SHAREPOINT", options={"site": [FINANCE]})
    assert message.startswith("options.site: unknown option for SHAREPOINT jobs")
    assert "sites" in message and "siteMappings" in message
    assert "options.mailbox:" in await refused(
        gateway, type="EMAIL", options={"mailbox": ["ceo@contoso.com"]}
    )
    assert "options.team:" in await refused(gateway, type="TEAMS", options={"team": []})
    assert "options.sites:" in await refused(
        gateway, type="JIRA", sourceTenantId="ten_DATACENTER", destTenantId="ten_CLOUD", options={"sites": []}
    )
    # camelCase only, as on the wire
    assert "options.full_pass:" in await refused(
        gateway, type="SHAREPOINT", options={"sites": [FINANCE], "full_pass": True}
    )


async def test_a_selection_must_be_a_list_of_names(gateway: Gateway) -> None:
    # Once, a string became one mailbox per letter and a number was a 500.
    for wrong in ("ceo@contoso.com", 5, [5], {"ceo@contoso.com": True}):
        message = await refused(gateway, type="EMAIL", options={"mailboxes": wrong})
        assert message.startswith("options.mailboxes"), message
    assert "options.projects: item 0 is empty" == await refused(
        gateway,
        type="JIRA",
        sourceTenantId="ten_DATACENTER",
        destTenantId="ten_CLOUD",
        options={"projects": [""]},
    )


async def test_an_override_of_a_check_atlassian_never_lets_be_skipped_is_refused_by_name(
    gateway: Gateway,
) -> None:
    atlassian = {"sourceTenantId": "ten_DATACENTER", "destTenantId": "ten_CLOUD"}
    jira = await refused(
        gateway,
        type="JIRA",
        **atlassian,
        options={"overrideChecks": ["AnonPermission", "DatabaseSize", "MissingIssueTypes"]},
    )
    assert jira == (
        "options.overrideChecks: DatabaseSize, MissingIssueTypes cannot be overridden: "
        "Atlassian never lets a migration skip it"
    )
    confluence = await refused(
        gateway, type="CONFLUENCE", **atlassian, options={"overrideChecks": ["SpaceKeyConflict"]}
    )
    assert confluence.startswith("options.overrideChecks: SpaceKeyConflict cannot be overridden")
    twice = await refused(gateway, type="JIRA", **atlassian, options={"overrideChecks": ["A", "A"]})
    assert twice == "options.overrideChecks: 'A' is listed twice"


async def test_booleans_must_be_booleans(gateway: Gateway) -> None:
    message = await refused(gateway, type="SHAREPOINT", options={"sites": [FINANCE], "fullPass": "yes"})
    assert message == "options.fullPass: Input should be a valid boolean"


async def test_site_selections_are_https_urls(gateway: Gateway) -> None:
    plain = await refused(
        gateway, type="SHAREPOINT", options={"sites": ["http://contoso.sharepoint.com/sites/x"]}
    )
    assert plain == "options.sites: 'http://contoso.sharepoint.com/sites/x' must be an https URL"
    assert "is not a URL" in await refused(gateway, type="ONEDRIVE", options={"sites": ["finance"]})


async def test_a_selection_names_each_item_once(gateway: Gateway) -> None:
    mailboxes = await refused(
        gateway, type="EMAIL", options={"mailboxes": ["ceo@contoso.com", "CEO@contoso.com"]}
    )
    assert mailboxes == "options.mailboxes: 'CEO@contoso.com' is listed twice"
    sites = await refused(
        gateway, type="SHAREPOINT", options={"sites": [FINANCE, FINANCE.replace("contoso", "CONTOSO") + "/"]}
    )
    assert sites == "options.sites: 'https://CONTOSO.sharepoint.com/sites/finance/' is listed twice"
    assert "listed twice" in await refused(gateway, type="TEAMS", options={"teams": ["a", "a"]})


async def test_mappings_are_source_dest_pairs_of_selected_items_each_mapped_once(gateway: Gateway) -> None:
    one = ["ceo@contoso.com"]
    incomplete = await refused(
        gateway, type="EMAIL", options={"mailboxes": one, "mailboxMappings": [{"source": one[0]}]}
    )
    assert incomplete == "options.mailboxMappings[0].dest: Field required"
    extra = await refused(
        gateway,
        type="EMAIL",
        options={
            "mailboxes": one,
            "mailboxMappings": [{"source": one[0], "dest": "ceo@fabrikam.com", "x": 1}],
        },
    )
    assert extra.startswith("options.mailboxMappings[0].x: unknown key")
    stray = await refused(
        gateway,
        type="EMAIL",
        options={
            "mailboxes": one,
            "mailboxMappings": [{"source": "cfo@contoso.com", "dest": "cfo@fabrikam.com"}],
        },
    )
    assert stray == "options.mailboxMappings: 'cfo@contoso.com' is not one of the selected mailboxes"
    twice = [
        {"source": "ceo@contoso.com", "dest": "ceo@fabrikam.com"},
        {"source": "CEO@contoso.com", "dest": "boss@fabrikam.com"},
    ]
    assert "is mapped twice" in await refused(
        gateway, type="EMAIL", options={"mailboxes": one, "mailboxMappings": twice}
    )
    # With no selection (every discovered mailbox), a source must still be one of them.
    undiscovered = await refused(
        gateway,
        type="EMAIL",
        options={"mailboxMappings": [{"source": "ghost@contoso.com", "dest": "ceo@fabrikam.com"}]},
    )
    assert undiscovered == "options.mailboxMappings: 'ghost@contoso.com' is not one of the selected mailboxes"
    authors = [
        {"source": "a@contoso.com", "dest": "ceo@fabrikam.com"},
        {"source": "A@contoso.com", "dest": "boss@fabrikam.com"},
    ]
    assert "options.userMappings: 'A@contoso.com' is mapped twice" == await refused(
        gateway, type="TEAMS", options={"userMappings": authors}
    )


async def test_a_scope_takes_only_its_types_keys_as_booleans(gateway: Gateway) -> None:
    assert (
        await refused(gateway, type="EMAIL", scope={"email": "yes"})
        == "scope.email: Input should be a valid boolean"
    )
    unknown = await refused(gateway, type="EMAIL", scope={"mail": True})
    assert unknown == "scope.mail: unknown scope key for EMAIL jobs (accepted: email, calendar, contacts)"
    assert "scope.files: unknown scope key" in await refused(
        gateway, type="SHAREPOINT", scope={"files": True}
    )
    assert "scope.email:" in await refused(gateway, type="TEAMS", scope={"email": True})


async def test_each_batch_item_is_checked_with_its_path(gateway: Gateway) -> None:
    good = {"options": {"mailboxes": ["ceo@contoso.com"]}}
    response, command = await gateway.batch(
        type="EMAIL", batches=[good, {"options": {"mailboxes": "cfo@contoso.com"}}]
    )
    assert command is None
    assert gateway.error(response, 400, "VALIDATION_ERROR").startswith("batches[1].options.mailboxes:")
    response, command = await gateway.batch(type="EMAIL", scope={"email": 1}, batches=[good])
    assert command is None and gateway.error(response, 400, "VALIDATION_ERROR").startswith("scope.email:")


async def test_an_empty_selection_is_refused_rather_than_taken_for_everything(gateway: Gateway) -> None:
    message = await refused(gateway, type="EMAIL", options={"mailboxes": []})
    assert message.startswith("options.mailboxes:") and "at least 1 item" in message


async def test_dry_run_takes_a_boolean_not_something_like_one(gateway: Gateway) -> None:
    for value in (1, "true", "yes"):
        response, command = await gateway.create(type="SHAREPOINT", dryRun=value)
        assert "dryRun" in gateway.error(response, 400, "VALIDATION_ERROR") and command is None
