"""What one simulated agent is told at install time, and how fast its simulated world runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_AGENT_VERSION = "0.7.0"


@dataclass(frozen=True, kw_only=True)
class AgentConfig:
    base_url: str
    org_id: str
    state_dir: Path
    hostname: str = "DESKTOP-00001"
    ip_address: str = "10.64.0.1"
    domain: str = "corp.contoso.local"
    agent_version: str = DEFAULT_AGENT_VERSION
    enrollment_token: str | None = None
    # Check-in cadence: interval ± jitter (a fraction); the first check-in lands anywhere in the
    # first interval so a fleet started at once does not check in at once.
    checkin_interval: float = 180.0
    jitter: float = 0.1
    immediate_first_checkin: bool = False
    # Simulated work: each phase takes phase_seconds; a reboot silences the agent for reboot_seconds.
    phase_seconds: float = 2.0
    reboot_seconds: float = 5.0
    # On 404 DEVICE_NOT_FOUND: register again instead of going quiet.
    reregister_when_deleted: bool = False
    # Chance (0..1) that a command fails in one of its phases, for load runs; seed makes it repeatable.
    error_rate: float = 0.0
    seed: int | None = None
    # One HTTP operation gives up after max_attempts and is tried again at the next interval.
    max_attempts: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    request_timeout: float = 10.0

    @property
    def state_file(self) -> Path:
        """The agent's "registry": one JSON file per agent, named after its hostname."""
        return self.state_dir / f"{self.hostname}.json"
