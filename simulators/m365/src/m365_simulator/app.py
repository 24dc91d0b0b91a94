"""The Microsoft 365 simulator as one FastAPI app; real URLs https://{host}/{path} live at /{host}/{path}."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from m365_simulator import (
    control,
    exchange,
    graph,
    identity,
    mail_controls,
    sharepoint,
    team_controls,
    teams,
    teams_create,
    teams_import,
    transfer,
)
from m365_simulator.config import SimSettings
from m365_simulator.persistence import kept_in
from m365_simulator.state import SimState
from m365_simulator.throttling import ThrottleMiddleware


def create_app(settings: SimSettings | None = None) -> FastAPI:
    """A fresh simulator with its deterministic tenants."""
    settings = settings or SimSettings()
    state_file = Path(settings.state_file) if settings.state_file else None
    app = FastAPI(
        title="Microsoft 365 simulator",
        docs_url="/_sim/docs",
        openapi_url="/_sim/openapi.json",
        lifespan=partial(kept_in, state_file),
    )
    app.state.sim = SimState.create(settings)
    app.add_middleware(ThrottleMiddleware)
    routers = (
        control.router,
        mail_controls.router,
        team_controls.router,
        identity.router,
        graph.router,
        exchange.router,
        transfer.graph,
        transfer.outlook,
        teams.router,
        teams_create.router,
        teams_import.router,
        sharepoint.router,  # last: its routes take any host
    )
    for router in routers:
        app.include_router(router)

    @app.exception_handler(HTTPException)
    async def graph_style_error(_: Request, exc: HTTPException) -> JSONResponse:
        detail: Any = (
            exc.detail if isinstance(exc.detail, dict) else {"code": "BadRequest", "message": str(exc.detail)}
        )
        return JSONResponse({"error": detail}, exc.status_code, headers=exc.headers)

    return app
