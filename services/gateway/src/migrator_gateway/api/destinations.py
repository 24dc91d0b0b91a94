"""Where a job's items go at the destination, resolved against its discovery when the job is created.

EMAIL: every selected mailbox gets its destination user now (its mapping's, else the user of the
same name), so no unit starts with nowhere to go. TEAMS: mapped teams and users must exist at
the destination; unmapped teams are the connector's to match or create, so they wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from migrator_contracts import readmodels
from migrator_contracts.enums import JobType
from migrator_contracts.readmodels import TenantDoc

from migrator_gateway.api.errors import preflight_error
from migrator_gateway.api.selection import discovered_names, listed

if TYPE_CHECKING:
    from migrator_readstore import ReadStore


async def resolve_destinations(
    store: ReadStore,
    *,
    org_id: str,
    job_type: JobType,
    dest: TenantDoc,
    options: dict[str, Any],
    field_prefix: str,
) -> tuple[dict[str, Any], str]:
    """The options with their destinations as the destination's discovery spells them (EMAIL:
    one ``mailboxMappings`` entry per selected mailbox, in selection order), and a detail."""
    where = f"{field_prefix}options"
    if job_type is JobType.EMAIL:
        return _mailboxes(options, await _users(store, org_id, dest), dest.domain, where)
    if job_type is JobType.TEAMS:
        return await _teams_and_authors(store, org_id, dest, options, where)
    return options, ""


async def _teams_and_authors(
    store: ReadStore, org_id: str, dest: TenantDoc, options: dict[str, Any], where: str
) -> tuple[dict[str, Any], str]:
    fallback = options.get("fallbackUser")
    if not (options.get("teamMappings") or options.get("userMappings") or fallback):
        return options, ""  # unmapped teams are matched or created by the connector, authors by name
    resolved, domain = dict(options), dest.domain
    if options.get("teamMappings"):
        teams = await discovered_names(
            store,
            org_id=org_id,
            tenant=dest,
            collection=readmodels.DISCOVERED_TEAMS,
            attribute="teamId",
            what="teams",
        )
        resolved["teamMappings"] = _mapped(options["teamMappings"], teams, f"{where}.teamMappings", domain)
    if options.get("userMappings") or fallback:
        users = await _users(store, org_id, dest)
        if options.get("userMappings"):
            resolved["userMappings"] = _mapped(
                options["userMappings"], users, f"{where}.userMappings", domain
            )
        if fallback:
            (resolved["fallbackUser"],) = _found([fallback], users, f"{where}.fallbackUser", domain)
    return resolved, f"mapped teams and users found at {domain}"


async def _users(store: ReadStore, org_id: str, dest: TenantDoc) -> list[str]:
    return await discovered_names(
        store,
        org_id=org_id,
        tenant=dest,
        collection=readmodels.DISCOVERED_USERS,
        attribute="upn",
        what="users",
    )


def _mailboxes(
    options: dict[str, Any], users: list[str], domain: str, where: str
) -> tuple[dict[str, Any], str]:
    by_upn = {upn.casefold(): upn for upn in users}
    by_name: dict[str, list[str]] = {}
    for upn in users:
        by_name.setdefault(upn.partition("@")[0].casefold(), []).append(upn)
    asked = {m["source"].casefold(): m["dest"] for m in options.get("mailboxMappings") or []}
    pairs, unknown, nameless = [], [], []
    for mailbox in options["mailboxes"]:
        if mailbox.casefold() in asked:
            target = by_upn.get(asked[mailbox.casefold()].casefold())
            if target is None:
                unknown.append(f"{mailbox} → {asked[mailbox.casefold()]}")
        else:
            target = _namesake(by_name.get(mailbox.partition("@")[0].casefold(), []), domain)
            if target is None:
                nameless.append(mailbox)
        if target is not None:
            pairs.append({"source": mailbox, "dest": target})
    if unknown:
        raise preflight_error(
            "scope",
            "PREFLIGHT_MAPPING",
            f"{where}.mailboxMappings: {len(unknown)} destination(s) not a user discovered at {domain}: "
            f"{listed(unknown)}",
        )
    if nameless:
        raise preflight_error(
            "scope",
            "PREFLIGHT_MAPPING",
            f"{where}.mailboxes: no user of the same name at {domain} for {len(nameless)} mailbox(es): "
            f"{listed(nameless)}; map each to a destination user in {where}.mailboxMappings",
        )
    mapped = len(asked)
    detail = f"destinations at {domain}: {mapped} mapped, {len(pairs) - mapped} by name"
    return options | {"mailboxMappings": pairs}, detail


def _namesake(candidates: list[str], domain: str) -> str | None:
    """The destination user of the same name: the one at the tenant's own domain if several."""
    if len(candidates) == 1:
        return candidates[0]
    at_home = [upn for upn in candidates if upn.casefold().endswith("@" + domain.casefold())]
    return at_home[0] if len(at_home) == 1 else None


def _mapped(
    mappings: list[dict[str, str]], names: list[str], where: str, domain: str
) -> list[dict[str, str]]:
    """Each mapping with its destination as discovered."""
    found = _found([m["dest"] for m in mappings], names, where, domain)
    return [m | {"dest": d} for m, d in zip(mappings, found, strict=True)]


def _found(wanted: list[str], names: list[str], where: str, domain: str) -> list[str]:
    """``wanted`` as discovery spells them (a 422 naming those it did not find)."""
    known = {name.casefold(): name for name in names}
    unknown = [name for name in wanted if name.casefold() not in known]
    if unknown:
        raise preflight_error(
            "scope",
            "PREFLIGHT_MAPPING",
            f"{where}: {len(unknown)} not found by the discovery of {domain}: {listed(unknown)}",
        )
    return [known[name.casefold()] for name in wanted]
