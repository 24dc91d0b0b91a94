"""sp-connector settings (``MIGRATOR_*``): M365 endpoints, app registration, encryption at rest."""

from __future__ import annotations

from migrator_platform.settings import ServiceSettings
from pydantic import Field


class ConnectorSettings(ServiceSettings):
    """Settings of the M365 connector (consent, discovery, SharePoint migrations)."""

    # Unset in production (real Microsoft endpoints); the embedded default points it at the
    # simulator, which serves https://{host}/{path} at {m365_base_url}/{host}/{path}.
    m365_base_url: str | None = None
    # The app registration used for admin consent and client-credential tokens.
    m365_client_id: str = "migrator-dev-client"
    m365_client_secret: str = Field(default="", repr=False)
    # base64 of 32 bytes: encrypts tenant tokens and migration keys at rest. No default: the
    # embedded default generates one; a service without it refuses to start.
    secrets_key: str = Field(default="", repr=False)
    # Azure Storage for our own staging when SharePoint-provided containers are not used.
    consent_ttl_seconds: int = 900
    graph_page_size: int = 100
    # How many site migrations one replica runs at once.
    site_workers: int = 4
    # How often to poll the reporting queue while a SharePoint job runs.
    queue_poll_seconds: float = 0.5
    # A queue silent this long (or carrying unreadable messages) is backed by polling
    # GetMigrationJobProgress; the progress log is read to its end at every job's end anyway.
    sp_progress_fallback_seconds: float = 60.0
    # Requests per minute per tenant we allow ourselves against SharePoint (the app budget of
    # the largest tenants is 6,000 resource units a minute; throttled calls count too).
    sp_requests_per_minute: int = 6000
