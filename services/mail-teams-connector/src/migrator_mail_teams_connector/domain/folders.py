"""A mailbox's folder tree: folder paths, and which folders a job's scope takes (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The scope's keys and the folder classes they take (a class may have sub-classes:
# ``IPF.Note.OutlookHomepage`` is mail).
SCOPE_CLASSES = {"email": "IPF.Note", "calendar": "IPF.Appointment", "contacts": "IPF.Contact"}


@dataclass(frozen=True)
class Folder:
    """A mailbox folder as Graph lists it (``type`` is its class, ``IPF.Note`` and so on)."""

    id: str
    name: str
    parent_id: str
    type: str
    total_items: int


@dataclass(frozen=True)
class Placed:
    """A folder and where it sits: ``Inbox/Projects`` (its parent ``Inbox``; None at the root)."""

    folder: Folder
    path: str
    parent_path: str | None


def place(folders: Iterable[Folder]) -> list[Placed]:
    """Every folder with its path, parents before children. A folder whose parent is not among
    them hangs from the mailbox's root (the folder delta does not list the root itself)."""
    by_id = {f.id: f for f in folders}
    paths: dict[str, str] = {}

    def path_of(folder: Folder, seen: frozenset[str] = frozenset()) -> str:
        if folder.id not in paths:
            parent = by_id.get(folder.parent_id)
            if parent is None or parent.id in seen:
                paths[folder.id] = folder.name
            else:
                paths[folder.id] = f"{path_of(parent, seen | {folder.id})}/{folder.name}"
        return paths[folder.id]

    placed = []
    for folder in by_id.values():
        path = path_of(folder)
        parent = by_id.get(folder.parent_id)
        placed.append(Placed(folder, path, path_of(parent) if parent is not None else None))
    return sorted(placed, key=lambda p: (p.path.count("/"), p.path.casefold()))


def classes_of(scope: dict[str, object]) -> tuple[str, ...]:
    """The folder classes a job's scope takes (an empty scope: every class it knows)."""
    chosen = [key for key in SCOPE_CLASSES if scope.get(key, not scope) is True]
    return tuple(SCOPE_CLASSES[key] for key in chosen)


def in_scope(placed: list[Placed], scope: dict[str, object]) -> list[Placed]:
    """The folders whose items move, parents first."""
    classes = classes_of(scope)
    return [
        p for p in placed if any(p.folder.type == c or p.folder.type.startswith(c + ".") for c in classes)
    ]


def key(path: str) -> str:
    """Folder names are unique per parent regardless of case, as in Exchange."""
    return path.casefold()
