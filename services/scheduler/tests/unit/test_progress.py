"""How a unit's counters count towards its job: pure rules."""

from __future__ import annotations

import pytest
from migrator_contracts.enums import UnitStatus
from migrator_scheduler.domain.progress import UnitCounts, counted_as_failed, roll_up

pytestmark = pytest.mark.unit


def test_a_unit_that_failed_before_counting_anything_is_one_failed_item() -> None:
    failed = counted_as_failed(UnitStatus.ERROR, UnitCounts(total=0, done=0, error=0, skipped=0))
    assert failed == UnitCounts(total=1, done=0, error=1, skipped=0)
    job = roll_up([{"status": "ERROR", "totalItems": failed.total, "errorItems": failed.error}])
    assert job.counters["errorItems"] == 1 and job.counters["totalItems"] == 1  # not "0 failed of 0"


def test_a_mailbox_refused_with_its_items_counted_reads_as_the_reference_writes_it() -> None:
    # The reference's mailbox refused with 403: totalItems 8920, doneItems 0, errorItems 1.
    refused = counted_as_failed(UnitStatus.ERROR, UnitCounts(total=8920, done=0, error=0, skipped=0))
    assert refused == UnitCounts(total=8920, done=0, error=1, skipped=0)


def test_a_site_that_failed_midway_takes_one_of_its_skipped_items_so_the_sum_holds() -> None:
    midway = counted_as_failed(UnitStatus.ERROR, UnitCounts(total=100, done=40, error=0, skipped=60))
    assert midway == UnitCounts(total=100, done=40, error=1, skipped=59)


@pytest.mark.parametrize(
    ("status", "counts"),
    [
        (UnitStatus.ERROR, UnitCounts(total=50, done=45, error=5, skipped=0)),  # failures already counted
        (UnitStatus.DONE, UnitCounts(total=0, done=0, error=0, skipped=0)),  # an empty site that worked
        (UnitStatus.RUNNING, UnitCounts(total=10, done=2, error=0, skipped=0)),
    ],
)
def test_other_units_count_as_they_report(status: UnitStatus, counts: UnitCounts) -> None:
    assert counted_as_failed(status, counts) == counts
