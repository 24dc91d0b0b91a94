"""The subject hierarchy under ``migrator.``.

Commands ``migrator.cmd.<aggregate>.<verb>``; events ``migrator.evt.<aggregate>.<id>.<EventName>``;
request/reply ``migrator.rpc.<service>.<verb>``; logs ``migrator.log.job.<jobId>``;
dead letters ``migrator.dlq.<original subject>``.
"""

from __future__ import annotations

ROOT = "migrator"

# Commands: exactly one handler each (work-queue stream).
CMD_JOB_CREATE = "migrator.cmd.job.create"
CMD_JOB_BATCH = "migrator.cmd.job.batch"
CMD_JOB_CONTROL = "migrator.cmd.job.control"
CMD_SITE_MIGRATE = "migrator.cmd.site.migrate"
CMD_MAILBOX_MIGRATE = "migrator.cmd.mailbox.migrate"
CMD_TEAM_MIGRATE = "migrator.cmd.team.migrate"
CMD_TENANT_DISCOVER = "migrator.cmd.tenant.discover"
CMD_TENANT_DELETE = "migrator.cmd.tenant.delete"
CMD_TENANT_REVOKE = "migrator.cmd.tenant.revoke"
CMD_DEVICE_COMMAND = "migrator.cmd.device.command"  # queue a command for one device
CMD_ATLASSIAN_MIGRATE = "migrator.cmd.atlassian.migrate"  # a JIRA / CONFLUENCE job's whole scope
CMD_ATLASSIAN_DISCOVER = "migrator.cmd.atlassian.discover"  # an Atlassian tenant's projects and spaces

# Request/reply (core NATS, queue groups): synchronous questions to a service.
RPC_TENANT_CONNECT = "migrator.rpc.tenants.connect"
RPC_TENANT_CONSENT = "migrator.rpc.tenants.consent"
RPC_HEALTH_PREFIX = "migrator.rpc.health"
# atlassian-connector: connect a cloud site (OAuth), its consent callback, register a Server / DC source
RPC_ATLASSIAN_CONNECT = "migrator.rpc.atlassian.connect"
RPC_ATLASSIAN_CONSENT = "migrator.rpc.atlassian.consent"
RPC_ATLASSIAN_REGISTER = "migrator.rpc.atlassian.register"
# device-hub (queue group "device-hub-rpc"); replies are {"status": <HTTP status>, "body": {...}}
RPC_DEVICE_REGISTER = "migrator.rpc.devices.register"
RPC_DEVICE_CHECKIN = "migrator.rpc.devices.checkin"
RPC_DEVICE_RESULT = "migrator.rpc.devices.result"
RPC_DEVICE_LIST = "migrator.rpc.devices.list"
RPC_DEVICE_GET = "migrator.rpc.devices.get"
RPC_DEVICE_DELETE = "migrator.rpc.devices.delete"
RPC_DEVICE_COMMAND = "migrator.rpc.devices.command"
RPC_DEVICE_CANCEL = "migrator.rpc.devices.cancel"
RPC_DEVICE_ENROLLMENT = "migrator.rpc.devices.enrollment"

# Events: many handlers, each on its own durable consumer.
EVT_ALL = "migrator.evt.>"
EVT_JOBS_ALL = "migrator.evt.job.>"  # every job's events (JobQueued … JobDeleted)


def rpc_health(service: str) -> str:
    """The readiness probe subject of one service."""
    return f"{RPC_HEALTH_PREFIX}.{service}"


def job_event(job_id: str, name: str) -> str:
    """``migrator.evt.job.<jobId>.<EventName>``."""
    return f"migrator.evt.job.{job_id}.{name}"


def unit_event(job_id: str, name: str) -> str:
    """Events about one unit (a site, a mailbox) of a job: ``migrator.evt.unit.<jobId>.<EventName>``."""
    return f"migrator.evt.unit.{job_id}.{name}"


def device_event(device_id: str, name: str) -> str:
    """``migrator.evt.device.<deviceId>.<EventName>``."""
    return f"migrator.evt.device.{device_id}.{name}"


def tenant_event(tenant_id: str, name: str) -> str:
    """``migrator.evt.tenant.<tenantId>.<EventName>``."""
    return f"migrator.evt.tenant.{tenant_id}.{name}"


def apikey_event(key_id: str, name: str) -> str:
    """``migrator.evt.apikey.<keyId>.<EventName>``: an API key's life (every gateway listens)."""
    return f"migrator.evt.apikey.{key_id}.{name}"


LOG_JOBS_ALL = "migrator.log.job.>"


def job_log(job_id: str) -> str:
    """``migrator.log.job.<jobId>``."""
    return f"migrator.log.job.{job_id}"


def dead_letter(subject: str) -> str:
    """Where a message that cannot be processed goes: ``migrator.dlq.<original subject>``."""
    return f"migrator.dlq.{subject}"
