"""Checks ``compose.yaml`` without Docker: the compose-spec schema, then what a schema cannot see.

The file is read as ``docker compose`` reads it on a fresh machine: YAML merge keys resolved, then
``${VAR:-default}`` interpolated with no variable set (a required ``${VAR:?message}`` stands in as
``<VAR>``). On top of the schema, for every service:

- it has a healthcheck (an image without any client may disable it, and then nothing may wait for
  it to be healthy); ``depends_on`` names services that exist, healthy-checked ones when the
  condition is ``service_healthy``, never one that only runs in a profile the dependent is not in;
- a service built from the Dockerfile runs ``python -m <module>`` with a module that exists in the
  workspace, and every ``MIGRATOR_*`` (``M365SIM_*``, ``ATLSIM_*``) variable it sets is a field of
  that module's settings class, with a value the class accepts; it listens on all interfaces, on
  the port its healthcheck probes, and (the gateway and the bus services) on a non-zero
  ``MIGRATOR_HEALTH_PORT`` of its own, where /metrics is;
- URLs handed to browsers (consent links, the OAuth redirect) resolve from the host and, when
  services call them too, from the containers, to the same port;
- an opt-in (profile) service uses no ``${VAR:?}``: compose interpolates every service before it
  picks profiles, so it would stop everyone's ``up``;
- named volumes and configs are declared; config and bind-mounted files exist and parse; the
  Prometheus configuration scrapes every service's /metrics; the OpenTelemetry Collector's
  pipelines only name components it defines and send to services that exist; services export
  traces by default only to a collector that runs by default.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.resources
import importlib.util
import json
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

# The settings prefixes of the programs in the image; a variable with one of them is checked.
SETTINGS_PREFIXES = ("MIGRATOR_", "M365SIM_", "ATLSIM_")
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class Program:
    """What compose must know about a module the image runs (``python -m <module>``)."""

    # "package.module:Class": its settings (pydantic BaseSettings or a dataclass); None: reads none.
    settings: str | None
    # The prefix of its environment variables (pydantic settings declare their own).
    prefix: str
    # The variables of the port it serves (what its healthcheck probes) and of its address.
    port_env: str | None = None
    host_env: str | None = None
    # The variable of its operations port: /healthz, /readyz and Prometheus' /metrics.
    metrics_env: str | None = None
    # Variables it reads outside its settings class.
    extra_env: frozenset[str] = frozenset()


def _bus_service(settings: str) -> Program:
    return Program(settings, "MIGRATOR_", port_env="MIGRATOR_HEALTH_PORT", metrics_env="MIGRATOR_HEALTH_PORT")


PROGRAMS: dict[str, Program] = {
    "migrator_gateway": Program(
        "migrator_gateway.config:GatewaySettings",
        "MIGRATOR_",
        port_env="MIGRATOR_HTTP_PORT",
        host_env="MIGRATOR_HTTP_HOST",
        metrics_env="MIGRATOR_HEALTH_PORT",
    ),
    "migrator_scheduler": _bus_service("migrator_scheduler.config:SchedulerSettings"),
    "migrator_sp_connector": _bus_service("migrator_sp_connector.config:ConnectorSettings"),
    "migrator_mail_teams_connector": _bus_service("migrator_mail_teams_connector.config:ConnectorSettings"),
    "migrator_atlassian_connector": _bus_service("migrator_atlassian_connector.config:AtlassianSettings"),
    "migrator_device_hub": _bus_service("migrator_device_hub.config:DeviceHubSettings"),
    "migrator_log_stream": _bus_service("migrator_log_stream.config:LogStreamSettings"),
    "m365_simulator": Program(
        "m365_simulator.config:SimSettings", "M365SIM_", port_env="M365SIM_PORT", host_env="M365SIM_HOST"
    ),
    "atlassian_simulator": Program(
        "atlassian_simulator.config:SimSettings", "ATLSIM_", port_env="ATLSIM_PORT", host_env="ATLSIM_HOST"
    ),
    # Flags, plus the enrollment token from the environment (migrator_device_agent/__main__.py).
    "migrator_device_agent": Program(None, "MIGRATOR_", extra_env=frozenset({"MIGRATOR_ENROLLMENT_TOKEN"})),
}

# URLs a browser (or a test on the host) follows, and whether the service also calls them itself.
# The connectors build consent links from the base URL they call the identity provider at.
BROWSER_URLS: dict[str, bool] = {
    "MIGRATOR_PUBLIC_URL": False,  # the gateway's own address: the OAuth redirect_uri
    "MIGRATOR_M365_BASE_URL": True,
    "MIGRATOR_ATLASSIAN_AUTH_URL": True,
}
# URLs only services call: their host must resolve in the compose network.
SERVICE_URLS = ("MIGRATOR_ATLASSIAN_API_URL", "MIGRATOR_NATS_URL", "MIGRATOR_MONGO_URL")


def check_compose(root: Path, compose_file: Path | None = None) -> list[str]:
    """Problems with ``compose_file`` (default ``root/compose.yaml``); ``root`` is the project
    directory: the workspace, and where the file's relative paths resolve. Empty when fine."""
    path = compose_file or root / "compose.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return [f"{path.name}: cannot be read as YAML: {exc}"]
    if not isinstance(raw, dict):
        return [f"{path.name}: not a mapping"]
    problems = _required_in_profiles(raw)
    try:
        doc = _interpolate(raw, {})
    except InterpolationError as exc:
        return [*problems, f"interpolation: {exc}"]
    problems += check_schema(doc)
    if problems:  # the rest assumes the shapes the schema guarantees
        return problems
    return _Model(doc, root).check()


# --- interpolation ------------------------------------------------------------------------------


class InterpolationError(ValueError):
    """A ``$`` expression compose would refuse."""


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """``text`` with ``$VAR``, ``${VAR}``, ``${VAR:-d}``, ``${VAR-d}``, ``${VAR:+r}``, ``${VAR+r}``,
    ``${VAR:?e}``, ``${VAR?e}`` (nested) and ``$$`` expanded as compose does; an unset required
    variable becomes ``<VAR>``."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "$":
            out.append(char)
            i += 1
            continue
        following = text[i + 1 : i + 2]
        if following == "$":
            out.append("$")
            i += 2
        elif following == "{":
            end = _closing_brace(text, i + 1)
            out.append(_expand(text[i + 2 : end], env))
            i = end + 1
        elif match := _NAME.match(text, i + 1):
            out.append(env.get(match.group(), ""))
            i = match.end()
        else:
            raise InterpolationError(f"invalid interpolation format in {text!r}: a lone '$' (write '$$')")
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 0
    for j in range(start, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    raise InterpolationError(f"unclosed '${{' in {text!r}")


def _expand(body: str, env: Mapping[str, str]) -> str:
    match = _NAME.match(body)
    if match is None:
        raise InterpolationError(f"invalid variable name in '${{{body}}}'")
    name, rest = match.group(), body[match.end() :]
    value = env.get(name)
    if not rest:
        return value or ""
    for op in (":-", ":?", ":+", "-", "?", "+"):
        if rest.startswith(op):
            arg = rest[len(op) :]
            break
    else:
        raise InterpolationError(f"invalid interpolation format '${{{body}}}'")
    missing = value is None or (op.startswith(":") and value == "")
    if op in (":-", "-"):
        return interpolate(arg, env) if missing else str(value)
    if op in (":+", "+"):
        return "" if missing else interpolate(arg, env)
    return f"<{name}>" if missing else str(value)


def _interpolate(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: _interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [_interpolate(value, env) for value in node]
    return node


_REQUIRED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _required_in_profiles(raw: dict[str, Any]) -> list[str]:
    problems = []
    services = raw.get("services")
    for name, service in (services if isinstance(services, dict) else {}).items():
        if not isinstance(service, dict) or not service.get("profiles"):
            continue
        for variable in sorted({m.group(1) for s in _strings(service) for m in _REQUIRED.finditer(s)}):
            problems.append(
                f"services.{name}: only runs with --profile {'/'.join(service['profiles'])} but requires "
                f"${{{variable}:?}}: compose interpolates every service before it picks profiles, so an "
                f"unset {variable} would stop a plain 'docker compose up' (use ${{{variable}:-}})"
            )
    return problems


# --- the compose-spec schema ----------------------------------------------------------------------


@functools.cache
def compose_schema() -> dict[str, Any]:
    """The compose-spec JSON schema vendored by check-jsonschema (``vendor.compose-spec``)."""
    resource = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return schema


def check_schema(doc: dict[str, Any]) -> list[str]:
    """Where ``doc`` (interpolated) breaks the compose specification."""
    import jsonschema  # check-jsonschema's validation engine

    validator_class = jsonschema.validators.validator_for(compose_schema())
    validator = validator_class(compose_schema())
    problems = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        where = ".".join(str(part) for part in error.absolute_path) or "(top level)"
        message = str(error.message)
        if len(message) > 300:
            message = message[:300] + "…"
        problems.append(f"schema: {where}: {message}")
    return problems


# --- the model ------------------------------------------------------------------------------------


@dataclass
class _Service:
    name: str
    spec: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def profiles(self) -> set[str]:
        return set(self.spec.get("profiles") or [])

    @property
    def image(self) -> str:
        return str(self.spec.get("image") or "")

    @property
    def built(self) -> bool:
        return "build" in self.spec

    @property
    def healthcheck(self) -> str | None:
        """The healthcheck's test as one string; None when there is none or it is disabled."""
        check = self.spec.get("healthcheck")
        if not isinstance(check, dict) or check.get("disable") in (True, "true"):
            return None
        test = check.get("test")
        if test is None or test == ["NONE"] or test == []:
            return None
        return test if isinstance(test, str) else " ".join(str(part) for part in test)

    @property
    def healthcheck_disabled(self) -> bool:
        check = self.spec.get("healthcheck")
        return isinstance(check, dict) and check.get("disable") in (True, "true")

    @property
    def aliases(self) -> set[str]:
        networks = self.spec.get("networks")
        names = {self.name}
        if isinstance(networks, dict):
            for network in networks.values():
                if isinstance(network, dict):
                    names.update(network.get("aliases") or [])
        return names

    def depends_on(self) -> dict[str, dict[str, Any]]:
        deps = self.spec.get("depends_on") or {}
        if isinstance(deps, list):
            return {name: {"condition": "service_started"} for name in deps}
        return {name: (dep or {}) for name, dep in deps.items()}

    def published(self) -> list[tuple[int, int]]:
        """(host port, container port) pairs."""
        pairs = []
        for entry in self.spec.get("ports") or []:
            if isinstance(entry, dict):
                host, target = entry.get("published"), entry.get("target")
                if host not in (None, "") and target is not None:
                    pairs += _port_pairs(str(host), str(target))
                continue
            text = str(entry).split("/", 1)[0]
            if text.startswith("["):  # [ipv6]:host:container
                text = text.split("]:", 1)[1] if "]:" in text else text
            parts = text.rsplit(":", 2)
            if len(parts) >= 2 and parts[-2]:
                pairs += _port_pairs(parts[-2], parts[-1])
        return pairs

    def command(self) -> list[str]:
        command = self.spec.get("command")
        if isinstance(command, str):
            return shlex.split(command)
        return [str(part) for part in command or []]

    def module(self) -> str | None:
        argv = self.command()
        if len(argv) >= 3 and re.fullmatch(r"python(3(\.\d+)?)?", Path(argv[0]).name) and argv[1] == "-m":
            return argv[2]
        return None


def _port_pairs(host: str, target: str) -> list[tuple[int, int]]:
    def expand(spec: str) -> list[int]:
        low, _, high = spec.partition("-")
        return list(range(int(low), int(high or low) + 1))

    try:
        hosts, targets = expand(host), expand(target)
    except ValueError:
        return []
    return list(zip(hosts, targets, strict=False))


def _environment(spec: dict[str, Any]) -> dict[str, str]:
    env = spec.get("environment") or {}
    if isinstance(env, list):
        pairs = (str(item).partition("=") for item in env)
        return {key: value for key, _, value in pairs}
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def _settings_class(program: Program) -> Any:
    assert program.settings is not None
    module_name, _, class_name = program.settings.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def _fields(cls: Any, program: Program) -> tuple[str, dict[str, str]]:
    """The settings' prefix and {variable: field name}."""
    if dataclasses.is_dataclass(cls):
        names = [f.name for f in dataclasses.fields(cls)]
        prefix = program.prefix
    else:
        names = list(cls.model_fields)
        prefix = str(cls.model_config.get("env_prefix") or "")
    return prefix, {f"{prefix}{name}".upper(): name for name in names}


def _validate_values(cls: Any, values: dict[str, str]) -> list[str]:
    """What the settings class says about these values (only these: the environment of the
    process running the check is not read)."""
    if dataclasses.is_dataclass(cls):
        problems = []
        types = {f.name: str(f.type) for f in dataclasses.fields(cls)}
        for name, value in values.items():
            kind = {"int": int, "float": float}.get(types[name])
            if kind is not None and not value.startswith("<"):
                try:
                    kind(value)
                except ValueError:
                    problems.append(f"{name}={value!r} is not {types[name]}")
        return problems

    def only_init(_cls: Any, settings_cls: Any, init_settings: Any, *_: Any, **__: Any) -> tuple[Any, ...]:
        return (init_settings,)

    isolated = type(f"Isolated{cls.__name__}", (cls,), {"settings_customise_sources": classmethod(only_init)})
    from pydantic import ValidationError

    try:
        isolated(**values)
    except ValidationError as exc:
        return [
            f"{'.'.join(map(str, error['loc']))}={values.get(str(error['loc'][0]))!r}: {error['msg']}"
            for error in exc.errors()
        ]
    return []


class _Model:
    def __init__(self, doc: dict[str, Any], root: Path) -> None:
        self.doc, self.root = doc, root
        self.services = {
            name: _Service(name, spec, _environment(spec))
            for name, spec in (doc.get("services") or {}).items()
        }
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"services.{where}: {message}")

    def check(self) -> list[str]:
        for service in self.services.values():
            self._healthcheck(service)
            self._depends_on(service)
            self._volumes_and_configs(service)
            if service.built:
                self._built(service)
            self._urls(service)
        self._config_files()
        self._traces()
        return self.problems

    # healthchecks and dependencies

    def _healthcheck(self, service: _Service) -> None:
        if service.healthcheck is not None:
            return
        if service.healthcheck_disabled and not service.built:
            return  # e.g. an image FROM scratch: there is nothing to probe with
        self.problem(service.name, "has no healthcheck")

    def _depends_on(self, service: _Service) -> None:
        for name, dep in service.depends_on().items():
            target = self.services.get(name)
            if target is None:
                self.problem(service.name, f"depends on {name!r}, which is not a service here")
                continue
            condition = dep.get("condition", "service_started")
            if condition == "service_healthy" and target.healthcheck is None:
                self.problem(
                    service.name,
                    f"waits for {name!r} to be healthy, but {name!r} has no healthcheck: it never will be",
                )
            if dep.get("required", True) in (False, "false"):
                continue
            if target.profiles and not (service.profiles and service.profiles <= target.profiles):
                when = (
                    f"with --profile {'/'.join(sorted(service.profiles))}"
                    if service.profiles
                    else "by default"
                )
                self.problem(
                    service.name,
                    f"runs {when} but depends on {name!r}, which only runs with --profile "
                    f"{'/'.join(sorted(target.profiles))}",
                )

    # files, volumes and configs

    def _volumes_and_configs(self, service: _Service) -> None:
        declared_volumes = set(self.doc.get("volumes") or {})
        for volume in service.spec.get("volumes") or []:
            kind, source = _volume_source(volume)
            if kind == "volume" and source and source not in declared_volumes:
                self.problem(service.name, f"mounts the volume {source!r}, not declared under volumes:")
            elif kind == "bind" and source:
                self._file(f"{service.name} bind mount", source)
        declared_configs = self.doc.get("configs") or {}
        for config in service.spec.get("configs") or []:
            source = config if isinstance(config, str) else config.get("source")
            if source not in declared_configs:
                self.problem(service.name, f"uses the config {source!r}, not declared under configs:")

    def _file(self, what: str, source: str) -> Path | None:
        path = (self.root / source).resolve() if not source.startswith("/") else Path(source)
        if not path.exists():
            self.problems.append(f"{what}: {source} does not exist")
            return None
        if path.is_file() and path.suffix in (".yaml", ".yml", ".json"):
            try:
                yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                self.problems.append(f"{what}: {source} does not parse: {exc}")
                return None
        return path

    def _mounted(self, image_prefixes: tuple[str, ...]) -> Iterator[tuple[_Service, Path]]:
        """Config and bind-mounted files of the services running one of these images."""
        configs = self.doc.get("configs") or {}
        for service in self.services.values():
            if not service.image.startswith(image_prefixes):
                continue
            for config in service.spec.get("configs") or []:
                source = config if isinstance(config, str) else config.get("source")
                file = (configs.get(source) or {}).get("file")
                if file and (self.root / file).is_file():
                    yield service, self.root / file
            for volume in service.spec.get("volumes") or []:
                kind, source = _volume_source(volume)
                if kind == "bind" and source and (self.root / source).is_file():
                    yield service, self.root / source

    def _config_files(self) -> None:
        for name, config in (self.doc.get("configs") or {}).items():
            if isinstance(config, dict) and config.get("file"):
                self._file(f"configs.{name}", str(config["file"]))
        for _, path in self._mounted(("prom/prometheus", "quay.io/prometheus/prometheus")):
            self._prometheus(path)
        for _, path in self._mounted(("otel/opentelemetry-collector",)):
            self._collector(path)

    def _prometheus(self, path: Path) -> None:
        where = f"{path.relative_to(self.root)}" if path.is_relative_to(self.root) else str(path)
        config = _load(path)
        targets: set[str] = set()
        for job in config.get("scrape_configs") or []:
            for static in job.get("static_configs") or []:
                targets.update(str(t) for t in static.get("targets") or [])
            for dns in job.get("dns_sd_configs") or []:
                if dns.get("type", "SRV") in ("A", "AAAA") and dns.get("port"):
                    targets.update(f"{name}:{dns['port']}" for name in dns.get("names") or [])
        for target in sorted(targets):
            host = target.rsplit(":", 1)[0]
            if host not in LOOPBACK and not any(host in s.aliases for s in self.services.values()):
                self.problems.append(f"{where}: scrapes {target}, but {host!r} is not a service here")
        for service in self.services.values():
            program = PROGRAMS.get(service.module() or "")
            if program is None or program.metrics_env is None:
                continue
            port = self._port(service, program, program.metrics_env)
            if port and f"{service.name}:{port}" not in targets:
                self.problems.append(
                    f"{where}: does not scrape {service.name}'s /metrics at {service.name}:{port}"
                )

    def _collector(self, path: Path) -> None:
        where = f"{path.relative_to(self.root)}" if path.is_relative_to(self.root) else str(path)
        config = _load(path)
        pipelines = (config.get("service") or {}).get("pipelines") or {}
        if not any(str(name).split("/")[0] == "traces" for name in pipelines):
            self.problems.append(f"{where}: no traces pipeline")
        for pipeline_name, pipeline in pipelines.items():
            for kind in ("receivers", "processors", "exporters"):
                for component in (pipeline or {}).get(kind) or []:
                    if component not in (config.get(kind) or {}):
                        self.problems.append(
                            f"{where}: pipeline {pipeline_name} uses {kind[:-1]} {component!r}, not defined"
                        )
        for extension in (config.get("service") or {}).get("extensions") or []:
            if extension not in (config.get("extensions") or {}):
                self.problems.append(f"{where}: extension {extension!r} is enabled but not defined")
        for name, exporter in (config.get("exporters") or {}).items():
            endpoint = str((exporter or {}).get("endpoint") or "")
            host = urlsplit(endpoint if "//" in endpoint else f"//{endpoint}").hostname
            if host and host not in LOOPBACK and not any(host in s.aliases for s in self.services.values()):
                self.problems.append(f"{where}: exporter {name} sends to {endpoint}, not a service here")
        protocols = ((config.get("receivers") or {}).get("otlp") or {}).get("protocols") or {}
        for protocol in ("grpc", "http"):
            if protocol not in protocols:
                continue
            endpoint = str((protocols[protocol] or {}).get("endpoint") or "localhost")
            if endpoint.startswith(("localhost", "127.")):
                self.problems.append(
                    f"{where}: the OTLP/{protocol} receiver listens on {endpoint} (loopback): "
                    "the services in other containers cannot reach it"
                )

    def _traces(self) -> None:
        """A service exports traces by default only to a collector that runs by default."""
        for service in self.services.values():
            endpoint = service.env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            if not endpoint:
                continue
            host = urlsplit(endpoint).hostname or ""
            collector = next((s for s in self.services.values() if host in s.aliases), None)
            if collector is None:
                self.problem(
                    service.name, f"OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}: {host!r} is not a service here"
                )
                continue
            exporter = service.env.get("MIGRATOR_TRACES_EXPORTER", "none")
            opt_in = service.profiles and service.profiles <= collector.profiles
            if exporter == "otlp" and collector.profiles and not opt_in:
                self.problem(
                    service.name,
                    f"exports traces to {collector.name} by default (MIGRATOR_TRACES_EXPORTER=otlp), but "
                    f"{collector.name} only runs with --profile {'/'.join(sorted(collector.profiles))}: "
                    "default it to none",
                )

    # services built from the Dockerfile

    def _built(self, service: _Service) -> None:
        build = service.spec["build"]
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        if not (self.root / context / dockerfile).is_file():
            self.problem(service.name, f"builds from {context}/{dockerfile}, which does not exist")
        module = service.module()
        if module is None:
            self.problem(service.name, f"command {service.command()!r} is not 'python -m <module>'")
            return
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            self.problem(service.name, f"runs 'python -m {module}', a module the workspace does not have")
            return
        program = PROGRAMS.get(module)
        if program is None:
            self.problem(
                service.name,
                f"runs {module}, which migrator_deploy_check.compose.PROGRAMS does not know: "
                "add what it reads and listens on",
            )
            return
        self._settings(service, program)
        self._listening(service, program)

    def _settings(self, service: _Service, program: Program) -> None:
        ours = {k: v for k, v in service.env.items() if k.startswith(SETTINGS_PREFIXES)}
        if program.settings is None:
            for variable in sorted(set(ours) - program.extra_env):
                self.problem(service.name, f"sets {variable}, which {service.module()} does not read")
            return
        cls = _settings_class(program)
        _, fields = _fields(cls, program)
        values = {}
        for variable, value in sorted(ours.items()):
            if variable in fields:
                values[fields[variable]] = value
            elif variable not in program.extra_env:
                close = sorted(fields, key=lambda f: _distance(f, variable))[:1]
                hint = f" (did you mean {close[0]}?)" if close and _distance(close[0], variable) <= 3 else ""
                self.problem(
                    service.name, f"sets {variable}, which is not a setting of {program.settings}{hint}"
                )
        for message in _validate_values(cls, values):
            self.problem(service.name, f"{program.settings} refuses {message}")

    def _port(self, service: _Service, program: Program, variable: str | None) -> int | None:
        """The port ``variable`` sets (or its settings' default); None when unset or 0."""
        if variable is None:
            return None
        value = service.env.get(variable)
        if value is None and program.settings is not None:
            cls = _settings_class(program)
            _, fields = _fields(cls, program)
            name = fields.get(variable)
            if name is not None and not dataclasses.is_dataclass(cls):
                value = str(cls.model_fields[name].default)
        try:
            return int(value) if value else None
        except ValueError:
            return None

    def _listening(self, service: _Service, program: Program) -> None:
        if program.host_env and service.env.get(program.host_env) not in ("0.0.0.0", "::"):
            self.problem(
                service.name,
                f"{program.host_env} is not 0.0.0.0: it would listen on the container's loopback only",
            )
        ports: dict[str, int] = {}
        for variable in dict.fromkeys(v for v in (program.port_env, program.metrics_env) if v):
            port = self._port(service, program, variable)
            if port:
                ports[variable] = port
            else:
                self.problem(service.name, f"sets no {variable} (or 0): nothing to probe or scrape there")
        if len(ports) == 2 and len(set(ports.values())) == 1:
            self.problem(
                service.name, f"{' and '.join(ports)} are both {ports.popitem()[1]}: one port, two servers"
            )
        test = service.healthcheck
        if ports and test is not None and not any(v in test or str(p) in test for v, p in ports.items()):
            where = " nor ".join(f"{v} ({p})" for v, p in ports.items())
            self.problem(service.name, f"its healthcheck probes neither {where}, where it listens")

    # URLs

    def _urls(self, service: _Service) -> None:
        for variable in (*BROWSER_URLS, *SERVICE_URLS):
            value = service.env.get(variable)
            if not value or value.startswith("<"):
                continue
            from_containers = variable in SERVICE_URLS or BROWSER_URLS.get(variable, False)
            for host, port in _hosts(value):
                if from_containers:
                    self._reachable_from_containers(service, variable, value, host, port)
                if variable in BROWSER_URLS:
                    self._reachable_from_host(
                        service, variable, value, host, port, also_containers=from_containers
                    )

    def _target(self, host: str) -> _Service | None:
        return next((s for s in self.services.values() if host in s.aliases), None)

    def _reachable_from_containers(
        self, service: _Service, variable: str, value: str, host: str, port: int | None
    ) -> None:
        target = self._target(host)
        if target is None:
            self.problem(
                service.name, f"{variable}={value}: {host!r} is neither a service nor a network alias here"
            )
            return
        program = PROGRAMS.get(target.module() or "")
        listen = self._port(target, program, program.port_env) if program else None
        if listen and port and port != listen:
            self.problem(service.name, f"{variable}={value}: {target.name} listens on {listen}, not {port}")

    def _reachable_from_host(
        self,
        service: _Service,
        variable: str,
        value: str,
        host: str,
        port: int | None,
        *,
        also_containers: bool,
    ) -> None:
        if host not in LOOPBACK and not host.endswith(".localhost"):
            self.problem(
                service.name,
                f"{variable}={value}: a browser on the host cannot resolve {host!r} "
                "(use a *.localhost name or the loopback address)",
            )
            return
        expected = self._target(host) if also_containers else service
        publishers = [s for s in self.services.values() if any(h == port for h, _ in s.published())]
        if expected is None or expected not in publishers:
            who = expected.name if expected else "no service"
            self.problem(service.name, f"{variable}={value}: {who} publishes no port {port} on the host")
        elif also_containers and (port, port) not in expected.published():
            self.problem(
                service.name,
                f"{variable}={value}: {expected.name} must be published on the port it listens on "
                f"({port}:{port}) for the URL to work from the host and the containers alike",
            )


def _hosts(url: str) -> list[tuple[str, int | None]]:
    """The (host, port) pairs of a URL; several for ``mongodb://a:27017,b:27017/`` or
    ``nats://a:4222,nats://b:4222``."""
    default = {"http": 80, "https": 443}.get(urlsplit(url).scheme)
    pairs: list[tuple[str, int | None]] = []
    for part in url.split(","):
        part = part.split("://", 1)[-1]
        item = re.split(r"[/?#]", part, maxsplit=1)[0].rsplit("@", 1)[-1]
        host, sep, port = item.rpartition(":")
        if not sep or host.endswith("[") or item.endswith("]"):  # no port, or a bare [ipv6]
            host, port = item, ""
        pairs.append((host.strip("[]"), int(port) if port.isdigit() else default))
    return pairs


def _volume_source(volume: Any) -> tuple[str, str]:
    """("bind" | "volume" | "tmpfs", source) of a service volume entry."""
    if isinstance(volume, dict):
        return str(volume.get("type", "volume")), str(volume.get("source") or "")
    source = str(volume).split(":", 1)[0] if ":" in str(volume) else ""
    if source.startswith((".", "/", "~")):
        return "bind", source
    return "volume", source


def _load(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, for "did you mean"."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
