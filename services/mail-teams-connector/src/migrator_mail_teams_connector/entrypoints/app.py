"""Durable subscriptions: the unit commands, the job and tenant events, and channel files' progress.

A unit's command is acked only when the unit has ended, or stopped for its job's pause or delete
(its state is saved): a replica that dies mid-mailbox has its command delivered again, and the
unit resumes. A refusal no retry can change ends the unit ERROR at once, with the reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from migrator_contracts import subjects
from migrator_contracts.base import Message
from migrator_contracts.commands import MigrateMailbox, MigrateSite, MigrateTeam
from migrator_contracts.events import (
    ItemFailed,
    TenantConnected,
    TenantConsentLost,
    TenantRemoved,
    UnitProgressed,
)
from migrator_contracts.streams import COMMANDS, EVENTS
from migrator_microsoft.graph import GraphError
from migrator_microsoft.identity import ConsentLost, TenantTokens, TokenError
from migrator_platform import job_log
from migrator_platform.bus import BusPublisher, Send, declare_sends, event_send
from migrator_platform.consent_states import announce_consent_lost, reconnect_needed
from migrator_platform.consumer import Delivery, subscribe
from migrator_platform.service import Runtime

from migrator_mail_teams_connector.adapters.exchange import PERMISSION as MAIL_PERMISSION
from migrator_mail_teams_connector.adapters.teams_graph import PERMISSION as TEAMS_PERMISSION
from migrator_mail_teams_connector.config import ConnectorSettings
from migrator_mail_teams_connector.controls import JobControls
from migrator_mail_teams_connector.domain.refusals import describe
from migrator_mail_teams_connector.mail.mailbox_job import MailboxMigrator
from migrator_mail_teams_connector.teams.team_job import TeamMigrator
from migrator_mail_teams_connector.tenants import TenantDirectory

# Job events that stop or free a unit (the others of migrator.evt.job.> are ignored).
CONTROL_EVENTS = {"JobPaused": "PAUSED", "JobResumed": "RESUMED", "JobDeleted": "DELETED"}


class JobEventSeen(Message):
    """Any job event: which job, and its version (``seq``)."""

    job_id: str
    seq: int


def guarded(
    run: Callable[[], Awaitable[None]],
    fail: Callable[[str], Awaitable[None]],
    *,
    permission: str,
    max_deliver: int,
    consent_lost: Callable[[str], Awaitable[str]],
) -> Callable[[Delivery], Awaitable[None]]:
    """Run a unit (the consumer keeps its delivery alive meanwhile); end it ERROR at once on a
    refusal no retry can change (a 4xx other than throttling, no token, a mailbox or team that
    is not there), or at the last delivery."""

    async def attempt(delivery: Delivery) -> None:
        try:
            await run()
        except GraphError as exc:
            if exc.status >= 500 or exc.status == 429:
                if delivery.attempt >= max_deliver:
                    await fail(f"gave up after {delivery.attempt} attempts: {describe(exc, permission)}")
                raise
            await fail(describe(exc, permission))
        except ConsentLost as exc:  # nothing works there until the tenant is connected again
            await fail(await consent_lost(exc.tenant_id) if exc.tenant_id else str(exc))
        except (TokenError, LookupError) as exc:
            await fail(str(exc))
        except Exception as exc:
            if delivery.attempt >= max_deliver:  # the last try: report before dead-lettering
                await fail(f"gave up after {delivery.attempt} attempts: {exc!r}"[:500])
            raise

    return attempt


# Every command and event mail-teams-connector publishes (see migrator_platform.bus.declare_sends):
# a team's channel files go through the SharePoint path, as a MigrateSite of their own.
SENDS: tuple[Send, ...] = (
    (subjects.CMD_SITE_MIGRATE, MigrateSite),
    *(event_send(subjects.unit_event, e) for e in (UnitProgressed, ItemFailed)),
    event_send(subjects.tenant_event, TenantConsentLost),
    job_log.LINES,
)


def wire(
    runtime: Runtime,
    settings: ConnectorSettings,
    *,
    mail: MailboxMigrator,
    teams: TeamMigrator,
    controls: JobControls,
    tenants: TenantDirectory,
    tokens: TenantTokens,
) -> None:
    """Subscribe every handler to its durable consumer."""
    declare_sends(runtime.broker, *SENDS)
    publisher = BusPublisher(runtime.broker)

    async def consent_lost(tenant_id: str) -> str:
        """Say the tenant needs reconnecting (sp-connector, which owns tenants, marks it); the
        words for the unit's end."""
        message = reconnect_needed(await tenants.domain_of(tenant_id))
        await announce_consent_lost(publisher, tenant_id, message)
        return message

    async def on_mailbox(cmd: MigrateMailbox, delivery: Delivery) -> None:
        await guarded(
            lambda: mail.migrate(cmd),
            lambda reason: mail.fail(cmd, reason),
            permission=MAIL_PERMISSION,
            max_deliver=settings.max_deliver,
            consent_lost=consent_lost,
        )(delivery)

    async def on_team(cmd: MigrateTeam, delivery: Delivery) -> None:
        await guarded(
            lambda: teams.migrate(cmd),
            lambda reason: teams.fail(cmd, reason),
            permission=TEAMS_PERMISSION,
            max_deliver=settings.max_deliver,
            consent_lost=consent_lost,
        )(delivery)

    async def on_job_event(event: JobEventSeen, delivery: Delivery) -> None:
        state = CONTROL_EVENTS.get(delivery.subject.rsplit(".", 1)[-1])
        if state is not None:
            await controls.record(event.job_id, state, seq=event.seq)

    async def on_connected(event: TenantConnected, _: Delivery) -> None:
        await tenants.connected(event)

    async def on_removed(event: TenantRemoved, _: Delivery) -> None:
        tokens.forget(event.tenant_id)
        await tenants.removed(event)

    async def on_unit_progress(event: UnitProgressed, _: Delivery) -> None:
        await teams.files_progressed(event)

    subscribe(
        runtime.broker,
        subject=subjects.CMD_MAILBOX_MIGRATE,
        stream=COMMANDS,
        durable="mail-teams-connector-migrate-mailbox",
        model=MigrateMailbox,
        handler=on_mailbox,
        max_workers=settings.mailbox_workers,
        max_deliver=settings.max_deliver,
        ack_wait_seconds=settings.ack_wait_seconds,
    )
    subscribe(
        runtime.broker,
        subject=subjects.CMD_TEAM_MIGRATE,
        stream=COMMANDS,
        durable="mail-teams-connector-migrate-team",
        model=MigrateTeam,
        handler=on_team,
        max_workers=settings.team_workers,
        max_deliver=settings.max_deliver,
        ack_wait_seconds=settings.ack_wait_seconds,
    )
    events: tuple[tuple[str, str, type[Message], Callable[..., Awaitable[None]]], ...] = (
        (subjects.EVT_JOBS_ALL, "mail-teams-connector-job-controls", JobEventSeen, on_job_event),
        (
            "migrator.evt.tenant.*.TenantConnected",
            "mail-teams-connector-tenants",
            TenantConnected,
            on_connected,
        ),
        (
            "migrator.evt.tenant.*.TenantRemoved",
            "mail-teams-connector-tenants-removed",
            TenantRemoved,
            on_removed,
        ),
        (
            "migrator.evt.unit.*.UnitProgressed",
            "mail-teams-connector-channel-files",
            UnitProgressed,
            on_unit_progress,
        ),
    )
    for subject, durable, model, handler in events:
        subscribe(
            runtime.broker,
            subject=subject,
            stream=EVENTS,
            durable=durable,
            model=model,
            handler=handler,
            max_deliver=settings.max_deliver,
            ack_wait_seconds=settings.ack_wait_seconds,
        )
