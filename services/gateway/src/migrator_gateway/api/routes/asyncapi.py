"""``GET /asyncapi.json``: the bus's AsyncAPI document (every subject and message), beside the
API's ``/openapi.json``. Generated from the code by ``migrator_devstack.asyncapi`` and shipped in
``migrator_contracts``, so the gateway serves it without knowing any other service."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from starlette.responses import Response

router = APIRouter(tags=["docs"])


@cache
def document() -> bytes:
    """The committed document, read once."""
    return files("migrator_contracts").joinpath("asyncapi.json").read_bytes()


@router.get("/asyncapi.json", include_in_schema=False)
async def asyncapi() -> Response:
    """No authentication, like ``/openapi.json``."""
    return Response(document(), media_type="application/json")
