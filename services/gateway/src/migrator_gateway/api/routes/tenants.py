"""Tenants: connect (admin consent), the consent callback, list, get, and discovery results."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from migrator_contracts import readmodels, subjects
from migrator_contracts.enums import TenantRole
from migrator_contracts.rpc import ConnectTenantReply, ConnectTenantRequest, ConsentReply, ConsentRequest
from migrator_platform.readstore import ReadStore
from pydantic import BaseModel, ConfigDict, Field

from migrator_gateway.api.deps import BusDep, CurrentOrg, ReadStoreDep, SettingsDep
from migrator_gateway.api.errors import ApiError
from migrator_gateway.api.rpc import ask
from migrator_gateway.api.views import tenant_view

router = APIRouter(prefix="/v1/tenants", tags=["tenants"])

DOMAIN = r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
DISCOVERED = {
    "users": (readmodels.DISCOVERED_USERS, ("id", "tenantId", "upn", "displayName", "sourceSizeBytes")),
    "sites": (readmodels.DISCOVERED_SITES, ("id", "tenantId", "siteId", "name", "url", "sizeBytes")),
    "teams": (
        readmodels.DISCOVERED_TEAMS,
        ("id", "tenantId", "teamId", "name", "description", "memberCount"),
    ),
}


class ConnectTenant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    domain: str = Field(pattern=DOMAIN, max_length=253, description="The tenant's domain, e.g. contoso.com")
    role: TenantRole


async def tenant_of_org(store: ReadStore, org_id: str, tenant_id: str) -> dict[str, Any]:
    """The tenant, if it belongs to this organisation (else 404: never confirm another's exists)."""
    doc = await store.collection(readmodels.TENANTS).get(tenant_id)
    if doc is None or doc.get("orgId") != org_id:
        raise ApiError(404, "TENANT_NOT_FOUND", "Tenant not found")
    return doc


@router.post("/connect")
async def connect(
    body: ConnectTenant, org_id: CurrentOrg, broker: BusDep, settings: SettingsDep
) -> dict[str, str]:
    """Start admin consent: the Global Admin visits ``authUrl``."""
    request = ConnectTenantRequest(
        org_id=org_id,
        domain=body.domain.lower(),
        role=body.role,
        redirect_uri=f"{settings.base_url}/v1/tenants/callback",
    )
    reply = await ask(
        broker,
        subjects.RPC_TENANT_CONNECT,
        request,
        ConnectTenantReply,
        wait_seconds=settings.rpc_timeout_seconds,
    )
    return {"authUrl": reply.auth_url, "state": reply.state}


@router.get("/callback")
async def callback(
    broker: BusDep,
    settings: SettingsDep,
    state: str = Query(""),
    admin_consent: str | None = None,
    tenant: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> dict[str, Any]:
    """Where the identity provider sends the admin's browser back (authenticated by ``state``)."""
    if not state:
        raise ApiError(400, "STATE_INVALID", "The consent callback has no state")
    request = ConsentRequest(
        state=state,
        admin_consent=admin_consent,
        tenant=tenant,
        error=error,
        error_description=error_description,
    )
    reply = await ask(
        broker,
        subjects.RPC_TENANT_CONSENT,
        request,
        ConsentReply,
        wait_seconds=settings.rpc_timeout_seconds * 3,
    )
    if not reply.ok:
        raise ApiError(400, reply.code or "CONSENT_FAILED", reply.error or "Consent failed")
    return {"connected": True, "tenantId": reply.tenant_id}


@router.get("")
async def list_tenants(org_id: CurrentOrg, store: ReadStoreDep) -> dict[str, Any]:
    """Every tenant connected to the organisation."""
    docs = await store.collection(readmodels.TENANTS).find(
        {"orgId": org_id}, sort=[("connectedAt", 1), ("_id", 1)]
    )
    return {"tenants": [tenant_view(d) for d in docs]}


@router.get("/{tenant_id}")
async def get_tenant(tenant_id: str, org_id: CurrentOrg, store: ReadStoreDep) -> dict[str, Any]:
    return {"tenant": tenant_view(await tenant_of_org(store, org_id, tenant_id))}


@router.get("/{tenant_id}/{kind}")
async def discovered(
    tenant_id: str, kind: Literal["users", "sites", "teams"], org_id: CurrentOrg, store: ReadStoreDep
) -> dict[str, Any]:
    """What the most recent discovery found, and that discovery job."""
    tenant = await tenant_of_org(store, org_id, tenant_id)
    collection, fields = DISCOVERED[kind]
    docs = await store.collection(collection).find(
        {"tenantId": tenant_id, "orgId": org_id}, sort=[("_id", 1)]
    )
    latest = None
    if tenant.get("latestDiscoveryJobId"):
        job = await store.collection(readmodels.DISCOVERY_JOBS).get(tenant["latestDiscoveryJobId"])
        if job is not None:
            latest = {"id": job["id"], "status": job["status"], "completedAt": job.get("completedAt")}
    return {kind: [{f: d.get(f) for f in fields} for d in docs], "latestJob": latest}
