"""The compose target's own wiring, checked without Docker: what `make e2e-compose` hands to
`docker compose` must be valid and must match compose.yaml (names, ports, required variables)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from compose_target import OPS_PORT, PUBLISHED, ROOT, SERVICES, ComposeStack
from migrator_deploy_check.compose import check_schema, interpolate

pytestmark = pytest.mark.unit


def compose_doc(env: dict[str, str]) -> dict[str, object]:
    return dict(yaml.safe_load(interpolate((ROOT / "compose.yaml").read_text(), env)))


def test_the_override_is_valid_compose_and_names_only_services_compose_yaml_has(tmp_path: Path) -> None:
    stack = ComposeStack(
        data_dir=tmp_path,
        env={
            "MIGRATOR_BOOTSTRAP_KEYS": "org_A:tmk_test_a,org_B:tmk_test_b",
            "MIGRATOR_ACK_WAIT_SECONDS": "6",
            "M365SIM_OBJECT_DELAY_MS": "40",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
        },
    )
    override = yaml.safe_load(stack._override().read_text())
    assert check_schema(override) == []
    declared = set(
        compose_doc({"MIGRATOR_ORG_ID": "org_A", "MIGRATOR_API_KEY": "k"} | _secrets())["services"]
    )  # type: ignore[arg-type]
    assert set(override["services"]) <= declared
    assert set(SERVICES) <= declared
    gateway = override["services"]["gateway"]["environment"]
    assert gateway["MIGRATOR_BOOTSTRAP_KEYS"] == "org_A:tmk_test_a,org_B:tmk_test_b"
    assert gateway["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://host.docker.internal:4318"
    assert override["services"]["m365-simulator"]["environment"] == {"M365SIM_OBJECT_DELAY_MS": "40"}


def test_the_addresses_the_suite_uses_are_the_ones_compose_yaml_publishes() -> None:
    text = (ROOT / "compose.yaml").read_text()
    for name, url in PUBLISHED.items():
        port = re.search(r":(\d+)$", url.rstrip("/"))
        assert port, url
        assert f":{port.group(1)}:{port.group(1)}" in text or f'"{port.group(1)}:{port.group(1)}"' in text, (
            f"{name}: compose.yaml does not publish {port.group(1)}"
        )
    assert f'MIGRATOR_HEALTH_PORT: "{OPS_PORT}"' in text
    for simulator in ("m365-simulator", "atlassian-simulator"):
        assert PUBLISHED[simulator].split("//")[1].split(":")[0] in text, f"{simulator}'s public name"


def _secrets() -> dict[str, str]:
    return {
        "MIGRATOR_SECRETS_KEY": "a" * 44,
        "MIGRATOR_M365_CLIENT_SECRET": "s",
        "MIGRATOR_ATLASSIAN_CLIENT_SECRET": "s",
    }


def test_the_gateway_is_published_on_8000_or_on_a_range_of_ports_one_per_replica() -> None:
    secrets = {"MIGRATOR_ORG_ID": "org_A", "MIGRATOR_API_KEY": "k"} | _secrets()
    gateway = compose_doc(secrets)["services"]["gateway"]  # type: ignore[index]
    assert gateway["ports"] == ["127.0.0.1:8000:8000"]
    scaled = compose_doc(secrets | {"MIGRATOR_GATEWAY_PORT": "8000-8001"})["services"]["gateway"]  # type: ignore[index]
    assert scaled["ports"] == ["127.0.0.1:8000-8001:8000"]
    assert check_schema(compose_doc(secrets | {"MIGRATOR_GATEWAY_PORT": "8000-8001"})) == []


def test_without_a_registry_nothing_is_pulled_and_the_store_is_said_to_be_the_wire_server() -> None:
    """deploy/compose/no-registry.yaml gives every service of the default profile an image built
    here: one compose.yaml would pull (an `image:` without a `build:`) would fail on such a machine."""
    secrets = {"MIGRATOR_ORG_ID": "org_A", "MIGRATOR_API_KEY": "k"} | _secrets()
    base = compose_doc(secrets)["services"]
    override = yaml.safe_load((ROOT / "deploy/compose/no-registry.yaml").read_text())
    assert check_schema(override) == []
    services = override["services"]
    assert set(services) <= set(base)  # type: ignore[arg-type]
    default_profile = {name for name, svc in base.items() if not svc.get("profiles")}  # type: ignore[union-attr]
    for name in default_profile:
        built = "build" in base[name] or "build" in services.get(name, {})  # type: ignore[index]
        assert built, f"{name}: compose.yaml pulls its image and no-registry.yaml builds none"
        if "build" in base[name]:  # type: ignore[index]
            args = services[name]["build"]["args"]
            assert args == {
                "BASE_IMAGE": "migrator-local/bookworm:latest",
                "UV_IMAGE": "migrator-local/uv:latest",
            }
    # The wire server is no replica set: every service that reads the store connects directly.
    for name, svc in base.items():  # type: ignore[union-attr]
        if "MIGRATOR_MONGO_URL" in svc.get("environment", {}):
            url = services[name]["environment"]["MIGRATOR_MONGO_URL"]
            assert url == "mongodb://mongo:27017/?directConnection=true", name
    # Every local image's Dockerfile is one local-images.sh puts in its build context.
    script = (ROOT / "deploy/compose/local-images.sh").read_text()
    for name, svc in services.items():
        context = svc.get("build", {}).get("context", ".")
        if context != ".":
            image = Path(context).name
            assert f"deploy/compose/local/{image}.Dockerfile" in script, name
            assert (ROOT / "deploy/compose/local" / f"{image}.Dockerfile").is_file(), name
