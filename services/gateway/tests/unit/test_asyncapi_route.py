"""GET /asyncapi.json: the bus's AsyncAPI document, served without a key, like /openapi.json."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import httpx
import pytest
from migrator_gateway.app import create_app
from migrator_gateway.config import GatewaySettings

pytestmark = pytest.mark.unit


async def test_the_bus_document_is_served_without_a_key(tmp_path: Path) -> None:
    app = create_app(GatewaySettings(data_dir=tmp_path))  # no lifespan: this route needs no client
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        response = await http.get("/asyncapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document == json.loads(files("migrator_contracts").joinpath("asyncapi.json").read_text("utf-8"))
    assert document["asyncapi"] == "3.0.0"
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert {"migrator.cmd.job.create", "migrator.rpc.devices.checkin"} <= addresses
    assert "/asyncapi.json" not in app.openapi()["paths"]  # like /openapi.json, not an API operation
