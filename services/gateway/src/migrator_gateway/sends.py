"""What the gateway sends on the bus: the commands its routes publish and the requests they make
(see ``migrator_platform.bus.declare_sends``; the AsyncAPI document lists them)."""

from __future__ import annotations

from migrator_contracts import subjects
from migrator_contracts.commands import (
    ControlJob,
    CreateJob,
    CreateJobBatch,
    DeleteTenant,
    DiscoverTenant,
    QueueDeviceCommand,
)
from migrator_contracts.events import ApiKeyRevoked
from migrator_contracts.rpc import (
    CancelDeviceCommand,
    ConnectTenantRequest,
    ConsentRequest,
    DeleteDevice,
    DeviceCheckin,
    DeviceResult,
    GetDevice,
    HealthProbe,
    ListDevices,
    RegisterDevice,
    RegisterServer,
    SetEnrollment,
)
from migrator_platform.bus import Send, event_send

COMMANDS: tuple[Send, ...] = (
    (subjects.CMD_JOB_CREATE, CreateJob),
    (subjects.CMD_JOB_BATCH, CreateJobBatch),
    (subjects.CMD_JOB_CONTROL, ControlJob),
    (subjects.CMD_TENANT_DELETE, DeleteTenant),
    (subjects.CMD_TENANT_DISCOVER, DiscoverTenant),
    (subjects.CMD_ATLASSIAN_DISCOVER, DiscoverTenant),
    (subjects.CMD_DEVICE_COMMAND, QueueDeviceCommand),
)
REQUESTS: tuple[Send, ...] = (
    (subjects.RPC_TENANT_CONNECT, ConnectTenantRequest),
    (subjects.RPC_TENANT_CONSENT, ConsentRequest),
    (subjects.RPC_ATLASSIAN_CONNECT, ConnectTenantRequest),
    (subjects.RPC_ATLASSIAN_CONSENT, ConsentRequest),
    (subjects.RPC_ATLASSIAN_REGISTER, RegisterServer),
    (subjects.RPC_DEVICE_REGISTER, RegisterDevice),
    (subjects.RPC_DEVICE_CHECKIN, DeviceCheckin),
    (subjects.RPC_DEVICE_RESULT, DeviceResult),
    (subjects.RPC_DEVICE_LIST, ListDevices),
    (subjects.RPC_DEVICE_GET, GetDevice),
    (subjects.RPC_DEVICE_DELETE, DeleteDevice),
    (subjects.RPC_DEVICE_CANCEL, CancelDeviceCommand),
    (subjects.RPC_DEVICE_ENROLLMENT, SetEnrollment),
    (subjects.rpc_health("{service}"), HealthProbe),  # /readyz asks every service
)
EVENTS: tuple[Send, ...] = (event_send(subjects.apikey_event, ApiKeyRevoked),)
SENDS = COMMANDS + REQUESTS + EVENTS
