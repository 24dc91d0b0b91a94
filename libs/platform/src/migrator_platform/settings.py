"""The settings every service shares, read once from ``MIGRATOR_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Base settings; each service subclasses it and adds its own fields.

    Defaults are the embedded default's (everything on loopback, data under ./.migrator).
    """

    model_config = SettingsConfigDict(env_prefix="MIGRATOR_", extra="ignore")

    nats_url: str = "nats://127.0.0.1:4222"
    mongo_url: str | None = None  # unset: the embedded SQLite read store under data_dir
    mongo_database: str = "migrator"
    data_dir: Path = Path(".migrator")
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|console)$")
    # OpenTelemetry: "none", "console", or "otlp" (needs OTEL_EXPORTER_OTLP_ENDPOINT).
    traces_exporter: str = Field(default="none", pattern="^(none|console|otlp)$")
    # The share of new traces recorded when an exporter is set (callers' sampled traces always are).
    traces_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    # JetStream consumer behaviour: how long a handler may hold a message before redelivery,
    # and how many deliveries before it is dead-lettered.
    ack_wait_seconds: float = 30.0
    max_deliver: int = 5
    # Copies of each JetStream stream: 1 on a single server, 3 on a 3-node cluster.
    stream_replicas: int = Field(default=1, ge=1, le=5)
    # Optional HTTP port for /healthz, /readyz (Kubernetes probes) and /metrics (Prometheus);
    # 0 = disabled.
    health_port: int = 0
    # How often each durable consumer's lag is read from the server for /metrics.
    consumer_lag_interval_seconds: float = Field(default=15.0, gt=0)
    # How often a service says which command subjects it consumes (NATS KV, expiring after three
    # times this): the gateway refuses a job no running connector can take.
    worker_presence_seconds: float = Field(default=10.0, gt=0)

    @property
    def sqlite_path(self) -> Path:
        """Where the embedded read store lives."""
        return self.data_dir / "readstore.sqlite3"
