"""A small renderer for the subset of kustomize that deploy/k8s uses, so the overlays can be
validated without kubectl, kustomize or Helm.

It follows kustomize (v5) semantics for what it implements, and refuses everything else: an
unknown or unimplemented field anywhere in a kustomization raises :class:`KustomizeError`,
so a manifest can never pass validation by being silently ignored.

Implemented:

- ``resources``: YAML files (inside the kustomization's directory, as kustomize's default
  load restrictor demands) and directories holding a ``Kustomization``;
- ``components``: directories holding a ``Component``, applied to what is accumulated so far;
- ``namespace`` (refusing kinds whose inner namespace references kustomize also rewrites),
  ``labels`` (``includeTemplates``; not ``includeSelectors``), ``images``, ``replicas``;
- ``patches``: strategic-merge patches from ``path`` or inline ``patch``, with or without a
  ``target`` (``kind``, ``name`` as anchored regular expressions, ``labelSelector`` with
  ``key=value`` terms): maps merge, ``null`` deletes, the lists in :data:`MERGE_KEYS` merge by
  key and those in :data:`ATOMIC_LISTS` are replaced; any other list, and ``$patch``
  directives, are refused. Unlike kustomize, a patch that matches nothing is an error;
- ``configMapGenerator`` / ``secretGenerator`` from ``literals`` (``behavior`` create / merge /
  replace, ``options.disableNameSuffixHash``, ``generatorOptions.disableNameSuffixHash``), with
  kustomize's content-hash name suffix and the rewriting of references to the generated names
  in pod templates (kinds that could hold other such references are refused);
- ``helmCharts``: recorded with their values (file and inline), never rendered.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]


KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZATION_API = "kustomize.config.k8s.io/v1beta1"
COMPONENT_API = "kustomize.config.k8s.io/v1alpha1"

# Every top-level field this renderer implements; anything else is refused by name.
SUPPORTED_FIELDS = frozenset(
    {
        "apiVersion",
        "kind",
        "resources",
        "components",
        "namespace",
        "labels",
        "images",
        "replicas",
        "patches",
        "configMapGenerator",
        "secretGenerator",
        "generatorOptions",
        "helmCharts",
    }
)

# Kinds the namespace transformer leaves alone (those deploy/k8s could plausibly contain).
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "PersistentVolume",
        "PriorityClass",
        "StorageClass",
        "IngressClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    }
)

# Kinds whose inner namespace references (subjects, webhook services) kustomize's namespace
# transformer rewrites as well: refused, not half-done.
NAMESPACE_SPECIAL_KINDS = frozenset(
    {
        "RoleBinding",
        "ClusterRoleBinding",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "APIService",
        "CustomResourceDefinition",
    }
)
# Kinds that can name a ConfigMap or Secret outside a pod template (kustomize's nameReference
# config): the renamed generated objects are not followed into them, so they are refused.
OTHER_REFERRERS = frozenset(
    {
        "Pod",
        "PodTemplate",
        "CronJob",
        "Ingress",
        "Role",
        "ClusterRole",
        "StorageClass",
        "ReplicationController",
    }
)

# Kinds with a pod template at spec.template (labels, images, name references).
POD_TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})
REPLICA_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})

# Built-in kinds whose lists strategic merge joins by key (elsewhere lists are replaced, as
# kustomize does for custom resources, which have no patch metadata).
BUILTIN_KINDS = frozenset(
    {
        "ConfigMap",
        "Secret",
        "Service",
        "ServiceAccount",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "Job",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
    }
)
# Lists the Kubernetes API replaces whole in a strategic merge (no patchStrategy, or atomic).
# A list in a built-in kind that is in neither table is refused rather than guessed.
ATOMIC_LISTS = frozenset(
    {"command", "args", "envFrom", "tolerations", "metrics", "accessModes", "add", "drop", "matchExpressions"}
)
# field name -> merge key, from the Kubernetes API's patchMergeKey annotations.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
    "topologySpreadConstraints": "topologyKey",
}


class KustomizeError(Exception):
    """A kustomization this renderer cannot (or will not) render faithfully."""


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's safe loader where PyYAML has it (several times faster), refusing duplicate
    keys as kustomize's YAML parser does (PyYAML would keep the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise KustomizeError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


@dataclass
class Resource:
    """One object of the output, with what kustomize tracks beside it."""

    obj: Obj
    source: str  # the file it came from (or the generator), for messages
    original_name: str = ""  # before any hash suffix
    needs_hash: bool = False  # generated without disableNameSuffixHash

    def __post_init__(self) -> None:
        if not self.original_name:
            self.original_name = str(self.obj.get("metadata", {}).get("name", ""))

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def name(self) -> str:
        return str(self.obj.get("metadata", {}).get("name", ""))

    @property
    def namespace(self) -> str | None:
        ns = self.obj.get("metadata", {}).get("namespace")
        return None if ns is None else str(ns)

    def key(self) -> tuple[str, str | None, str]:
        return (self.kind, self.namespace, self.original_name)

    def describe(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass
class HelmChart:
    """A ``helmCharts`` entry: what would be inflated, and with which values."""

    directory: Path
    name: str
    repo: str
    version: str
    release_name: str
    namespace: str | None
    values: Obj
    values_file: Path | None
    include_crds: bool
    # The namespace kustomize's namespace transformers put the rendered objects in.
    effective_namespace: str | None = None


@dataclass
class Build:
    resources: list[Resource] = field(default_factory=list)
    helm_charts: list[HelmChart] = field(default_factory=list)

    def objects(self) -> list[Obj]:
        return [r.obj for r in self.resources]

    def find(self, kind: str, name: str) -> Resource | None:
        """By kind and name as rendered (or as written, for a generated object)."""
        for r in self.resources:
            if r.kind == kind and name in (r.name, r.original_name):
                return r
        return None


def build(directory: Path) -> Build:
    """Render the kustomization in ``directory`` as ``kustomize build`` would (helm charts
    recorded, not inflated). Raises :class:`KustomizeError` on anything unsupported."""
    acc = Build()
    _Renderer().accumulate(directory.resolve(), acc, component=False, stack=())
    _add_hash_suffixes(acc)
    return acc


class _Renderer:
    def accumulate(self, directory: Path, acc: Build, *, component: bool, stack: tuple[Path, ...]) -> None:
        if directory in stack:
            raise KustomizeError(f"{directory}: kustomization cycle through {' -> '.join(map(str, stack))}")
        stack = (*stack, directory)
        path, k = _load_kustomization(directory)
        where = str(path)
        unknown = sorted(set(k) - SUPPORTED_FIELDS)
        if unknown:
            raise KustomizeError(f"{where}: field(s) not implemented by this renderer: {', '.join(unknown)}")
        want_kind, want_api = (
            ("Component", COMPONENT_API) if component else ("Kustomization", KUSTOMIZATION_API)
        )
        if k.get("kind", "Kustomization") != want_kind:
            raise KustomizeError(f"{where}: expected kind {want_kind}, found {k.get('kind')!r}")
        if k.get("apiVersion", want_api) != want_api:
            raise KustomizeError(f"{where}: expected apiVersion {want_api}, found {k.get('apiVersion')!r}")

        for entry in _list(k, "resources", where):
            target = _local_path(directory, entry, where, "resources")
            if target.is_dir():
                sub = Build()
                self.accumulate(target, sub, component=False, stack=stack)
                for r in sub.resources:
                    _add(acc, r)
                acc.helm_charts.extend(sub.helm_charts)
            else:
                _within(directory, target, where, "resources")
                for obj in _load_objects(target):
                    _add(acc, Resource(obj, source=str(target)))
        for entry in _list(k, "components", where):
            target = _local_path(directory, entry, where, "components")
            if not target.is_dir():
                raise KustomizeError(f"{where}: component {entry!r} is not a directory")
            self.accumulate(target, acc, component=True, stack=stack)

        # Generators, then transformers in kustomize's order.
        hash_default = _generator_options(k, where)
        for spec in _list(k, "configMapGenerator", where):
            _generate(acc, spec, "ConfigMap", hash_default, where)
        for spec in _list(k, "secretGenerator", where):
            _generate(acc, spec, "Secret", hash_default, where)
        for spec in _list(k, "helmCharts", where):
            acc.helm_charts.append(_helm_chart(directory, spec, where))

        for spec in _list(k, "patches", where):
            _patch(acc, directory, spec, where)
        if "namespace" in k:
            _set_namespace(acc, k["namespace"], where)
        for spec in _list(k, "labels", where):
            _labels(acc, spec, where)
        for spec in _list(k, "replicas", where):
            _replicas(acc, spec, where)
        for spec in _list(k, "images", where):
            _images(acc, spec, where)


# --- loading -------------------------------------------------------------------------------


def _parse(text: str, label: str) -> list[Any]:
    """The YAML documents of ``text`` (``label`` names it in errors)."""
    try:
        return list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as e:
        raise KustomizeError(f"{label}: not valid YAML: {e}") from None
    except KustomizeError as e:
        raise KustomizeError(f"{label}: {e}") from None


def _load_kustomization(directory: Path) -> tuple[Path, Obj]:
    found = [directory / n for n in KUSTOMIZATION_FILES if (directory / n).is_file()]
    if len(found) != 1:
        what = "no" if not found else "more than one"
        raise KustomizeError(f"{directory}: {what} kustomization file ({', '.join(KUSTOMIZATION_FILES)})")
    docs = _parse(found[0].read_text(), str(found[0]))
    data = docs[0] if len(docs) == 1 else None
    if not isinstance(data, dict):
        raise KustomizeError(f"{found[0]}: a kustomization must be one YAML mapping")
    return found[0], data


def _load_objects(path: Path) -> list[Obj]:
    docs = _parse(path.read_text(), str(path))
    out = []
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
            raise KustomizeError(f"{path}: every document must be an object with apiVersion and kind")
        if doc["kind"].endswith("List"):
            raise KustomizeError(f"{path}: {doc['kind']} is not implemented by this renderer")
        if not isinstance(doc.get("metadata"), dict) or not doc["metadata"].get("name"):
            raise KustomizeError(f"{path}: {doc['kind']} without metadata.name")
        out.append(doc)
    return out


def _list(k: Obj, key: str, where: str) -> list[Any]:
    value = k.get(key) or []
    if not isinstance(value, list):
        raise KustomizeError(f"{where}: {key} must be a list")
    return value


def _keys(spec: Any, allowed: set[str], where: str, what: str) -> Obj:
    if not isinstance(spec, dict):
        raise KustomizeError(f"{where}: each {what} entry must be a mapping")
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise KustomizeError(
            f"{where}: {what}: field(s) not implemented by this renderer: {', '.join(unknown)}"
        )
    return spec


def _local_path(directory: Path, entry: Any, where: str, what: str) -> Path:
    if not isinstance(entry, str) or not entry:
        raise KustomizeError(f"{where}: {what} entries must be paths")
    if "://" in entry or entry.startswith(("github.com/", "git@")):
        raise KustomizeError(f"{where}: remote {what} are not implemented by this renderer: {entry}")
    target = (directory / entry).resolve()
    if not target.exists():
        raise KustomizeError(f"{where}: {what} entry {entry!r} does not exist")
    return target


def _within(directory: Path, target: Path, where: str, what: str) -> None:
    """kustomize's default load restrictor: files (not kustomization dirs) stay in the root."""
    if not target.is_relative_to(directory):
        raise KustomizeError(f"{where}: {what} file {target} is outside the kustomization directory")


def _add(acc: Build, r: Resource) -> None:
    for other in acc.resources:
        if other.key() == r.key():
            raise KustomizeError(
                f"{r.source}: {r.describe()} is already defined (by {other.source}); "
                "kustomize refuses duplicate ids"
            )
    acc.resources.append(r)


# --- generators ----------------------------------------------------------------------------


def _generator_options(k: Obj, where: str) -> bool:
    """Whether generated names get a hash suffix by default."""
    opts = _keys(k.get("generatorOptions") or {}, {"disableNameSuffixHash"}, where, "generatorOptions")
    return not bool(opts.get("disableNameSuffixHash", False))


def _literals(spec: Obj, where: str) -> dict[str, str]:
    data: dict[str, str] = {}
    for lit in spec.get("literals") or []:
        if not isinstance(lit, str) or "=" not in lit:
            raise KustomizeError(f"{where}: generator {spec.get('name')}: literal {lit!r} is not KEY=VALUE")
        key, _, value = lit.partition("=")
        if value[:1] in ("'", '"'):
            raise KustomizeError(
                f"{where}: generator {spec.get('name')}: quoted literal values are not implemented"
            )
        if key in data:
            raise KustomizeError(f"{where}: generator {spec.get('name')}: key {key} given twice")
        data[key] = value
    return data


def _generate(acc: Build, spec: Any, kind: str, hash_default: bool, where: str) -> None:
    allowed = {"name", "behavior", "literals", "options"} | ({"type"} if kind == "Secret" else set())
    spec = _keys(spec, allowed, where, f"{kind} generator")
    name = spec.get("name")
    if not name:
        raise KustomizeError(f"{where}: a {kind} generator needs a name")
    options = _keys(spec.get("options") or {}, {"disableNameSuffixHash"}, where, f"{kind} generator options")
    needs_hash = hash_default and not bool(options.get("disableNameSuffixHash", False))
    literals = _literals(spec, where)
    data = (
        {k: base64.b64encode(v.encode()).decode() for k, v in literals.items()}
        if kind == "Secret"
        else literals
    )
    behavior = spec.get("behavior", "create")
    existing = [r for r in acc.resources if r.kind == kind and r.original_name == name]
    if behavior == "create":
        if existing:
            raise KustomizeError(f"{where}: {kind} {name} already exists; use behavior merge or replace")
        obj: Obj = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}
        if kind == "Secret":
            obj["type"] = spec.get("type", "Opaque")
        obj["data"] = data
        _add(acc, Resource(obj, source=f"{where} ({kind.lower()} generator {name})", needs_hash=needs_hash))
    elif behavior in ("merge", "replace"):
        if len(existing) != 1:
            raise KustomizeError(
                f"{where}: {kind} generator {name} with behavior {behavior}: no single {kind} to {behavior}"
            )
        target = existing[0]
        if "type" in spec and spec["type"] != target.obj.get("type"):
            raise KustomizeError(f"{where}: {kind} generator {name}: cannot change the type")
        if behavior == "merge":
            target.obj.setdefault("data", {}).update(data)
        else:
            target.obj["data"] = data
        if "disableNameSuffixHash" in options:
            target.needs_hash = needs_hash
    else:
        raise KustomizeError(f"{where}: {kind} generator {name}: unknown behavior {behavior!r}")


def _helm_chart(directory: Path, spec: Any, where: str) -> HelmChart:
    allowed = {
        "name",
        "repo",
        "version",
        "releaseName",
        "namespace",
        "valuesFile",
        "valuesInline",
        "includeCRDs",
    }
    spec = _keys(spec, allowed, where, "helmCharts")
    for required in ("name", "repo", "version", "releaseName"):
        if not spec.get(required):
            raise KustomizeError(f"{where}: helmCharts entry needs {required} (a pinned, named release)")
    values: Obj = {}
    values_file = None
    if spec.get("valuesFile"):
        values_file = _local_path(directory, spec["valuesFile"], where, "valuesFile")
        _within(directory, values_file, where, "valuesFile")
        loaded = next(iter(_parse(values_file.read_text(), str(values_file))), None) or {}
        if not isinstance(loaded, dict):
            raise KustomizeError(f"{values_file}: helm values must be a mapping")
        values = loaded
    if spec.get("valuesInline"):
        values = _deep_merge_values(values, spec["valuesInline"])
    return HelmChart(
        directory=directory,
        name=str(spec["name"]),
        repo=str(spec["repo"]),
        version=str(spec["version"]),
        release_name=str(spec["releaseName"]),
        namespace=spec.get("namespace"),
        values=values,
        values_file=values_file,
        include_crds=bool(spec.get("includeCRDs", False)),
        effective_namespace=spec.get("namespace"),
    )


def _deep_merge_values(base: Obj, over: Obj) -> Obj:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _deep_merge_values(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


# --- patches -------------------------------------------------------------------------------


def _patch(acc: Build, directory: Path, spec: Any, where: str) -> None:
    spec = _keys(spec, {"path", "patch", "target"}, where, "patches")
    if ("path" in spec) == ("patch" in spec):
        raise KustomizeError(f"{where}: a patch needs exactly one of path or patch")
    if "path" in spec:
        source = _local_path(directory, spec["path"], where, "patch path")
        _within(directory, source, where, "patch")
        text, label = source.read_text(), str(source)
    else:
        text, label = str(spec["patch"]), f"{where} (inline patch)"
    docs = [d for d in _parse(text, label) if d is not None]
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise KustomizeError(
            f"{label}: only single-document strategic-merge patches are implemented "
            "(JSON 6902 operation lists are not)"
        )
    patch = docs[0]
    if "target" in spec:
        matches = _select(
            acc, _keys(spec["target"], {"kind", "name", "labelSelector"}, where, "patch target")
        )
    else:
        kind, name = patch.get("kind"), (patch.get("metadata") or {}).get("name")
        matches = [r for r in acc.resources if r.kind == kind and name in (r.name, r.original_name)]
    if not matches:
        raise KustomizeError(f"{label}: the patch matches no resource (kustomize would ignore it silently)")
    for r in matches:
        body = copy.deepcopy(patch)
        for ident in ("apiVersion", "kind"):
            if ident in body and body[ident] != r.obj.get(ident):
                raise KustomizeError(f"{label}: patch {ident} {body[ident]!r} does not match {r.describe()}")
            body.pop(ident, None)
        meta = body.get("metadata")
        if isinstance(meta, dict):
            meta.pop("name", None)  # a targeted patch applies whatever its own name
            if "namespace" in meta:
                raise KustomizeError(f"{label}: patching metadata.namespace is not implemented")
            if not meta:
                body.pop("metadata")
        r.obj = strategic_merge(r.obj, body, kind=r.kind, where=label)


def _select(acc: Build, target: Obj) -> list[Resource]:
    def full(pattern: str) -> Callable[[str], bool]:
        rx = re.compile(pattern)
        return lambda s: rx.fullmatch(s) is not None

    kind_ok = full(target["kind"]) if "kind" in target else (lambda _: True)
    name_ok = full(target["name"]) if "name" in target else (lambda _: True)
    wanted: dict[str, str] = {}
    for term in filter(None, (t.strip() for t in str(target.get("labelSelector", "")).split(","))):
        key, sep, value = term.partition("=")
        if not sep or value.startswith("=") or key.endswith("!") or not key:
            raise KustomizeError(
                f"labelSelector {target['labelSelector']!r}: only key=value terms are implemented"
            )
        wanted[key.strip()] = value.strip()
    out = []
    for r in acc.resources:
        labels = r.obj.get("metadata", {}).get("labels") or {}
        if (
            kind_ok(r.kind)
            and name_ok(r.original_name)
            and all(labels.get(k) == v for k, v in wanted.items())
        ):
            out.append(r)
    return out


def strategic_merge(obj: Obj, patch: Obj, *, kind: str, where: str = "patch") -> Obj:
    """A strategic-merge patch, for the subset in use: maps merge recursively, ``null``
    deletes a key, lists named in :data:`MERGE_KEYS` merge by key in built-in kinds and
    are replaced otherwise. ``$patch`` and other directives are refused."""
    keyed = kind in BUILTIN_KINDS
    return _merge_map(obj, patch, keyed=keyed, where=where, path="")


def _merge_map(obj: Obj, patch: Obj, *, keyed: bool, where: str, path: str) -> Obj:
    out = copy.deepcopy(obj)
    for key, value in patch.items():
        here = f"{path}.{key}" if path else key
        if isinstance(key, str) and key.startswith("$"):
            raise KustomizeError(f"{where}: strategic-merge directive {key} at {here} is not implemented")
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_map(out[key], value, keyed=keyed, where=where, path=here)
        elif isinstance(value, list) and keyed and key in MERGE_KEYS and isinstance(out.get(key), list):
            out[key] = _merge_list(out[key], value, MERGE_KEYS[key], keyed=keyed, where=where, path=here)
        elif isinstance(value, list) and keyed and key not in ATOMIC_LISTS and isinstance(out.get(key), list):
            raise KustomizeError(f"{where}: strategic merge of the list {here} is not implemented")
        else:
            if isinstance(value, dict) and any(isinstance(k, str) and k.startswith("$") for k in value):
                raise KustomizeError(f"{where}: strategic-merge directive at {here} is not implemented")
            out[key] = copy.deepcopy(value)
    return out


def _merge_list(
    items: list[Any], patch: list[Any], merge_key: str, *, keyed: bool, where: str, path: str
) -> list[Any]:
    out = copy.deepcopy(items)
    for element in patch:
        if not isinstance(element, dict) or merge_key not in element:
            raise KustomizeError(f"{where}: each element of {path} needs its merge key {merge_key!r}")
        if any(isinstance(k, str) and k.startswith("$") for k in element):
            raise KustomizeError(f"{where}: strategic-merge directive in {path} is not implemented")
        for i, current in enumerate(out):
            if isinstance(current, dict) and current.get(merge_key) == element[merge_key]:
                out[i] = _merge_map(
                    current, element, keyed=keyed, where=where, path=f"{path}[{element[merge_key]}]"
                )
                break
        else:
            out.append(copy.deepcopy(element))
    return out


# --- transformers --------------------------------------------------------------------------


def _set_namespace(acc: Build, namespace: Any, where: str) -> None:
    if not isinstance(namespace, str) or not namespace:
        raise KustomizeError(f"{where}: namespace must be a non-empty string")
    for r in acc.resources:
        if r.kind in NAMESPACE_SPECIAL_KINDS:
            raise KustomizeError(
                f"{where}: {r.describe()}: kustomize rewrites namespaces inside {r.kind}; "
                "not implemented by this renderer"
            )
        if r.kind not in CLUSTER_SCOPED_KINDS:
            r.obj.setdefault("metadata", {})["namespace"] = namespace
    for chart in acc.helm_charts:
        chart.effective_namespace = namespace


def _labels(acc: Build, spec: Any, where: str) -> None:
    spec = _keys(spec, {"pairs", "includeSelectors", "includeTemplates"}, where, "labels")
    if spec.get("includeSelectors"):
        raise KustomizeError(f"{where}: labels.includeSelectors is not implemented (selectors are immutable)")
    pairs = spec.get("pairs") or {}
    if not isinstance(pairs, dict) or not all(isinstance(v, str) for v in pairs.values()):
        raise KustomizeError(f"{where}: labels.pairs must map names to strings")
    for r in acc.resources:
        r.obj.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
        if spec.get("includeTemplates") and r.kind in POD_TEMPLATE_KINDS:
            template = r.obj.setdefault("spec", {}).setdefault("template", {})
            template.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)


def _replicas(acc: Build, spec: Any, where: str) -> None:
    spec = _keys(spec, {"name", "count"}, where, "replicas")
    if not isinstance(spec.get("count"), int) or isinstance(spec.get("count"), bool):
        raise KustomizeError(f"{where}: replicas {spec.get('name')}: count must be an integer")
    hits = [r for r in acc.resources if r.kind in REPLICA_KINDS and r.original_name == spec.get("name")]
    if not hits:
        raise KustomizeError(f"{where}: replicas: no workload named {spec.get('name')!r}")
    for r in hits:
        r.obj.setdefault("spec", {})["replicas"] = spec["count"]


def _split_image(image: str) -> tuple[str, str]:
    """``name[:tag][@digest]`` -> (name, rest including its separator)."""
    at = image.find("@")
    if at >= 0:
        return image[:at], image[at:]
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon:]
    return image, ""


def _images(acc: Build, spec: Any, where: str) -> None:
    spec = _keys(spec, {"name", "newName", "newTag", "digest"}, where, "images")
    if not spec.get("name"):
        raise KustomizeError(f"{where}: images entries need a name")
    if "newTag" in spec and "digest" in spec:
        raise KustomizeError(f"{where}: images {spec['name']}: newTag and digest are exclusive")
    for container in _all_containers(acc):
        image = container.get("image")
        if not isinstance(image, str):
            continue
        name, rest = _split_image(image)
        if name != spec["name"]:
            continue
        if "newTag" in spec:
            rest = f":{spec['newTag']}"
        elif "digest" in spec:
            rest = f"@{spec['digest']}"
        container["image"] = f"{spec.get('newName', name)}{rest}"


def _all_containers(acc: Build) -> Iterator[Obj]:
    for r in acc.resources:
        pod = pod_spec(r.obj)
        if pod is None:
            continue
        for group in ("initContainers", "containers"):
            yield from (c for c in pod.get(group) or [] if isinstance(c, dict))


def pod_spec(obj: Obj) -> Obj | None:
    """The pod spec of a workload (``spec.template.spec``), or None."""
    if obj.get("kind") not in POD_TEMPLATE_KINDS:
        return None
    spec = obj.get("spec", {}).get("template", {}).get("spec")
    return spec if isinstance(spec, dict) else None


# --- name hashes and references ------------------------------------------------------------


def content_hash(obj: Obj) -> str:
    """kustomize's name suffix for a ConfigMap or Secret (api/hasher/hasher.go): sha256 of
    the JSON encoding of kind, name, data (and type for a Secret), first ten hex digits with
    0 1 3 a e replaced by g h k m t.

    The name is encoded as "": kustomize looks it up with ``yaml.Lookup("metadata/name")``,
    one path element that matches no field. Checked against kustomize v5.5.0 (kubectl 1.32),
    whose suffix for ``literals: [A=1]`` is ``89g4tffbfk`` whatever the ConfigMap's name."""
    kind = obj["kind"]
    encoded: Obj = {"kind": kind, "name": "", "data": obj.get("data") or {}}
    if kind == "Secret":
        encoded["type"] = obj.get("type", "")
    elif kind != "ConfigMap":
        raise KustomizeError(f"hash suffixes of {kind} are not implemented")
    if obj.get("binaryData") or obj.get("stringData"):
        raise KustomizeError(
            f"{kind} {obj['metadata']['name']}: hashing binaryData/stringData is not implemented"
        )
    text = json.dumps(encoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Go's encoding/json escapes these for HTML safety; match it byte for byte.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def _add_hash_suffixes(acc: Build) -> None:
    renamed: dict[tuple[str, str | None, str], str] = {}
    for r in acc.resources:
        if r.needs_hash:
            new = f"{r.original_name}-{content_hash(r.obj)}"
            r.obj["metadata"]["name"] = new
            renamed[(r.kind, r.namespace, r.original_name)] = new
    if not renamed:
        return
    for r in acc.resources:
        sa_refs = r.kind == "ServiceAccount" and ("secrets" in r.obj or "imagePullSecrets" in r.obj)
        if r.kind in OTHER_REFERRERS or sa_refs:
            raise KustomizeError(
                f"{r.source}: {r.describe()} may reference a generated ConfigMap or Secret; rewriting "
                "references in it is not implemented by this renderer"
            )
        pod = pod_spec(r.obj)
        if pod is None:
            continue
        ns = r.namespace

        def fix(ref: Any, kind: str, key: str = "name", ns: str | None = ns) -> None:
            if isinstance(ref, dict) and (kind, ns, ref.get(key)) in renamed:
                ref[key] = renamed[(kind, ns, ref[key])]

        for vol in pod.get("volumes") or []:
            fix(vol.get("configMap"), "ConfigMap")
            fix(vol.get("secret"), "Secret", "secretName")
            for source in (vol.get("projected") or {}).get("sources") or []:
                fix(source.get("configMap"), "ConfigMap")
                fix(source.get("secret"), "Secret")
        for secret in pod.get("imagePullSecrets") or []:
            fix(secret, "Secret")
        for group in ("initContainers", "containers"):
            for c in pod.get(group) or []:
                for source in c.get("envFrom") or []:
                    fix(source.get("configMapRef"), "ConfigMap")
                    fix(source.get("secretRef"), "Secret")
                for var in c.get("env") or []:
                    value_from = var.get("valueFrom") or {}
                    fix(value_from.get("configMapKeyRef"), "ConfigMap")
                    fix(value_from.get("secretKeyRef"), "Secret")
