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

# Request/reply (core NATS, queue groups): synchronous questions to a service.
RPC_TENANT_CONNECT = "migrator.rpc.tenants.connect"
RPC_TENANT_CONSENT = "migrator.rpc.tenants.consent"
RPC_HEALTH_PREFIX = "migrator.rpc.health"

# Events: many handlers, each on its own durable consumer.
EVT_ALL = "migrator.evt.>"


def rpc_health(service: str) -> str:
    """The readiness probe subject of one service."""
    return f"{RPC_HEALTH_PREFIX}.{service}"


def job_event(job_id: str, name: str) -> str:
    """``migrator.evt.job.<jobId>.<EventName>``."""
    return f"migrator.evt.job.{job_id}.{name}"


def unit_event(job_id: str, name: str) -> str:
    """Events about one unit (a site, a mailbox) of a job: ``migrator.evt.unit.<jobId>.<EventName>``."""
    return f"migrator.evt.unit.{job_id}.{name}"


def tenant_event(tenant_id: str, name: str) -> str:
    """``migrator.evt.tenant.<tenantId>.<EventName>``."""
    return f"migrator.evt.tenant.{tenant_id}.{name}"


LOG_JOBS_ALL = "migrator.log.job.>"


def job_log(job_id: str) -> str:
    """``migrator.log.job.<jobId>``."""
    return f"migrator.log.job.{job_id}"


def dead_letter(subject: str) -> str:
    """Where a message that cannot be processed goes: ``migrator.dlq.<original subject>``."""
    return f"migrator.dlq.{subject}"
