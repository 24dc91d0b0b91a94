"""Registrations: an agent joins its organisation (with an enrolment token if the organisation
requires one), and an operator removes a device or changes the enrolment rule."""

from __future__ import annotations

import ipaddress
from typing import Any

from migrator_contracts import ids, readmodels
from migrator_contracts.base import iso
from migrator_contracts.readmodels import DeviceDoc, DeviceEnrollmentDoc
from migrator_contracts.rpc import DeleteDevice, RegisterDevice, SetEnrollment
from migrator_platform.ids import new_id
from migrator_platform.structured_logs import get_logger
from migrator_readstore import ReadStore

from migrator_device_hub.adapters.announcer import Announcer
from migrator_device_hub.adapters.device_store import Devices, Enrollment
from migrator_device_hub.domain import credentials
from migrator_device_hub.domain.commands import visible_to
from migrator_device_hub.domain.refusals import Refused, device_not_found
from migrator_device_hub.ports import Clock

log = get_logger(__name__)

TEXT_LIMITS = {"hostname": 255, "domain": 253, "agentVersion": 64}


def checked_text(field: str, value: str | None, *, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            raise Refused(400, "VALIDATION_ERROR", f"{field}: is required")
        return None
    if len(value) > TEXT_LIMITS[field] or not value.isprintable():
        raise Refused(400, "VALIDATION_ERROR", f"{field}: at most {TEXT_LIMITS[field]} printable characters")
    return value


class Registry:
    def __init__(self, store: ReadStore, announcer: Announcer, clock: Clock) -> None:
        self._orgs = store.collection(readmodels.ORGS)  # the gateway's: only whether it exists
        self._devices, self._enrollment = Devices(store), Enrollment(store)
        self._announcer, self._clock = announcer, clock

    async def register(self, request: RegisterDevice) -> dict[str, Any]:
        """A new device of the organisation, and its secret (returned this once, stored hashed)."""
        hostname = checked_text("hostname", request.hostname)
        domain = checked_text("domain", request.domain)
        agent_version = checked_text("agentVersion", request.agent_version, required=False)
        try:
            ip = str(ipaddress.ip_address(request.ip_address))
        except ValueError:
            raise Refused(400, "VALIDATION_ERROR", "ipAddress: must be an IPv4 or IPv6 address") from None
        if await self._orgs.get(request.org_id) is None:
            raise Refused(404, "ORG_NOT_FOUND", "Organisation not found")
        enrollment = await self._enrollment.get(request.org_id)
        if enrollment is not None and not credentials.matches(
            request.enrollment_token or "", enrollment.token_hash
        ):
            raise Refused(
                403,
                "ENROLLMENT_TOKEN_INVALID",
                "This organisation requires a valid enrollmentToken to register devices",
            )
        device_id, secret, now = new_id(ids.DEVICE), credentials.new_secret(), iso(self._clock())
        device = DeviceDoc(
            id=device_id,
            org_id=request.org_id,
            hostname=hostname,
            ip_address=ip,
            domain=domain,
            agent_version=agent_version,
            secret_hash=credentials.hash_secret(secret),
            created_at=now,
            last_seen_at=now,  # registering is the device's first contact
            unannounced=True,
        )
        await self._devices.add(device)
        log.info("device registered", device_id=device_id, org_id=request.org_id, hostname=hostname)
        await self._announcer.device_changed(device)
        return {"deviceId": device_id, "secret": secret}

    async def delete(self, request: DeleteDevice) -> dict[str, Any]:
        """Refuse the device's check-ins from now on; its commands go with it."""
        device = await self._devices.get(request.device_id)
        if not visible_to(device, request.org_id):
            raise device_not_found()
        deleted = await self._devices.mark_deleted(device, iso(self._clock()))
        if deleted is None:
            raise device_not_found()  # deleted by a concurrent request
        log.info("device deleted", device_id=request.device_id, org_id=request.org_id)
        await self._announcer.device_changed(deleted)
        return {"deleted": True}

    async def set_enrollment(self, request: SetEnrollment) -> dict[str, Any]:
        """Require a token to register (a new one each time: the old stops working) or not."""
        if not request.required:
            await self._enrollment.drop(request.org_id)
            return {"required": False}
        token = credentials.new_enrollment_token()
        await self._enrollment.require(
            DeviceEnrollmentDoc(
                org_id=request.org_id,
                token_hash=credentials.hash_secret(token),
                created_at=iso(self._clock()),
            )
        )
        log.info("enrolment token issued", org_id=request.org_id)
        return {"required": True, "enrollmentToken": token}

    async def authenticated(self, device_id: str, secret: str) -> DeviceDoc:
        """The device, if ``secret`` is its secret (401) and it exists and is not deleted (404)."""
        device = await self._devices.get(device_id)
        if device is None or device.deleted:
            raise device_not_found()
        if not credentials.matches(secret, device.secret_hash):
            raise Refused(401, "DEVICE_UNAUTHORIZED", "The device secret is not valid")
        return device
