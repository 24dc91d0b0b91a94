"""Validating a migration job definition against the source server and the caller's destination site."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from atlassian_simulator.api_errors import InvalidRequest
from atlassian_simulator.data import Server
from atlassian_simulator.flows import FLOWS, Flow

_USER_MODES = ("ALL", "REFERENCED")


@dataclass(frozen=True)
class JobSpec:
    flow: Flow
    name: str
    server_id: str
    keys: tuple[str, ...]
    app_keys: tuple[str, ...]
    global_entities: bool
    definition: dict[str, Any]  # echoed back as ``jobDefinition``


def _strings(value: Any) -> list[str] | None:
    return list(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def _scope_keys(flow: Flow, scope: Any, server: Server | None, errors: list[tuple[str, str]]) -> list[str]:
    other = "spaces" if flow.container == "projects" else "projects"
    if not isinstance(scope, dict) or flow.container not in scope:
        if isinstance(scope, dict) and other in scope:
            errors.append(("SCOPE_MISMATCH", f"Flow {flow.name} migrates {flow.container}, not {other}"))
        else:
            errors.append(("INVALID_SCOPE", f"scope.{flow.container} is required for {flow.name}"))
        return []
    if other in scope:
        errors.append(("SCOPE_MISMATCH", f"Flow {flow.name} cannot migrate {other}"))
    section = scope[flow.container]
    keys = _strings(section.get("includedKeys")) if isinstance(section, dict) else None
    if not keys:
        errors.append(
            ("INVALID_SCOPE", f"scope.{flow.container}.includedKeys must be a non-empty list of keys")
        )
        return []
    if str(section.get("includedData", "")).lower() != "all":
        errors.append(
            ("INVALID_SCOPE", f'scope.{flow.container}.includedData must be "{flow.included_data}"')
        )
    held: set[str] = set()
    if server is not None:
        held = set(server.projects if flow.container == "projects" else server.spaces)
    for key in keys if server is not None else []:
        if key not in held:
            errors.append(("KEY_NOT_FOUND", f"{flow.noun.capitalize()} {key} does not exist on the source"))
    return list(dict.fromkeys(keys))


def parse_job(body: Any, *, servers: Mapping[str, Server], site_url: str) -> JobSpec:
    """The job a create call defines, or ``InvalidRequest`` naming every problem."""
    if not isinstance(body, dict):
        raise InvalidRequest([("INVALID_REQUEST", "The request body must be a JSON object")])
    errors: list[tuple[str, str]] = []
    flow = FLOWS.get(str(body.get("flow")))
    if flow is None:
        errors.append(("INVALID_FLOW", f"flow must be one of {', '.join(FLOWS)}"))
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append(("INVALID_NAME", "name is required"))
    source = body.get("source")
    server_id = str(source.get("serverId", "")) if isinstance(source, dict) else ""
    server = servers.get(server_id)
    if server is None:
        errors.append(("SOURCE_NOT_FOUND", f"No server with serverId '{server_id}' is connected"))
    elif flow is not None and flow.product not in server.products:
        errors.append(("PRODUCT_NOT_ON_SOURCE", f"Server {server_id} does not run {flow.product}"))
    destination = body.get("destination")
    url = str(destination.get("url", "")) if isinstance(destination, dict) else ""
    if url.rstrip("/").lower() != site_url.lower():
        errors.append(("INVALID_DESTINATION", f"destination.url must be the token's cloud site, {site_url}"))
    keys = _scope_keys(flow, body.get("scope"), server, errors) if flow else []
    users = body.get("usersAndGroups", {"mode": "ALL"})
    if not isinstance(users, dict) or str(users.get("mode", "")).upper() not in _USER_MODES:
        errors.append(
            ("INVALID_USERS_AND_GROUPS", f"usersAndGroups.mode must be one of {', '.join(_USER_MODES)}")
        )
    apps = body.get("apps", {})
    app_keys = _strings(apps.get("includedKeys", [])) if isinstance(apps, dict) else None
    if app_keys is None:
        errors.append(("INVALID_APPS", "apps.includedKeys must be a list of app keys"))
    global_entities = body.get("globalEntities", {})
    if not isinstance(global_entities, dict):
        errors.append(("INVALID_GLOBAL_ENTITIES", "globalEntities must be an object"))
    if errors or flow is None or not isinstance(name, str):
        raise InvalidRequest(errors)
    return JobSpec(
        flow, name, server_id, tuple(keys), tuple(app_keys or ()), bool(global_entities), dict(body)
    )
