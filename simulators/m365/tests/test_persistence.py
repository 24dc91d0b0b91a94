"""With a state file, a restarted simulator remembers what it learned; without, it starts seeded."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from m365_simulator.app import create_app
from m365_simulator.config import SimSettings
from m365_simulator.persistence import restore, save
from m365_simulator.state import MigrationJob, SimState

pytestmark = pytest.mark.unit
SITE = "https://contoso.sharepoint.com/sites/remembered"


@asynccontextmanager
async def running(settings: SimSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The app from start-up to shutdown, as uvicorn runs it."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as client,
    ):
        yield client


async def test_a_restarted_simulator_remembers_consents_tokens_and_sites_made_through_its_api(
    tmp_path: Path, bearer_of: Callable[[httpx.AsyncClient, str], Awaitable[dict[str, str]]]
) -> None:
    settings = SimSettings(seed=42, state_file=str(tmp_path / "m365.pickle"))
    async with running(settings) as sim:
        assert (await sim.post("/_sim/sites", json={"url": SITE, "items": 5, "seed": 3})).json()["ok"]
        headers = await bearer_of(sim, "contoso.com")  # consented, and a token issued
        before = (await sim.get("/_sim/sites", params={"url": SITE})).json()["items"]
        tokens = (await sim.get("/_sim/tokens")).json()
    async with running(settings) as again:  # stopped (shutdown saved) and started
        assert (await again.get("/_sim/sites", params={"url": SITE})).json()["items"] == before
        assert (await again.get("/_sim/tokens")).json() == tokens
        # The token issued before the restart still opens the tenant's Graph.
        assert (await again.get("/graph.microsoft.com/v1.0/organization", headers=headers)).status_code == 200
    async with running(SimSettings(seed=42)) as fresh:  # no state file: the seeded tenants
        assert (await fresh.get("/_sim/sites", params={"url": SITE})).json()["exists"] is False
        assert (await fresh.get("/graph.microsoft.com/v1.0/organization", headers=headers)).status_code == 401


def test_a_job_the_last_run_was_in_the_middle_of_is_forgotten(tmp_path: Path) -> None:
    path = tmp_path / "m365.pickle"
    sim = SimState.create(SimSettings(seed=42))
    sim.jobs = {
        "done": MigrationJob("done", SITE, state=0),
        "running": MigrationJob("running", SITE, state=4),
    }
    save(sim, path)
    restarted = SimState.create(SimSettings(seed=42))
    restore(restarted, path)
    assert set(restarted.jobs) == {"done"}  # nobody works on the other one any more
