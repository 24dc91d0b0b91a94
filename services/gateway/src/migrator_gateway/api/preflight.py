"""Pre-flight checks on a job before anything is written: tenants, roles, workload, scope, quota.

Each check either passes (with what it saw) or fails the request with a 4xx naming the check.
The scope check also resolves the default scope ("all available items of the type") into the
explicit list the scheduler will split into units, so the quota check sizes what will really move.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrator_contracts import readmodels
from migrator_contracts.enums import JobType, TenantRole
from migrator_platform.readstore import ReadStore

from migrator_gateway.api.errors import ApiError

# Per job type: the options list naming the units, and the discovered collection and field it
# defaults to. ONEDRIVE has no default: OneDrive sites are not discovered yet.
_SELECTION: dict[JobType, tuple[str, str | None, str | None]] = {
    JobType.SHAREPOINT: ("sites", readmodels.DISCOVERED_SITES, "url"),
    JobType.ONEDRIVE: ("sites", None, None),
    JobType.EMAIL: ("mailboxes", readmodels.DISCOVERED_USERS, "upn"),
    JobType.TEAMS: ("teams", readmodels.DISCOVERED_TEAMS, "teamId"),
    JobType.JIRA: ("projects", readmodels.DISCOVERED_PROJECTS, "key"),
    JobType.CONFLUENCE: ("spaces", readmodels.DISCOVERED_SPACES, "key"),
}


# Units (sites, mailboxes, teams) in one job: more belong in several jobs of a batch, where
# each wave can be scheduled, paused and watched on its own.
MAX_UNITS_PER_JOB = 10_000


@dataclass(frozen=True)
class JobSpec:
    """What a create or batch request asks for (after schema validation)."""

    source_tenant_id: str
    dest_tenant_id: str
    type: JobType
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Preflight:
    """The outcome: each check's verdict and the options with the scope made explicit."""

    options: dict[str, Any]
    checks: list[dict[str, Any]] = field(default_factory=list)

    def passed(self, check: str, detail: str) -> None:
        self.checks.append({"check": check, "ok": True, "detail": detail})


def _fail(check: str, code: str, message: str, status: int = 422) -> ApiError:
    return ApiError(status, code, f"Pre-flight check '{check}' failed: {message}")


async def run_preflight(store: ReadStore, org_id: str, spec: JobSpec, *, field_prefix: str = "") -> Preflight:
    """Every check in order; the first failure raises (the request is rejected, nothing written)."""
    tenants = store.collection(readmodels.TENANTS)
    found: dict[str, dict[str, Any]] = {}
    for name, tenant_id in (("sourceTenantId", spec.source_tenant_id), ("destTenantId", spec.dest_tenant_id)):
        doc = await tenants.get(tenant_id)
        if doc is None or doc.get("orgId") != org_id:
            raise ApiError(404, "TENANT_NOT_FOUND", f"{name}: tenant {tenant_id} not found")
        found[name] = doc
    if spec.source_tenant_id == spec.dest_tenant_id:
        raise ApiError(400, "VALIDATION_ERROR", "destTenantId: must differ from sourceTenantId")
    source, dest = found["sourceTenantId"], found["destTenantId"]
    result = Preflight(options=dict(spec.options))
    result.passed("tenants", f"{source['domain']} → {dest['domain']}")

    if source.get("role") != TenantRole.SOURCE.value or dest.get("role") != TenantRole.DESTINATION.value:
        raise _fail(
            "roles",
            "PREFLIGHT_ROLES",
            f"{source['domain']} is connected as {source.get('role')} and {dest['domain']} as "
            f"{dest.get('role')}; a job runs from a source tenant to a destination tenant",
        )
    result.passed("roles", "source → destination")

    for tenant in (source, dest):
        if spec.type.value not in (tenant.get("workloads") or []):
            raise _fail(
                "workload",
                "PREFLIGHT_WORKLOAD",
                f"{spec.type.value} is not enabled on {tenant['domain']} "
                f"(enabled: {', '.join(tenant.get('workloads') or []) or 'none'})",
            )
    result.passed("workload", f"{spec.type.value} enabled on both tenants")

    selected = await _resolve_scope(store, org_id, spec, source, result, field_prefix)
    await _check_quota(store, spec, source, dest, selected, result)
    return result


async def _resolve_scope(
    store: ReadStore,
    org_id: str,
    spec: JobSpec,
    source: dict[str, Any],
    result: Preflight,
    field_prefix: str,
) -> list[str]:
    """The explicit selection, or every discovered item of the type when none is given."""
    key, collection, attribute = _SELECTION[spec.type]
    explicit = spec.options.get(key)
    if explicit:
        _check_size(len(explicit), key, field_prefix)
        result.passed("scope", f"{len(explicit)} {key} selected")
        return [str(item) for item in explicit]
    if collection is None or attribute is None:
        raise _fail("scope", "PREFLIGHT_SCOPE", f"{field_prefix}options.{key}: name the {key} to migrate")
    if not source.get("discoveredAt"):
        raise _fail(
            "scope",
            "PREFLIGHT_SCOPE",
            f"discovery of {source['domain']} has not completed, so 'all {key}' is not known yet; "
            f"retry when it has, or name them in {field_prefix}options.{key}",
        )
    docs = await store.collection(collection).find(
        {"tenantId": source["id"], "orgId": org_id}, sort=[("_id", 1)]
    )
    items = [str(d[attribute]) for d in docs if d.get(attribute)]
    if not items:
        raise _fail("scope", "PREFLIGHT_SCOPE", f"{source['domain']} has no {key} to migrate")
    _check_size(len(items), key, field_prefix)
    result.options[key] = items
    result.passed("scope", f"all {len(items)} discovered {key}")
    return items


def _check_size(count: int, key: str, field_prefix: str) -> None:
    if count > MAX_UNITS_PER_JOB:
        raise _fail(
            "scope",
            "PREFLIGHT_SCOPE",
            f"{field_prefix}options.{key}: {count} selected, but a job takes at most "
            f"{MAX_UNITS_PER_JOB}; split them into waves with POST /v1/jobs/batch",
        )


async def _check_quota(
    store: ReadStore,
    spec: JobSpec,
    source: dict[str, Any],
    dest: dict[str, Any],
    selected: list[str],
    result: Preflight,
) -> None:
    """The destination can hold what the selection weighs (as discovery measured both)."""
    if spec.type is JobType.SHAREPOINT:
        quota, used = dest.get("sharepointQuotaBytes"), dest.get("sharepointUsedBytes")
        if quota is None or used is None:
            result.passed("quota", f"not checked: {dest['domain']} has not been discovered yet")
            return
        sites = await store.collection(readmodels.DISCOVERED_SITES).find({"tenantId": source["id"]})
        size_of = {s["url"]: int(s.get("sizeBytes") or 0) for s in sites}
        needed, free = sum(size_of.get(url, 0) for url in selected), int(quota) - int(used)
        if needed > free:
            raise _fail(
                "quota",
                "PREFLIGHT_QUOTA",
                f"the selected sites hold {needed} bytes but {dest['domain']} has {free} bytes of "
                f"SharePoint storage free",
            )
        result.passed("quota", f"{needed} bytes needed, {free} free on {dest['domain']}")
    elif spec.type is JobType.EMAIL:
        users = await store.collection(readmodels.DISCOVERED_USERS).find({"tenantId": source["id"]})
        size_of = {u["upn"].lower(): int(u.get("sourceSizeBytes") or 0) for u in users}
        needed = sum(size_of.get(m.lower(), 0) for m in selected)
        # Exchange Online has no tenant-wide pool, and the tenant fields carry no mailbox quota.
        result.passed("quota", f"{needed} bytes of mail selected; mailbox quotas are per mailbox")
    else:
        result.passed("quota", f"not measured for {spec.type.value} (discovery does not size them)")
