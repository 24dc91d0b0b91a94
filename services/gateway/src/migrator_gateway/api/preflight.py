"""Pre-flight checks on a job before anything is written: tenants, roles, workload, connector,
scope, quota.

Each check either passes (with what it saw) or fails the request with a 4xx naming the check.
The scope check resolves the selection against discovery (every item of the type when none is
named) and the destinations against the destination's, so the quota check sizes what will
really move and the scheduler is given units that all exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from migrator_contracts import readmodels
from migrator_contracts.enums import JobType, TenantRole
from migrator_contracts.job_kinds import JOB_KINDS
from migrator_contracts.readmodels import TenantDoc
from migrator_platform.bus import UNAVAILABLE_ERRORS, BusUnavailable

from migrator_gateway.api.destinations import resolve_destinations
from migrator_gateway.api.errors import ApiError, preflight_error
from migrator_gateway.api.job_options import checked_options
from migrator_gateway.api.ownership import tenant_in_org
from migrator_gateway.api.selection import resolve_selection, same_item

if TYPE_CHECKING:
    from migrator_contracts.job_kinds import JobOptions
    from migrator_platform.workers import WorkerPresence
    from migrator_readstore import ReadStore


@dataclass(frozen=True)
class JobSpec:
    """What a create or batch request asks for (after its options and scope were validated)."""

    source_tenant_id: str
    dest_tenant_id: str
    type: JobType
    options: JobOptions
    scope: dict[str, bool]


@dataclass
class Preflight:
    """The outcome: each check's verdict and the options the job is created with (selection
    and destinations made explicit)."""

    options: dict[str, Any]
    checks: list[dict[str, Any]] = field(default_factory=list)

    def passed(self, check: str, detail: str) -> None:
        self.checks.append({"check": check, "ok": True, "detail": detail})


async def run_preflight(
    spec: JobSpec, *, store: ReadStore, presence: WorkerPresence, org_id: str, field_prefix: str = ""
) -> Preflight:
    """Every check in order; the first failure raises (the request is rejected, nothing written)."""
    found: dict[str, TenantDoc] = {}
    for name, tenant_id in (("sourceTenantId", spec.source_tenant_id), ("destTenantId", spec.dest_tenant_id)):
        tenant = await tenant_in_org(store, org_id, tenant_id)
        if tenant is None:
            raise ApiError(404, "TENANT_NOT_FOUND", f"{name}: tenant {tenant_id} not found")
        found[name] = tenant
    if spec.source_tenant_id == spec.dest_tenant_id:
        raise ApiError(400, "VALIDATION_ERROR", "destTenantId: must differ from sourceTenantId")
    source, dest = found["sourceTenantId"], found["destTenantId"]
    result = Preflight(options=spec.options.model_dump(by_alias=True, exclude_unset=True))
    result.passed("tenants", f"{source.domain} → {dest.domain}")

    if source.role != TenantRole.SOURCE.value or dest.role != TenantRole.DESTINATION.value:
        raise preflight_error(
            "roles",
            "PREFLIGHT_ROLES",
            f"{source.domain} is connected as {source.role} and {dest.domain} as "
            f"{dest.role}; a job runs from a source tenant to a destination tenant",
        )
    result.passed("roles", "source → destination")

    for tenant in (source, dest):
        if spec.type.value not in tenant.workloads:
            raise preflight_error(
                "workload",
                "PREFLIGHT_WORKLOAD",
                f"{spec.type.value} is not enabled on {tenant.domain} "
                f"(enabled: {', '.join(tenant.workloads) or 'none'})",
            )
    result.passed("workload", f"{spec.type.value} enabled on both tenants")

    await _check_connector(presence, spec, result)
    selected = await _check_scope(store, org_id, spec, source, dest, result, field_prefix)
    await _check_quota(store, spec, source, dest, selected, result)
    return result


async def _check_connector(presence: WorkerPresence, spec: JobSpec, result: Preflight) -> None:
    """Something is running that takes the job's units: a job nothing can run is refused."""
    commands = JOB_KINDS[spec.type].commands_for(spec.scope)
    try:
        idle = [subject for subject in commands if not await presence.running(subject)]
    except UNAVAILABLE_ERRORS as exc:
        raise BusUnavailable(f"worker presence not readable: {exc!r}") from exc
    if idle:
        raise preflight_error(
            "connector",
            "JOB_TYPE_UNAVAILABLE",
            f"no running connector takes {spec.type.value} jobs: nothing consumes {', '.join(idle)}; "
            "start the connector that does, then retry",
            status=400,
        )
    result.passed("connector", f"{', '.join(commands)} consumed by a running connector")


async def _check_scope(
    store: ReadStore,
    org_id: str,
    spec: JobSpec,
    source: TenantDoc,
    dest: TenantDoc,
    result: Preflight,
    field_prefix: str,
) -> list[str]:
    """Something selected, every selected item discovered, every destination found."""
    if spec.scope and not any(spec.scope.values()):
        raise preflight_error(
            "scope",
            "PREFLIGHT_SCOPE",
            f"scope: selects nothing to migrate ({spec.type.value} jobs move "
            f"{', '.join(spec.scope)}; omit scope for all of them)",
        )
    kind = JOB_KINDS[spec.type]
    chosen: list[str] | None = result.options.get(kind.selection)
    selected, detail = await resolve_selection(
        store, org_id=org_id, job_type=spec.type, source=source, chosen=chosen, field_prefix=field_prefix
    )
    options = result.options | {kind.selection: selected}
    if kind.mappings and options.get(kind.mappings):
        # The mappings' sources against the selection now known (all discovered, when none was
        # named), then spelt as the selection is, which is how the scheduler matches them.
        checked_options(spec.type, options, field_prefix=field_prefix)
        same = same_item(spec.type)
        spelled = {same(name): name for name in selected}
        options[kind.mappings] = [m | {"source": spelled[same(m["source"])]} for m in options[kind.mappings]]
    result.options, destinations = await resolve_destinations(
        store, org_id=org_id, job_type=spec.type, dest=dest, options=options, field_prefix=field_prefix
    )
    result.passed("scope", f"{detail}; {destinations}" if destinations else detail)
    return selected


async def _check_quota(
    store: ReadStore,
    spec: JobSpec,
    source: TenantDoc,
    dest: TenantDoc,
    selected: list[str],
    result: Preflight,
) -> None:
    """The destination can hold what the selection weighs (as discovery measured both)."""
    if spec.type is JobType.SHAREPOINT:
        quota, used = dest.sharepoint_quota_bytes, dest.sharepoint_used_bytes
        if quota is None or used is None:
            result.passed("quota", f"not checked: {dest.domain} has not been discovered yet")
            return
        # Raw, for two fields of every site of the tenant (thousands, a model each is too dear).
        sites = await store.collection(readmodels.DISCOVERED_SITES).find({"tenantId": source.id})
        size_of = {s["url"]: int(s.get("sizeBytes") or 0) for s in sites}
        needed, free = sum(size_of.get(url, 0) for url in selected), quota - used
        if needed > free:
            raise preflight_error(
                "quota",
                "PREFLIGHT_QUOTA",
                f"the selected sites hold {needed} bytes but {dest.domain} has {free} bytes of "
                f"SharePoint storage free",
            )
        result.passed("quota", f"{needed} bytes needed, {free} free on {dest.domain}")
    elif spec.type is JobType.EMAIL:
        users = await store.collection(readmodels.DISCOVERED_USERS).find({"tenantId": source.id})
        size_of = {u["upn"].lower(): int(u.get("sourceSizeBytes") or 0) for u in users}
        needed = sum(size_of.get(m.lower(), 0) for m in selected)
        # Exchange Online has no tenant-wide pool, and the tenant fields carry no mailbox quota.
        result.passed("quota", f"{needed} bytes of mail selected; mailbox quotas are per mailbox")
    else:
        result.passed("quota", f"not measured for {spec.type.value} (discovery does not size them)")
