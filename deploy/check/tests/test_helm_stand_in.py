"""The helm stand-in answers kustomize's calls as helm would be asked them, and refuses others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from migrator_deploy_check import helm_stand_in

pytestmark = pytest.mark.unit


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(helm_stand_in.STATE_VARIABLE, str(tmp_path))
    return tmp_path


def test_a_pulled_chart_comes_back_with_its_repo_version_and_values(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = state / "charts" / "nats-1.2.8"
    first, second = state / "a.yaml", state / "b.yaml"
    first.write_text("a: 1\n")
    second.write_text("a: 2\n")
    pull = ["pull", "--untar", "--untardir", str(home), "--repo", "https://example.test/", "nats"]
    assert helm_stand_in.main([*pull, "--version", "1.2.8"]) == 0
    template = ["template", "nats", str(home / "nats"), "--namespace", "migrator"]
    assert helm_stand_in.main([*template, "-f", str(first), "--values", str(second), "--include-crds"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["kind"] == helm_stand_in.KIND
    assert obj["metadata"] == {"name": "nats", "namespace": "migrator"}
    assert obj["spec"] == {
        "chart": "nats",
        "repo": "https://example.test/",
        "version": "1.2.8",
        "pulled": True,
        "releaseName": "nats",
        "releaseNamespace": "migrator",
        "includeCRDs": True,
        "values": ["a: 1\n", "a: 2\n"],
    }
    assert not home.exists()  # nothing fetched, nothing written beside the kustomization


@pytest.mark.parametrize(
    "argv",
    [
        ["template", "nats", "/charts/nats", "--post-renderer", "x"],
        ["template", "/charts/nats", "--generate-name"],
        ["install", "nats", "/charts/nats"],
    ],
)
def test_what_kustomize_does_not_ask_is_refused(
    state: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert helm_stand_in.main(argv) == 2
    assert capsys.readouterr().err.startswith("helm stand-in: ")
