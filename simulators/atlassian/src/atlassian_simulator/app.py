"""The Atlassian simulator as one FastAPI app: every real host lives under a path prefix of one base URL.

auth.atlassian.com -> /auth, api.atlassian.com -> /api, a Server / Data Center -> /server/{serverId}.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from atlassian_simulator import cloud, control, inspection, migration_jobs, migration_tasks, oauth, onpremises
from atlassian_simulator.api_errors import InvalidRequest, SimError, errors_body
from atlassian_simulator.config import SimSettings
from atlassian_simulator.persistence import kept_in
from atlassian_simulator.state import SimState


def create_app(settings: SimSettings | None = None) -> FastAPI:
    """A fresh simulator: two empty cloud sites and one seeded Data Center instance."""
    settings = settings or SimSettings()
    app = FastAPI(
        title="Atlassian simulator",
        docs_url="/_sim/docs",
        openapi_url="/_sim/openapi.json",
        lifespan=partial(kept_in, Path(settings.state_file) if settings.state_file else None),
    )
    app.state.sim = SimState(settings)
    for module in (control, inspection, oauth, cloud, onpremises, migration_jobs, migration_tasks):
        app.include_router(module.router)

    @app.exception_handler(SimError)
    async def sim_error(_: Request, exc: SimError) -> JSONResponse:
        return JSONResponse(exc.body, exc.status, headers=exc.headers)

    @app.exception_handler(InvalidRequest)
    async def invalid_request(_: Request, exc: InvalidRequest) -> JSONResponse:
        return JSONResponse(errors_body(exc.errors), 400)

    return app
