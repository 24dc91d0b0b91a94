"""``python -m migrator_deploy_check`` (``migrator-deploy-check``): every deployment check, no Docker.

Prints each check's problems and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

from migrator_deploy_check.compose import check_compose
from migrator_deploy_check.dockerfile import check_dockerfile, check_local_dockerfiles

Check = Callable[[Path], list[str]]


def find_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding the uv workspace's pyproject.toml."""
    for directory in (start, *start.parents):
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "[tool.uv.workspace]" in pyproject.read_text(encoding="utf-8"):
            return directory
    return None


def kubernetes_check() -> Check | None:
    """``migrator_deploy_check.kubernetes.check_kubernetes``, or None while that module is not there."""
    try:
        module = importlib.import_module("migrator_deploy_check.kubernetes")
    except ModuleNotFoundError as exc:
        if exc.name == "migrator_deploy_check.kubernetes":
            return None
        raise
    check: Check = module.check_kubernetes
    return check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="migrator-deploy-check", description=__doc__)
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="the repository (default: the uv workspace around the current directory, else this package's)",
    )
    args = parser.parse_args(argv)
    root: Path | None = args.root or find_root(Path.cwd()) or find_root(Path(__file__).resolve().parent)
    if root is None:
        print("migrator-deploy-check: no uv workspace found; pass --root", file=sys.stderr)
        return 2
    root = root.resolve()

    checks: list[tuple[str, Check | None]] = [
        ("compose.yaml", check_compose),
        ("Dockerfile", check_dockerfile),
        ("deploy/compose/local", check_local_dockerfiles),
        ("Kubernetes", kubernetes_check()),
    ]
    failed = False
    for name, check in checks:
        if check is None:
            print(f"{name}: skipped (migrator_deploy_check.kubernetes is not there yet)")
            continue
        problems = check(root)
        failed = failed or bool(problems)
        print(f"{name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            print(f"  - {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
