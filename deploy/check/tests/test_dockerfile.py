"""The Dockerfile and .dockerignore pass their checks, and each check catches the mistake it is for."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrator_deploy_check import dockerfile as module
from migrator_deploy_check.dockerfile import (
    DockerIgnore,
    check_dockerfile,
    check_dockerignore,
    check_final_user,
    run_hadolint,
)

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
DOCKERIGNORE = (ROOT / ".dockerignore").read_text(encoding="utf-8")


def edited_dockerfile(tmp_path: Path, old: str, new: str) -> list[str]:
    assert DOCKERFILE.count(old) == 1, f"the Dockerfile no longer holds {old!r} once"
    path = tmp_path / "Dockerfile"
    path.write_text(DOCKERFILE.replace(old, new), encoding="utf-8")
    return check_dockerfile(ROOT, path)


def edited_dockerignore(tmp_path: Path, old: str, new: str) -> list[str]:
    assert DOCKERIGNORE.count(old) == 1, f".dockerignore no longer holds {old!r} once"
    path = tmp_path / ".dockerignore"
    path.write_text(DOCKERIGNORE.replace(old, new), encoding="utf-8")
    return check_dockerignore(ROOT, path)


def mentions(problems: list[str], *words: str) -> bool:
    return any(all(word in problem for word in words) for problem in problems)


def test_the_real_dockerfile_and_dockerignore_pass() -> None:
    assert check_dockerfile(ROOT) == []


# --- hadolint -------------------------------------------------------------------------------------


def test_hadolint_catches_an_unpinned_apt_get_install(tmp_path: Path) -> None:
    problems = edited_dockerfile(
        tmp_path,
        "FROM ${BASE_IMAGE} AS runtime\n",
        "FROM ${BASE_IMAGE} AS runtime\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n",
    )
    assert mentions(problems, "DL3008"), problems


def test_hadolint_catches_an_unpinned_base_image(tmp_path: Path) -> None:
    problems = edited_dockerfile(
        tmp_path, "FROM ${BASE_IMAGE} AS runtime\n", "FROM python:latest AS runtime\n"
    )
    assert mentions(problems, "DL3007"), problems


@pytest.mark.parametrize("default", ["python", "python:latest", "registry.local:5000/python", ""])
def test_a_base_image_argument_without_a_pinned_default_is_a_problem(tmp_path: Path, default: str) -> None:
    arg = "ARG BASE_IMAGE=python:3.11.14-slim-trixie\n"
    problems = edited_dockerfile(
        tmp_path, arg, f"ARG BASE_IMAGE={default}\n" if default else "ARG BASE_IMAGE\n"
    )
    assert mentions(problems, "BASE_IMAGE"), problems


def test_a_base_image_argument_may_be_pinned_by_tag_or_digest(tmp_path: Path) -> None:
    for default in ("registry.local:5000/python:3.11", "python@sha256:" + "0" * 64):
        problems = edited_dockerfile(
            tmp_path, "ARG BASE_IMAGE=python:3.11.14-slim-trixie\n", f"ARG BASE_IMAGE={default}\n"
        )
        assert not mentions(problems, "BASE_IMAGE"), problems


def test_hadolint_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:12\nRUN apt-get install -y curl\nUSER 10001\n", encoding="utf-8")
    assert mentions(run_hadolint(path), "Dockerfile:2", "DL3008"), run_hadolint(path)


def test_a_missing_hadolint_is_a_problem_not_a_pass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(module, "hadolint_binary", lambda: None)
    assert mentions(run_hadolint(ROOT / "Dockerfile"), "hadolint not found")


# --- the user of the final stage ------------------------------------------------------------------


def test_a_dockerfile_without_user_is_caught(tmp_path: Path) -> None:
    problems = edited_dockerfile(tmp_path, "USER 10001:10001\n", "")
    assert mentions(problems, "the final stage sets no USER"), problems


def test_a_user_set_only_in_the_build_stage_is_caught(tmp_path: Path) -> None:
    problems = edited_dockerfile(tmp_path, "USER 10001:10001\n", "")
    assert mentions(problems, "sets no USER")
    text = 'FROM python:3.11.14-slim AS build\nUSER 10001\nFROM python:3.11.14-slim\nCMD ["python"]\n'
    assert check_final_user(text) == ["the final stage sets no USER: it would run as root"]


@pytest.mark.parametrize("user", ["root", "0", "0:0", "root:root"])
def test_root_is_caught(user: str) -> None:
    text = f"FROM python:3.11.14-slim\nUSER 10001\nUSER {user}\n"
    assert check_final_user(text) == [f"the final stage runs as USER {user}: root"]


@pytest.mark.parametrize("user", ["migrator", "${APP_UID}", "app:10001"])
def test_a_user_name_is_caught(user: str) -> None:
    problems = check_final_user(f"FROM python:3.11.14-slim\nUSER {user}\n")
    assert mentions(problems, "use a numeric UID"), problems


def test_a_user_inherited_from_an_earlier_stage_counts() -> None:
    text = (
        "FROM python:3.11.14-slim AS base\n"
        "RUN useradd --uid 10001 app\n"
        "USER 10001\n"
        "FROM base AS runtime\n"
        'CMD ["python"]\n'
    )
    assert check_final_user(text) == []


def test_continuation_lines_and_comments_do_not_hide_a_user() -> None:
    text = "FROM python:3.11.14-slim\nRUN echo a \\\n    # a comment\n    && echo USER 0\nUSER 10001\n"
    assert check_final_user(text) == []


# --- the build context ----------------------------------------------------------------------------


def test_a_missing_dockerignore_is_caught(tmp_path: Path) -> None:
    problems = check_dockerignore(ROOT, tmp_path / ".dockerignore")
    assert mentions(problems, ".dockerignore is missing"), problems


def test_a_context_letting_local_state_in_is_caught(tmp_path: Path) -> None:
    # Without the allow-list, only the explicit exclusions (.venv, node_modules, tests…) remain.
    problems = edited_dockerignore(tmp_path, "\n*\n", "\n")
    for item in (".git/HEAD", ".tools/uv", ".migrator/secrets.json", "tests-e2e/"):
        assert mentions(problems, item, "would be in the build context"), (item, problems)
    path = tmp_path / ".dockerignore"
    path.write_text("**/tests\n", encoding="utf-8")
    problems = check_dockerignore(ROOT, path)
    for item in (".venv/pyvenv.cfg", "tools/node_modules/"):
        assert mentions(problems, item, "would be in the build context"), (item, problems)


def test_a_context_letting_tests_in_is_caught(tmp_path: Path) -> None:
    problems = edited_dockerignore(tmp_path, "**/tests\n", "")
    assert mentions(problems, "services/gateway/tests would be in the build context"), problems


def test_a_context_missing_a_member_manifest_is_caught(tmp_path: Path) -> None:
    problems = edited_dockerignore(tmp_path, "!deploy/check/pyproject.toml\n", "")
    assert mentions(problems, "deploy/check/pyproject.toml is needed by the build"), problems


def test_a_context_missing_the_sources_is_caught(tmp_path: Path) -> None:
    problems = edited_dockerignore(tmp_path, "!simulators\n", "")
    assert mentions(problems, "simulators/m365/src/m365_simulator/__init__.py is needed"), problems
    assert mentions(problems, "simulators/m365/pyproject.toml is needed"), problems


@pytest.mark.parametrize(
    ("rules", "path", "excluded"),
    [
        ("*\n!libs\n", "libs/platform/src/x.py", False),
        ("*\n!libs\n", "services/gateway/pyproject.toml", True),
        ("*\n!libs\n**/tests\n", "libs/platform/tests/test_x.py", True),
        ("**/tests\n!libs/platform/tests\n", "libs/platform/tests/test_x.py", False),
        ("tools/node_modules\n", "tools/node_modules/azurite/package.json", True),
        ("tools/node_modules\n", "tools/package.json", False),
        ("**/*.pyc\n", "a/b/__pycache__/c.pyc", True),
        ("/.git\n", ".git/HEAD", True),
        ("docs/*.md\n", "docs/sub/a.md", False),
    ],
)
def test_dockerignore_rules_follow_docker(rules: str, path: str, excluded: bool) -> None:
    assert DockerIgnore(rules).excluded(path) is excluded
