"""A mailbox migrated by the connector, checked on both sides: whole, incremental, under faults,
paused and resumed, and cut off at random points yet never losing or doubling an item."""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any

import pytest
from fidelity import dest_folders, mailbox_difference
from migrator_contracts import readmodels
from migrator_contracts.commands import MigrateMailbox
from migrator_mail_teams_connector.controls import JobControlDoc
from migrator_mail_teams_connector.mail.folder_sync import FolderState, MailboxSync
from migrator_mail_teams_connector.mail.ledger import FAILED, IMPORTED, LedgerEntry
from migrator_mail_teams_connector.mail.mailbox_task import MailboxTask
from migrator_mail_teams_connector.tenants import GraphTenant

pytestmark = pytest.mark.integration

SRC_UPN, DEST_UPN = "john.nguyen0@contoso.com", "john.nguyen0@fabrikam.com"
World = Any  # the ``world`` fixture (conftest.World)


def command(
    unit: str, *, source: str = SRC_UPN, dest: str = DEST_UPN, version: int = 1, **scope: bool
) -> MigrateMailbox:
    return MigrateMailbox(
        job_id=f"job_{unit}",
        unit_id=f"mbp_{unit}",
        org_id="org_1",
        source_tenant_id="ten_SRC",
        dest_tenant_id="ten_DST",
        source_mailbox=source,
        dest_mailbox=dest,
        scope=scope,
        job_version=version,
    )


async def wait_reported(world: World, unit: str, status: str) -> dict[str, Any]:
    return dict(await world.reported(f"mbp_{unit}", status))


async def test_a_mailbox_arrives_whole_then_only_what_is_new_or_changed_moves(world: World) -> None:
    source = await world.mailbox(SRC_UPN)
    total = sum(len(f["items"]) for f in source["folders"])
    await world.mail.migrate(command("A1"))
    done = await wait_reported(world, "A1", "DONE")
    assert (done["totalItems"], done["doneItems"], done["errorItems"]) == (total, total, 0)
    assert done["bytesTransferred"] == sum(i["size"] for f in source["folders"] for i in f["items"])
    dest = await world.mailbox(DEST_UPN)
    assert dest_folders(dest) >= {f["path"].casefold() for f in source["folders"]}, (
        "the folder tree is recreated"
    )
    assert mailbox_difference(source, dest) == ({}, {}), "every item, once"

    await world.mail.migrate(command("A2"))
    again = await wait_reported(world, "A2", "DONE")
    assert (again["totalItems"], again["doneItems"]) == (0, 0), "a second job moves nothing"

    inbox_item = next(f for f in source["folders"] if f["path"] == "Inbox")["items"][0]["id"]
    changes = {"add": [{"folder": "Inbox/Projects", "size": 2048}], "change": [inbox_item]}
    (
        await world.sim.post("/_sim/mailboxes/changes", params={"upn": SRC_UPN}, json=changes)
    ).raise_for_status()
    await world.mail.migrate(command("A3"))
    third = await wait_reported(world, "A3", "DONE")
    assert (third["totalItems"], third["doneItems"]) == (2, 2), "exactly the added and the changed item"
    assert mailbox_difference(await world.mailbox(SRC_UPN), await world.mailbox(DEST_UPN)) == ({}, {})


async def test_the_scope_takes_only_its_folder_classes(world: World) -> None:
    source = await world.mailbox("lisa.nguyen1@contoso.com")
    calendars = [f["path"] for f in source["folders"] if f["type"] == "IPF.Appointment"]
    cmd = command(
        "S1",
        source="lisa.nguyen1@contoso.com",
        dest="lisa.nguyen1@fabrikam.com",
        calendar=True,
        email=False,
        contacts=False,
    )
    await world.mail.migrate(cmd)
    done = await wait_reported(world, "S1", "DONE")
    dest = await world.mailbox("lisa.nguyen1@fabrikam.com")
    assert mailbox_difference(source, dest, paths=calendars) == ({}, {})
    assert done["doneItems"] == sum(len(f["items"]) for f in source["folders"] if f["path"] in calendars)
    assert not any(f["items"] for f in dest["folders"] if f["type"] != "IPF.Appointment"), (
        "no mail, no contacts"
    )


async def test_item_failures_expired_sessions_and_throttling_lose_nothing_else(world: World) -> None:
    upn, dest_upn = "ahmed.smith2@contoso.com", "ahmed.smith2@fabrikam.com"
    await world.faults(
        unexportableItems={upn: 7},
        importSessionMaxImports={dest_upn: 9},
        throttleMailboxes={upn: 3},
        retryAfter=0,
    )
    await world.mail.migrate(command("F1", source=upn, dest=dest_upn))
    done = await wait_reported(world, "F1", "DONE")
    failed = world.events("ItemFailed", "mbp_F1")
    source = await world.mailbox(upn)
    assert done["errorItems"] == len(failed) == sum(len(f["items"]) for f in source["folders"]) // 7
    assert {f["errorCode"] for f in failed} == {"ErrorCorruptData"}
    assert all(f["itemUrl"].startswith(f"{upn}/") for f in failed), "each failed item is named"
    failed_ids = {f["itemUrl"].rsplit("/", 1)[1] for f in failed}
    assert mailbox_difference(source, await world.mailbox(dest_upn), failed=failed_ids) == ({}, {})
    assert any(line.startswith("Throttled (429) — retrying in") for line in world.lines("job_F1"))
    assert done["doneItems"] + done["errorItems"] == done["totalItems"]
    task = await world.store.collection(readmodels.MAILBOX_TASKS).get("mbp_F1")
    assert task is not None and not MailboxTask.undeclared(task), MailboxTask.undeclared(task)
    sync = await world.store.collection(readmodels.MAILBOX_SYNC).get(task["pair"])
    assert sync is not None and not MailboxSync.undeclared(sync), MailboxSync.undeclared(sync)
    assert not set().union(*(FolderState.undeclared(f) for f in sync["folders"].values()))
    entries = await world.store.collection(readmodels.MAILBOX_ITEMS).find({"unitId": "mbp_F1"})
    assert {e["status"] for e in entries} == {IMPORTED, FAILED}
    assert not set().union(*(LedgerEntry.undeclared(e) for e in entries)), "the ledger holds what it declares"

    await world.faults(unexportableItems={})
    await world.mail.migrate(command("F2", source=upn, dest=dest_upn))
    retried = await wait_reported(world, "F2", "DONE")
    assert (retried["doneItems"], retried["errorItems"]) == (len(failed), 0), (
        "the next job brings what failed"
    )
    assert mailbox_difference(source, await world.mailbox(dest_upn)) == ({}, {})


async def test_a_mailbox_the_app_may_not_read_ends_error_saying_why(world: World) -> None:
    await world.faults(forbiddenMailboxes=["maria.mensah3@contoso.com"])
    cmd = command("P1", source="maria.mensah3@contoso.com", dest="maria.mensah3@fabrikam.com")
    with pytest.raises(Exception) as refused:
        await world.mail.migrate(cmd)
    from migrator_mail_teams_connector.domain.refusals import describe

    await world.mail.fail(cmd, describe(refused.value, "MailboxItem.ImportExport.All"))  # type: ignore[arg-type]
    error = await wait_reported(world, "P1", "ERROR")
    assert error["message"] == "403 Forbidden on MailboxItem.ImportExport.All (ErrorAccessDenied)"


async def test_a_paused_job_stops_between_batches_and_resumes_where_it_stopped(world: World) -> None:
    upn, dest_upn = "big.box@contoso.com", "big.box@fabrikam.com"
    for who, items in ((upn, 600), (dest_upn, 0)):
        (
            await world.sim.post(
                "/_sim/mailboxes", json={"upn": who, "items": items, "seed": 3, "folders": 4}
            )
        ).raise_for_status()
    run = asyncio.create_task(world.mail.migrate(command("R1", source=upn, dest=dest_upn, version=1)))
    tasks = world.store.collection(readmodels.MAILBOX_TASKS)
    for _ in range(1000):  # until a hundred items have moved
        if int(((await tasks.get("mbp_R1")) or {}).get("counters", {}).get("done") or 0) >= 100:
            break
        await asyncio.sleep(0.01)
    await world.controls.record("job_R1", "PAUSED", seq=2)
    await run
    handed_back = await wait_reported(world, "R1", "QUEUED")
    assert 100 <= int(handed_back["doneItems"]) < 600  # type: ignore[call-overload]
    moved = sum(len(f["items"]) for f in (await world.mailbox(dest_upn))["folders"])
    assert moved == handed_back["doneItems"], "nothing moves once it has stopped"

    await world.controls.record("job_R1", "RESUMED", seq=3)
    await world.mail.migrate(command("R1", source=upn, dest=dest_upn, version=3))
    done = await wait_reported(world, "R1", "DONE")
    assert (done["doneItems"], done["totalItems"]) == (600, 600)
    assert mailbox_difference(await world.mailbox(upn), await world.mailbox(dest_upn)) == ({}, {})
    # The controls and the tenants it knows are kept as their models declare.
    control = await world.store.collection(readmodels.JOB_CONTROLS).get("job_R1")
    assert control is not None and not JobControlDoc.undeclared(control), control
    tenants = await world.store.collection(readmodels.GRAPH_TENANTS).find()
    assert tenants and not set().union(*map(GraphTenant.undeclared, tenants))


async def test_cut_off_at_random_points_it_resumes_without_losing_or_doubling_an_item(world: World) -> None:
    upn, dest_upn = "cut.off@contoso.com", "cut.off@fabrikam.com"
    for who, items in ((upn, 800), (dest_upn, 0)):
        (
            await world.sim.post(
                "/_sim/mailboxes", json={"upn": who, "items": items, "seed": 5, "folders": 5}
            )
        ).raise_for_status()
    seed = int(os.environ.get("CUT_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)  # each run cuts at other points; a failure names its seed (CUT_SEED)
    for _ in range(12):  # a crash: the task stops dead at whatever it was awaiting
        run = asyncio.create_task(world.mail.migrate(command("K1", source=upn, dest=dest_upn)))
        await asyncio.sleep(rng.uniform(0.01, 0.25))
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
        await world.restarted()
    await world.mail.migrate(command("K1", source=upn, dest=dest_upn))
    done = await wait_reported(world, "K1", "DONE")
    assert (done["doneItems"], done["errorItems"], done["totalItems"]) == (800, 0, 800), f"CUT_SEED={seed}"
    difference = mailbox_difference(await world.mailbox(upn), await world.mailbox(dest_upn))
    assert difference == ({}, {}), f"CUT_SEED={seed}"
