"""The Microsoft 365 tenants this service may call, as TenantConnected and TenantRemoved tell it.

Consent belongs to sp-connector; this service keeps its own small projection of what it needs
(each tenant's directory and domain) rather than read another service's collections. A removal
is kept as a mark, so a replayed older TenantConnected cannot bring the tenant back.
"""

from __future__ import annotations

from migrator_contracts.events import TenantConnected, TenantRemoved
from migrator_contracts.readmodels import Doc
from migrator_microsoft.identity import TokenError
from migrator_readstore import Collection


class GraphTenant(Doc):
    """One ``graph_tenants`` document (by tenant id); a removal leaves only its mark."""

    org_id: str | None = None
    domain: str | None = None
    directory: str | None = None  # the directory's GUID, or a verified domain (names it as well)
    removed: bool = False
    seq: int = 0  # the event it is as of (put_if_newer)


class TenantDirectory:
    """Writes ``graph_tenants`` (its only writer) and answers which directory a tenant is."""

    def __init__(self, tenants: Collection) -> None:
        self._tenants = tenants

    async def connected(self, event: TenantConnected) -> None:
        await self._tenants.put_if_newer(
            event.tenant_id,
            GraphTenant.as_stored(
                org_id=event.org_id,
                domain=event.domain,
                directory=event.external_tenant_id or event.domain,
                removed=False,
            ),
            seq=event.seq,
        )

    async def removed(self, event: TenantRemoved) -> None:
        await self._tenants.put_if_newer(event.tenant_id, GraphTenant.as_stored(removed=True), seq=event.seq)

    async def _tenant(self, tenant_id: str) -> GraphTenant:
        doc = await self._tenants.get(tenant_id)
        tenant = GraphTenant.model_validate(doc) if doc is not None else None
        if tenant is None or tenant.removed or not tenant.directory or not tenant.domain:
            raise TokenError(f"tenant {tenant_id} is not connected")
        return tenant

    async def directory_of(self, tenant_id: str) -> str:
        """The tenant's directory (its GUID, or its domain)."""
        return str((await self._tenant(tenant_id)).directory)

    async def domain_of(self, tenant_id: str) -> str:
        """The domain the tenant was connected by (``fabrikam.com``)."""
        return str((await self._tenant(tenant_id)).domain)
