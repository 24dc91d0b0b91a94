"""A simulated MigratorAgent Windows service (and fleets of them) that speaks only HTTP to the gateway."""

from migrator_device_agent.agent import Agent, DeviceGone
from migrator_device_agent.config import AgentConfig
from migrator_device_agent.fleet import Fleet, hostname_for, ip_address_for
from migrator_device_agent.http import ApiError
from migrator_device_agent.state import AgentState, load_state
from migrator_device_agent.stats import FleetStats, Reservoir

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentState",
    "ApiError",
    "DeviceGone",
    "Fleet",
    "FleetStats",
    "Reservoir",
    "hostname_for",
    "ip_address_for",
    "load_state",
]
