"""What "arrived whole" means for a mailbox and a team, from both sides as the simulator holds them.

A destination mailbox equals its source when every source folder path is there holding the same
items — counted by size, content hash and creation time — minus the items the job reported as
failed; a team's channels when each holds the same threads: messages and their replies with the
same timestamps, content and (mapped) authors, minus the messages the job reported refused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

Shape = Counter[tuple[str, int, str, str]]


def mailbox_shape(box: dict[str, Any], *, leave_out: Iterable[str] = ()) -> Shape:
    """(folder path, size, sha256, createdDateTime) of every item, less the ids left out."""
    skip = set(leave_out)
    return Counter(
        (folder["path"].casefold(), int(item["size"]), item["sha256"], item["createdDateTime"])
        for folder in box["folders"]
        for item in folder["items"]
        if item["id"] not in skip
    )


def mailbox_difference(
    source: dict[str, Any],
    dest: dict[str, Any],
    *,
    failed: Iterable[str] = (),
    paths: Iterable[str] | None = None,
) -> tuple[Shape, Shape]:
    """(what the destination lacks, what it has twice or too much) over the source's folders
    (or ``paths``), the failed source items left out. Both empty: the mailbox arrived whole."""
    folders = {p.casefold() for p in (paths if paths is not None else (f["path"] for f in source["folders"]))}
    want = Counter({k: n for k, n in mailbox_shape(source, leave_out=failed).items() if k[0] in folders})
    have = Counter({k: n for k, n in mailbox_shape(dest).items() if k[0] in folders})
    return want - have, have - want


def dest_folders(dest: dict[str, Any]) -> set[str]:
    return {f["path"].casefold() for f in dest["folders"]}


def thread_shape(
    team: dict[str, Any], *, author: Callable[[str], str] = lambda upn: upn, leave_out: Iterable[str] = ()
) -> dict[str, list[tuple[str, str, str, tuple[tuple[str, str, str], ...]]]]:
    """Per channel name: its threads, oldest first, as (created, author, sha256, replies); the
    left-out message ids (and their replies) are not counted."""
    skip = set(leave_out)
    return {
        channel["name"].casefold(): [
            (
                m["createdDateTime"],
                author(m["author"]),
                m["sha256"],
                tuple(
                    (r["createdDateTime"], author(r["author"]), r["sha256"])
                    for r in m["replies"]
                    if r["id"] not in skip
                ),
            )
            for m in sorted(channel["messages"], key=lambda m: m["createdDateTime"])
            if m["id"] not in skip
        ]
        for channel in team["channels"]
    }


def namesake(domain: str) -> Callable[[str], str]:
    """The destination user of the same name: ``x@contoso.com`` → ``x@fabrikam.com``."""
    return lambda upn: f"{upn.split('@', 1)[0]}@{domain}"
