"""docs/operations.md stays true to the code.

What the handbook says is checked against what the code defines: every ``migrator.`` subject it
writes must be one the contract defines (a constant, a builder of ``subjects`` with its
placeholders, a stream's subjects; ``*``, ``>`` and ``<placeholders>`` allowed), every stream,
KV bucket, setting and durable consumer it names must exist, its stream and consumer tables must
give the code's settings (a consumer's handlers at once: the setting its wiring passes), a
setting written with a default (`` `MIGRATOR_X` (4)``, or in the settings table) must have that
default and belong to the service said, and the JSON bodies of its ``nats pub`` / ``nats req``
commands must be what the consumers accept. Conversely, every stream, durable consumer, subject
and event of the code must be in it. Services, durable consumers (with the setting their worker
count comes from), queue groups and the message each subject carries are read from the AsyncAPI
document, which the services' own wiring generates; settings from the settings classes.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote

import pytest
from migrator_contracts import commands, events, logs, rpc, streams, subjects
from migrator_contracts.base import Message
from migrator_contracts.commands import QueueDeviceCommand
from migrator_contracts.devices import PayloadError, checked_payload
from migrator_contracts.streams import ALL_STREAMS
from pydantic import ValidationError
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
HANDBOOK = ROOT / "docs" / "operations.md"
MESSAGE_MODULES: tuple[ModuleType, ...] = (commands, rpc, events, logs)

# A token of a code subject pattern: ("lit", text), or a slot: "id" (any one token), "event"
# (an event name), "service" (a bus service's name), "rest" (a whole subject: dead letters),
# "star" / "gt" (the wildcards of a stream's or consumer's subject).
Token = tuple[str, str]
Pattern = tuple[Token, ...]
SLOT_OF_PARAMETER = {"name": "event", "service": "service", "subject": "rest"}


# --- what the code defines ---------------------------------------------------------------------


@dataclass(frozen=True)
class Durable:
    name: str
    stream: str
    subject: str
    service: str
    workers: str | int = 1  # handlers at once per replica: a setting's name, or a number


@dataclass
class Code:
    patterns: list[Pattern] = field(default_factory=list)  # exact subjects and builders
    wildcards: set[str] = field(default_factory=set)  # `migrator.evt.>`: written as they are
    constants: dict[str, str] = field(default_factory=dict)  # subjects.X -> "migrator...."
    builders: dict[str, Pattern] = field(default_factory=dict)
    event_names: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)
    durables: dict[str, Durable] = field(default_factory=dict)
    streams: set[str] = field(default_factory=set)  # JetStream streams, KV ones included
    kv_buckets: set[str] = field(default_factory=set)
    queue_groups: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # MIGRATOR_* settings and literals
    # MIGRATOR_* settings fields: {owner: default}; the owner is a service, or "*" (every service)
    defaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    models: dict[str, type[Message]] = field(default_factory=dict)  # subject -> its body's model
    unresolved: list[str] = field(default_factory=list)


def _pattern(subject: str) -> Pattern:
    kinds = {"*": "star", ">": "gt"}
    return tuple((kinds.get(t, "lit"), t) for t in subject.split("."))


def _builder_pattern(function: Any) -> Pattern:
    """``job_event`` → migrator.evt.job.<id>.<event>: call it with markers for its parameters."""
    params = list(inspect.signature(function).parameters)
    built: str = function(*(f"\x00{p}" for p in params))
    return tuple(
        (SLOT_OF_PARAMETER.get(t[1:], "id"), t[1:]) if t.startswith("\x00") else ("lit", t)
        for t in built.split(".")
    )


_UNRESOLVED = object()
ASYNCAPI = ROOT / "libs" / "contracts" / "src" / "migrator_contracts" / "asyncapi.json"


def _pointer(ref: str) -> str:
    """The last key of a JSON pointer (``#/channels/migrator.cmd.x/messages/Name`` → ``Name``)."""
    return unquote(ref.rsplit("/", 1)[-1]).replace("~1", "/").replace("~0", "~")


def _channel_of(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    channel: dict[str, Any] = document["channels"][_pointer(operation["channel"]["$ref"])]
    return channel


def _read_asyncapi(code: Code) -> None:
    """Services, durables (with their worker counts), queue groups and message models, from the
    AsyncAPI document the services' own wiring generates (``make validate`` keeps it current)."""
    document = json.loads(ASYNCAPI.read_text(encoding="utf-8"))
    classes = {
        name: value
        for module in MESSAGE_MODULES
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, Message)
    }
    for key, operation in sorted(document["operations"].items()):
        channel = _channel_of(document, operation)
        service, address = operation["x-service"], channel["address"]
        if operation["action"] != "receive" or operation.get("x-origin") == "catalogue":
            continue
        code.services.add(service)
        if queue := (operation.get("bindings") or {}).get("nats", {}).get("queue"):
            code.queue_groups.add(queue)
        names = [_pointer(m["$ref"]) for m in operation["messages"]]
        if len(names) == 1 and "{" not in address:
            if names[0] in classes:
                code.models[address] = classes[names[0]]
            else:
                code.unresolved.append(f"{key}: {names[0]} is no message of the contract")
        if durable := operation.get("x-durable"):
            workers = operation.get("x-workers", 1)
            code.durables[durable] = Durable(
                durable, channel["x-stream"], operation.get("x-subject", address), service, workers
            )


def _service_of(path: Path) -> str:
    return path.relative_to(ROOT / "services").parts[0]


def _read_names(code: Code) -> None:
    """``MIGRATOR_*`` names: the settings classes' own fields (pydantic-settings, prefix
    MIGRATOR_; the platform's are every service's) with their defaults, and literals."""
    modules = [("*", "migrator_platform.settings")]
    for path in sorted((ROOT / "services").glob("*/src/*/config.py")):
        modules.append((_service_of(path), f"{path.parent.name}.config"))
    for owner, module_name in modules:
        module = importlib.import_module(module_name)
        for settings in vars(module).values():
            if not (isinstance(settings, type) and issubclass(settings, BaseSettings)):
                continue
            if settings.__module__ != module_name:
                continue
            for field_name in inspect.get_annotations(settings):
                name = f"MIGRATOR_{field_name.upper()}"
                default = settings.model_fields[field_name].default
                code.names.add(name)
                code.defaults.setdefault(name, {})[owner] = (
                    _UNRESOLVED if default is PydanticUndefined else default
                )
    for top in ("libs", "services", "devstack"):
        for path in (ROOT / top).glob("**/src/**/*.py"):
            code.names.update(re.findall(r"[\"'](MIGRATOR_[A-Z0-9_]+)[\"']", path.read_text()))


def _define(code: Code, subject: str) -> None:
    """A wildcard (a stream's subjects, ``EVT_ALL``) defines no subject of its own: the handbook
    may write it as it is, but ``migrator.evt.job.<jobId>.Nonsense`` must match a real one."""
    if {"*", ">"} & set(subject.split(".")):
        code.wildcards.add(subject)
    else:
        code.patterns.append(_pattern(subject))


@cache
def the_code() -> Code:
    code = Code()
    for name, value in vars(subjects).items():
        if isinstance(value, str) and value.startswith("migrator."):
            code.constants[name] = value
            _define(code, value)
        elif inspect.isfunction(value) and value.__module__ == subjects.__name__:
            code.builders[name] = _builder_pattern(value)
            code.patterns.append(code.builders[name])
    for spec in ALL_STREAMS:
        code.streams.add(spec.name)
        for subject in spec.subjects:
            _define(code, subject)
    code.event_names = {
        name
        for name, value in vars(events).items()
        if isinstance(value, type) and issubclass(value, events.Event) and value is not events.Event
    }
    _read_asyncapi(code)
    code.kv_buckets = set(streams.KV_BUCKETS)
    code.streams |= {f"KV_{bucket}" for bucket in code.kv_buckets}
    _read_names(code)
    return code


# --- reading the handbook ----------------------------------------------------------------------

SUBJECT = re.compile(r"(?<![\w.\-/])migrator\.[\w\-*>.<…]+")
NAME = re.compile(r"\b(?:KV_)?MIGRATOR_[A-Z0-9_]+\b")
STREAM_ARG = re.compile(
    r"nats\s+stream\s+(?:info|view|get|subjects|subj|rmm|purge|edit|rm|state)\s+([^\s`'\"]+)"
)
STREAM_FLAG = re.compile(r"--stream[\s=]+([^\s`'\"]+)")
CONSUMER_ARGS = re.compile(
    r"nats\s+consumer\s+(?:info|next|edit|rm|report|ls|sub)\s+([^\s`'\"]+)(?:\s+([^\s`'\"]+))?"
)
KEBAB = re.compile(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`")
FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.S)
NATS_SEND = re.compile(r"^nats\s+(?:pub|publish|req|request)\s+(.*)$")
VALUED_FLAGS = {"-H", "--header", "-s", "--server", "--count", "--timeout", "--sleep", "--reply", "--replies"}


def _is_placeholder(token: str) -> bool:
    return token.startswith("<") and token.endswith(">") and len(token) > 2


def _fits(token: str, slot: Token, code: Code) -> bool:
    kind, value = slot
    if token == "*" or _is_placeholder(token) or kind in ("id", "star"):
        return True
    if kind == "lit":
        return token == value
    if kind == "event":
        return token in code.event_names
    if kind == "service":
        return token in code.services
    return False


def _intersects(doc: list[str], pattern: Pattern, code: Code) -> bool:
    """Whether some subject is both written by ``doc`` (a subject with wildcards and
    placeholders) and produced by ``pattern``."""

    def match(i: int, j: int) -> bool:
        if j < len(pattern) and pattern[j][0] == "gt":
            return i < len(doc)
        if i < len(doc) and doc[i] == ">":
            return j < len(pattern)
        if i == len(doc) or j == len(pattern):
            return i == len(doc) and j == len(pattern)
        if pattern[j][0] == "rest":  # a dead letter: the rest is the original subject
            rest = doc[i:]
            if (len(rest) == 1 and _is_placeholder(rest[0])) or ".".join(rest) in code.wildcards:
                return True
            return any(
                _intersects(rest, p, code) for p in code.patterns if not any(k == "rest" for k, _ in p)
            )
        return _fits(doc[i], pattern[j], code) and match(i + 1, j + 1)

    return match(0, 0)


def subjects_in(text: str) -> list[str]:
    return [m.group(0) for m in SUBJECT.finditer(text)]


def _subject_problem(written: str, code: Code) -> str | None:
    candidates = [written.rstrip(".")]
    if written.endswith("."):  # a prefix: `migrator.cmd.`
        candidates.append(written.rstrip(".") + ".>")
    for subject in candidates:
        tokens = subject.split(".")
        if "" in tokens or ">" in tokens[:-1]:
            continue
        if subject in code.wildcards or any(_intersects(tokens, p, code) for p in code.patterns):
            return None
    return f"subject `{written}` is not one the code defines"


def _tables(text: str) -> Iterator[tuple[list[str], list[list[str]]]]:
    """Markdown tables: (lower-cased header cells, rows of cells)."""
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.strip().startswith("|"):
            block.append(line.strip())
            continue
        if len(block) >= 2:
            cells = [[c.strip() for c in row.strip("|").split("|")] for row in block]
            yield [c.lower() for c in cells[0]], cells[2:]
        block = []


def _unquote(cell: str) -> str:
    return cell.strip().strip("`").strip()


def _quoted(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def _seconds(cell: str) -> float | None:
    found = re.search(r"(\d+(?:\.\d+)?)\s*(days?|d|hours?|h|minutes?|min|m|seconds?|s)\b", cell)
    if not found:
        return None
    unit = found.group(2)
    scale = (
        86400 if unit.startswith("d") else 3600 if unit.startswith("h") else 60 if unit.startswith("m") else 1
    )
    return float(found.group(1)) * scale


def _column(header: list[str], word: str) -> int | None:
    return next((i for i, h in enumerate(header) if word in h), None)


def _stream_table_problems(header: list[str], rows: list[list[str]]) -> list[str]:
    specs = {s.name: s for s in ALL_STREAMS}
    problems = []
    columns = {w: _column(header, w) for w in ("subjects", "retention", "max age", "duplicate window")}
    for row in rows:
        name = _unquote(row[0])
        spec = specs.get(name)
        if spec is None:
            problems.append(f"stream table: no stream {name} in the code")
            continue

        def cell(word: str, row: list[str] = row) -> str | None:
            i = columns[word]
            return row[i] if i is not None and i < len(row) else None

        if (c := cell("subjects")) is not None and set(_quoted(c)) != set(spec.subjects):
            problems.append(f"stream table: {name} captures {list(spec.subjects)}, not {_quoted(c)}")
        if (c := cell("retention")) is not None:
            says_work_queue = "work queue" in c.lower()
            if says_work_queue != spec.work_queue or (not spec.work_queue and "limits" not in c.lower()):
                problems.append(
                    f"stream table: {name} retention is {'work queue' if spec.work_queue else 'limits'}"
                )
        for word, expected in (
            ("max age", spec.max_age_seconds),
            ("duplicate window", spec.duplicate_window_seconds),
        ):
            if (c := cell(word)) is not None and _seconds(c) != expected:
                problems.append(f"stream table: {name} {word} is {expected:g} s, not {c!r}")
    return problems


def _durable_table_problems(header: list[str], rows: list[list[str]], code: Code) -> list[str]:
    problems = []
    columns = {w: _column(header, w) for w in ("stream", "service", "filter", "handlers")}
    for row in rows:
        name = _unquote(row[0])
        durable = code.durables.get(name)
        if durable is None:
            problems.append(f"consumer table: no durable consumer {name} in the code")
            continue
        expected = {"stream": durable.stream, "service": durable.service, "filter": durable.subject}
        for word, value in expected.items():
            i = columns[word]
            if i is not None and i < len(row) and _unquote(row[i]) != value:
                problems.append(f"consumer table: {name}'s {word} is {value}, not {_unquote(row[i])}")
        i = columns["handlers"]
        if i is not None and i < len(row):
            cell, workers = row[i], durable.workers
            said = _quoted(cell)[0] if isinstance(workers, str) and _quoted(cell) else cell.split(" ")[0]
            if said != str(workers):
                problems.append(f"consumer table: {name}'s handlers at once are {workers}, not {cell}")
    return problems


def _default_problem(name: str, said: str, code: Code, owner: str | None = None) -> str | None:
    """``said`` (a number) is not the default of setting ``name`` (of ``owner``'s settings)."""
    owners = code.defaults.get(name)
    if not owners:
        return f"{name} is not a settings field of the code"
    if owner is not None:
        if owner not in owners:
            readers = ", ".join(sorted(o.replace("*", "every service") for o in owners))
            return f"{name} is read by {readers}, not {owner}"
        owners = {owner: owners[owner]}
    values = {v for v in owners.values() if v is not _UNRESOLVED}
    try:
        number = float(said)
    except ValueError:
        return f"{name}'s default is {sorted(map(str, values))}, not {said!r}"
    if not values or any(not isinstance(v, int | float) or float(v) != number for v in values):
        return f"{name}'s default is {', '.join(sorted(map(str, values))) or 'not a literal'}, not {said}"
    return None


SETTING_WITH_DEFAULT = re.compile(r"`(MIGRATOR_[A-Z0-9_]+)`\s*\((\d+(?:\.\d+)?)(?:\s*s)?\)")


def _settings_table_problems(header: list[str], rows: list[list[str]], code: Code) -> list[str]:
    problems = []
    default, owner = _column(header, "default"), _column(header, "read by")
    for row in rows:
        name = _unquote(row[0])
        said_owner = None
        if owner is not None and owner < len(row):
            said_owner = "*" if row[owner].strip() == "every service" else row[owner].strip()
        said = row[default].strip().strip("`") if default is not None and default < len(row) else ""
        if (problem := _default_problem(name, said, code, said_owner)) is not None:
            problems.append(f"settings table: {problem}")
    return problems


def _commands_in(text: str) -> Iterator[list[str]]:
    """``nats pub`` / ``nats req`` commands of the fenced code blocks, split like a shell would."""
    for block in FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            found = NATS_SEND.match(line.strip())
            if found:
                try:
                    yield shlex.split(found.group(1), comments=True)
                except ValueError:
                    yield ["<unparsable>", line]


def _body_problems(argv: list[str], code: Code) -> list[str]:
    positional: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in VALUED_FLAGS:
            skip = True
        elif not arg.startswith("-"):
            positional.append(arg)
    if len(positional) < 2 or not positional[1].lstrip().startswith("{"):
        return []
    subject, body = positional[0], positional[1]
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        return [f"`nats` body for {subject} is not JSON: {exc}"]
    model = code.models.get(subject)
    if model is None:
        return []
    problems = []
    known = {f.alias or n for n, f in model.model_fields.items()} | set(model.model_fields)
    unknown = sorted(set(data) - known)
    if unknown:
        problems.append(f"body for {subject}: {model.__name__} has no field {', '.join(unknown)}")
    try:
        model.model_validate(data)
    except ValidationError as exc:
        problems.append(f"body for {subject} is not a valid {model.__name__}: {exc.errors()[:3]}")
    if model is QueueDeviceCommand and "type" in data:
        try:
            checked_payload(data["type"], data.get("payload"))
        except PayloadError as exc:
            problems.append(f"body for {subject}: {exc}")
    return problems


def handbook_problems(text: str) -> list[str]:
    """What the handbook says that the code does not: one line per untrue statement."""
    code = the_code()
    problems: list[str] = []
    for written in dict.fromkeys(subjects_in(text)):
        if (problem := _subject_problem(written, code)) is not None:
            problems.append(problem)
    for name in dict.fromkeys(NAME.findall(text)):
        if name.startswith("KV_"):
            if name not in code.streams:
                problems.append(f"`{name}`: no KV bucket {name[3:]} in the code")
        elif name not in code.streams and name not in code.names:
            problems.append(f"`{name}` is neither a stream nor a setting of the code")
    for name in dict.fromkeys(STREAM_ARG.findall(text) + STREAM_FLAG.findall(text)):
        if not name.startswith(("-", "<")) and name not in code.streams:
            problems.append(f"`{name}` in a nats command is not a stream of the code")
    for stream, consumer in dict.fromkeys(CONSUMER_ARGS.findall(text)):
        if stream.startswith(("-", "<")):
            continue
        if stream not in code.streams:
            problems.append(f"`nats consumer … {stream}`: not a stream of the code")
        if consumer and not consumer.startswith(("-", "<", "#")):
            durable = code.durables.get(consumer)
            if durable is None:
                problems.append(f"`nats consumer … {stream} {consumer}`: no durable {consumer} in the code")
            elif durable.stream != stream:
                problems.append(f"`nats consumer … {stream} {consumer}`: {consumer} is on {durable.stream}")
    known_kebab = set(code.durables) | code.queue_groups | code.services
    for name in dict.fromkeys(KEBAB.findall(text)):
        if any(name.startswith(f"{s}-") for s in code.services) and name not in known_kebab:
            problems.append(f"`{name}` is not a durable consumer or queue group of the code")
    for header, rows in _tables(text):
        if header and header[0] == "stream":
            problems += _stream_table_problems(header, rows)
        elif header and header[0] == "durable":
            problems += _durable_table_problems(header, rows, code)
        elif header and header[0] == "setting":
            problems += _settings_table_problems(header, rows, code)
    for name, said in dict.fromkeys(SETTING_WITH_DEFAULT.findall(text)):
        if (problem := _default_problem(name, said, code)) is not None:
            problems.append(problem)
    for argv in _commands_in(text):
        problems += _body_problems(argv, code)
    return problems


def handbook_omissions(text: str) -> list[str]:
    """What the code defines that the handbook leaves out."""
    code = the_code()
    written = [s.rstrip(".") for s in subjects_in(text)]
    tables = list(_tables(text))
    stream_rows = {_unquote(r[0]) for h, rows in tables if h and h[0] == "stream" for r in rows}
    durable_rows = {_unquote(r[0]) for h, rows in tables if h and h[0] == "durable" for r in rows}
    missing = [
        f"stream {s.name} is not in the streams table" for s in ALL_STREAMS if s.name not in stream_rows
    ]
    missing += [
        f"durable {d} is not in the consumers table" for d in sorted(code.durables) if d not in durable_rows
    ]
    for name, value in sorted(code.constants.items()):
        if not any(w == value or w.startswith(f"{value}.") for w in written):
            missing.append(f"subjects.{name} ({value}) is not documented")
    for name, pattern in sorted(code.builders.items()):
        if not any(_shows(w.split("."), pattern, code) for w in written):
            missing.append(f"subjects.{name}() ({'.'.join(v for _, v in pattern)}) is not documented")
    for service in sorted(code.services):
        if subjects.rpc_health(service) not in written:
            missing.append(f"{subjects.rpc_health(service)} is not documented")
    missing += [
        f"event {e} is not documented" for e in sorted(code.event_names) if not re.search(rf"\b{e}\b", text)
    ]
    missing += [f"KV bucket {b} is not documented" for b in sorted(code.kv_buckets) if b not in text]
    return missing


def _shows(doc: list[str], pattern: Pattern, code: Code) -> bool:
    """``doc`` is written in the builder's shape: its literals where the builder has them."""
    fixed = [i for i, (kind, _) in enumerate(pattern) if kind != "rest"]
    if len(doc) < len(pattern) or (len(doc) > len(pattern) and pattern[-1][0] != "rest"):
        return False
    return all(
        doc[i] == pattern[i][1] if pattern[i][0] == "lit" else _fits(doc[i], pattern[i], code) for i in fixed
    )


# --- the tests ---------------------------------------------------------------------------------


def handbook() -> str:
    return HANDBOOK.read_text(encoding="utf-8")


def test_the_code_is_read_completely() -> None:
    code = the_code()
    assert code.unresolved == []
    assert streams.LOG_PROJECTION_DURABLE in code.durables
    assert len(code.durables) >= 10 and len(code.services) >= 5 and code.kv_buckets
    stream_subjects = {s.name: s.subjects for s in ALL_STREAMS}
    for durable in code.durables.values():  # each consumer's filter lies inside its stream
        assert any(
            _intersects(durable.subject.split("."), _pattern(s), code)
            for s in stream_subjects[durable.stream]
        )
    assert code.models[subjects.CMD_DEVICE_COMMAND] is QueueDeviceCommand
    assert code.models[subjects.RPC_DEVICE_LIST] is rpc.ListDevices


def test_the_handbook_says_only_what_the_code_defines() -> None:
    assert handbook_problems(handbook()) == []


def test_the_handbook_documents_every_stream_consumer_subject_and_event() -> None:
    assert handbook_omissions(handbook()) == []


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("Watch `migrator.cmd.job.archive`.", "migrator.cmd.job.archive"),
        ("nats sub 'migrator.evt.job.<jobId>.JobFinished'", "JobFinished"),
        ("nats sub 'migrator.jobs.>'", "migrator.jobs.>"),
        ("nats req migrator.rpc.health.reporting ''", "reporting"),
        ("nats sub 'migrator.dlq.migrator.cmd.site.copy'", "migrator.cmd.site.copy"),
        ("nats stream info MIGRATOR_JOBS", "MIGRATOR_JOBS"),
        ("nats sub --stream MIGRATOR_EVENTS --all", "MIGRATOR_EVENTS"),
        ("nats consumer info MIGRATOR_CMD scheduler-create-jobs", "scheduler-create-jobs"),
        ("nats consumer info MIGRATOR_EVT scheduler-create-job", "scheduler-create-job"),
        ("`sp-connector-migrate-sites` runs four at a time.", "sp-connector-migrate-sites"),
        ("Set `MIGRATOR_ACK_WAIT` to 60.", "MIGRATOR_ACK_WAIT"),
        (
            "```sh\nnats req migrator.rpc.devices.cancel "
            '\'{"orgId":"<orgId>","deviceID":"<deviceId>","commandId":"<commandId>"}\'\n```',
            "deviceID",
        ),
        (
            "```sh\nnats pub --jetstream migrator.cmd.device.command -H Nats-Msg-Id:cmd_x "
            '\'{"orgId":"o","deviceId":"d","type":"COLLECT_LOGS","payload":{"uploadUrl":"http://x"}}\'\n```',
            "uploadUrl",
        ),
    ],
)
def test_a_line_the_code_does_not_back_is_reported(line: str, named: str) -> None:
    problems = handbook_problems(handbook() + "\n\n" + line + "\n")
    assert problems, f"not caught: {line}"
    assert any(named in p for p in problems), problems


@pytest.mark.parametrize(
    ("written", "wrong", "named"),
    [
        (
            "| `scheduler-create-job` | `MIGRATOR_CMD` | scheduler | `migrator.cmd.job.create` |",
            "| `scheduler-create-job` | `MIGRATOR_CMD` | scheduler | `migrator.cmd.job.batch` |",
            "scheduler-create-job's filter",
        ),
        (
            "| `log-stream-project` | `MIGRATOR_LOG` | log-stream |",
            "| `log-stream-project` | `MIGRATOR_EVT` | log-stream |",
            "log-stream-project's stream",
        ),
        (
            "| `MIGRATOR_LOG` | `migrator.log.>` | limits | 30 days |",
            "| `MIGRATOR_LOG` | `migrator.log.>` | limits | 7 days |",
            "MIGRATOR_LOG max age",
        ),
        (
            "| `MIGRATOR_EVT` | `migrator.evt.>` | limits |",
            "| `MIGRATOR_EVT` | `migrator.evt.>` | work queue |",
            "MIGRATOR_EVT retention",
        ),
        (
            "`migrator.cmd.team.migrate` | `MIGRATOR_TEAM_WORKERS` (2) |",
            "`migrator.cmd.team.migrate` | `MIGRATOR_MAILBOX_WORKERS` (4) |",
            "mail-teams-connector-migrate-team's handlers at once are MIGRATOR_TEAM_WORKERS",
        ),
        (
            "`migrator.cmd.job.create` | 1 |",
            "`migrator.cmd.job.create` | 4 |",
            "scheduler-create-job's handlers at once are 1",
        ),
        (
            "| `MIGRATOR_UNIT_START_TIMEOUT_SECONDS` | 300 | scheduler |",
            "| `MIGRATOR_UNIT_START_TIMEOUT_SECONDS` | 120 | scheduler |",
            "MIGRATOR_UNIT_START_TIMEOUT_SECONDS's default is 300.0, not 120",
        ),
        (
            "| `MIGRATOR_MAILBOX_WORKERS` | 4 | mail-teams-connector |",
            "| `MIGRATOR_MAILBOX_WORKERS` | 4 | sp-connector |",
            "MIGRATOR_MAILBOX_WORKERS is read by mail-teams-connector, not sp-connector",
        ),
        (
            "`MIGRATOR_ACK_WAIT_SECONDS` (30 s)",
            "`MIGRATOR_ACK_WAIT_SECONDS` (60 s)",
            "MIGRATOR_ACK_WAIT_SECONDS's default is 30.0, not 60",
        ),
    ],
)
def test_a_table_that_disagrees_with_the_code_is_reported(written: str, wrong: str, named: str) -> None:
    text = handbook()
    assert written in text
    problems = handbook_problems(text.replace(written, wrong))
    assert any(named in p for p in problems), problems


def test_a_stream_or_consumer_left_out_is_reported() -> None:
    text = handbook()
    kept = [
        line
        for line in text.splitlines()
        if not line.startswith(("| `MIGRATOR_DLQ` |", "| `device-hub-queue-command` |"))
        and "migrator.rpc.devices.enrollment" not in line
    ]
    missing = handbook_omissions("\n".join(kept))
    assert "stream MIGRATOR_DLQ is not in the streams table" in missing
    assert "durable device-hub-queue-command is not in the consumers table" in missing
    assert any("RPC_DEVICE_ENROLLMENT" in m for m in missing), missing
