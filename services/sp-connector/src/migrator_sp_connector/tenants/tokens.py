"""Which directory (Entra tenant) each connected tenant is: what the app's tokens are asked for.

The tokens themselves come from the shared Microsoft identity (MSAL, in memory, renewed before
they expire); nothing but the tenant's directory id is kept here, in ``tenant_secrets``, whose
document is the grant: deleted first when a tenant is disconnected, so access ends at once.
"""

from __future__ import annotations

from migrator_contracts import readmodels
from migrator_contracts.readmodels import Doc
from migrator_microsoft.identity import ClientCredentials, TenantTokens, TokenError
from migrator_readstore import ReadStore


class TenantGrant(Doc):
    """A connected tenant's directory (``tenant_secrets``, by tenant id)."""

    org_id: str
    external_tenant_id: str


async def remember_directory(
    store: ReadStore, tenant_id: str, *, org_id: str, external_tenant_id: str
) -> None:
    """The tenant's consent was granted in this directory."""
    await store.collection(readmodels.TENANT_SECRETS).upsert(
        tenant_id, TenantGrant(org_id=org_id, external_tenant_id=external_tenant_id).to_doc()
    )


def tenant_tokens(store: ReadStore, credentials: ClientCredentials) -> TenantTokens:
    """Tokens for connected tenants; a tenant that is not (or no longer) connected has none."""
    grants = store.collection(readmodels.TENANT_SECRETS)

    async def directory_of(tenant_id: str) -> str:
        grant = await grants.get(tenant_id)
        if grant is None:
            raise TokenError(f"tenant {tenant_id} is not connected")
        return TenantGrant.model_validate(grant).external_tenant_id

    return TenantTokens(credentials, directory_of)
