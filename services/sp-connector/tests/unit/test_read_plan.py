"""How a full read is cut into AMR jobs, per Microsoft's guidance on folder sizes."""

from __future__ import annotations

import pytest
from migrator_sp_connector.migration.amr_reader import MAX_URLS, plan_reads
from migrator_sp_connector.migration.manifest_stream import ExportedObject

pytestmark = pytest.mark.unit


def folder(name: str, items: int) -> ExportedObject:
    return ExportedObject(
        uid=name, url=f"/sites/a/Shared Documents/{name}", is_folder=True, items_below=items
    )


def test_big_folders_get_their_own_read_and_small_ones_are_combined() -> None:
    top = [folder("huge", 250_000), folder("big", 10_000), *(folder(f"s{i}", 900) for i in range(25))]
    top.append(ExportedObject(uid="f", url="/sites/a/Shared Documents/readme.txt", is_folder=False))
    plan = plan_reads(top)
    assert [job for job in plan if len(job) == 1][:2] == [[top[0].url], [top[1].url]]
    combined = plan[2:]
    assert sum(len(job) for job in combined) == 25  # every small folder, once; files are not re-read
    assert all(sum(901 for _ in job) <= 10_000 for job in combined)  # about 10,000 items a read


def test_a_read_never_carries_more_urls_than_amr_takes() -> None:
    plan = plan_reads([folder(f"e{i}", 0) for i in range(12_001)])
    assert [len(job) for job in plan] == [MAX_URLS, MAX_URLS, 2_001]


def test_a_library_without_folders_needs_no_more_reads() -> None:
    assert plan_reads([ExportedObject(uid="f", url="/sites/a/Shared Documents/x", is_folder=False)]) == []
