"""Folding SharePoint events into a site's progress: idempotent, and balanced at the end."""

from __future__ import annotations

import random

import pytest
from migrator_contracts.enums import UnitStatus
from migrator_sp_connector.domain.progress import SiteProgress, apply_event
from migrator_sp_connector.migration.site_task import StoredProgress

pytestmark = pytest.mark.unit

EVENTS = [
    {"Event": "JobQueued"},
    {"Event": "JobStart"},
    {
        "Event": "JobProgress",
        "ObjectsProcessed": "10",
        "TotalExpectedSPObjects": "20",
        "BytesProcessed": "100",
    },
    {"Event": "JobError", "Id": "a", "Url": "Shared Documents/x.tmp", "ErrorCode": "-2147024816"},
    {"Event": "JobError", "Id": "b", "Url": "Shared Documents/y.tmp", "ErrorCode": "-2147024816"},
    {
        "Event": "JobProgress",
        "ObjectsProcessed": "20",
        "TotalExpectedSPObjects": "20",
        "BytesProcessed": "300",
    },
    {"Event": "JobEnd", "ObjectsProcessed": "20", "TotalExpectedSPObjects": "20", "BytesProcessed": "300"},
]


def fold(events: list[dict[str, str]]) -> SiteProgress:
    progress = SiteProgress(total=20)
    for event in events:
        progress = apply_event(progress, event)
    return progress


def test_a_finished_site_balances_done_error_and_skipped_against_total() -> None:
    progress = fold(EVENTS)
    assert progress.counters() == {"total": 20, "done": 18, "error": 2, "skipped": 0}
    assert progress.bytes == 300
    assert progress.status is UnitStatus.DONE


def test_redelivered_events_change_nothing() -> None:
    doubled = [e for e in EVENTS for _ in range(2)]
    assert fold(doubled) == fold(EVENTS)


def test_late_older_progress_cannot_move_counters_backwards() -> None:
    shuffled = EVENTS[:-1]
    random.Random(7).shuffle(shuffled)
    progress = fold([*shuffled, EVENTS[-1], EVENTS[2]])
    assert progress.counters()["done"] == 18


def test_objects_never_processed_are_counted_as_skipped_when_the_job_ends() -> None:
    progress = fold(
        [
            {"Event": "JobProgress", "ObjectsProcessed": "5", "TotalExpectedSPObjects": "20"},
            {"Event": "JobFatalError", "Message": "Manifest missing"},
            {"Event": "JobEnd"},
        ]
    )
    assert progress.counters() == {"total": 20, "done": 5, "error": 0, "skipped": 15}
    assert progress.status is UnitStatus.ERROR


def test_a_site_where_every_item_failed_is_an_error() -> None:
    events = [{"Event": "JobError", "Id": str(i)} for i in range(3)]
    progress = fold([*events, {"Event": "JobEnd", "ObjectsProcessed": "3", "TotalExpectedSPObjects": "3"}])
    assert progress.status is UnitStatus.ERROR


def test_an_error_reported_before_the_progress_that_covers_it_never_moves_done_backwards() -> None:
    # As seen in a real run: JobProgress(10) with one error, then the next item's JobError
    # arrives before JobProgress(20). done must hold at 9, not drop to 8.
    progress = SiteProgress(total=25)
    seen = []
    for event in [
        {"Event": "JobError", "Id": "a"},
        {"Event": "JobProgress", "ObjectsProcessed": "10", "TotalExpectedSPObjects": "25"},
        {"Event": "JobError", "Id": "b"},
        {"Event": "JobProgress", "ObjectsProcessed": "20", "TotalExpectedSPObjects": "25"},
        {"Event": "JobEnd", "ObjectsProcessed": "25", "TotalExpectedSPObjects": "25"},
    ]:
        progress = apply_event(progress, event)
        seen.append(progress.counters()["done"])
    assert seen == sorted(seen) and seen[-1] == 23
    assert progress.counters() == {"total": 25, "done": 23, "error": 2, "skipped": 0}


def test_errors_reported_by_totals_count_even_if_their_job_error_arrives_after_the_end() -> None:
    # The report queue is not FIFO: JobEnd can be read before a JobError. Its TotalErrors counts.
    progress = fold(
        [
            {"Event": "JobError", "Id": "a"},
            {"Event": "JobEnd", "ObjectsProcessed": "20", "TotalExpectedSPObjects": "20", "TotalErrors": "2"},
        ]
    )
    assert progress.counters() == {"total": 20, "done": 18, "error": 2, "skipped": 0}
    assert apply_event(progress, {"Event": "JobError", "Id": "b"}).counters() == progress.counters()


def test_retries_that_fail_again_leave_the_site_done_but_a_new_failure_does_not() -> None:
    end = {"Event": "JobEnd", "ObjectsProcessed": "2", "TotalExpectedSPObjects": "2"}
    retries_only = SiteProgress(total=2, retried=2)
    for event in ({"Event": "JobError", "Id": "a"}, {"Event": "JobError", "Id": "b"}, end):
        retries_only = apply_event(retries_only, event)
    assert retries_only.status is UnitStatus.DONE and retries_only.counters()["error"] == 2
    one_new = SiteProgress(total=2, retried=1)
    for event in ({"Event": "JobError", "Id": "a"}, {"Event": "JobError", "Id": "b"}, end):
        one_new = apply_event(one_new, event)
    assert one_new.status is UnitStatus.ERROR


def test_a_job_sharepoint_cancels_ends_there_with_the_reason() -> None:
    progress = fold([*EVENTS[:3], {"Event": "JobCancelled", "CancelledByUser": "true"}])
    assert progress.ended and progress.status is UnitStatus.ERROR
    assert progress.fatal == "SharePoint cancelled the import job"


def test_a_tasks_stored_progress_reads_back_as_it_was_written() -> None:
    progress = SiteProgress(
        total=10,
        processed=7,
        bytes=4096,
        failed_ids=frozenset({"b", "a"}),
        fatal="gone",
        ended=True,
        done_high=5,
        reported_errors=2,
        local_done=1,
        local_failed=frozenset({"c"}),
        retried=1,
    )
    stored = StoredProgress.of(progress).to_doc()
    assert stored["failedIds"] == ["a", "b"]  # sets kept as sorted lists, by their stored names
    assert StoredProgress.model_validate(stored).progress() == progress
