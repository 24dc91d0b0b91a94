"""What belongs to the caller's organisation: the one read every org-scoped lookup starts from."""

from __future__ import annotations

from migrator_contracts import readmodels
from migrator_contracts.readmodels import TenantDoc
from migrator_readstore import ReadStore


async def tenant_in_org(store: ReadStore, org_id: str, tenant_id: str) -> TenantDoc | None:
    """The tenant, or None when there is none or it is another organisation's (a caller is never
    told which): each route says so in its own words."""
    doc = await store.collection(readmodels.TENANTS).get(tenant_id)
    tenant = TenantDoc.model_validate(doc) if doc is not None else None
    return tenant if tenant is not None and tenant.org_id == org_id else None
