"""JetStream stream definitions, provisioned idempotently at start-up by every service."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamSpec:
    """A stream: name, subjects, and whether it is a work queue (each message consumed once)."""

    name: str
    subjects: tuple[str, ...]
    work_queue: bool = False
    max_age_seconds: float = 7 * 24 * 3600
    duplicate_window_seconds: float = 120.0


COMMANDS = StreamSpec("MIGRATOR_CMD", ("migrator.cmd.>",), work_queue=True)
EVENTS = StreamSpec("MIGRATOR_EVT", ("migrator.evt.>",))
LOGS = StreamSpec("MIGRATOR_LOG", ("migrator.log.>",), max_age_seconds=30 * 24 * 3600)
DEAD_LETTERS = StreamSpec("MIGRATOR_DLQ", ("migrator.dlq.>",), max_age_seconds=30 * 24 * 3600)

ALL_STREAMS = (COMMANDS, EVENTS, LOGS, DEAD_LETTERS)

# Key-value buckets (JetStream keeps each as the stream KV_<bucket>), named here so that the
# operations handbook can be checked against them.
WORKERS_BUCKET = "MIGRATOR_WORKERS"  # every service: the command subjects it consumes, while it runs
LEASES_BUCKET = "MIGRATOR_LEASES"  # the scheduler: the lease of the replica that dispatches
RATE_LIMITS_BUCKET = "MIGRATOR_RATE_LIMITS"  # the gateway: each organisation's requests this minute
KV_BUCKETS = (WORKERS_BUCKET, LEASES_BUCKET, RATE_LIMITS_BUCKET)

# log-stream's consumer that projects log lines: the gateway reads its progress to know the
# history it serves is complete before a live tail takes over.
LOG_PROJECTION_DURABLE = "log-stream-project"
# log-stream's consumer that turns events into log lines: a log export waits for it too.
LOG_EVENTS_DURABLE = "log-stream-events"
