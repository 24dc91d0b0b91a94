"""``GET /``: the dashboard, a page over the public API (no route of its own beyond /v1/session),
served with its assets from ``static/dashboard`` (Preact, htm and Pico CSS vendored there by
``tools/vendor-dashboard.sh``): nothing loads from elsewhere, and there is no build step."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from starlette.responses import FileResponse
from starlette.staticfiles import StaticFiles

ROOT = files("migrator_gateway") / "static" / "dashboard"

# Scripts and styles from the gateway only: no inline script or style, so an injected one does
# not run; connections to the gateway only (the API and its event streams); never framed.
POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",  # a new release's page is fetched at once; its assets revalidate
}

router = APIRouter(tags=["dashboard"])
router.mount("/dashboard", StaticFiles(directory=str(ROOT)))


@router.get("/", include_in_schema=False)
async def dashboard() -> FileResponse:
    return FileResponse(str(ROOT / "index.html"), media_type="text/html; charset=utf-8", headers=HEADERS)
