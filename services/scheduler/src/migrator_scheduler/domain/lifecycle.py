"""The job state machine: which status may follow which (the one place that says so)."""

from __future__ import annotations

from dataclasses import dataclass

from migrator_contracts.enums import TERMINAL_JOB_STATUSES, JobAction, JobStatus

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


@dataclass(frozen=True)
class ControlDecision:
    """What a pause, resume or delete does to a job in a given status."""

    status: JobStatus  # the status afterwards (unchanged when rejected)
    deleted: bool = False
    rejected: str | None = None  # a stable error code when the action cannot apply

    @property
    def applied(self) -> bool:
        return self.rejected is None


def decide(current: JobStatus, action: JobAction) -> ControlDecision:
    """Pausing a paused job is a no-op; resuming needs a paused job; any job can be deleted
    (an unfinished one is cancelled first; a finished one keeps its final status)."""
    if action is JobAction.PAUSE:
        if current is JobStatus.PAUSED:
            return ControlDecision(current)
        if can_transition(current, JobStatus.PAUSED):
            return ControlDecision(JobStatus.PAUSED)
        return ControlDecision(current, rejected="JOB_NOT_PAUSABLE")
    if action is JobAction.RESUME:
        if current is JobStatus.PAUSED:
            return ControlDecision(JobStatus.QUEUED)
        return ControlDecision(current, rejected="JOB_NOT_PAUSED")
    if current in TERMINAL_JOB_STATUSES:
        return ControlDecision(current, deleted=True)
    return ControlDecision(transition(current, JobStatus.CANCELLED), deleted=True)
