"""compose.yaml passes its checks, and each check catches the mistake it is there for.

A mistake is made in a copy of the real file (a text edit, or an edit of the parsed document), so
every test also fails if the real file stops having the shape it relies on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from migrator_deploy_check.compose import InterpolationError, check_compose, check_schema, interpolate

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = (ROOT / "compose.yaml").read_text(encoding="utf-8")
OBSERVABILITY = ROOT / "deploy" / "observability"


def edited(tmp_path: Path, old: str, new: str, *, count: int = 1) -> list[str]:
    """The problems of compose.yaml with ``old`` (found ``count`` times) replaced by ``new``."""
    assert COMPOSE.count(old) == count, f"compose.yaml no longer holds {old!r} {count} time(s)"
    path = tmp_path / "compose.yaml"
    path.write_text(COMPOSE.replace(old, new), encoding="utf-8")
    return check_compose(ROOT, path)


def changed(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> list[str]:
    """The problems of compose.yaml once ``change`` has edited its parsed (merged) document."""
    doc = yaml.safe_load(COMPOSE)
    change(doc)
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return check_compose(ROOT, path)


def mentions(problems: list[str], *words: str) -> bool:
    return any(all(word in problem for word in words) for problem in problems)


def test_the_real_compose_file_passes() -> None:
    assert check_compose(ROOT) == []


def test_the_parsed_and_dumped_copy_passes_too(tmp_path: Path) -> None:
    # The premise of the tests that edit the parsed document: dumping it changes nothing checked.
    assert changed(tmp_path, lambda doc: None) == []


# --- the schema -----------------------------------------------------------------------------------


def test_a_schema_violation_is_caught(tmp_path: Path) -> None:
    problems = edited(
        tmp_path, "  stop_grace_period: 30s\n", "  stop_grace_period: 30s\n  restartt: always\n"
    )
    assert mentions(problems, "schema", "restartt"), problems


def test_a_wrongly_typed_field_is_caught() -> None:
    doc = yaml.safe_load(COMPOSE)
    doc["services"]["nats"]["healthcheck"]["retries"] = ["twelve"]
    assert mentions(check_schema(doc), "schema: services.nats.healthcheck.retries"), check_schema(doc)


def test_yaml_that_does_not_parse_is_reported(tmp_path: Path) -> None:
    problems = edited(tmp_path, "services:\n", "services: [\n")
    assert mentions(problems, "cannot be read as YAML"), problems


# --- settings -------------------------------------------------------------------------------------


def test_a_misspelled_setting_is_caught_with_a_suggestion(tmp_path: Path) -> None:
    # Both M365 connectors set it.
    problems = edited(tmp_path, "      MIGRATOR_M365_BASE_URL:", "      MIGRATOR_M365_BASEURL:", count=2)
    for service in ("sp-connector", "mail-teams-connector"):
        assert mentions(problems, service, "MIGRATOR_M365_BASEURL", "did you mean MIGRATOR_M365_BASE_URL"), (
            problems
        )


def test_a_setting_of_another_service_is_caught(tmp_path: Path) -> None:
    def give_the_scheduler_a_gateway_setting(doc: dict[str, Any]) -> None:
        doc["services"]["scheduler"]["environment"]["MIGRATOR_BOOTSTRAP_KEYS"] = "org:key"

    problems = changed(tmp_path, give_the_scheduler_a_gateway_setting)
    assert mentions(problems, "services.scheduler", "MIGRATOR_BOOTSTRAP_KEYS", "SchedulerSettings"), problems


def test_a_simulator_setting_is_checked_against_the_simulator(tmp_path: Path) -> None:
    problems = edited(tmp_path, "      M365SIM_BLOB_URL:", "      M365SIM_BLOBS_URL:")
    assert mentions(problems, "m365-simulator", "M365SIM_BLOBS_URL", "m365_simulator.config:SimSettings"), (
        problems
    )


def test_a_value_the_settings_refuse_is_caught(tmp_path: Path) -> None:
    problems = edited(tmp_path, "${MIGRATOR_TRACES_EXPORTER:-none}", "${MIGRATOR_TRACES_EXPORTER:-otpl}")
    assert mentions(problems, "services.gateway", "traces_exporter='otpl'"), problems


def test_a_variable_the_device_agent_does_not_read_is_caught(tmp_path: Path) -> None:
    def configure_the_agent_like_a_service(doc: dict[str, Any]) -> None:
        doc["services"]["device-agent"]["environment"] = {"MIGRATOR_ORG_ID": "org_1"}

    problems = changed(tmp_path, configure_the_agent_like_a_service)
    assert mentions(problems, "device-agent", "MIGRATOR_ORG_ID", "does not read"), problems


# --- programs, ports and healthchecks -------------------------------------------------------------


def test_a_module_that_does_not_exist_is_caught(tmp_path: Path) -> None:
    problems = edited(tmp_path, '"-m", "migrator_log_stream"]', '"-m", "migrator_logstream"]')
    assert mentions(problems, "log-stream", "migrator_logstream", "does not have"), problems


def test_a_command_that_is_not_python_m_is_caught(tmp_path: Path) -> None:
    problems = edited(tmp_path, '["python", "-m", "migrator_scheduler"]', '["migrator-scheduler"]')
    assert mentions(problems, "scheduler", "is not 'python -m <module>'"), problems


def test_a_built_service_without_a_healthcheck_is_caught(tmp_path: Path) -> None:
    problems = changed(tmp_path, lambda doc: doc["services"]["scheduler"].pop("healthcheck"))
    assert mentions(problems, "services.scheduler: has no healthcheck"), problems


def test_a_built_service_may_not_disable_its_healthcheck(tmp_path: Path) -> None:
    def disable(doc: dict[str, Any]) -> None:
        doc["services"]["log-stream"]["healthcheck"] = {"disable": True}

    assert mentions(changed(tmp_path, disable), "services.log-stream: has no healthcheck")


def test_a_bus_service_without_a_health_port_is_caught(tmp_path: Path) -> None:
    problems = changed(
        tmp_path, lambda doc: doc["services"]["device-hub"]["environment"].pop("MIGRATOR_HEALTH_PORT")
    )
    assert mentions(problems, "device-hub", "sets no MIGRATOR_HEALTH_PORT"), problems


def test_a_healthcheck_probing_another_port_is_caught(tmp_path: Path) -> None:
    problems = edited(tmp_path, "os.environ['MIGRATOR_HTTP_PORT']", "'8080'")
    assert mentions(problems, "gateway", "healthcheck probes neither MIGRATOR_HTTP_PORT (8000)"), problems


def test_a_gateway_without_an_operations_port_is_caught(tmp_path: Path) -> None:
    # The gateway serves /metrics on MIGRATOR_HEALTH_PORT, not on its API port.
    problems = changed(
        tmp_path, lambda doc: doc["services"]["gateway"]["environment"].pop("MIGRATOR_HEALTH_PORT")
    )
    assert mentions(problems, "services.gateway", "sets no MIGRATOR_HEALTH_PORT"), problems


def test_a_gateway_serving_its_api_and_operations_on_one_port_is_caught(tmp_path: Path) -> None:
    def one_port(doc: dict[str, Any]) -> None:
        doc["services"]["gateway"]["environment"]["MIGRATOR_HEALTH_PORT"] = "8000"

    problems = changed(tmp_path, one_port)
    assert mentions(
        problems, "services.gateway", "MIGRATOR_HTTP_PORT and MIGRATOR_HEALTH_PORT are both 8000"
    ), problems


def test_a_program_listening_on_loopback_is_caught(tmp_path: Path) -> None:
    problems = edited(tmp_path, "M365SIM_HOST: 0.0.0.0", "M365SIM_HOST: 127.0.0.1")
    assert mentions(problems, "m365-simulator", "M365SIM_HOST is not 0.0.0.0"), problems


# --- dependencies and profiles --------------------------------------------------------------------


def test_waiting_for_a_service_without_healthcheck_is_caught(tmp_path: Path) -> None:
    problems = changed(tmp_path, lambda doc: doc["services"]["azurite"].pop("healthcheck"))
    assert mentions(problems, "m365-simulator", "waits for 'azurite' to be healthy"), problems
    assert mentions(problems, "services.azurite: has no healthcheck"), problems


def test_depending_on_a_missing_service_is_caught(tmp_path: Path) -> None:
    problems = edited(
        tmp_path,
        "      m365-simulator: {condition: service_healthy}",
        "      m365-sim: {condition: service_healthy}",
        count=2,
    )
    for service in ("sp-connector", "mail-teams-connector"):
        assert mentions(problems, service, "depends on 'm365-sim', which is not a service"), problems


def test_depending_on_an_opt_in_service_is_caught(tmp_path: Path) -> None:
    def wait_for_jaeger(doc: dict[str, Any]) -> None:
        doc["services"]["scheduler"]["depends_on"]["jaeger"] = {"condition": "service_healthy"}

    problems = changed(tmp_path, wait_for_jaeger)
    assert mentions(problems, "scheduler", "runs by default but depends on 'jaeger'", "observability"), (
        problems
    )


def test_waiting_for_the_collector_that_cannot_be_probed_is_caught(tmp_path: Path) -> None:
    def wait_for_the_collector(doc: dict[str, Any]) -> None:
        doc["services"]["prometheus"]["depends_on"] = {"otel-collector": {"condition": "service_healthy"}}

    problems = changed(tmp_path, wait_for_the_collector)
    assert mentions(problems, "prometheus", "waits for 'otel-collector' to be healthy"), problems


def test_a_required_variable_in_an_opt_in_service_is_caught(tmp_path: Path) -> None:
    problems = edited(tmp_path, '"${MIGRATOR_ORG_ID:-}"', '"${MIGRATOR_ORG_ID:?set MIGRATOR_ORG_ID}"')
    assert mentions(problems, "device-agent", "--profile agents", "MIGRATOR_ORG_ID"), problems


def test_traces_exported_by_default_to_an_opt_in_collector_are_caught(tmp_path: Path) -> None:
    problems = edited(tmp_path, "${MIGRATOR_TRACES_EXPORTER:-none}", "${MIGRATOR_TRACES_EXPORTER:-otlp}")
    assert mentions(problems, "services.gateway", "exports traces to otel-collector by default"), problems
    assert mentions(problems, "services.scheduler", "exports traces to otel-collector by default"), problems


# --- URLs that browsers and services share ------------------------------------------------------


def test_a_consent_url_only_containers_can_resolve_is_caught(tmp_path: Path) -> None:
    # The first draft's mistake: the authUrl built from it sends the browser to an internal name.
    problems = edited(
        tmp_path,
        "MIGRATOR_M365_BASE_URL: http://m365-simulator.localhost:18080",
        "MIGRATOR_M365_BASE_URL: http://m365-simulator:18080",
        count=2,
    )
    assert mentions(problems, "sp-connector", "a browser on the host cannot resolve 'm365-simulator'"), (
        problems
    )


def test_a_consent_url_the_containers_cannot_resolve_is_caught(tmp_path: Path) -> None:
    problems = edited(tmp_path, "aliases: [atlassian-simulator.localhost]", "aliases: [atlassian.localhost]")
    assert mentions(
        problems, "atlassian-connector", "MIGRATOR_ATLASSIAN_AUTH_URL", "neither a service nor"
    ), problems


def test_a_simulator_published_on_another_port_is_caught(tmp_path: Path) -> None:
    problems = edited(tmp_path, ":18080:18080", ":18090:18080")
    assert mentions(problems, "sp-connector", "m365-simulator publishes no port 18080"), problems


def test_a_simulator_listening_on_another_port_is_caught(tmp_path: Path) -> None:
    problems = edited(tmp_path, 'ATLSIM_PORT: "18081"', 'ATLSIM_PORT: "8081"')
    assert mentions(problems, "atlassian-connector", "atlassian-simulator listens on 8081, not 18081"), (
        problems
    )


def test_a_gateway_public_url_nothing_publishes_is_caught(tmp_path: Path) -> None:
    problems = edited(
        tmp_path,
        "${MIGRATOR_PUBLIC_URL:-http://127.0.0.1:8000}",
        "${MIGRATOR_PUBLIC_URL:-http://127.0.0.1:8080}",
    )
    assert mentions(problems, "gateway", "MIGRATOR_PUBLIC_URL", "publishes no port 8080"), problems


def test_a_bus_url_naming_no_service_is_caught(tmp_path: Path) -> None:
    problems = edited(tmp_path, "MIGRATOR_NATS_URL: nats://nats:4222", "MIGRATOR_NATS_URL: nats://natz:4222")
    assert mentions(problems, "MIGRATOR_NATS_URL=nats://natz:4222", "'natz' is neither a service"), problems


# --- volumes and the observability files --------------------------------------------------------


def test_an_undeclared_volume_is_caught(tmp_path: Path) -> None:
    problems = edited(tmp_path, "volumes: [nats-data:/data]", "volumes: [nats-state:/data]")
    assert mentions(problems, "services.nats", "'nats-state', not declared"), problems


def test_a_missing_config_file_is_caught(tmp_path: Path) -> None:
    problems = edited(
        tmp_path, "./deploy/observability/prometheus.yml", "./deploy/observability/prometheus.yaml"
    )
    assert mentions(problems, "configs.prometheus", "does not exist"), problems


def _with_config(tmp_path: Path, config: str, name: str, text: str) -> list[str]:
    """compose.yaml with the config ``config`` read from a file holding ``text``."""
    file = tmp_path / name
    file.write_text(text, encoding="utf-8")
    original = f"./deploy/observability/{name}"
    return edited(tmp_path, original, str(file))


def test_a_config_file_that_does_not_parse_is_caught(tmp_path: Path) -> None:
    problems = _with_config(tmp_path, "prometheus", "prometheus.yml", "scrape_configs: [\n")
    assert mentions(problems, "configs.prometheus", "does not parse"), problems


def test_a_service_prometheus_does_not_scrape_is_caught(tmp_path: Path) -> None:
    text = (OBSERVABILITY / "prometheus.yml").read_text(encoding="utf-8")
    assert "device-hub, " in text
    problems = _with_config(tmp_path, "prometheus", "prometheus.yml", text.replace("device-hub, ", ""))
    assert mentions(problems, "does not scrape device-hub's /metrics at device-hub:8081"), problems


def test_prometheus_scraping_the_gateway_api_port_is_caught(tmp_path: Path) -> None:
    text = (OBSERVABILITY / "prometheus.yml").read_text(encoding="utf-8")
    assert "names: [gateway, " in text
    moved = text.replace("names: [gateway, ", "names: [") + (
        "  - job_name: gateway-api\n    static_configs:\n      - targets: [gateway:8000]\n"
    )
    problems = _with_config(tmp_path, "prometheus", "prometheus.yml", moved)
    assert mentions(problems, "does not scrape gateway's /metrics at gateway:8081"), problems


def test_a_scrape_target_that_is_not_a_service_is_caught(tmp_path: Path) -> None:
    text = (OBSERVABILITY / "prometheus.yml").read_text(encoding="utf-8")
    problems = _with_config(
        tmp_path, "prometheus", "prometheus.yml", text.replace("log-stream]", "log-stream, logstream]")
    )
    assert mentions(problems, "scrapes logstream:8081", "not a service"), problems


def test_a_collector_pipeline_naming_an_undefined_exporter_is_caught(tmp_path: Path) -> None:
    text = (OBSERVABILITY / "otel-collector.yaml").read_text(encoding="utf-8")
    assert "exporters: [otlp/jaeger]" in text
    broken = text.replace("exporters: [otlp/jaeger]", "exporters: [otlp/jaeger, debug]")
    problems = _with_config(tmp_path, "otel-collector", "otel-collector.yaml", broken)
    assert mentions(problems, "pipeline traces uses exporter 'debug', not defined"), problems


def test_a_collector_receiving_on_loopback_only_is_caught(tmp_path: Path) -> None:
    text = (OBSERVABILITY / "otel-collector.yaml").read_text(encoding="utf-8")
    broken = text.replace("endpoint: 0.0.0.0:4318", "endpoint: localhost:4318")
    assert broken != text
    problems = _with_config(tmp_path, "otel-collector", "otel-collector.yaml", broken)
    assert mentions(problems, "OTLP/http receiver listens on localhost:4318"), problems


def test_a_collector_exporting_to_no_service_is_caught(tmp_path: Path) -> None:
    text = (OBSERVABILITY / "otel-collector.yaml").read_text(encoding="utf-8")
    broken = text.replace("endpoint: jaeger:4317", "endpoint: tempo:4317")
    assert broken != text
    problems = _with_config(tmp_path, "otel-collector", "otel-collector.yaml", broken)
    assert mentions(problems, "exporter otlp/jaeger sends to tempo:4317, not a service"), problems


# --- interpolation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A:-x}", {}, "x"),
        ("${A:-x}", {"A": ""}, "x"),
        ("${A-x}", {"A": ""}, ""),
        ("${A:-${B:-inner}}", {}, "inner"),
        ("${A:+set}", {"A": "1"}, "set"),
        ("${A:+set}", {}, ""),
        ("${A:?set A (it matters)}:${B}", {"B": "b"}, "<A>:b"),
        ("$A/$$HOME", {"A": "a"}, "a/$HOME"),
        ("${A}", {"A": "value"}, "value"),
    ],
)
def test_interpolation_follows_compose(text: str, env: dict[str, str], expected: str) -> None:
    assert interpolate(text, env) == expected


@pytest.mark.parametrize("text", ["${A", "${-x}", "cost: 5$", "${A:x}"])
def test_interpolation_refuses_what_compose_refuses(text: str) -> None:
    with pytest.raises(InterpolationError):
        interpolate(text, {})
