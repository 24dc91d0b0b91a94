"""The job state machine and the progress roll-up (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from migrator_contracts.enums import JobAction, JobStatus, JobType
from migrator_scheduler.domain.lifecycle import IllegalTransition, can_transition, decide, transition
from migrator_scheduler.domain.progress import roll_up
from migrator_scheduler.domain.units import due_at, split_into_units

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("terminal", [JobStatus.DONE, JobStatus.ERROR, JobStatus.CANCELLED])
def test_a_finished_job_never_moves_again(terminal: JobStatus) -> None:
    for target in JobStatus:
        assert not can_transition(terminal, target)


def test_a_done_job_cannot_be_resumed_and_says_why() -> None:
    with pytest.raises(IllegalTransition, match="a DONE job cannot become QUEUED"):
        transition(JobStatus.DONE, JobStatus.QUEUED)


def test_paused_job_can_only_be_requeued_or_cancelled() -> None:
    allowed = {t for t in JobStatus if can_transition(JobStatus.PAUSED, t)}
    assert allowed == {JobStatus.QUEUED, JobStatus.CANCELLED}


def test_roll_up_sums_units_and_finishes_only_when_all_units_finished() -> None:
    units = [
        {
            "status": "DONE",
            "totalItems": 10,
            "doneItems": 8,
            "errorItems": 2,
            "skippedItems": 0,
            "bytesTransferred": 5,
        },
        {"status": "RUNNING", "totalItems": 4, "doneItems": 1, "errorItems": 0, "skippedItems": 0},
    ]
    rollup = roll_up(units)
    assert rollup.counters == {
        "totalItems": 14,
        "doneItems": 9,
        "errorItems": 2,
        "skippedItems": 0,
        "bytesTransferred": 5,
    }
    assert rollup.final_status is None
    units[1] |= {"status": "ERROR"}
    assert roll_up(units).final_status is JobStatus.DONE


def test_a_job_whose_every_unit_failed_ends_error() -> None:
    assert roll_up([{"status": "ERROR"}, {"status": "ERROR"}]).final_status is JobStatus.ERROR


def test_sharepoint_job_has_one_unit_per_site_with_stable_ids_and_optional_mapping() -> None:
    options = {
        "sites": ["https://contoso.sharepoint.com/sites/a", "https://contoso.sharepoint.com/sites/b"],
        "siteMappings": [
            {
                "source": "https://contoso.sharepoint.com/sites/b",
                "dest": "https://fabrikam.sharepoint.com/sites/bee",
            }
        ],
    }
    first = split_into_units("job_X", JobType.SHAREPOINT, options)
    assert [u.id for u in first] == ["job_X_0", "job_X_1"]
    assert [u.dest for u in first] == [None, "https://fabrikam.sharepoint.com/sites/bee"]
    assert split_into_units("job_X", JobType.SHAREPOINT, options) == first


def test_a_job_is_due_at_its_scheduled_time_or_at_once() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    assert due_at(scheduled_at=None, created_at=created) == created.timestamp()
    later = created + timedelta(hours=3)
    assert due_at(scheduled_at=later, created_at=created) == later.timestamp()


def test_a_started_job_with_no_units_ends_error_instead_of_running_forever() -> None:
    assert roll_up([]).final_status is JobStatus.ERROR


@pytest.mark.parametrize(
    ("current", "action", "after", "rejected"),
    [
        (JobStatus.RUNNING, JobAction.PAUSE, JobStatus.PAUSED, None),
        (JobStatus.QUEUED, JobAction.PAUSE, JobStatus.PAUSED, None),
        (JobStatus.PAUSED, JobAction.PAUSE, JobStatus.PAUSED, None),
        (JobStatus.DONE, JobAction.PAUSE, JobStatus.DONE, "JOB_NOT_PAUSABLE"),
        (JobStatus.PAUSED, JobAction.RESUME, JobStatus.QUEUED, None),
        (JobStatus.RUNNING, JobAction.RESUME, JobStatus.RUNNING, "JOB_NOT_PAUSED"),
        (JobStatus.QUEUED, JobAction.RESUME, JobStatus.QUEUED, "JOB_NOT_PAUSED"),
    ],
)
def test_pause_and_resume_decisions(
    current: JobStatus, action: JobAction, after: JobStatus, rejected: str | None
) -> None:
    decision = decide(current, action)
    assert (decision.status, decision.rejected, decision.deleted) == (after, rejected, False)


@pytest.mark.parametrize("current", list(JobStatus))
def test_any_job_can_be_deleted_and_an_unfinished_one_is_cancelled(current: JobStatus) -> None:
    decision = decide(current, JobAction.DELETE)
    assert decision.applied and decision.deleted
    finished = current in (JobStatus.DONE, JobStatus.ERROR, JobStatus.CANCELLED)
    assert decision.status is (current if finished else JobStatus.CANCELLED)


def test_units_of_each_workload_come_from_its_selection_and_mappings() -> None:
    options = {
        "mailboxes": ["a@contoso.com", "b@contoso.com"],
        "mailboxMappings": [{"source": "a@contoso.com", "dest": "a@fabrikam.com"}],
    }
    units = split_into_units("job_X", JobType.EMAIL, options)
    assert [(u.id, u.kind, u.source, u.dest) for u in units] == [
        ("mbp_X00000", "mailbox", "a@contoso.com", "a@fabrikam.com"),
        ("mbp_X00001", "mailbox", "b@contoso.com", None),
    ]
    teams = split_into_units("job_X", JobType.TEAMS, {"teams": ["t1"]})
    assert [(u.id, u.kind) for u in teams] == [("tpr_X00000", "team")]
    jira = split_into_units("job_X", JobType.JIRA, {"projects": ["ALPHA", "BETA"]})
    assert [(u.id, u.kind, u.source, u.dest) for u in jira] == [
        ("job_X_0", "project", "ALPHA", None),
        ("job_X_1", "project", "BETA", None),
    ]
    assert [u.kind for u in split_into_units("job_X", JobType.CONFLUENCE, {"spaces": ["ENG"]})] == ["space"]
