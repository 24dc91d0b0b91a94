"""``GET /docs``: Swagger UI over ``/openapi.json``, served by the gateway itself from a copy of
swagger-ui-dist in ``static/swagger-ui`` (``tools/vendor-swagger-ui.sh`` makes it). FastAPI's own
page loads Swagger UI from a CDN: on a network without internet, as partners' locked-down
networks often are, it was a blank page."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS = "/static/swagger-ui"

router = APIRouter(tags=["docs"])
router.mount(ASSETS, StaticFiles(directory=str(files("migrator_gateway") / "static" / "swagger-ui")))


@router.get("/docs", include_in_schema=False)
async def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")  # behind a proxy that serves the API under a prefix
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title="Migrator API",
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
        # No validity badge: Swagger UI would ask validator.swagger.io for it.
        swagger_ui_parameters={"validatorUrl": None},
    )
