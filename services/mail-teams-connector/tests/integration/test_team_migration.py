"""A team migrated by the connector, checked on both sides: channels, threads, authors and
timestamps equal; refused messages named and left out; paused, cut off, and resumed."""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any

import pytest
from fidelity import namesake, thread_shape
from migrator_contracts.commands import MigrateTeam

pytestmark = pytest.mark.integration

World = Any  # the ``world`` fixture (conftest.World)
FALLBACK = "olga.khan5@fabrikam.com"


async def new_team(world: World, name: str, *, messages: int = 12, seed: int = 1) -> str:
    made = await world.sim.post(
        "/_sim/teams",
        json={
            "domain": "contoso.com",
            "name": name,
            "channels": 3,
            "messages": messages,
            "replies": 2,
            "seed": seed,
        },
    )
    made.raise_for_status()
    return str(made.json()["id"])


async def team(world: World, domain: str, name: str) -> dict[str, Any]:
    return dict((await world.sim.get("/_sim/teams", params={"domain": domain, "name": name})).json())


def command(
    unit: str, team_id: str, *, version: int = 1, mappings: dict[str, str] | None = None
) -> MigrateTeam:
    return MigrateTeam(
        job_id=f"job_{unit}",
        unit_id=f"tpr_{unit}",
        org_id="org_1",
        source_tenant_id="ten_SRC",
        dest_tenant_id="ten_DST",
        source_team_id=team_id,
        scope={"messages": True, "files": False},
        user_mappings=mappings or {},
        fallback_user=FALLBACK,
        job_version=version,
    )


def refused_ids(world: World, unit: str) -> set[str]:
    return {f["itemUrl"].rsplit("/", 1)[1] for f in world.events("ItemFailed", f"tpr_{unit}")}


async def test_a_team_arrives_with_its_threads_authors_and_timestamps(world: World) -> None:
    team_id = await new_team(world, "Design Guild")
    source = await team(world, "contoso.com", "Design Guild")
    ghost = source["channels"][0]["messages"][0]["author"]  # mapped to nobody who exists
    await world.faults(refuseMessagesMatching=["*[policy-block]*"])
    await world.teams.migrate(command("T1", team_id, mappings={ghost: "nobody@fabrikam.com"}))
    done = await world.reported("tpr_T1", "DONE")
    dest = await team(world, "fabrikam.com", "Design Guild")
    assert dest["exists"] and done["dest"] == dest["id"], "the team was created at the destination"
    refused = refused_ids(world, "T1")
    assert refused, "the simulator refused the [policy-block] messages and their replies"

    def expected_author(upn: str) -> str:
        return FALLBACK if upn == ghost else namesake("fabrikam.com")(upn)

    want = thread_shape(source, author=expected_author, leave_out=refused)
    assert thread_shape(dest) == want
    posts = sum(1 + len(m["replies"]) for c in source["channels"] for m in c["messages"])
    assert (done["doneItems"], done["errorItems"], done["totalItems"]) == (
        posts - len(refused),
        len(refused),
        posts,
    )
    assert all(c["migrationMode"] == "completed" for c in dest["channels"])
    assert any(ghost in line and FALLBACK in line for line in world.lines("job_T1")), "the fallback is said"

    await world.teams.migrate(command("T2", team_id))
    again = await world.reported("tpr_T2", "DONE")
    assert again["doneItems"] == 0 and thread_shape(await team(world, "fabrikam.com", "Design Guild")) == want


async def test_a_team_of_the_same_name_at_the_destination_receives_the_threads(world: World) -> None:
    source = await team(world, "contoso.com", "Sales")
    before = await team(world, "fabrikam.com", "Sales")
    await world.teams.migrate(command("M1", source["id"]))
    done = await world.reported("tpr_M1", "DONE")
    assert done["dest"] == before["id"]
    after = thread_shape(await team(world, "fabrikam.com", "Sales"))
    for channel, threads in thread_shape(source, author=namesake("fabrikam.com")).items():
        assert set(threads) <= set(after[channel]), f"{channel}: every source thread is there"


async def test_a_team_the_app_may_not_read_ends_error_saying_why(world: World) -> None:
    from migrator_mail_teams_connector.domain.refusals import describe

    team_id = await new_team(world, "Locked", messages=2)
    await world.faults(forbiddenTeams=["Locked"])
    with pytest.raises(Exception) as refused:
        await world.teams.migrate(command("L1", team_id))
    await world.teams.fail(command("L1", team_id), describe(refused.value, "Teamwork.Migrate.All"))  # type: ignore[arg-type]
    error = await world.reported("tpr_L1", "ERROR")
    assert str(error["message"]).startswith("403 Forbidden on Teamwork.Migrate.All")


async def test_paused_and_cut_off_a_team_resumes_without_losing_or_doubling_a_message(world: World) -> None:
    from migrator_contracts import readmodels
    from migrator_mail_teams_connector.teams.team_task import TeamTask
    from migrator_mail_teams_connector.teams.threads import MessageEntry

    team_id = await new_team(world, "Big Room", messages=40, seed=7)
    run = asyncio.create_task(world.teams.migrate(command("C1", team_id)))
    tasks = world.store.collection(readmodels.TEAM_TASKS)
    for _ in range(1000):  # until some messages have moved
        if int(((await tasks.get("tpr_C1")) or {}).get("counters", {}).get("done") or 0) >= 40:
            break
        await asyncio.sleep(0.005)
    await world.controls.record("job_C1", "PAUSED", seq=2)
    await run
    paused = await world.reported("tpr_C1", "QUEUED")
    assert 40 <= int(paused["doneItems"]) < 356, "a paused job's team stops between batches, handed back"

    await world.controls.record("job_C1", "RESUMED", seq=3)
    seed = int(os.environ.get("CUT_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    for _ in range(8):  # crashes at whatever it was awaiting
        cut = asyncio.create_task(world.teams.migrate(command("C1", team_id, version=3)))
        await asyncio.sleep(rng.uniform(0.005, 0.08))
        cut.cancel()
        await asyncio.gather(cut, return_exceptions=True)
        await world.restarted()
    await world.teams.migrate(command("C1", team_id, version=3))
    done = await world.reported("tpr_C1", "DONE")
    source = await team(world, "contoso.com", "Big Room")
    posts = sum(1 + len(m["replies"]) for c in source["channels"] for m in c["messages"])
    assert (done["doneItems"], done["errorItems"]) == (posts, 0), f"CUT_SEED={seed}"
    dest = thread_shape(await team(world, "fabrikam.com", "Big Room"))
    assert dest == thread_shape(source, author=namesake("fabrikam.com")), f"CUT_SEED={seed}"
    stored = await tasks.get("tpr_C1")
    assert stored is not None and not TeamTask.undeclared(stored), TeamTask.undeclared(stored)
    entries = await world.store.collection(readmodels.TEAM_MESSAGES).find({"unitId": "tpr_C1"})
    assert entries and not set().union(*(MessageEntry.undeclared(e) for e in entries)), (
        "the ledger holds what it declares"
    )
