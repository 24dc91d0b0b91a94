"""Everything the simulator remembers: tenants, consents, tokens, migration jobs, faults."""

from __future__ import annotations

import asyncio
import random
import secrets
from dataclasses import dataclass, field
from typing import Any

from m365_simulator.config import SimSettings
from m365_simulator.data import Site, Tenant
from m365_simulator.tenants import build_tenants


@dataclass
class Faults:
    """Switchable misbehaviour, set through ``/_sim/faults``."""

    fail_items_matching: list[str] = field(default_factory=lambda: ["*.tmp"])
    warn_items_matching: list[str] = field(default_factory=list)  # JobWarning, item still imported
    fail_downloads_matching: list[str] = field(default_factory=list)  # 500 on the file's download
    throttle_status: int = 429
    throttle_count: int = 0  # the next N calls are throttled
    throttle_rate: float = 0.0  # and this share of all calls, at random
    retry_after: int = 1
    object_delay_ms: int | None = None
    # Applied to the next migration job only (import or AMR), then switched off:
    wrong_key: bool = False  # output and queue messages encrypted with a key the caller lacks
    garbage_queue_messages: int = 0  # messages that are not JSON, in the report queue
    unknown_events: int = 0  # events of an undocumented type
    corrupt_manifest: str | None = None  # "truncate" (ciphertext cut short) or "garble" (not XML)
    vanish_jobs: bool = False  # accepted, then forgotten: no events, Job not found afterwards
    postpone_seconds: float = 0.0  # JobPostponed, then the job starts this much later
    cancel_jobs: bool = False  # an admin cancels the import after it starts: JobCancelled, JobDeleted
    cancel_reads: int = 0  # the next N AMR reads are cancelled: JobFatalError -2147213196
    forbidden_sites: list[str] = field(default_factory=list)  # 403 on every REST call on these sites
    expire_jobs: bool = False  # GetMigrationJobProgress: -2147213146 "Job status expired", every job
    # Exchange Online, per mailbox (keys are user principal names):
    forbidden_mailboxes: list[str] = field(default_factory=list)  # 403 on every call on the mailbox
    unexportable_items: dict[str, int] = field(default_factory=dict)  # every k-th item fails export
    import_session_max_imports: dict[str, int] = field(default_factory=dict)  # a session expires after n
    throttle_mailboxes: dict[str, int] = field(default_factory=dict)  # the next n calls get 429
    mailbox_requests_per_second: int = 0  # more calls on one mailbox in a second get 429 (0: no limit)
    # Teams, per team (id or display name):
    forbidden_teams: list[str] = field(default_factory=list)
    throttle_teams: dict[str, int] = field(default_factory=dict)
    refuse_messages_matching: list[str] = field(default_factory=list)  # fnmatch on body content: 400


@dataclass
class MigrationJob:
    """A submitted import: its event log (GetMigrationJobProgress) and state."""

    id: str
    site_url: str
    kind: str = "import"  # or "export" (an AMR read)
    state: int = 2  # Queued
    events: list[str] = field(default_factory=list)
    objects: int = 0  # SPObjects imported or exported
    read_options: Any = None  # an AMR read's ReadOptions
    charged_seconds: float = 0.0  # what its options cost it (IncludeSecurity over a whole tree)


@dataclass
class ImportSession:
    """A mailbox import session: the authtoken its importUrl carries, until when, how many imports."""

    token: str
    mailbox_id: str
    upn: str
    expires: float  # epoch seconds
    imports: int = 0
    dead: bool = False  # expired by the importSessionMaxImports fault: refused from then on


@dataclass
class SimState:
    settings: SimSettings
    tenants: dict[str, Tenant] = field(default_factory=dict)
    consents: set[tuple[str, str]] = field(default_factory=set)  # (client_id, tenant guid)
    tokens: dict[str, str] = field(default_factory=dict)  # token -> tenant domain
    jobs: dict[str, MigrationJob] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    tasks: set[Any] = field(default_factory=set)
    import_sessions: dict[str, ImportSession] = field(default_factory=dict)  # by authtoken
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)  # teamsAsyncOperation by id
    calls: dict[str, tuple[int, int]] = field(default_factory=dict)  # mailbox -> (second, calls in it)
    minted: int = 0

    @classmethod
    def create(cls, settings: SimSettings) -> SimState:
        return cls(settings=settings, tenants=build_tenants(settings.seed))

    def spawn(self, work: Any) -> None:
        """Run a job in the background, keeping a reference until it is done."""
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def tenant(self, ref: str) -> Tenant | None:
        """By domain, tenant GUID or SharePoint host."""
        for tenant in self.tenants.values():
            my_host = tenant.sp_host.replace(".sharepoint.com", "-my.sharepoint.com")
            if ref.lower() in (tenant.domain, tenant.guid, tenant.sp_host, my_host):
                return tenant
        return None

    def rng(self, kind: str) -> random.Random:
        """A fresh random stream for something created at run time: seeded, so a replayed run
        creates the same ids."""
        self.minted += 1
        return random.Random(f"{self.settings.seed}:{kind}:{self.minted}")

    def issue_token(self, tenant: Tenant) -> str:
        token = secrets.token_urlsafe(32)
        self.tokens[token] = tenant.domain
        return token

    def site(self, url: str, *, create: bool = False) -> Site | None:
        """The site at ``url``; with ``create``, an empty one is provisioned if absent."""
        host = url.split("/")[2] if "://" in url else ""
        tenant = self.tenant(host)
        if tenant is None:
            return None
        url = url.rstrip("/")
        if url not in tenant.sites and create:
            import uuid

            name = url.rsplit("/", 1)[1]
            tenant.sites[url] = Site(
                id=str(uuid.uuid4()), web_id=str(uuid.uuid4()), url=url, name=name.capitalize()
            )
        return tenant.sites.get(url)
