"""Duplicate mapping keys in the YAML files of deploy/k8s.

kubectl refuses them in a manifest but keeps the last one silently in a kustomization file,
where a second ``patches:`` or ``namespace:`` quietly replaces the first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class _Duplicate(Exception):
    pass


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (libyaml's where PyYAML has it), stopping at a key given twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _Duplicate(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def duplicate_keys(directory: Path) -> list[str]:
    """One line per YAML file under ``directory`` with a key given twice in one mapping."""
    problems = []
    for path in sorted([*directory.rglob("*.yaml"), *directory.rglob("*.yml")]):
        if "charts" in path.relative_to(directory).parts:
            continue  # a Helm chart a real build pulled: not ours, and templates are not YAML
        try:
            for _ in yaml.load_all(path.read_text(), Loader=_Loader):
                pass
        except _Duplicate as e:
            problems.append(f"{path.relative_to(directory)}: {e}")
        except yaml.YAMLError:
            continue  # kubectl says what is wrong with it where it matters
    return problems
