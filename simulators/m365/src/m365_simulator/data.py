"""The simulated tenants' model: users with mailboxes, sites with real content, teams with channels."""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from m365_simulator.channels import Channel
from m365_simulator.large_files import Body
from m365_simulator.mailboxes import Mailbox

FIRST = ["John", "Lisa", "Ahmed", "Maria", "Wei", "Olga", "Sven", "Chloé", "Kofi", "Priya", "Diego", "Hana"]
LAST = ["Smith", "Nguyen", "Khan", "Garcia", "Zhang", "Ivanova", "Larsen", "Dubois", "Mensah", "Patel"]
EXTENSIONS = [".docx", ".xlsx", ".pdf", ".pptx", ".txt", ".png"]
DEPARTMENTS = ["Legal", "Finance", "R&D", "Sales <EMEA>", "Opérations"]
TIB = 1024**4


@dataclass
class User:
    id: str
    upn: str
    display_name: str
    mailbox: Mailbox | None = None


@dataclass(frozen=True)
class Change:
    """One entry of a site's change log: an item (by unique id) moved from ``old`` to ``new`` path.

    ``old`` is None for an add, ``new`` None for a delete; an edit has ``old == new``.
    """

    number: int
    uid: str
    old: str | None
    new: str | None
    folder: bool = False


DOCUMENT_LIBRARY = 101  # BaseTemplate; 100 is a custom list, 119 a wiki page library


@dataclass(frozen=True)
class SiteList:
    """A list of a site: a document library (its files are the site's content under its root
    folder), or another kind whose items are only counted here."""

    title: str
    template: int = DOCUMENT_LIBRARY
    items: int = 0  # a list that is not a library
    hidden: bool = False


# Lists of items (no files): generic, links, announcements, contacts, events, tasks. Their root
# folder is Lists/<name>; an item's attachments live under Lists/<name>/Attachments/<id>/.
ITEM_LISTS = frozenset({100, 103, 104, 105, 106, 107})


@dataclass
class ListItem:
    """An item of a list: its column values and attached files."""

    fields: dict[str, str]
    attachments: dict[str, bytes] = field(default_factory=dict)
    history: list[dict[str, str]] = field(default_factory=list)  # earlier versions' values, oldest first
    folder: str = ""  # the folder it is in, under its list's root ("" at the top)


DEFAULT_LISTS = {"Shared Documents": SiteList("Documents")}
# Role definitions every site has: name -> its base permissions (SharePoint's names, as text).
DEFAULT_ROLES = {
    "Full Control": "FullMask",
    "Design": "ManageLists, AddAndCustomizePages, ApplyThemeAndBorder, EditListItems, ViewListItems",
    "Edit": "ManageLists, EditListItems, AddListItems, DeleteListItems, ViewListItems",
    "Contribute": "EditListItems, AddListItems, DeleteListItems, ViewListItems",
    "Read": "ViewListItems, OpenItems, ViewVersions, ViewPages",
}


@dataclass
class Site:
    """A site and its Documents library: web-relative path → content (None for a folder).

    Every write goes through :meth:`put`, :meth:`remove` or :meth:`rename`, so each item keeps a
    stable unique id and the change log (what an AMR read with a change token replays) is whole.
    """

    id: str
    web_id: str
    url: str
    name: str
    content: dict[str, Body | None] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # path -> unique id
    modified: dict[str, str] = field(default_factory=dict)  # path -> ISO time of the last write
    versions: dict[str, list[bytes]] = field(default_factory=dict)  # path -> earlier versions, oldest first
    # path -> {user principal name: role} for items with unique permissions (inheritance broken)
    permissions: dict[str, dict[str, str]] = field(default_factory=dict)
    # path -> {column: value}: a file's metadata columns beyond name and dates (its list item's fields)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    # SharePoint groups (title -> member UPNs; the site's Owners, Members and Visitors to begin
    # with) and role definitions (name -> base permissions); a permission's principal is a UPN
    # or a group's title.
    groups: dict[str, list[str]] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ROLES))
    # A list of items' items by id, and its columns (Title first), by the list's root folder.
    items: dict[str, dict[int, ListItem]] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)
    list_folders: dict[str, list[str]] = field(default_factory=dict)  # by list root: folder paths under it

    def __post_init__(self) -> None:
        if not self.groups:
            self.groups = {f"{self.name} {kind}": [] for kind in ("Owners", "Members", "Visitors")}

    changes: list[Change] = field(default_factory=list)
    log_start: int = 0  # change numbers below this have left the change log (tokens too old)
    # Its lists by root folder name: (title, BaseTemplate, items of a list that is not a library).
    lists: dict[str, SiteList] = field(default_factory=lambda: dict(DEFAULT_LISTS))

    def __setstate__(self, state: dict[str, object]) -> None:
        state.setdefault("lists", dict(DEFAULT_LISTS))  # kept by a simulator that had no lists
        state.setdefault("fields", {})
        state.setdefault("groups", {})
        state.setdefault("roles", dict(DEFAULT_ROLES))
        state.setdefault("items", {})
        state.setdefault("columns", {})
        state.setdefault("list_folders", {})
        self.__dict__.update(state)

    def list_root(self, path: str) -> str | None:
        """The list of items a web-relative path is in (its root or anything under it), if any."""
        return next((r for r in self.items if path == r or path.startswith(r + "/")), None)

    def libraries(self) -> set[str]:
        return {root for root, kind in self.lists.items() if kind.template == DOCUMENT_LIBRARY}

    @property
    def path(self) -> str:
        return "/" + self.url.split("/", 3)[3] if self.url.count("/") >= 3 else ""

    @property
    def change_number(self) -> int:
        return self.changes[-1].number if self.changes else self.log_start

    def _log(self, uid: str, old: str | None, new: str | None, *, folder: bool) -> None:
        self.changes.append(Change(self.change_number + 1, uid, old, new, folder))

    def put(
        self, path: str, body: Body | None, *, uid: str | None = None, history: list[bytes] | None = None
    ) -> None:
        """Create or overwrite a file (bytes) or folder (None); missing parent folders are created.

        Overwriting a file keeps what it held as a version; ``history`` replaces the versions
        (an import that brings them)."""
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        if parent and parent not in self.content and parent.count("/") >= 1:
            self.put(parent, None)
        if path in self.content and self.content[path] is None and body is None:
            return  # the folder is there already
        known = self.ids.get(path)
        self.ids[path] = known or uid or str(uuid.uuid4())
        if history is not None:
            self.versions[path] = list(history)
        elif isinstance(old := self.content.get(path), bytes) and body is not None:
            self.versions.setdefault(path, []).append(old)  # (a large file keeps no versions)
        self.content[path] = body
        self.modified[path] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._log(self.ids[path], path if known else None, path, folder=body is None)

    def remove(self, path: str) -> None:
        """Delete a file, or a folder with everything in it."""
        for p in [p for p in self.content if p == path or p.startswith(path + "/")]:
            folder = self.content.pop(p) is None
            self.modified.pop(p, None)
            self.versions.pop(p, None)
            self.permissions.pop(p, None)
            self.fields.pop(p, None)
            self._log(self.ids.pop(p), p, None, folder=folder)

    def rename(self, old: str, new: str) -> None:
        """Move a file or folder (and what it holds), keeping unique ids."""
        for p in sorted(p for p in self.content if p == old or p.startswith(old + "/")):
            moved = new + p[len(old) :]
            self.content[moved] = self.content.pop(p)
            self.modified[moved] = self.modified.pop(p, "")
            if p in self.versions:
                self.versions[moved] = self.versions.pop(p)
            if p in self.permissions:
                self.permissions[moved] = self.permissions.pop(p)
            if p in self.fields:
                self.fields[moved] = self.fields.pop(p)
            self.ids[moved] = self.ids.pop(p)
            self._log(self.ids[moved], p, moved, folder=self.content[moved] is None)

    def grant(self, path: str, roles: dict[str, str]) -> None:
        """Give an item unique permissions (user principal name -> role), a change like an edit."""
        self.permissions[path] = dict(roles)
        self._log(self.ids[path], path, path, folder=self.content[path] is None)

    def inherit(self, path: str) -> None:
        """Restore an item's inheritance: its unique permissions are gone, a change like an edit."""
        self.permissions.pop(path, None)
        self._log(self.ids[path], path, path, folder=self.content[path] is None)

    def expire_change_log(self) -> None:
        """Forget the change log so far, as SharePoint does after 60 days."""
        self.log_start = self.change_number + 1
        self.changes.clear()

    def change_token(self) -> str:
        """A change token in SharePoint's format: ``1;3;{site id};{ticks};{change number}``."""
        ticks = int(datetime.now(UTC).timestamp() * 10_000_000) + 621_355_968_000_000_000
        return f"1;3;{self.id};{ticks};{self.change_number}"


@dataclass
class Team:
    """A team (its group id is ``id``), its channels and its SharePoint team site."""

    id: str
    name: str
    description: str
    member_count: int
    nickname: str = ""  # the group's mailNickname, the team site's URL name
    site_url: str = ""
    created: str = ""
    channels: list[Channel] = field(default_factory=list)


@dataclass
class Tenant:
    domain: str
    guid: str
    sp_host: str
    users: list[User]
    sites: dict[str, Site]
    teams: list[Team]
    quota_bytes: int

    def user(self, ref: str) -> User | None:
        """By object id or user principal name (case-insensitive), as Graph's /users/{id | upn}."""
        ref = ref.lower()
        return next((u for u in self.users if ref in (u.id, u.upn.lower())), None)

    def mailbox(self, mailbox_id: str) -> Mailbox | None:
        return next((u.mailbox for u in self.users if u.mailbox and u.mailbox.id == mailbox_id), None)

    def team(self, ref: str) -> Team | None:
        """By group id or display name."""
        return next((t for t in self.teams if ref in (t.id, t.name)), None)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _site(rng: random.Random, host: str, name: str, *, with_tmp: bool) -> Site:
    site = Site(id=_uuid(rng), web_id=_uuid(rng), url=f"https://{host}/sites/{name}", name=name.capitalize())
    lib = "Shared Documents"
    folders = [f"{lib}/Plans", f"{lib}/Plans/2026 Q1", f"{lib}/Reports", f"{lib}/Ünïcode & Co"][
        : rng.randint(3, 4)
    ]
    for folder in folders:
        site.put(folder, None, uid=_uuid(rng))
    places = [lib, *folders]
    for i in range(rng.randint(15, 30)):
        size = rng.choice(
            [0, rng.randint(1, 2_000), rng.randint(2_000, 60_000), rng.randint(60_000, 300_000)]
        )
        stem = rng.choice(["budget", "notes", "O'Brien memo", "plan v2", "café menu", "Résumé"]) + f" {i}"
        body = hashlib.sha256(f"{host}{name}{i}".encode()).digest() * (size // 32 + 1)
        site.put(f"{rng.choice(places)}/{stem}{rng.choice(EXTENSIONS)}", body[:size], uid=_uuid(rng))
    if with_tmp:
        site.put(f"{lib}/~lock {name}.tmp", b"lock", uid=_uuid(rng))
        site.put(f"{folders[0]}/scratch.tmp", b"scratch" * 10, uid=_uuid(rng))
    return site


def generated_site(host: str, name: str, *, items: int, seed: int, folder_every: int = 40) -> Site:
    """A big site for scale tests: ``items`` folders and files, nested three deep, small contents."""
    rng = random.Random(seed)
    site = Site(id=_uuid(rng), web_id=_uuid(rng), url=f"https://{host}/sites/{name}", name=name.capitalize())
    fill(site, "Shared Documents", items=items, rng=rng, salt=name, folder_every=folder_every)
    return site


def fill(site: Site, root: str, *, items: int, rng: random.Random, salt: str, folder_every: int = 40) -> None:
    """``items`` folders and files under a library's ``root``, nested three deep, small contents
    (each file's bytes derive from ``salt`` and its number)."""
    folders = [root]
    for i in range(items):
        if i % folder_every == 0:
            parent = rng.choice(folders[-8:]) if len(folders) > 1 and rng.random() < 0.5 else folders[0]
            if parent.count("/") >= 3:
                parent = folders[0]
            folder = f"{parent}/Folder {i // folder_every:04d}"
            site.put(folder, None, uid=_uuid(rng))
            folders.append(folder)
            continue
        size = rng.choice([0, rng.randint(1, 300), rng.randint(300, 4_000)])
        body = hashlib.sha256(f"{salt}{i}".encode()).digest() * (size // 32 + 1)
        path = f"{rng.choice(folders[-4:])}/file {i:05d}{rng.choice(EXTENSIONS)}"
        site.put(path, body[:size], uid=_uuid(rng))
        if i % 5 == 1:  # a fifth of the files carry metadata columns
            site.fields[path] = {
                "Title": f"{root} record {i}",
                "Department": rng.choice(DEPARTMENTS),
                "DocumentStatus": rng.choice(["Draft", "Final", "Approved — signed"]),
            }


def fill_list(site: Site, root: str, *, template: int, items: int, rng: random.Random) -> None:
    """``items`` items of a list at ``root``: columns by its kind, every fourth with an attachment."""
    columns = (
        ["Title", "FirstName", "Company", "WorkPhone"] if template == 105 else ["Title", "Status", "Owner"]
    )
    site.columns[root] = columns
    listed = site.items.setdefault(root, {})
    folders = ["Sprint 1", "Sprint 1/Backlog"] if template == 107 else []  # tasks are kept in folders
    site.list_folders[root] = folders
    for n in range(1, items + 1):
        values = {
            "Title": f"{root.rsplit('/', 1)[-1]} {n} — « {rng.choice(FIRST)} »",
            "FirstName": rng.choice(FIRST),
            "Company": rng.choice(["Contoso", "Fabrikam & Co", "Northwind <NW>"]),
            "WorkPhone": f"+1 555 {rng.randint(1000, 9999)}",
            "Status": rng.choice(["Not Started", "In Progress", "Completed"]),
            "Owner": rng.choice(LAST),
        }
        attached = {f"note {n}.txt": f"{root} item {n}".encode() * rng.randint(1, 40)} if n % 4 == 1 else {}
        now = {c: values[c] for c in columns}
        # Every third item was edited before: its earlier versions had other titles.
        earlier = 1 + (n // 3) % 2 if n % 3 == 0 else 0  # one or two earlier versions
        history = [now | {"Title": f"{now['Title']} (draft {v})"} for v in range(1, earlier + 1)]
        folder = folders[n % 2] if folders and n % 5 in (2, 4) else ""
        listed[n] = ListItem(now, attached, history, folder)
