"""Request/reply payloads (core NATS, answered by a queue group).

Every request is answered with a ``Reply``: the HTTP status and the body the gateway returns (a
refusal's body is the API's error body), so an operator's ``nats req`` sees what HTTP would. The
``…Reply`` models below are the bodies of the successful answers.
"""

from __future__ import annotations

from typing import Any

from migrator_contracts.base import Message
from migrator_contracts.enums import TenantRole


class Reply(Message):
    status: int
    body: dict[str, Any]


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
    code: str | None = None  # OAuth 2.0 authorisation code (Atlassian)
    admin_consent: str | None = None
    tenant: str | None = None
    error: str | None = None
    error_description: str | None = None


class ConsentReply(Message):
    tenant_id: str


class RegisterServer(Message):
    """Register a Jira / Confluence Server or Data Center as a migration source."""

    org_id: str
    server_id: str
    base_url: str
    access_token: str  # a personal access token of an administrator; stored encrypted


class RegisterServerReply(Message):
    tenant_id: str


class HealthProbe(Message):
    """Asking a service whether it is ready: the subject says which; the body is empty."""


class HealthReply(Message):
    service: str
    ready: bool
    detail: str = ""


# --- device-hub ------------------------------------------------------------------------------


class RegisterDevice(Message):
    org_id: str
    hostname: str
    ip_address: str
    domain: str
    agent_version: str | None = None
    enrollment_token: str | None = None


class DeviceCheckin(Message):
    """``checkin_id``: the same for the retries of one check-in, so a retry whose first reply
    was lost gets the same commands again instead of none (each command is handed out once)."""

    device_id: str
    secret: str
    agent_version: str | None = None
    checkin_id: str | None = None


class DeviceResult(Message):
    device_id: str
    secret: str
    command_id: str
    status: str
    result: str = ""


class ListDevices(Message):
    org_id: str
    status: str | None = None
    limit: int = 100
    cursor: str | None = None


class GetDevice(Message):
    org_id: str
    device_id: str


class DeleteDevice(Message):
    org_id: str
    device_id: str


class CancelDeviceCommand(Message):
    org_id: str
    device_id: str
    command_id: str


class SetEnrollment(Message):
    """Require an enrolment token to register (a new token is issued each time), or stop requiring one."""

    org_id: str
    required: bool
