"""What a person reads for each event, and which events stay silent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from migrator_contracts.enums import JobStatus, LogLevel, UnitStatus
from migrator_contracts.events import ItemFailed, JobCompleted, JobQueued, JobStarted, UnitProgressed
from migrator_log_stream.config import LogStreamSettings, parse_by_org
from migrator_log_stream.domain.lines import line_for, line_id

AT = datetime(2026, 5, 9, 8, 5, tzinfo=UTC)


def unit(status: UnitStatus, source: str | None = "https://s/sites/a", **counters: Any) -> UnitProgressed:
    return UnitProgressed(
        event_id=f"u1:{status}",
        seq=3,
        occurred_at=AT,
        job_id="job_1",
        unit_id="u1",
        status=status,
        source=source,
        **counters,
    )


def test_the_same_event_always_makes_the_same_line() -> None:
    queued = JobQueued(event_id="job_1:queued", seq=1, occurred_at=AT, job_id="job_1", org_id="o")
    first, again = line_for(queued), line_for(queued)
    assert first is not None and again is not None and first.id == again.id == line_id("job_1:queued")
    assert first.level is LogLevel.INFO and first.message == "Job queued"


def test_a_unit_speaks_when_it_ends_not_while_it_runs() -> None:
    assert line_for(unit(UnitStatus.RUNNING, done_items=5)) is None
    done = line_for(unit(UnitStatus.DONE, done_items=4210))
    assert done is not None and done.level is LogLevel.OK
    assert done.message == "https://s/sites/a → 4,210 items migrated"
    partial = line_for(unit(UnitStatus.DONE, done_items=9, error_items=2))
    assert partial is not None and partial.level is LogLevel.WARN and partial.message.endswith("(2 failed)")
    # Skipped because already moved (an incremental pass): said, and no warning.
    again = line_for(unit(UnitStatus.DONE, done_items=3, skipped_items=40))
    assert again is not None and again.level is LogLevel.OK and again.message.endswith("(40 skipped)")
    # Skipped for a reason (a project Atlassian SKIPPED): never "migrated" without it.
    left = line_for(unit(UnitStatus.DONE, skipped_items=120, skipped_reason="Project ALPHA already exists"))
    assert left is not None and left.level is LogLevel.WARN
    assert left.message == "https://s/sites/a → 0 items migrated (120 skipped: Project ALPHA already exists)"


def test_a_unit_its_connector_did_not_name_is_named_by_its_id() -> None:
    failed = line_for(unit(UnitStatus.ERROR, source=None))
    assert failed is not None and failed.message == "u1 — failed; no reason given"


def test_an_item_failure_carries_its_url_and_code() -> None:
    failed = ItemFailed(
        event_id="e",
        seq=0,
        occurred_at=AT,
        job_id="job_1",
        unit_id="u1",
        item_url="Shared Documents/a.tmp",
        error_code="-2147024809",
        message="Blocked file type",
    )
    line = line_for(failed)
    assert line is not None and line.level is LogLevel.ERROR
    assert line.fields == {"itemUrl": "Shared Documents/a.tmp", "errorCode": "-2147024809", "unitId": "u1"}


@pytest.mark.parametrize(
    ("status", "errors", "level"),
    [
        (JobStatus.DONE, 0, LogLevel.OK),
        (JobStatus.DONE, 2, LogLevel.WARN),
        (JobStatus.ERROR, 9, LogLevel.ERROR),
    ],
)
def test_the_final_line_says_how_it_ended(status: JobStatus, errors: int, level: LogLevel) -> None:
    completed = JobCompleted(
        event_id="c",
        seq=9,
        occurred_at=AT,
        job_id="job_1",
        org_id="o",
        status=status,
        total_items=10,
        done_items=10 - errors,
        error_items=errors,
        skipped_items=0,
    )
    line = line_for(completed)
    assert line is not None and line.level is level
    assert line.fields == {"final": True, "status": status.value, "completedAt": "2026-05-09T08:05:00Z"}
    assert line.message.startswith(f"Job finished: {status.value}")


def test_started_counts_its_units() -> None:
    started = JobStarted(event_id="s", seq=2, occurred_at=AT, job_id="job_1", org_id="o", total_units=1)
    line = line_for(started)
    assert line is not None and line.message == "Job started: 1 unit to migrate"


def test_retention_per_organisation_and_its_errors() -> None:
    settings = LogStreamSettings(log_retention_days=30, log_retention_days_by_org="org_A=90, org_B=7")
    assert settings.retention_days("org_A") == 90 and settings.retention_days("org_C") == 30
    assert settings.retention_days(None) == 30
    for bad in ("org_A", "=5", "org_A=0", "org_A=x"):
        with pytest.raises(ValueError):
            parse_by_org(bad)
        with pytest.raises(ValueError, match="MIGRATOR_LOG_RETENTION_DAYS_BY_ORG"):
            LogStreamSettings(log_retention_days_by_org=bad)  # start-up stops, saying which setting


def test_a_failed_mailbox_reads_as_the_reference_writes_it() -> None:
    failed = unit(UnitStatus.ERROR).model_copy(
        update={"message": "403 Forbidden on MailboxItem.ImportExport.All", "source": "cfo@contoso.com"}
    )
    line = line_for(failed)
    assert line is not None and line.level is LogLevel.ERROR
    assert line.message == "cfo@contoso.com — 403 Forbidden on MailboxItem.ImportExport.All"


def test_a_unit_named_by_its_connector_is_called_so() -> None:
    line = line_for(unit(UnitStatus.DONE, source="Engineering", done_items=42))
    assert line is not None and line.message == "Engineering → 42 items migrated"
