"""Validating a create-task call: ``check`` with ``checkTypes``, ``migrate`` with ``overrideChecks``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from atlassian_simulator.api_errors import InvalidRequest


@dataclass(frozen=True)
class TaskRequest:
    task_type: str  # "check" | "migrate"
    checks: tuple[str, ...]  # the checks to run
    overrides: tuple[str, ...]
    payload: dict[str, Any]  # the options as listed back by the task list


def _names(value: Any, where: str, known: Sequence[str], errors: list[tuple[str, str]]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(("INVALID_OPTIONS", f"{where} must be a list of check names"))
        return []
    for name in value:
        if name not in known:
            errors.append(("INVALID_CHECK_TYPE", f"{where}: unknown check {name}"))
    return list(value)


def parse_task(body: Any, *, known_checks: Sequence[str]) -> TaskRequest:
    """The task a create call asks for (the task type in any case), or ``InvalidRequest``."""
    if not isinstance(body, dict):
        raise InvalidRequest([("INVALID_REQUEST", "The request body must be a JSON object")])
    task_type = str(body.get("task", "")).lower()
    options = body.get("options") or {}
    errors: list[tuple[str, str]] = []
    if task_type not in ("check", "migrate"):
        raise InvalidRequest([("INVALID_TASK", 'task must be "check" or "migrate"')])
    if not isinstance(options, dict):
        raise InvalidRequest([("INVALID_OPTIONS", "options must be an object")])
    allowed = {"check": {"checkTypes"}, "migrate": {"overrideChecks"}}[task_type]
    for extra in sorted(set(options) - allowed):
        errors.append(("INVALID_OPTIONS", f"option {extra} does not apply to a {task_type} task"))
    checks, overrides = list(known_checks), []
    if task_type == "check" and "checkTypes" in options:
        types = options["checkTypes"]
        if not isinstance(types, dict):
            errors.append(("INVALID_OPTIONS", "checkTypes must be an object"))
        else:
            if "includeKeys" in types:
                included = set(_names(types["includeKeys"], "checkTypes.includeKeys", known_checks, errors))
                checks = [c for c in checks if c in included]
            if "excludeKeys" in types:
                excluded = set(_names(types["excludeKeys"], "checkTypes.excludeKeys", known_checks, errors))
                checks = [c for c in checks if c not in excluded]
    if task_type == "migrate" and "overrideChecks" in options:
        overrides = _names(options["overrideChecks"], "overrideChecks", known_checks, errors)
    if errors:
        raise InvalidRequest(errors)
    return TaskRequest(task_type, tuple(checks), tuple(overrides), dict(options))
