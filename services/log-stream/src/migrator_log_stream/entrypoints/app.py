"""Durable consumers (events → lines, lines → projection) and the retention loop."""

from __future__ import annotations

from migrator_contracts import subjects
from migrator_contracts.base import Message
from migrator_contracts.logs import LogLine
from migrator_contracts.streams import EVENTS, LOG_EVENTS_DURABLE, LOG_PROJECTION_DURABLE, LOGS
from migrator_platform import job_log
from migrator_platform.bus import declare_sends
from migrator_platform.consumer import Delivery, subscribe_batch
from migrator_platform.service import Runtime
from migrator_platform.structured_logs import get_logger
from pydantic import ConfigDict

from migrator_log_stream.config import LogStreamSettings
from migrator_log_stream.handlers import LogStream

log = get_logger(__name__)


class AnyEvent(Message):
    """Any domain event: the handler picks its model by the subject's last token."""

    model_config = ConfigDict(extra="allow")

    event_id: str


def wire(runtime: Runtime, settings: LogStreamSettings, stream: LogStream) -> None:
    declare_sends(runtime.broker, job_log.LINES)  # the lines it makes of domain events

    async def on_events(batch: list[tuple[AnyEvent, Delivery]]) -> None:
        for evt, delivery in batch:  # in stream order: a job's lines keep its events' order
            name = delivery.subject.rsplit(".", 1)[-1]
            with delivery.traced(f"{name} to log line"):  # in the event's own trace
                await stream.on_event(name, evt.model_dump(by_alias=True))

    async def on_lines(batch: list[tuple[LogLine, Delivery]]) -> None:
        await stream.project([(line, delivery.stream_seq) for line, delivery in batch])

    # One consumer and one worker for every event: a job's lines are published in the order
    # its events were (a unit's last line before the job's final one), a fetch's worth at once.
    subscribe_batch(
        runtime.broker,
        subject=subjects.EVT_ALL,
        stream=EVENTS,
        durable=LOG_EVENTS_DURABLE,
        model=AnyEvent,
        handler=on_events,
        batch_size=settings.log_event_batch,
        max_deliver=settings.max_deliver,
        ack_wait_seconds=settings.ack_wait_seconds,
    )
    # The busiest consumer of all (every line of every job): a fetch's worth in one write.
    subscribe_batch(
        runtime.broker,
        subject=subjects.LOG_JOBS_ALL,
        stream=LOGS,
        durable=LOG_PROJECTION_DURABLE,
        model=LogLine,
        handler=on_lines,
        batch_size=settings.log_projection_batch,
        max_deliver=settings.max_deliver,
        ack_wait_seconds=settings.ack_wait_seconds,
    )


async def purge_expired(stream: LogStream) -> None:
    """Delete expired lines (run now and then, and once at start-up)."""
    removed = await stream.purge_expired()
    if removed:
        log.info("expired log lines deleted", lines=removed)
