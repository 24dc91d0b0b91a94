"""Read-model documents → the public API's shapes (never leaking internal fields).

Each view is the documented response model, built from the stored document's fields of that
model: what a route returns is the type its OpenAPI entry shows.
"""

from __future__ import annotations

from typing import Any, TypeVar

from migrator_contracts.enums import TenantStatus
from pydantic import BaseModel

from migrator_gateway.api import schemas

S = TypeVar("S", bound=BaseModel)

# Documented fields a stored document may lack: counters are 0 until counted; anything else null.
_COUNTERS = {"totalItems", "doneItems", "errorItems", "skippedItems", "bytesTransferred"}
_DEFAULTS: dict[type[BaseModel], tuple[tuple[str, Any], ...]] = {}


def shaped(model: type[S], doc: dict[str, Any], **overrides: Any) -> S:
    """``model`` from the document's fields of it (absent counters 0, anything else absent null)."""
    pairs = _DEFAULTS.get(model)
    if pairs is None:  # once per model: a listing shapes every row
        pairs = _DEFAULTS[model] = tuple((f, 0 if f in _COUNTERS else None) for f in model.model_fields)
    return model.model_validate({f: doc.get(f, default) for f, default in pairs} | overrides)


def job_view(doc: dict[str, Any]) -> schemas.Job:
    return shaped(schemas.Job, doc, scope=doc.get("scope") or {}, dryRun=bool(doc.get("dryRun")))


def job_preview(doc: dict[str, Any]) -> schemas.JobPreview:
    """What a dry run would create (no id: it creates nothing)."""
    return shaped(schemas.JobPreview, doc, scope=doc.get("scope") or {}, dryRun=True)


def tenant_view(doc: dict[str, Any]) -> schemas.Tenant:
    status = doc.get("status") or TenantStatus.CONNECTED.value
    return shaped(schemas.Tenant, doc, workloads=doc.get("workloads") or [], status=status)
