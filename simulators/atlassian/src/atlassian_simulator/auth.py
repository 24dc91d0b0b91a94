"""Bearer checks: cloud access tokens (per site), server personal access tokens, and API rate limits."""

from __future__ import annotations

from fastapi import Request

from atlassian_simulator.api_errors import SimError, migration_error
from atlassian_simulator.data import CloudSite, Server
from atlassian_simulator.state import Grant, SimState


def sim_state(request: Request) -> SimState:
    sim: SimState = request.app.state.sim
    return sim


def _bearer(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    return header[len("Bearer ") :].strip() if header.startswith("Bearer ") else ""


def access_grant(request: Request) -> Grant | None:
    """What the request's access token stands for, unless it is unknown or expired."""
    sim = sim_state(request)
    grant = sim.access_tokens.get(_bearer(request))
    return grant if grant is not None and grant.expires_at > sim.clock() else None


def granted_site(request: Request) -> CloudSite | None:
    """The site the request's access token was issued for."""
    grant = access_grant(request)
    return sim_state(request).sites.get(grant.site) if grant else None


def cloud_site(request: Request, cloud_id: str) -> CloudSite:
    """The product APIs' site: 401 (as api.atlassian.com answers) unless the token is for this cloudId."""
    site = granted_site(request)
    if site is None or site.cloud_id != cloud_id:
        raise SimError(401, {"code": 401, "message": "Unauthorized; scope does not match"})
    sim_state(request).settle()
    return site


def migration_site(request: Request, group: str) -> CloudSite:
    """The destination site of a migration API call, once within its API group's rate limit."""
    site = granted_site(request)
    if site is None:
        raise migration_error(401, "UNAUTHORIZED", "The access token is missing, invalid or expired")
    sim = sim_state(request)
    if sim.faults.throttle_count > 0:
        sim.faults.throttle_count -= 1
        wait: int | None = 1
    else:
        wait = sim.limits.acquire(site.host, group, now=sim.clock())
    if wait is not None:
        message = f"Rate limit exceeded for {group} calls; retry after {wait} seconds"
        raise migration_error(429, "RATE_LIMITED", message, {"Retry-After": str(wait)})
    sim.settle()
    return site


def server(request: Request, server_id: str) -> Server:
    """A Server / Data Center instance, for a caller holding its personal access token."""
    found = sim_state(request).servers.get(server_id)
    if found is None:
        raise SimError(404, {"message": f"No server {server_id}", "status-code": 404})
    if _bearer(request) != found.pat:
        raise SimError(
            401, {"message": "Client must be authenticated to access this resource.", "status-code": 401}
        )
    return found
