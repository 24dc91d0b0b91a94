"""Generated mailboxes: the seeded ones every user has, and the bulk ones scale tests ask for."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from m365_simulator.mailboxes import Folder, Mailbox, iso

# Generated items predate this fixed moment, so the data is the same whenever it is built.
ANCHOR = datetime(2026, 9, 1, tzinfo=UTC)
SPAN_SECONDS = 450 * 86_400
# The source tenant's users have these besides the default folders.
SOURCE_FOLDERS = [
    ("Inbox/Projects", "IPF.Note"),
    ("Inbox/Projects/2026", "IPF.Note"),
    ("Inbox/Receipts", "IPF.Note"),
    ("Calendar/Team Calendar", "IPF.Appointment"),
    ("Contacts/Vendors", "IPF.Contact"),
]


def mailbox_id(rng: random.Random) -> str:
    """``MBX:e0643f21@a7809c93``, the form Graph's exchangeSettings shows."""
    return f"MBX:{rng.getrandbits(32):08x}@{rng.getrandbits(32):08x}"


def make_folder(box: Mailbox, path: str, cls: str | None = None) -> Folder:
    """The folder at ``path`` (``Inbox/Projects``), created with any missing parent; a new
    folder takes ``cls`` or, without it, its parent's class."""
    folder = box.folders[box.root]
    for name in path.split("/"):
        found = next((f for f in box.children(folder.id) if f.name.lower() == name.lower()), None)
        folder = found or box.add_folder(name, cls or folder.cls, folder.id)
    return folder


def fill(box: Mailbox, rng: random.Random, count: int, folders: list[Folder]) -> None:
    """``count`` items spread over ``folders``: 200 B to 40 KB each, created over the past 15 months."""
    for n in range(count):
        folder = rng.choice(folders)
        size = rng.randint(200, 40_000)
        created = ANCHOR - timedelta(seconds=rng.randint(0, SPAN_SECONDS), milliseconds=rng.randint(0, 999))
        box.add_item(folder, key=f"{box.id}:{n}", size=size, created=iso(created))


def seeded_mailbox(seed: int, upn: str, *, populated: bool) -> Mailbox:
    """A user's mailbox from its own random stream: default folders, and when ``populated`` the
    source folders and 30-150 items; otherwise empty (a destination mailbox)."""
    rng = random.Random(f"{seed}:{upn}:mailbox")
    box = Mailbox(mailbox_id(rng), upn)
    if populated:
        for path, cls in SOURCE_FOLDERS:
            make_folder(box, path, cls)
        fill(box, rng, rng.randint(30, 150), [f for f in box.folders.values() if f.parent])
    return box


def generated_mailbox(upn: str, *, items: int, seed: int, folders: int) -> Mailbox:
    """A mailbox for scale tests: ``folders`` mail folders (some nested) and ``items`` items over
    them and the default folders."""
    rng = random.Random(f"{seed}:{upn}:generated")
    box = Mailbox(mailbox_id(rng), upn)
    made: list[str] = []
    for i in range(folders):
        parent = rng.choice(made[-3:]) if made and rng.random() < 0.3 else "Inbox"
        if parent.count("/") >= 3:
            parent = "Inbox"
        made.append(f"{parent}/Folder {i:03d}")
        make_folder(box, made[-1])
    if items:
        fill(box, rng, items, [f for f in box.folders.values() if f.parent])
    return box
