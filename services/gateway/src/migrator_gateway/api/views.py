"""Read-model documents → the public API's shapes (never leaking internal fields)."""

from __future__ import annotations

from typing import Any

from migrator_contracts.enums import TenantStatus

from migrator_gateway.api import schemas

# The fields each response shows are the documented schema's, in its order; the routes declare
# that schema as their response model, which checks and renders what they return.
JOB_LIST_FIELDS = tuple(schemas.JobSummary.model_fields)
JOB_FIELDS = tuple(schemas.Job.model_fields)
TENANT_FIELDS = tuple(schemas.Tenant.model_fields)
COMMAND_FIELDS = tuple(schemas.DeviceCommand.model_fields)
CHECKS_FIELDS = tuple(schemas.JobChecks.model_fields)
_COUNTERS = {"totalItems", "doneItems", "errorItems", "skippedItems", "bytesTransferred"}


_DEFAULTS: dict[tuple[str, ...], tuple[tuple[str, Any], ...]] = {}


def pick(doc: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Only the public fields, in the documented order (counters default to 0, the rest to null)."""
    pairs = _DEFAULTS.get(fields)
    if pairs is None:  # once per field list: a listing picks from every row
        pairs = _DEFAULTS[fields] = tuple((f, 0 if f in _COUNTERS else None) for f in fields)
    return {f: doc.get(f, default) for f, default in pairs}


def job_view(doc: dict[str, Any]) -> dict[str, Any]:
    view = pick(doc, JOB_FIELDS)
    view["scope"] = view["scope"] or {}
    view["dryRun"] = bool(view["dryRun"])
    return view


def tenant_view(doc: dict[str, Any]) -> dict[str, Any]:
    view = pick(doc, TENANT_FIELDS)
    view["workloads"] = view["workloads"] or []
    view["status"] = view["status"] or TenantStatus.CONNECTED.value
    return view
