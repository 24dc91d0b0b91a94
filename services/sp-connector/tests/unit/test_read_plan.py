"""Where a site is read from and goes to: AMR jobs cut by folder size, the default destination."""

from __future__ import annotations

import pytest
from migrator_sp_connector.domain.manifest_stream import ExportedObject
from migrator_sp_connector.migration.amr_reader import MAX_URLS, plan_reads
from migrator_sp_connector.migration.site_job import destination_site

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


def test_a_site_keeps_its_path_and_a_onedrive_goes_to_the_same_users_onedrive() -> None:
    assert (
        destination_site("https://contoso.sharepoint.com/sites/hr", "fabrikam.com", "contoso.com")
        == "https://fabrikam.sharepoint.com/sites/hr"
    )
    assert (
        destination_site(
            "https://contoso-my.sharepoint.com/personal/lisa_nguyen1_contoso_com",
            "fabrikam.com",
            "contoso.com",
        )
        == "https://fabrikam-my.sharepoint.com/personal/lisa_nguyen1_fabrikam_com"
    )
