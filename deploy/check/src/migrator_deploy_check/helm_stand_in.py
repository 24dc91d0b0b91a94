"""The ``helm`` that ``kubectl kustomize --enable-helm`` runs during the check: it notes each
chart kustomize asks for instead of pulling and inflating it.

There is no Helm on the build machines and no network to pull the NATS chart from, yet
kustomize should still do its own work: find the ``helmCharts`` of every kustomization an
overlay includes, merge ``valuesFile`` with ``valuesInline`` and pick the release namespace.
So kustomize calls this program as it would call helm (``version``, ``pull``, ``template``)
and ``template`` prints one ``HelmChartStandIn`` object in place of the chart's output.
kustomize transforms it like any other object (the overlay's namespace lands on it) and
:mod:`.rendering` takes it back out. When kustomize finds the chart already on disk (left
by a real ``--enable-helm`` build) it does not pull; the version then comes from the
chart's Chart.yaml and the repository is unknown.

Standard library only: it runs as ``python -I -S helm_stand_in.py ARGS`` for every call.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path

STATE_VARIABLE = "MIGRATOR_HELM_STAND_IN_STATE"
API_VERSION = "deploy-check.migrator.invalid/v1"
KIND = "HelmChartStandIn"
# kustomize checks for helm 3 before anything else.
VERSION = "v3.0.0+migrator-deploy-check-stand-in"

# The helm flags kustomize passes; any other is refused, never skipped over.
VALUED_FLAGS = frozenset(
    {"--untardir", "--repo", "--version", "--namespace", "--values", "--kube-version", "--api-versions"}
)
SHORT_FLAGS = {"-n": "--namespace", "-f": "--values"}
SWITCHES = frozenset({"--untar", "--generate-name", "--include-crds", "--skip-tests", "--no-hooks"})


class UsageError(Exception):
    """An argument kustomize is not expected to pass: said on stderr, exit 2."""


def parse(args: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Positional arguments, and each flag (long name) with its values in order (a switch has
    the empty list)."""
    positional: list[str] = []
    flags: dict[str, list[str]] = {}
    rest = iter(args)
    for arg in rest:
        name, has_value, value = arg.partition("=")
        name = SHORT_FLAGS.get(name, name)
        if name in VALUED_FLAGS:
            if not has_value:
                value = next(rest, "")
            flags.setdefault(name, []).append(value)
        elif arg in SWITCHES:
            flags[arg] = []
        elif arg.startswith("-"):
            raise UsageError(f"unexpected argument {arg!r} (this stand-in knows what kustomize passes)")
        else:
            positional.append(arg)
    return positional, flags


def one(flags: dict[str, list[str]], name: str) -> str | None:
    values = flags.get(name, [])
    if len(values) > 1:
        raise UsageError(f"{name} given {len(values)} times")
    return values[0] if values else None


def pull_note(state: Path, chart_path: str) -> Path:
    """Where the pull of the chart that ``template`` will find at ``chart_path`` is noted."""
    return state / f"pull-{hashlib.sha256(chart_path.encode()).hexdigest()[:16]}.json"


def pull(state: Path, args: list[str]) -> None:
    """Notes which chart, from where, at which version; fetches nothing."""
    positional, flags = parse(args)
    untardir = one(flags, "--untardir")
    if len(positional) != 1 or untardir is None:
        raise UsageError(f"pull {' '.join(args)}: expected --untardir DIR and one chart")
    chart = positional[0]
    repo = one(flags, "--repo")
    if chart.startswith("oci://"):
        repo, _, chart = chart.rpartition("/")
    note = {"repo": repo, "version": one(flags, "--version")}
    pull_note(state, os.path.join(untardir, chart)).write_text(json.dumps(note))


def template(state: Path, args: list[str]) -> dict[str, object]:
    """The stand-in object for ``helm template [RELEASE] CHART …``."""
    positional, flags = parse(args)
    if len(positional) != 2 or "--generate-name" in flags:
        raise UsageError("template: expected a release name and a chart (helmCharts releaseName)")
    release, chart_path = positional
    note = pull_note(state, chart_path)
    if note.is_file():
        pulled = json.loads(note.read_text())
    else:
        pulled = {"repo": None, "version": local_chart_version(Path(chart_path))}
    namespace = one(flags, "--namespace")
    values = [Path(path).read_text() for path in flags.get("--values", [])]
    metadata: dict[str, str] = {"name": release}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": metadata,
        "spec": {
            "chart": Path(chart_path).name,
            "repo": pulled["repo"],
            "version": pulled["version"],
            "pulled": note.is_file(),
            "releaseName": release,
            "releaseNamespace": namespace,
            "includeCRDs": "--include-crds" in flags,
            # Raw text, in helm's order (later files win): no transformer looks inside a string.
            "values": values,
        },
    }


def local_chart_version(chart: Path) -> str | None:
    match = re.search(r"^version:\s*[\"']?([^\"'\s#]+)", _read(chart / "Chart.yaml"), re.MULTILINE)
    return match.group(1) if match else None


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def main(argv: list[str]) -> int:
    state = os.environ.get(STATE_VARIABLE)
    if not state or not argv:
        print(f"helm stand-in: needs {STATE_VARIABLE} and a command", file=sys.stderr)
        return 2
    command, args = argv[0], argv[1:]
    try:
        if command == "version":
            print(VERSION)
        elif command == "pull":
            pull(Path(state), args)
        elif command == "template":
            print(json.dumps(template(Path(state), args)))
        else:
            raise UsageError(f"helm {command} is not something kustomize runs")
    except (UsageError, OSError) as e:
        print(f"helm stand-in: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
