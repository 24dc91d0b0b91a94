"""Request/reply payloads (core NATS, answered by a queue group)."""

from __future__ import annotations

from migrator_contracts.base import Message
from migrator_contracts.enums import TenantRole


class ConnectTenantRequest(Message):
    org_id: str
    domain: str
    role: TenantRole
    redirect_uri: str


class ConnectTenantReply(Message):
    auth_url: str
    state: str


class ConsentRequest(Message):
    """The admin-consent callback's query, forwarded by the gateway."""

    state: str
    admin_consent: str | None = None
    tenant: str | None = None
    error: str | None = None
    error_description: str | None = None


class ConsentReply(Message):
    ok: bool
    tenant_id: str | None = None
    code: str | None = None
    error: str | None = None


class HealthReply(Message):
    service: str
    ready: bool
    detail: str = ""
