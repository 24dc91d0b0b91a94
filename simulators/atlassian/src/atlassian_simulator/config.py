"""Simulator settings from ``ATLSIM_*`` environment variables."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class SimSettings(BaseSettings):
    """Where to listen, the OAuth client it accepts, and how fast migrations run and are throttled."""

    model_config = SettingsConfigDict(env_prefix="ATLSIM_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port, announced on the READY line
    state_file: str = ""  # where to keep what it learned across restarts (see persistence); empty: forget
    # The one OAuth 2.0 (3LO) app registered in the developer console.
    client_id: str = "migrator-atlassian"
    client_secret: str = "sim-secret"
    token_seconds: int = 3600
    # Children per page of the task status API.
    status_page_size: int = 20
    # Issues or pages moved per second, across the whole job (projects and spaces run one after another).
    items_per_second: float = 500.0
    check_seconds: float = 0.5
    # App migration runs on after the core migration is FINISHED, as the status guide says.
    apps_lag_seconds: float = 1.0
    # Per destination site, sliding one-minute windows (the API groups' documented limits).
    creates_per_minute: int = 5
    reads_per_minute: int = 600
