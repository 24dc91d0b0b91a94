"""atlassian-connector settings (``MIGRATOR_*``): Atlassian endpoints, the OAuth app, pacing."""

from __future__ import annotations

from migrator_platform.settings import ServiceSettings
from pydantic import Field


class AtlassianSettings(ServiceSettings):
    # auth.atlassian.com and api.atlassian.com; the embedded default points both at the simulator.
    atlassian_auth_url: str = "https://auth.atlassian.com"
    atlassian_api_url: str = "https://api.atlassian.com"
    # The OAuth 2.0 (3LO) app the cloud sites' admins consent to.
    atlassian_client_id: str = "migrator-atlassian"
    atlassian_client_secret: str = Field(default="", repr=False)
    # base64 of 32 bytes: encrypts OAuth tokens and server access tokens at rest.
    secrets_key: str = Field(default="", repr=False)
    consent_ttl_seconds: int = 900
    # How often a running migration's status tree is read (each reading is several calls from
    # the site's 600 a minute, shared by every job on it).
    atlassian_poll_seconds: float = Field(default=5.0, gt=0)
    # How long after a migration finished a project's or space's status node may still appear
    # (the tree fills in eventually) before that project or space is an error.
    atlassian_node_wait_seconds: float = Field(default=300.0, ge=0)
    # Atlassian's budgets per destination site and API group.
    atlassian_creates_per_minute: int = Field(default=5, ge=1)
    atlassian_reads_per_minute: int = Field(default=600, ge=1)
    # Atlassian migrations one replica follows at once.
    atlassian_job_workers: int = Field(default=8, ge=1)
