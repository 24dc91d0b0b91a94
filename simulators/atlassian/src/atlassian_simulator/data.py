"""The content the simulator holds: Cloud sites and Server / Data Center instances, with their seeds."""

from __future__ import annotations

import random
import string
import uuid
from dataclasses import dataclass, field


@dataclass
class Project:
    """A Jira project on a server (``attachments_bytes`` is a simulator extension)."""

    id: str
    key: str
    name: str
    issue_count: int = 0
    attachments_bytes: int = 0


@dataclass
class Space:
    """A Confluence space on a server (``size_bytes`` is a simulator extension)."""

    id: str
    key: str
    name: str
    page_count: int = 0
    size_bytes: int = 0


@dataclass(frozen=True)
class User:
    name: str
    email: str
    display_name: str


@dataclass
class Server:
    """A Jira and/or Confluence Server or Data Center instance, reached with its personal access token."""

    server_id: str
    products: tuple[str, ...]
    pat: str
    deployment_type: str = "DataCenter"
    title: str = "Atlassian"
    projects: dict[str, Project] = field(default_factory=dict)
    spaces: dict[str, Space] = field(default_factory=dict)
    users: list[User] = field(default_factory=list)

    def add_project(self, key: str, name: str, *, issues: int, attachments_bytes: int = 0) -> None:
        pid = str(10000 + len(self.projects))
        self.projects[key] = Project(pid, key, name, issues, attachments_bytes)

    def add_space(self, key: str, name: str, *, pages: int, size_bytes: int = 0) -> None:
        sid = str(65536 + len(self.spaces))
        self.spaces[key] = Space(sid, key, name, pages, size_bytes)

    def generate(self, *, projects: int = 0, spaces: int = 0, seed: int = 1) -> None:
        """Many projects or spaces with seeded keys, names and sizes, for scale tests."""
        rng = random.Random(seed)
        prefix = "".join(rng.choices(string.ascii_uppercase, k=3))
        first_project, first_space = len(self.projects), len(self.spaces)
        for i in range(projects):
            key = f"{prefix}{first_project + i:04d}"
            size = rng.randint(0, 10**7)
            self.add_project(
                key, f"Generated project {key}", issues=rng.randint(1, 200), attachments_bytes=size
            )
        for i in range(spaces):
            key = f"{prefix}{first_space + i:04d}"
            self.add_space(
                key, f"Generated space {key}", pages=rng.randint(1, 200), size_bytes=rng.randint(0, 10**7)
            )


@dataclass
class CloudProject:
    id: str
    key: str
    name: str
    issue_count: int


@dataclass
class CloudSpace:
    id: str
    key: str
    name: str
    page_count: int


@dataclass
class CloudSite:
    """An Atlassian Cloud site (``acme.atlassian.net``) and what has been migrated to it."""

    host: str
    projects: dict[str, CloudProject] = field(default_factory=dict)
    spaces: dict[str, CloudSpace] = field(default_factory=dict)

    @property
    def cloud_id(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_DNS, self.host))

    @property
    def url(self) -> str:
        return f"https://{self.host}"

    @property
    def name(self) -> str:
        return self.host.split(".")[0]

    def land_project(self, key: str, name: str, *, issues: int) -> None:
        """A migrated project; migrating a key again replaces it."""
        old = self.projects.get(key)
        pid = old.id if old else str(10000 + len(self.projects))
        self.projects[key] = CloudProject(pid, key, name, issues)

    def land_space(self, key: str, name: str, *, pages: int) -> None:
        old = self.spaces.get(key)
        sid = old.id if old else str(98304 + len(self.spaces))
        self.spaces[key] = CloudSpace(sid, key, name, pages)


_PEOPLE = [
    ("admin", "Site Admin"),
    ("alice", "Alice Anderson"),
    ("bob", "Bob Brown"),
    ("carol", "Carol Clark"),
    ("dave", "Dave Davis"),
    ("erin", "Erin Evans"),
    ("frank", "Frank Foster"),
    ("grace", "Grace Green"),
    ("heidi", "Heidi Hill"),
    ("ivan", "Ivan Irwin"),
    ("judy", "Judy Jones"),
    ("mallory", "Mallory Moore"),
]


def seed_sites() -> dict[str, CloudSite]:
    return {host: CloudSite(host) for host in ("acme.atlassian.net", "globex.atlassian.net")}


def seed_server() -> Server:
    """The one seeded Data Center instance: Jira and Confluence, 12 users."""
    server = Server(
        "BSQ4-J2CB-XYZ1-ABCD", ("jira", "confluence"), "sim-pat-server-1", title="Acme Data Center"
    )
    server.add_project("ALPHA", "Alpha", issues=120, attachments_bytes=52_428_800)
    server.add_project("BETA", "Beta", issues=45, attachments_bytes=1_048_576)
    server.add_project("GAMMA", "Gamma", issues=300, attachments_bytes=209_715_200)
    server.add_space("ENG", "Engineering", pages=80, size_bytes=31_457_280)
    server.add_space("HR", "Human Resources", pages=25, size_bytes=4_194_304)
    server.users = [User(n, f"{n}@acme.example", d) for n, d in _PEOPLE]
    return server
