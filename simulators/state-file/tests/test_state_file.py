"""A simulator's named state survives a restart through the file; what is not named does not."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import simulator_state_file as state_file

pytestmark = pytest.mark.unit

KEPT = ("tokens", "sites")


def files_in(directory: Path) -> list[Path]:
    return list(directory.iterdir())


def fresh() -> SimpleNamespace:
    return SimpleNamespace(tokens={}, sites=[], faults={"throttle": 0})


async def test_what_is_named_comes_back_after_a_shutdown_and_faults_start_afresh(tmp_path: Path) -> None:
    path, restarts = tmp_path / "sim.pickle", []
    first = fresh()
    async with state_file.kept_in(path, first, KEPT, restored=lambda: restarts.append("first")):
        first.tokens["t1"] = "contoso.com"
        first.sites.append("https://contoso.sharepoint.com/sites/a")
        first.faults["throttle"] = 5
    assert restarts == []  # nothing to restore on the first start
    again = fresh()
    async with state_file.kept_in(path, again, KEPT, restored=lambda: restarts.append("again")):
        assert again.tokens == {"t1": "contoso.com"}
        assert again.sites == ["https://contoso.sharepoint.com/sites/a"]
        assert again.faults == {"throttle": 0}
    assert restarts == ["again"]
    assert not path.with_name(path.name + ".partial").exists()  # written whole, then moved in place


async def test_without_a_path_nothing_is_kept(tmp_path: Path) -> None:
    sim = fresh()
    async with state_file.kept_in(None, sim, KEPT):
        sim.tokens["t1"] = "x"
    assert files_in(tmp_path) == []
    assert state_file.restore(fresh(), tmp_path / "none.pickle", KEPT) is False
