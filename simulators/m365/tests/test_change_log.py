"""A site's change log as an AMR change-token read replays it: net changes, one per item."""

from __future__ import annotations

import re
from typing import cast

import pytest
from m365_simulator.amr import TOKEN_TOO_OLD, ReadOptions, ReadRefused, _objects, start_read
from m365_simulator.config import SimSettings
from m365_simulator.data import Site, Tenant
from m365_simulator.state import SimState

pytestmark = pytest.mark.unit


def _site() -> Site:
    site = Site(id="s", web_id="8a0f7c3e-1111-4222-8333-444444444444", url="https://h/sites/a", name="A")
    site.put("Shared Documents/Plans", None)
    for name in ("keep.txt", "edit.txt", "gone.txt", "move.txt"):
        site.put(f"Shared Documents/{name}", b"v1")
    site.put("Shared Documents/Plans/inside.txt", b"v1")
    return site


def _changes(site: Site, since: int) -> dict[str, tuple[str | None, str | None]]:
    out = {}
    for xml in _objects(site, ["Shared Documents"], ReadOptions(), since):
        url = re.search(r' Url="([^"]+)"', xml)
        change = re.search(r'ChangeType="(\w+)"', xml)
        previous = re.search(r'PreviousUrl="([^"]+)"', xml)
        assert url and change
        out[url[1].removeprefix("/sites/a/")] = (
            change[1],
            previous[1].removeprefix("/sites/a/") if previous else None,
        )
    return out


def test_a_token_read_returns_each_changed_item_once_with_what_happened_to_it() -> None:
    site = _site()
    since = site.change_number
    site.put("Shared Documents/edit.txt", b"v2")
    site.put("Shared Documents/edit.txt", b"v3")  # two edits: one change
    site.remove("Shared Documents/gone.txt")
    site.rename("Shared Documents/move.txt", "Shared Documents/moved.txt")
    site.rename("Shared Documents/Plans", "Shared Documents/Archive")
    site.put("Shared Documents/new.txt", b"n")
    site.put("Shared Documents/brief.txt", b"b")
    site.remove("Shared Documents/brief.txt")  # added and deleted since: nothing to say
    assert _changes(site, since) == {
        "Shared Documents/edit.txt": ("Update", None),
        "Shared Documents/gone.txt": ("Delete", None),
        "Shared Documents/moved.txt": ("Rename", "Shared Documents/move.txt"),
        "Shared Documents/Archive": ("Rename", "Shared Documents/Plans"),
        "Shared Documents/Archive/inside.txt": ("Rename", "Shared Documents/Plans/inside.txt"),
        "Shared Documents/new.txt": ("Add", None),
    }


def test_a_token_from_before_the_change_log_was_aged_out_is_refused_as_too_old() -> None:
    site = _site()
    token = site.change_token()
    site.put("Shared Documents/new.txt", b"n")  # a change the log then forgets
    site.expire_change_log()
    with pytest.raises(ReadRefused) as refused:
        start_read(
            SimState(settings=SimSettings()),
            cast(Tenant, None),
            site,
            urls=[site.url],
            options=ReadOptions(start_change_token=token),
            key=None,
            manifest_uri="",
            queue_uri=None,
        )
    assert refused.value.code == TOKEN_TOO_OLD == -2146232832
