"""Graph's mailbox API as the simulator serves it: folders, delta rounds, folder creation."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration
GRAPH = "/graph.microsoft.com/v1.0"
UPN = "john.nguyen0@contoso.com"
Headers = Callable[[str], Awaitable[dict[str, str]]]  # the auth fixture


def local(url: str) -> str:
    return url.removeprefix("http://sim")


async def mailbox(sim: httpx.AsyncClient, headers: dict[str, str], upn: str = UPN) -> str:
    settings = await sim.get(f"{GRAPH}/users/{upn}/settings/exchange", headers=headers)
    assert settings.status_code == 200
    return str(settings.json()["primaryMailboxId"])


async def walk(
    sim: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> tuple[list[dict[str, Any]], str, int]:
    """Every entry of a delta round, its deltaLink and how many pages it took."""
    rows: list[dict[str, Any]] = []
    pages = 0
    while True:
        response = await sim.get(local(url), headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        rows += body["value"]
        pages += 1
        if "@odata.deltaLink" in body:
            return rows, body["@odata.deltaLink"], pages
        url = body["@odata.nextLink"]


async def test_users_have_mailboxes_with_default_and_source_folders(
    sim: httpx.AsyncClient, auth: Headers
) -> None:
    headers = await auth("contoso.com")
    user = (await sim.get(f"{GRAPH}/users/{UPN}", headers=headers)).json()
    assert user["userPrincipalName"] == UPN
    assert (await sim.get(f"{GRAPH}/users/nobody@contoso.com", headers=headers)).status_code == 404
    box = await mailbox(sim, headers)
    assert box.startswith("MBX:") and len(box) == len("MBX:e0643f21@a7809c93")
    root = (await sim.get(f"{GRAPH}/admin/exchange/mailboxes/{box}/folders", headers=headers)).json()
    names = {f["displayName"]: f for f in root["value"]}
    assert set(names) == {"Inbox", "Drafts", "Sent Items", "Deleted Items", "Archive", "Calendar", "Contacts"}
    assert names["Inbox"]["wellKnownName"] == "inbox" and names["Inbox"]["childFolderCount"] == 2
    calendars = await sim.get(
        f"{GRAPH}/admin/exchange/mailboxes/{box}/folders",
        params={"$filter": "type eq 'IPF.Appointment'"},
        headers=headers,
    )
    assert [f["displayName"] for f in calendars.json()["value"]] == ["Calendar"]
    children = await sim.get(
        f"{GRAPH}/admin/exchange/mailboxes/{box}/folders/inbox/childFolders", headers=headers
    )
    assert sorted(f["displayName"] for f in children.json()["value"]) == ["Projects", "Receipts"]
    paged = await sim.get(
        f"{GRAPH}/admin/exchange/mailboxes/{box}/folders", params={"$top": 3}, headers=headers
    )
    assert len(paged.json()["value"]) == 3 and "%24skip=3" in paged.json()["@odata.nextLink"]
    missing = await sim.get(f"{GRAPH}/admin/exchange/mailboxes/{box}/folders/nope", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ErrorItemNotFound"
    # Discovery's usage report adds up what the mailbox really holds.
    report = (await sim.get(f"{GRAPH}/reports/getMailboxUsageDetail(period='D7')", headers=headers)).json()
    row = next(r for r in report["value"] if r["userPrincipalName"] == UPN)
    content = (await sim.get("/_sim/mailboxes", params={"upn": UPN})).json()
    items = [i for f in content["folders"] for i in f["items"]]
    assert row["itemCount"] == len(items) >= 30 and row["storageUsedInBytes"] == sum(i["size"] for i in items)
    fabrikam = (await sim.get("/_sim/mailboxes", params={"upn": "john.nguyen0@fabrikam.com"})).json()
    assert (
        fabrikam["exists"]
        and all(not f["items"] for f in fabrikam["folders"])
        and len(fabrikam["folders"]) == 7
    )


async def test_folder_delta_pages_then_reports_only_what_changed(
    sim: httpx.AsyncClient, auth: Headers
) -> None:
    headers = await auth("contoso.com")
    box = await mailbox(sim, headers)
    first, delta_link, pages = await walk(
        sim,
        f"{GRAPH}/admin/exchange/mailboxes/{box}/folders/delta",
        headers | {"Prefer": "odata.maxpagesize=4"},
    )
    assert len(first) == 12 and pages == 3 and len({f["id"] for f in first}) == 12
    receipts = next(f["id"] for f in first if f["displayName"] == "Receipts")
    changes = {
        "addFolders": ["Inbox/Travel"],
        "renameFolders": {"Inbox/Projects": "Work"},
        "deleteFolders": ["Inbox/Receipts"],
    }
    assert (await sim.post("/_sim/mailboxes/changes", params={"upn": UPN}, json=changes)).json()["ok"]
    second, _, _ = await walk(sim, delta_link, headers)
    assert [f.get("displayName") for f in second] == ["Travel", "Work", None]
    assert second[2] == {"id": receipts, "@removed": {"reason": "deleted"}}


async def test_item_delta_follows_adds_changes_and_deletes_in_change_order(
    sim: httpx.AsyncClient, auth: Headers
) -> None:
    headers = await auth("contoso.com")
    box = await mailbox(sim, headers)
    url = f"{GRAPH}/admin/exchange/mailboxes/{box}/folders/inbox/items/delta?$top=5"
    items, delta_link, pages = await walk(sim, url, headers)
    listed = (
        await sim.get(f"{GRAPH}/admin/exchange/mailboxes/{box}/folders/inbox/items", headers=headers)
    ).json()
    assert {i["id"] for i in items} == {i["id"] for i in listed["value"]} and pages >= 2
    assert all(i["type"] == "IPM.Note" and i["size"] >= 200 and i["changeKey"] for i in items)
    changed, deleted = items[0], items[1]
    edit = {"add": [{"folder": "Inbox", "size": 2048}], "change": [changed["id"]], "delete": [deleted["id"]]}
    added = (await sim.post("/_sim/mailboxes/changes", params={"upn": UPN}, json=edit)).json()["added"]
    again, _, _ = await walk(sim, delta_link, headers)
    assert [i["id"] for i in again] == [added[0], changed["id"], deleted["id"]]
    assert again[1]["changeKey"] != changed["changeKey"] and again[0]["size"] == 2048
    assert again[2]["@removed"] == {"reason": "deleted"}
    # Tokens stay valid until the mailbox stops honouring them: then 410 and a fresh round.
    await sim.post("/_sim/mailboxes/expire-delta", params={"upn": UPN})
    gone = await sim.get(local(delta_link), headers=headers)
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "syncStateNotFound"
    assert gone.headers["Location"].endswith("/items/delta")


async def test_folders_are_created_once_per_name_and_renamed(sim: httpx.AsyncClient, auth: Headers) -> None:
    headers = await auth("fabrikam.com")
    box = await mailbox(sim, headers, "john.nguyen0@fabrikam.com")
    folders = f"{GRAPH}/admin/exchange/mailboxes/{box}/folders"
    made = await sim.post(folders, json={"displayName": "Imported", "type": "IPF.Note"}, headers=headers)
    assert (
        made.status_code == 201 and made.json()["type"] == "IPF.Note" and made.json()["totalItemCount"] == 0
    )
    twice = await sim.post(folders, json={"displayName": "imported", "type": "IPF.Note"}, headers=headers)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "ErrorFolderExists"
    untyped = await sim.post(folders, json={"displayName": "No type"}, headers=headers)
    assert untyped.status_code == 400  # type is Required on the create page
    child = await sim.post(
        f"{folders}/{made.json()['id']}/childFolders",
        json={"displayName": "2026", "type": "IPF.Note"},
        headers=headers,
    )
    assert child.status_code == 201 and child.json()["parentFolderId"] == made.json()["id"]
    renamed = await sim.patch(
        f"{folders}/{child.json()['id']}", json={"displayName": "2027"}, headers=headers
    )
    assert renamed.status_code == 200 and renamed.json()["displayName"] == "2027"
    clash = await sim.patch(f"{folders}/{made.json()['id']}", json={"displayName": "Inbox"}, headers=headers)
    assert clash.status_code == 409
    retype = await sim.patch(f"{folders}/{made.json()['id']}", json={"type": "IPF.Contact"}, headers=headers)
    assert retype.status_code == 400


async def test_a_generated_mailbox_of_thousands_of_items_is_made_quickly(
    sim: httpx.AsyncClient, auth: Headers
) -> None:
    started = time.monotonic()
    made = await sim.post(
        "/_sim/mailboxes", json={"upn": "bulk.user@contoso.com", "items": 5000, "seed": 7, "folders": 20}
    )
    assert made.status_code == 200 and made.json()["items"] == 5000 and made.json()["bytes"] > 5000 * 200
    assert time.monotonic() - started < 5
    content = (await sim.get("/_sim/mailboxes", params={"upn": "bulk.user@contoso.com"})).json()
    assert sum(len(f["items"]) for f in content["folders"]) == 5000 and len(content["folders"]) == 27
    headers = await auth("contoso.com")
    assert (await mailbox(sim, headers, "bulk.user@contoso.com")) == made.json()["mailboxId"]
    empty = await sim.post("/_sim/mailboxes", json={"upn": "new.user@fabrikam.com", "items": 0})
    assert empty.json()["items"] == 0
