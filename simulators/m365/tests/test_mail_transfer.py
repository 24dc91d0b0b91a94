"""Export from one mailbox, import into another, and the mailbox faults on the way."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration
GRAPH = "/graph.microsoft.com/v1.0"
SOURCE, DEST = "john.nguyen0@contoso.com", "john.nguyen0@fabrikam.com"
Headers = Callable[[str], Awaitable[dict[str, str]]]  # the auth fixture


async def mailbox(sim: httpx.AsyncClient, headers: dict[str, str], upn: str) -> str:
    return str(
        (await sim.get(f"{GRAPH}/users/{upn}/settings/exchange", headers=headers)).json()["primaryMailboxId"]
    )


async def inbox_items(sim: httpx.AsyncClient, headers: dict[str, str], box: str) -> list[dict[str, Any]]:
    url = f"{GRAPH}/admin/exchange/mailboxes/{box}/folders/inbox/items"
    return list((await sim.get(url, params={"$top": 1000}, headers=headers)).json()["value"])


async def session(sim: httpx.AsyncClient, headers: dict[str, str], box: str) -> str:
    created = await sim.post(f"{GRAPH}/admin/exchange/mailboxes/{box}/createImportSession", headers=headers)
    assert created.status_code == 201 and created.json()["expirationDateTime"].endswith("Z")
    url = str(created.json()["importUrl"])
    assert re.fullmatch(
        rf"https://outlook\.office365\.com/api/gv1\.0/Mailboxes\('{box}'\)/importItem\?authtoken=\S+", url
    )
    return url.removeprefix("https:/")  # the same host-as-path convention as every real URL


async def test_export_limits_and_per_item_errors(sim: httpx.AsyncClient, auth: Headers) -> None:
    headers = await auth("contoso.com")
    box = await mailbox(sim, headers, SOURCE)
    ids = [i["id"] for i in await inbox_items(sim, headers, box)]
    export = f"{GRAPH}/admin/exchange/mailboxes/{box}/exportItems"
    assert (await sim.post(export, json={"itemIds": ids[:1] * 21}, headers=headers)).status_code == 400
    assert (await sim.post(export, json={"itemIds": []}, headers=headers)).status_code == 400
    answer = (await sim.post(export, json={"itemIds": [ids[0], "AAAAnope", ids[1]]}, headers=headers)).json()[
        "value"
    ]
    assert [a["itemId"] for a in answer] == [ids[0], "AAAAnope", ids[1]]
    assert answer[1]["error"]["code"] == "ErrorItemNotFound" and answer[0]["data"] and answer[0]["changeKey"]
    await sim.post("/_sim/faults", json={"unexportableItems": {SOURCE: 2}})
    batch = (await sim.post(export, json={"itemIds": ids[:10]}, headers=headers)).json()["value"]
    failed = [a for a in batch if "error" in a]
    assert 0 < len(failed) < 10 and all(a["error"]["code"] == "ErrorCorruptData" for a in failed)
    other = await mailbox(sim, headers, "lisa.nguyen1@contoso.com")
    foreign = await sim.post(
        export, json={"itemIds": [(await inbox_items(sim, headers, other))[0]["id"]]}, headers=headers
    )
    assert foreign.json()["value"][0]["error"]["code"] == "ErrorItemNotFound"  # all ids from this mailbox


async def test_import_creates_then_updates_an_item_with_its_properties(
    sim: httpx.AsyncClient, auth: Headers
) -> None:
    src_headers, dest_headers = await auth("contoso.com"), await auth("fabrikam.com")
    src, dest = await mailbox(sim, src_headers, SOURCE), await mailbox(sim, dest_headers, DEST)
    item = (await inbox_items(sim, src_headers, src))[0]
    exported = (
        await sim.post(
            f"{GRAPH}/admin/exchange/mailboxes/{src}/exportItems",
            json={"itemIds": [item["id"]]},
            headers=src_headers,
        )
    ).json()["value"][0]
    url = await session(sim, dest_headers, dest)
    inbox = (
        await sim.get(f"{GRAPH}/admin/exchange/mailboxes/{dest}/folders/inbox", headers=dest_headers)
    ).json()["id"]
    created = await sim.post(
        url, json={"FolderId": inbox, "Mode": "create", "Data": exported["data"]}
    )  # no bearer
    assert created.status_code == 200, created.text
    new_id, change_key = created.json()["itemId"], created.json()["changeKey"]
    [copy] = await inbox_items(sim, dest_headers, dest)
    assert copy["id"] == new_id and copy["changeKey"] == change_key
    assert (copy["type"], copy["size"], copy["createdDateTime"]) == (
        item["type"],
        item["size"],
        item["createdDateTime"],
    )
    source_view = (await sim.get("/_sim/mailboxes", params={"upn": SOURCE})).json()
    dest_view = (await sim.get("/_sim/mailboxes", params={"upn": DEST})).json()
    by_id = {i["id"]: i for f in source_view["folders"] for i in f["items"]}
    [dest_item] = next(f for f in dest_view["folders"] if f["path"] == "Inbox")["items"]
    assert dest_item["sha256"] == by_id[item["id"]]["sha256"]

    with_id = await sim.post(
        url, json={"FolderId": inbox, "Mode": "create", "Data": exported["data"], "ItemId": new_id}
    )
    assert with_id.status_code == 400
    stale = await sim.post(
        url,
        json={
            "FolderId": inbox,
            "Mode": "update",
            "Data": exported["data"],
            "ItemId": new_id,
            "ChangeKey": "old",
        },
    )
    assert stale.status_code == 409
    updated = await sim.post(
        url,
        json={
            "FolderId": inbox,
            "Mode": "update",
            "Data": exported["data"],
            "ItemId": new_id,
            "ChangeKey": change_key,
        },
    )
    assert (
        updated.status_code == 200
        and updated.json()["itemId"] == new_id
        and updated.json()["changeKey"] != change_key
    )
    garbage = await sim.post(url, json={"FolderId": inbox, "Mode": "create", "Data": "bm90IGFuIGl0ZW0="})
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == "ErrorCorruptData"
    forged = await sim.post(
        url.replace("authtoken=", "authtoken=x"), json={"FolderId": inbox, "Mode": "create"}
    )
    assert forged.status_code == 401


async def test_an_import_session_expires_after_its_imports_and_its_time(
    sim: httpx.AsyncClient, auth: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    src_headers, dest_headers = await auth("contoso.com"), await auth("fabrikam.com")
    src, dest = await mailbox(sim, src_headers, SOURCE), await mailbox(sim, dest_headers, DEST)
    ids = [i["id"] for i in await inbox_items(sim, src_headers, src)][:3]
    data = [
        e["data"]
        for e in (
            await sim.post(
                f"{GRAPH}/admin/exchange/mailboxes/{src}/exportItems",
                json={"itemIds": ids},
                headers=src_headers,
            )
        ).json()["value"]
    ]
    await sim.post("/_sim/faults", json={"importSessionMaxImports": {DEST: 2}})
    url = await session(sim, dest_headers, dest)
    body = {"FolderId": "inbox", "Mode": "create"}
    assert [(await sim.post(url, json=body | {"Data": d})).status_code for d in data] == [200, 200, 401]
    await sim.delete("/_sim/faults")
    assert (await sim.post(url, json=body | {"Data": data[2]})).status_code == 401  # it stays expired
    fresh = await session(sim, dest_headers, dest)
    assert (await sim.post(fresh, json=body | {"Data": data[2]})).status_code == 200
    later = time.time() + 2 * 3600
    monkeypatch.setattr("m365_simulator.transfer.time.time", lambda: later)
    assert (await sim.post(fresh, json=body | {"Data": data[2]})).status_code == 401


async def test_a_forbidden_mailbox_refuses_every_call(sim: httpx.AsyncClient, auth: Headers) -> None:
    headers = await auth("contoso.com")
    box = await mailbox(sim, headers, SOURCE)
    url = await session(sim, headers, box)
    await sim.post("/_sim/faults", json={"forbiddenMailboxes": [SOURCE.upper()]})
    calls = [
        sim.get(f"{GRAPH}/users/{SOURCE}/settings/exchange", headers=headers),
        sim.get(f"{GRAPH}/admin/exchange/mailboxes/{box}/folders", headers=headers),
        sim.get(f"{GRAPH}/admin/exchange/mailboxes/{box}/folders/delta", headers=headers),
        sim.post(
            f"{GRAPH}/admin/exchange/mailboxes/{box}/exportItems", json={"itemIds": ["x"]}, headers=headers
        ),
        sim.post(f"{GRAPH}/admin/exchange/mailboxes/{box}/createImportSession", headers=headers),
        sim.post(url, json={"FolderId": "inbox", "Mode": "create", "Data": ""}),
    ]
    for call in calls:
        refused = await call
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "ErrorAccessDenied"
    other = await mailbox(sim, headers, "lisa.nguyen1@contoso.com")
    assert other.startswith("MBX:")


async def test_mailboxes_are_throttled_one_by_one(
    sim: httpx.AsyncClient, auth: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await auth("contoso.com")
    box = await mailbox(sim, headers, SOURCE)
    folders = f"{GRAPH}/admin/exchange/mailboxes/{box}/folders"
    await sim.post(
        "/_sim/faults", json={"throttleMailboxes": {SOURCE: 2}, "throttle": {"count": 0, "retryAfter": 7}}
    )
    for _ in range(2):
        throttled = await sim.get(folders, headers=headers)
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
        assert throttled.json()["error"]["code"] == "ApplicationThrottled"
        assert (
            await sim.get(f"{GRAPH}/users/lisa.nguyen1@contoso.com/settings/exchange", headers=headers)
        ).status_code == 200
    assert (await sim.get(folders, headers=headers)).status_code == 200
    monkeypatch.setattr("m365_simulator.throttling.time.time", lambda: 1_000_000.5)
    await sim.post("/_sim/faults", json={"mailboxRequestsPerSecond": 3})
    answers = [(await sim.get(folders, headers=headers)).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    assert (
        await sim.get(f"{GRAPH}/users/lisa.nguyen1@contoso.com/settings/exchange", headers=headers)
    ).status_code == 200
    monkeypatch.setattr("m365_simulator.throttling.time.time", lambda: 1_000_001.5)
    assert (await sim.get(folders, headers=headers)).status_code == 200  # a new second
