"""Gateway settings (``MIGRATOR_*``)."""

from __future__ import annotations

from migrator_platform.settings import ServiceSettings
from pydantic import Field


class GatewaySettings(ServiceSettings):
    """Where the API listens, who may call it, and which services /readyz waits for."""

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Base URL clients and browsers reach us at; the OAuth redirect_uri is built from it.
    public_url: str = ""
    bootstrap_keys: str = Field(default="", repr=False)  # "orgId:apiKey,orgId2:apiKey2"
    required_services: str = (
        "scheduler,sp-connector,mail-teams-connector,atlassian-connector,device-hub,log-stream"
    )
    rpc_timeout_seconds: float = 5.0
    # Requests per organisation per minute, shared by all gateway replicas.
    rate_limit_per_minute: int = Field(default=1000, ge=1)
    # Agents' calls (register, check-in, result) per organisation per minute, a budget of their
    # own: 100,000 devices checking in every 3 minutes make 33,000 a minute, which must neither
    # spend the API's budget nor go uncounted.
    device_rate_limit_per_minute: int = Field(default=60_000, ge=1)
    # How long a replica trusts an API-key lookup; a revoked key may work this long afterwards.
    api_key_cache_seconds: float = Field(default=5.0, ge=0)
    # How long a dashboard sign-in lasts (the browser's session cookie), in hours.
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    # SSE log tails: a comment this often keeps idle connections open through proxies, and a
    # client may fall this many lines behind before it is dropped (it resumes with Last-Event-ID).
    sse_ping_seconds: float = Field(default=15.0, gt=0)
    sse_client_buffer: int = Field(default=10_000, ge=100)
    # Live lines are handed to a job's clients in batches this often (0: each line at once).
    sse_flush_ms: float = Field(default=50.0, ge=0)

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.http_host}:{self.http_port}"

    @property
    def services(self) -> list[str]:
        return [s.strip() for s in self.required_services.split(",") if s.strip()]
