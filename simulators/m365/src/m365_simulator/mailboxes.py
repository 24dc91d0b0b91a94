"""An Exchange Online mailbox: its folder tree, its items, and the change log delta queries replay."""

from __future__ import annotations

import base64
import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

# The root's children every mailbox has: (display name, folder class, well-known name).
DEFAULT_FOLDERS = [
    ("Inbox", "IPF.Note", "inbox"),
    ("Drafts", "IPF.Note", "drafts"),
    ("Sent Items", "IPF.Note", "sentitems"),
    ("Deleted Items", "IPF.Note", "deleteditems"),
    ("Archive", "IPF.Note", "archive"),
    ("Calendar", "IPF.Appointment", "calendar"),
    ("Contacts", "IPF.Contact", "contacts"),
]


def now_iso() -> str:
    return iso(datetime.now(UTC))


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as Exchange and Teams write times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def item_type(folder_class: str) -> str:
    """The message class an item of a folder class has: IPF.Note -> IPM.Note."""
    return "IPM." + folder_class.split(".", 1)[1] if folder_class.startswith("IPF.") else "IPM.Note"


def pattern(key: str, size: int) -> bytes:
    """Generated content: a SHA-256 repeated to ``size`` bytes (cheap, and compresses to little)."""
    return (hashlib.sha256(key.encode()).digest() * (size // 32 + 1))[:size]


@dataclass(slots=True)
class Folder:
    id: str
    name: str
    parent: str | None  # the parent folder's id; None for the (unlisted) root
    cls: str
    well_known: str | None = None
    changed: int = 0  # change number of its creation or last rename
    items: dict[str, Item] = field(default_factory=dict)


@dataclass(slots=True)
class Item:
    """An item; generated content is kept as a recipe (key, size), other content zlib-packed,
    so a mailbox of thousands of items costs little memory."""

    id: str
    folder: str
    type: str
    size: int
    created: str
    modified: str
    key: str
    index: int  # creation order in the mailbox: the stable order the unexportable fault counts on
    packed: bytes | None = None
    version: int = 1
    changed: int = 0
    categories: list[str] = field(default_factory=list)

    @property
    def content(self) -> bytes:
        return zlib.decompress(self.packed) if self.packed is not None else pattern(self.key, self.size)

    @property
    def change_key(self) -> str:
        """Changes whenever the item does (a new version)."""
        digest = hashlib.sha256(f"{self.id}:{self.version}".encode()).digest()[:18]
        return base64.b64encode(b"\x09\x00\x00\x00\x16\x00" + digest).decode()


@dataclass
class Mailbox:
    """Folders by id (the root included), a change counter shared by folders and items, and the
    removals delta queries report. ``epoch`` moves when the mailbox stops honouring old tokens."""

    id: str
    upn: str
    folders: dict[str, Folder] = field(default_factory=dict)
    root: str = ""
    seq: int = 0
    minted: int = 0
    made: int = 0  # items ever created
    epoch: int = 0
    located: dict[str, str] = field(default_factory=dict)  # item id -> folder id
    # What delta queries report removed: (change number, id, "folder" or "item", its parent folder)
    removed: list[tuple[int, str, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.root:
            self.root = self._mint("F")
            self.folders[self.root] = Folder(
                self.root, "Top of Information Store", None, "IPF.Note", "msgfolderroot"
            )
            for name, cls, well_known in DEFAULT_FOLDERS:
                self.add_folder(name, cls, self.root, well_known=well_known)

    def _mint(self, kind: str) -> str:
        """An opaque, Exchange-like id (URL-safe base64), unique within the mailbox."""
        self.minted += 1
        digest = hashlib.sha256(f"{self.id}:{kind}:{self.minted}".encode()).digest()
        prefix = b"\x00\x00\x2e\x00" if kind == "F" else b"\x00\x00\x46\x00"
        return base64.urlsafe_b64encode(prefix + digest[:26]).decode()

    def tick(self) -> int:
        self.seq += 1
        return self.seq

    def resolve(self, ref: str) -> Folder | None:
        """A folder by id, or by its well-known name (``inbox``, ``sentitems``…) as Graph allows."""
        if ref in self.folders:
            return self.folders[ref]
        ref = ref.lower()
        return next((f for f in self.folders.values() if f.well_known == ref), None)

    def children(self, folder_id: str) -> list[Folder]:
        return [f for f in self.folders.values() if f.parent == folder_id]

    def path(self, folder: Folder) -> str:
        parts = []
        while folder.parent is not None:
            parts.append(folder.name)
            folder = self.folders[folder.parent]
        return "/".join(reversed(parts))

    def by_path(self, path: str) -> Folder | None:
        return next((f for f in self.folders.values() if f.parent and self.path(f) == path), None)

    def item(self, item_id: str) -> Item | None:
        folder = self.located.get(item_id)
        return self.folders[folder].items.get(item_id) if folder else None

    def all_items(self) -> list[Item]:
        return [i for f in self.folders.values() for i in f.items.values()]

    def add_folder(self, name: str, cls: str, parent: str, *, well_known: str | None = None) -> Folder:
        folder = Folder(self._mint("F"), name, parent, cls, well_known, self.tick())
        self.folders[folder.id] = folder
        return folder

    def rename_folder(self, folder: Folder, name: str) -> None:
        folder.name, folder.changed = name, self.tick()

    def delete_folder(self, folder: Folder) -> None:
        """A folder, its subfolders and their items go (each subfolder reported removed)."""
        for child in self.children(folder.id):
            self.delete_folder(child)
        for item in list(folder.items.values()):
            self.delete_item(item)
        del self.folders[folder.id]
        self.removed.append((self.tick(), folder.id, "folder", folder.parent or ""))

    def add_item(
        self,
        folder: Folder,
        *,
        key: str,
        size: int,
        created: str,
        type_: str | None = None,
        content: bytes | None = None,
        modified: str | None = None,
    ) -> Item:
        item_id = self._mint("I")
        self.made += 1
        item = Item(
            item_id,
            folder.id,
            type_ or item_type(folder.cls),
            len(content) if content is not None else size,
            created,
            modified or created,
            key,
            index=self.made,
            packed=zlib.compress(content) if content is not None else None,
            changed=self.tick(),
        )
        folder.items[item_id] = item
        self.located[item_id] = folder.id
        return item

    def change_item(self, item: Item, *, content: bytes | None = None, type_: str | None = None) -> None:
        """New content (given, or generated anew), a new changeKey, modified now."""
        item.version += 1
        if content is None:
            item.key = f"{item.key}:v{item.version}"
            item.packed = None
        else:
            item.packed, item.size = zlib.compress(content), len(content)
        item.type = type_ or item.type
        item.modified, item.changed = now_iso(), self.tick()

    def delete_item(self, item: Item) -> None:
        del self.folders[item.folder].items[item.id]
        del self.located[item.id]
        self.removed.append((self.tick(), item.id, "item", item.folder))
