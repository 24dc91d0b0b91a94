"""The job state machine: which status may follow which (the one place that says so)."""

from __future__ import annotations

from migrator_contracts.enums import JobStatus

_ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.PAUSED, JobStatus.CANCELLED}),
    JobStatus.RUNNING: frozenset({JobStatus.DONE, JobStatus.ERROR, JobStatus.PAUSED, JobStatus.CANCELLED}),
    JobStatus.PAUSED: frozenset({JobStatus.QUEUED, JobStatus.CANCELLED}),
    JobStatus.DONE: frozenset(),
    JobStatus.ERROR: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


def can_transition(current: JobStatus, target: JobStatus) -> bool:
    """True if ``target`` may follow ``current``."""
    return target in _ALLOWED[current]


class IllegalTransition(ValueError):
    """A transition the state machine forbids (the API answers 409; the bus logs and ignores)."""

    def __init__(self, current: JobStatus, target: JobStatus) -> None:
        super().__init__(f"a {current.value} job cannot become {target.value}")
        self.current = current
        self.target = target


def transition(current: JobStatus, target: JobStatus) -> JobStatus:
    """``target`` if allowed, else :class:`IllegalTransition`."""
    if not can_transition(current, target):
        raise IllegalTransition(current, target)
    return target
