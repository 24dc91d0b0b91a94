"""A job's units sized as discovery found them."""

from __future__ import annotations

from migrator_contracts import readmodels
from migrator_contracts.commands import MigrateAtlassianScope
from migrator_contracts.enums import JobType
from migrator_readstore import ReadStore


async def with_discovered_sizes(store: ReadStore, cmd: MigrateAtlassianScope) -> MigrateAtlassianScope:
    """Each unit's size as discovered: a project finished between two readings shows no progress
    of its own, and its issues still count."""
    name, field = (
        (readmodels.DISCOVERED_PROJECTS, "issueCount")
        if cmd.job_type == JobType.JIRA
        else (readmodels.DISCOVERED_SPACES, "pageCount")
    )
    found = store.collection(name)
    units = []
    for unit in cmd.units:
        doc = await found.get(f"{cmd.source_tenant_id}:{unit.key}")
        units.append(unit.model_copy(update={"total_items": int((doc or {}).get(field) or unit.total_items)}))
    return cmd.model_copy(update={"units": units})
