"""GET /docs: Swagger UI served by the gateway itself, so it works on a network without internet."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import httpx
import pytest
from migrator_gateway.app import create_app
from migrator_gateway.config import GatewaySettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[4]
VENDORED = Path(str(files("migrator_gateway") / "static" / "swagger-ui"))


async def test_the_docs_page_and_everything_it_loads_come_from_the_gateway(tmp_path: Path) -> None:
    app = create_app(GatewaySettings(data_dir=tmp_path))  # no lifespan: these routes need no client
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        page = await http.get("/docs")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "//" not in re.sub(r"<!--.*?-->", "", page.text), "no absolute URL: nothing from elsewhere"
        loaded = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(r"url: '([^']+)'", page.text)
        assert set(loaded) == {
            "/static/swagger-ui/swagger-ui.css",
            "/static/swagger-ui/favicon-32x32.png",
            "/static/swagger-ui/swagger-ui-bundle.js",
            "/openapi.json",
        }
        for path in loaded:
            response = await http.get(path)
            assert response.status_code == 200, path
            assert response.content, path
        assert (await http.get("/redoc")).status_code == 404  # FastAPI's ReDoc page loads from a CDN
    assert "/docs" not in app.openapi()["paths"]


def test_the_vendored_swagger_ui_is_the_version_tools_package_json_pins() -> None:
    """tools/vendor-swagger-ui.sh copies it; a version bump without a new copy fails here."""
    pinned = json.loads((ROOT / "tools" / "package.json").read_text())["dependencies"]["swagger-ui-dist"]
    assert (VENDORED / "VERSION").read_text().strip() == pinned
    installed = ROOT / "tools" / "node_modules" / "swagger-ui-dist"
    if installed.is_dir():  # after `make install`: the copy is the package's own files
        for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"):
            assert (VENDORED / name).read_bytes() == (installed / name).read_bytes(), name
