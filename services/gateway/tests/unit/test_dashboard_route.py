"""GET /: the dashboard and everything it loads come from the gateway, under a strict policy."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from migrator_gateway.app import create_app
from migrator_gateway.config import GatewaySettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[4]
VENDORED = Path(str(files("migrator_gateway") / "static" / "dashboard" / "vendor"))
REFERENCES = re.compile(r'<(?:link|script|img)\b[^>]*?\s(?:src|href)="([^"]+)"')  # what the page loads
IMPORTS = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*["']([^"']+)["']""")


async def test_the_page_and_every_module_it_imports_come_from_the_gateway(tmp_path: Path) -> None:
    app = create_app(GatewaySettings(data_dir=tmp_path))  # no lifespan: static routes need no client
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        page = await http.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe" not in policy  # no inline script or style, no eval
        assert "<script>" not in page.text and "style=" not in page.text
        # Walk the page's references and, through each module, its imports.
        # (data: URLs are inline, so no request: the empty favicon that spares one)
        refs = [ref for ref in REFERENCES.findall(page.text) if not ref.startswith("data:")]
        pending = [urljoin("http://gateway/", ref) for ref in refs]
        seen: set[str] = set()
        while pending:
            url = pending.pop()
            if url in seen:
                continue
            seen.add(url)
            assert url.startswith("http://gateway/dashboard/"), f"loaded from elsewhere: {url}"
            response = await http.get(url)
            assert response.status_code == 200 and response.content, url
            if url.endswith((".js", ".mjs")):
                assert "javascript" in response.headers["content-type"], url  # else modules refuse it
                pending += [urljoin(url, spec) for spec in IMPORTS.findall(response.text)]
        assert any(u.endswith("/vendor/preact.mjs") for u in seen) and any(u.endswith(".css") for u in seen)
    assert "/" not in app.openapi()["paths"]


def test_the_vendored_toolkit_is_the_versions_tools_package_json_pins() -> None:
    """tools/vendor-dashboard.sh copies it; a version bump without a new copy fails here."""
    pinned = json.loads((ROOT / "tools" / "package.json").read_text())["dependencies"]
    vendored = dict(line.split() for line in (VENDORED / "VERSIONS").read_text().splitlines())
    assert vendored == {name: pinned[name] for name in ("preact", "htm", "@picocss/pico")}
    installed = ROOT / "tools" / "node_modules"
    if installed.is_dir():  # after `make install`: the copies are the packages' own files
        assert (VENDORED / "preact.mjs").read_bytes() == (installed / "preact/dist/preact.mjs").read_bytes()
        assert (VENDORED / "htm.mjs").read_bytes() == (installed / "htm/dist/htm.mjs").read_bytes()
        pico = installed / "@picocss/pico/css/pico.min.css"
        assert (VENDORED / "pico.min.css").read_bytes() == pico.read_bytes()
