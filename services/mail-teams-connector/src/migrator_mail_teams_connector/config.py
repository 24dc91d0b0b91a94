"""mail-teams-connector settings (``MIGRATOR_*``)."""

from __future__ import annotations

from migrator_platform.settings import ServiceSettings
from pydantic import Field


class ConnectorSettings(ServiceSettings):
    """Where Microsoft is, the app registration, and how much one replica does at once."""

    # Unset in production (real Microsoft endpoints); the embedded default points it at the
    # simulator, which serves https://{host}/{path} at {m365_base_url}/{host}/{path}.
    m365_base_url: str | None = None
    # The app registration the tenants' admins consented to (client-credential tokens).
    m365_client_id: str = "migrator-dev-client"
    m365_client_secret: str = Field(default="", repr=False)
    # Mailboxes and teams one replica migrates at once.
    mailbox_workers: int = Field(default=4, ge=1)
    team_workers: int = Field(default=2, ge=1)
    # Requests in flight against one mailbox: Exchange limits an app per mailbox, not only per tenant.
    mailbox_concurrency: int = Field(default=4, ge=1)
    # Items listed per delta page (Prefer: odata.maxpagesize); exported 20 at a time whatever this is.
    mail_page_size: int = Field(default=100, ge=1, le=1000)
    # A unit's progress is reported at most this often (and at every stop and at its end).
    progress_interval_seconds: float = Field(default=1.0, ge=0)
    # How often a team waiting for its channel files (a SharePoint migration) looks again.
    files_poll_seconds: float = Field(default=1.0, gt=0)
