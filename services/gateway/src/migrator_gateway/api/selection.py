"""What a job's selection names, checked against the source tenant's discovery.

Every selected item must be one that discovery found: a typo, or a site created since, is a 422
naming it rather than a unit that fails later. No selection means every discovered item of the
type. Names come back as discovery spells them, so every later step compares like with like.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from migrator_contracts import readmodels
from migrator_contracts.enums import JobType
from migrator_contracts.job_kinds import JOB_KINDS, site_key
from migrator_contracts.readmodels import TenantDoc

from migrator_gateway.api.errors import preflight_error

if TYPE_CHECKING:
    from migrator_readstore import ReadStore

# Units (sites, mailboxes, teams) in one job: more belong in several jobs of a batch, where
# each wave can be scheduled, paused and watched on its own.
MAX_UNITS_PER_JOB = 10_000
SHOWN = 20  # names listed in an error; beyond that, the first ones and the count


_ONEDRIVE = re.compile(r"https://[a-z0-9-]+-my\.sharepoint\.com/personal/([^/]+)")


def _onedrive_owner(url: str) -> str:
    """``https://<prefix>-my.sharepoint.com/personal/<name>`` → ``<name>`` (else "")."""
    match = _ONEDRIVE.fullmatch(site_key(url))
    return match.group(1).casefold() if match else ""


def _onedrive_name(upn: str) -> str:
    """The ``<name>`` of a user's OneDrive URL: the UPN with ``@`` and ``.`` as ``_``."""
    return upn.casefold().replace("@", "_").replace(".", "_")


@dataclass(frozen=True)
class _Discovered:
    """Where a type's items are discovered, the field naming one, how a discovered name and a
    selected name compare (``known`` / ``asked``), and whether nothing selected means all."""

    collection: str
    attribute: str
    known: Callable[[str], str]
    asked: Callable[[str], str]
    default_all: bool = True


_DISCOVERED: dict[JobType, _Discovered] = {
    JobType.SHAREPOINT: _Discovered(readmodels.DISCOVERED_SITES, "url", site_key, site_key),
    # OneDrives are not discovered as sites: each is named after a discovered user.
    JobType.ONEDRIVE: _Discovered(
        readmodels.DISCOVERED_USERS, "upn", _onedrive_name, _onedrive_owner, default_all=False
    ),
    JobType.EMAIL: _Discovered(readmodels.DISCOVERED_USERS, "upn", str.casefold, str.casefold),
    JobType.TEAMS: _Discovered(readmodels.DISCOVERED_TEAMS, "teamId", str.casefold, str.casefold),
    JobType.JIRA: _Discovered(readmodels.DISCOVERED_PROJECTS, "key", str, str),
    JobType.CONFLUENCE: _Discovered(readmodels.DISCOVERED_SPACES, "key", str, str),
}


def listed(names: list[str]) -> str:
    """Every name when there are few; else the first ones and how many there are."""
    if len(names) <= SHOWN:
        return ", ".join(names)
    return f"{', '.join(names[:SHOWN])} … ({len(names)} in all)"


async def discovered_names(
    store: ReadStore, *, org_id: str, tenant: TenantDoc, collection: str, attribute: str, what: str
) -> list[str]:
    """The names discovery found in ``tenant`` (422 when its discovery has not completed)."""
    if not tenant.discovered_at:
        raise preflight_error(
            "scope",
            "PREFLIGHT_SCOPE",
            f"discovery of {tenant.domain} has not completed, so its {what} are not known yet; "
            "retry when it has",
        )
    docs = await store.collection(collection).find(
        {"tenantId": tenant.id, "orgId": org_id}, sort=[("_id", 1)]
    )
    return [str(d[attribute]) for d in docs if d.get(attribute)]


async def resolve_selection(
    store: ReadStore,
    *,
    org_id: str,
    job_type: JobType,
    source: TenantDoc,
    chosen: list[str] | None,
    field_prefix: str,
) -> tuple[list[str], str]:
    """The selected items as discovery names them (all discovered ones when none are chosen)
    and the scope check's detail; a 422 naming what discovery does not know."""
    key = JOB_KINDS[job_type].selection
    where, found = f"{field_prefix}options.{key}", _DISCOVERED[job_type]
    if chosen:
        _check_size(len(chosen), where)
    elif not found.default_all:
        raise preflight_error(
            "scope",
            "PREFLIGHT_SCOPE",
            f"{where}: name the {key} to migrate (OneDrives are not discovered: "
            "https://<tenant>-my.sharepoint.com/personal/<user principal name, @ and . as _>)",
        )
    names = await discovered_names(
        store,
        org_id=org_id,
        tenant=source,
        collection=found.collection,
        attribute=found.attribute,
        what=key,
    )
    if not chosen:
        if not names:
            raise preflight_error("scope", "PREFLIGHT_SCOPE", f"{source.domain} has no {key} to migrate")
        _check_size(len(names), where)
        return names, f"all {len(names)} discovered {key}"
    known = {found.known(name): name for name in names}
    unknown = [name for name in chosen if found.asked(name) not in known]
    if unknown:
        raise preflight_error(
            "scope",
            "PREFLIGHT_SCOPE",
            f"{where}: {len(unknown)} not found by the discovery of {source.domain}: "
            f"{listed(unknown)} (if they are new, rediscover it: POST /v1/tenants/{source.id}/discover)",
        )
    # A OneDrive keeps the URL it was named by (discovery knows its owner, not the URL).
    spelled = [name if job_type is JobType.ONEDRIVE else known[found.asked(name)] for name in chosen]
    return spelled, f"{len(spelled)} {key} selected"


def same_item(job_type: JobType) -> Callable[[str], str]:
    """How two names of one selected item compare (a mapping's source against the selection)."""
    return _DISCOVERED[job_type].asked


def _check_size(count: int, where: str) -> None:
    if count > MAX_UNITS_PER_JOB:
        raise preflight_error(
            "scope",
            "PREFLIGHT_SCOPE",
            f"{where}: {count} selected, but a job takes at most {MAX_UNITS_PER_JOB}; split them "
            "into waves with POST /v1/jobs/batch",
        )
