"""A job request's ``options`` and ``scope``, checked against what its type accepts (400 if not).

The rules are the contracts' models (``JOB_KINDS``), which the scheduler applies to the bus
command too; this module only turns their verdict into the API's error, with the field's path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from migrator_contracts.job_kinds import JOB_KINDS
from pydantic import BaseModel, ValidationError

from migrator_gateway.api.errors import ApiError

if TYPE_CHECKING:
    from migrator_contracts.enums import JobType
    from migrator_contracts.job_kinds import JobOptions
    from pydantic_core import ErrorDetails

Model = TypeVar("Model", bound=BaseModel)


def checked_options(job_type: JobType, options: dict[str, Any], *, field_prefix: str = "") -> JobOptions:
    """The options as the type's model, or a 400 naming each field it refuses."""
    return _validated(JOB_KINDS[job_type].options, options, f"{field_prefix}options", job_type)


def normalised_scope(job_type: JobType, scope: dict[str, Any]) -> dict[str, bool]:
    """The scope with every key of the type spelt out (omitted: everything), or a 400."""
    model = _validated(JOB_KINDS[job_type].scope, scope, "scope", job_type)
    return {name: bool(on) for name, on in model.model_dump(by_alias=True).items()}


def _validated(model: type[Model], value: dict[str, Any], where: str, job_type: JobType) -> Model:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problems = [_describe(e, model, where, job_type) for e in exc.errors(include_url=False)]
        raise ApiError(400, "VALIDATION_ERROR", "; ".join(problems[:5])) from None


def _describe(error: ErrorDetails, model: type[BaseModel], where: str, job_type: JobType) -> str:
    path = where
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    if error["type"] == "extra_forbidden" and len(error["loc"]) > 1:
        return f'{path}: unknown key (a mapping is {{"source", "dest"}})'
    if error["type"] == "extra_forbidden":
        accepted = ", ".join(f.alias or n for n, f in model.model_fields.items()) or "none"
        noun = "scope key" if where == "scope" else "option"
        return f"{path}: unknown {noun} for {job_type.value} jobs (accepted: {accepted})"
    return f"{path}: {error['msg'].removeprefix('Value error, ')}"
