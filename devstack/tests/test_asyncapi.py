"""The bus's AsyncAPI document: generated from the code, committed fresh, valid AsyncAPI 3.0,
and complete (every subject, command, event and request/reply of the contract, and what each
service's source sends and receives)."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft7Validator
from migrator_contracts import commands, events, logs, rpc, subjects
from migrator_contracts.enums import JobType, LogLevel
from migrator_devstack import asyncapi
from pydantic import BaseModel
from pydantic.alias_generators import to_camel

pytestmark = pytest.mark.unit

Doc = dict[str, Any]
CONTRACT_MODULES = (commands, events, rpc, logs)
COMPONENT_KEY = re.compile(r"^[\w\d.\-_]+$")
EXTENSION = re.compile(r"^x-[\w\d.\-_]+$")


@pytest.fixture(scope="module")
def document() -> Doc:
    return asyncapi.build_document()


def _models(module: ModuleType) -> dict[str, type[BaseModel]]:
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module.__name__
    }


def _channels_of(document: Doc, kind: str) -> dict[str, Doc]:
    return {k: c for k, c in document["channels"].items() if c.get("x-kind") == kind}


def _messages_of(channels: dict[str, Doc]) -> set[str]:
    return {name for channel in channels.values() for name in channel["messages"]}


def _resolve(document: Doc, ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


# --- fresh -----------------------------------------------------------------------------------------


def test_the_committed_documents_are_the_code_s(document: Doc) -> None:
    stale = asyncapi.stale_files(asyncapi.render(document))
    assert not stale, (
        f"{' and '.join(str(p) for p in stale)} differ from the code: run `{asyncapi.WRITE_COMMAND}` "
        "and commit the result"
    )


def test_generation_is_deterministic(document: Doc) -> None:
    assert asyncapi.render(asyncapi.build_document()) == asyncapi.render(document)


def test_check_fails_on_a_stale_copy_and_names_the_command(
    document: Doc, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(asyncapi, "build_document", lambda: document)
    fresh, stale = tmp_path / "fresh.json", tmp_path / "stale.json"
    fresh.write_text(asyncapi.render(document), encoding="utf-8")
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(asyncapi, "DOC_PATH", fresh)
    monkeypatch.setattr(asyncapi, "PACKAGE_COPY", fresh)
    assert asyncapi.main(["--check"]) == 0
    monkeypatch.setattr(asyncapi, "PACKAGE_COPY", stale)
    assert asyncapi.main(["--check"]) == 1
    assert f"{stale} is stale: run `{asyncapi.WRITE_COMMAND}`" in capsys.readouterr().err


def test_the_files_are_sorted_pretty_printed_json() -> None:
    text = asyncapi.DOC_PATH.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- valid AsyncAPI 3.0 ----------------------------------------------------------------------------

ROOT = {"asyncapi", "id", "info", "servers", "defaultContentType", "channels", "operations", "components"}
CHANNEL = {"address", "messages", "title", "summary", "description", "servers", "parameters", "tags"}
CHANNEL |= {"externalDocs", "bindings"}
PARAMETER = {"enum", "default", "description", "examples", "location"}
OPERATION = {"action", "channel", "title", "summary", "description", "security", "tags", "externalDocs"}
OPERATION |= {"bindings", "traits", "messages", "reply"}
REPLY = {"address", "channel", "messages"}
MESSAGE = {"headers", "payload", "correlationId", "contentType", "name", "title", "summary"}
MESSAGE |= {"description", "tags", "externalDocs", "bindings", "examples", "deprecated", "traits"}
COMPONENTS = {
    "schemas",
    "servers",
    "channels",
    "operations",
    "messages",
    "securitySchemes",
    "serverVariables",
}
COMPONENTS |= {"parameters", "correlationIds", "replies", "replyAddresses", "externalDocs", "tags"}
COMPONENTS |= {"operationTraits", "messageTraits", "serverBindings", "channelBindings"}
COMPONENTS |= {"operationBindings", "messageBindings"}


def _fields(obj: Doc, allowed: set[str], where: str) -> None:
    unknown = {k for k in obj if k not in allowed and not EXTENSION.match(k)}
    assert not unknown, f"{where}: {sorted(unknown)} are not AsyncAPI 3.0 fields"


def test_the_document_is_asyncapi_3(document: Doc) -> None:
    _fields(document, ROOT, "the document")
    assert document["asyncapi"] == "3.0.0"
    info = document["info"]
    assert isinstance(info["title"], str) and isinstance(info["version"], str)
    assert all(isinstance(t["name"], str) for t in info["tags"])
    for name, server in document["servers"].items():
        assert COMPONENT_KEY.match(name) and isinstance(server["host"], str) and server["protocol"] == "nats"

    channels, operations = document["channels"], document["operations"]
    for key, channel in channels.items():
        _fields(channel, CHANNEL, f"channel {key}")
        address = channel["address"]
        assert address is None or isinstance(address, str)
        params = set(re.findall(r"\{(\w+)\}", address or ""))
        assert params == set(channel.get("parameters", {})), f"channel {key}: parameters and address disagree"
        for param in channel.get("parameters", {}).values():
            _fields(param, PARAMETER, f"channel {key}'s parameter")
            assert isinstance(param["description"], str)
        assert channel["messages"], f"channel {key} carries no message"
        for message in channel["messages"].values():
            assert message["$ref"].startswith("#/components/messages/")

    for key, op in operations.items():
        _fields(op, OPERATION, f"operation {key}")
        assert op["action"] in ("send", "receive")
        channel_ref = op["channel"]["$ref"]
        assert channel_ref.startswith("#/channels/") and _resolve(document, channel_ref)
        assert op["messages"], f"operation {key} names no message"
        for message in op["messages"]:  # a subset of its channel's messages
            assert message["$ref"].startswith(channel_ref + "/messages/"), f"operation {key}: {message}"
        assert [t["name"] for t in op["tags"]] == [op["x-service"]]
        queue = op.get("bindings", {}).get("nats")
        if queue is not None:
            assert set(queue) <= {"queue", "bindingVersion"} and len(queue["queue"]) <= 255
        if "reply" in op:
            _fields(op["reply"], REPLY, f"operation {key}'s reply")
            reply_ref = op["reply"]["channel"]["$ref"]
            assert _resolve(document, reply_ref)["address"] is None  # the requester's inbox
            for message in op["reply"]["messages"]:
                assert message["$ref"].startswith(reply_ref + "/messages/")

    components = document["components"]
    _fields(components, COMPONENTS, "components")
    for section in components.values():
        assert all(COMPONENT_KEY.match(k) for k in section), sorted(section)
    for name, message in components["messages"].items():
        _fields(message, MESSAGE, f"message {name}")
        assert message["name"] == name and message["payload"] == {"$ref": f"#/components/schemas/{name}"}


def test_every_reference_resolves(document: Doc) -> None:
    refs = set(_refs({k: v for k, v in document.items() if k != "components"}))
    refs |= set(_refs(document["components"]["messages"]))
    refs |= set(_refs(document["components"]["schemas"]))
    for ref in sorted(refs):
        _resolve(document, ref)


def test_every_message_is_on_a_channel(document: Doc) -> None:
    used = {r for r in _refs(document["channels"]) if r.startswith("#/components/messages/")}
    assert used == {f"#/components/messages/{n}" for n in document["components"]["messages"]}


def test_payloads_are_json_schemas_of_the_wire_form(document: Doc) -> None:
    schemas = document["components"]["schemas"]
    for schema in schemas.values():
        Draft7Validator.check_schema(schema)

    def validator(name: str) -> Draft7Validator:
        return Draft7Validator({"$ref": f"#/components/schemas/{name}", "components": {"schemas": schemas}})

    now = datetime(2026, 5, 9, 8, 0, tzinfo=UTC)
    wire = [
        commands.CreateJob(
            job_id="job_1",
            org_id="org_1",
            type=JobType.SHAREPOINT,
            source_tenant_id="ten_a",
            dest_tenant_id="ten_b",
        ),
        events.JobStarted(
            event_id="e1", seq=1, occurred_at=now, job_id="job_1", org_id="org_1", total_units=3
        ),
        logs.LogLine(id="log_1", job_id="job_1", level=LogLevel.INFO, message="started", ts=now),
        rpc.Reply(status=201, body={"id": "dev_1"}),
    ]
    for message in wire:
        instance = json.loads(message.to_json())
        assert not list(validator(type(message).__name__).iter_errors(instance)), instance
    snake_case = commands.CreateJob.model_validate(json.loads(wire[0].to_json())).model_dump(mode="json")
    assert list(validator("CreateJob").iter_errors(snake_case)), "the wire form is camelCase"


# --- complete ----------------------------------------------------------------------------------------


def _builders() -> dict[str, Callable[..., str]]:
    return {
        name: fn
        for name, fn in vars(subjects).items()
        if inspect.isfunction(fn) and fn.__module__ == subjects.__name__ and not name.startswith("_")
    }


def _pattern(builder: Callable[..., str]) -> re.Pattern[str]:
    """The addresses a builder makes: its arguments as {parameters}, an event's name any token."""
    marks = {p: f"\x00{i}\x00" for i, p in enumerate(inspect.signature(builder).parameters)}
    text = re.escape(builder(**marks))
    for param, mark in marks.items():
        token = r"\w+" if param == "name" else re.escape("{" + to_camel(param) + "}")
        text = text.replace(re.escape(mark), token)
    return re.compile(f"^{text}$")


def test_every_subject_of_the_contract_is_a_channel_and_nothing_else(document: Doc) -> None:
    addresses = {c["address"] for c in document["channels"].values() if c["address"] is not None}
    constants = {n: v for n, v in vars(subjects).items() if n.isupper() and isinstance(v, str)}
    for name, value in constants.items():
        if name == "ROOT" or name.endswith("_PREFIX"):
            assert any(a.startswith(value + ".") for a in addresses), name
        else:
            assert value in addresses, f"subjects.{name} ({value}) is not in the document"
    patterns = {name: _pattern(fn) for name, fn in _builders().items()}
    for name, pattern in patterns.items():
        assert any(pattern.match(a) for a in addresses), f"subjects.{name}(…) makes no channel's address"
    for channel in document["channels"].values():
        address = channel["address"]
        if (
            address is None
            or address in constants.values()
            or any(p.match(address) for p in patterns.values())
        ):
            continue
        # A consumer's filter spanning several subjects (``migrator.evt.job.>``) is a channel of
        # its own, made of the contract's subjects it matches and nothing else.
        assert channel["x-kind"] == "wildcard" and channel["x-matches"], (
            f"{address} is neither a subject constant nor made by a subject builder"
        )
        assert set(channel["x-matches"]) <= addresses, f"{address} matches {channel['x-matches']}"


def test_every_command_event_log_line_and_request_is_a_message(document: Doc) -> None:
    messages, schemas = document["components"]["messages"], document["components"]["schemas"]
    event_channels = _channels_of(document, "event")
    documented, contract = _messages_of(event_channels), set(_models(events)) - {"Event"}
    assert documented == contract, f"events: missing {contract - documented}, unknown {documented - contract}"
    for channel in event_channels.values():
        (name,) = channel["messages"]
        assert channel["address"].endswith(f".{name}")  # an event's subject ends with its name

    command_channels = _channels_of(document, "command")
    named = {}  # a command's docstring names its subject
    for name, model in _models(commands).items():
        found = re.findall(r"``(migrator\.cmd\.[\w.]+)``", model.__doc__ or "")
        if found:
            named[name] = found
        else:  # a part of a command (AtlassianUnit): a schema, not a message
            assert name in schemas and name not in messages, name
    documented = _messages_of(command_channels)
    assert documented == set(named), (
        f"commands: missing {set(named) - documented}, unknown {documented - set(named)}"
    )
    for name, addresses in named.items():
        carrying = {c["address"] for c in command_channels.values() if name in c["messages"]}
        assert set(addresses) <= carrying, f"{name} is documented on {addresses}, found on {carrying}"

    assert _messages_of(_channels_of(document, "log")) == set(_models(logs))
    rpc_like = _messages_of(_channels_of(document, "rpc")) | _messages_of(_channels_of(document, "reply"))
    from_rpc = {n for n in rpc_like if messages[n].get("x-model", "").startswith(f"{rpc.__name__}.")}
    bodies = {  # what a Reply carries when the request succeeds
        c["x-body"]["success"]["$ref"].rsplit("/", 1)[-1]
        for c in _channels_of(document, "reply").values()
        if "$ref" in c.get("x-body", {}).get("success", {})
    }
    assert bodies <= set(schemas) and not bodies & set(messages), bodies
    documented_rpc = from_rpc | bodies
    assert documented_rpc == set(_models(rpc)), f"request/reply: missing {set(_models(rpc)) - documented_rpc}"


def test_the_request_reply_subjects_are_answered_with_their_replies(document: Doc) -> None:
    rpc_subjects = {
        v for n, v in vars(subjects).items() if n.startswith("RPC_") and not n.endswith("_PREFIX")
    }
    rpc_subjects.add(asyncapi.HEALTH)
    for subject in rpc_subjects:
        key = asyncapi.channel_id(subject)
        answering = [
            op
            for op in document["operations"].values()
            if op["channel"]["$ref"] == f"#/channels/{key}" and op["action"] == "receive"
        ]
        assert answering, f"nobody answers {subject}"
        for op in answering:
            assert op["reply"]["channel"] == {"$ref": f"#/channels/{key}.reply"}
            assert op["bindings"]["nats"]["queue"], f"{subject} is answered outside a queue group"
    devices = {v for n, v in vars(subjects).items() if n.startswith("RPC_DEVICE_")}
    for subject in devices:  # plain nats-py responders, which FastStream does not see
        op = document["operations"][f"device-hub.receive.{asyncapi.channel_id(subject)}"]
        assert op["x-origin"] == "responder"
        assert op["reply"]["messages"] == [
            {"$ref": f"#/channels/{asyncapi.channel_id(subject)}.reply/messages/Reply"}
        ]
    assert document["components"]["schemas"]["Reply"]["required"] == ["status", "body"]


def test_every_durable_says_how_many_handlers_run_at_once(document: Doc) -> None:
    """The handbook's consumer table is checked against ``x-workers``: a number, or the name of
    the setting the wiring passes (which must be a setting of that service)."""
    durables = {op["x-durable"]: op for op in document["operations"].values() if "x-durable" in op}
    assert len(durables) >= 10
    for durable, op in durables.items():
        workers = op["x-workers"]
        assert workers == 1 or isinstance(workers, str), f"{durable}: {workers!r}"
    site = durables["sp-connector-migrate-site"]
    assert site["x-workers"] == "MIGRATOR_SITE_WORKERS"
    settings = asyncapi._settings_type(asyncapi.bus_services()["sp-connector"].main)
    assert "site_workers" in settings.model_fields
    assert durables["scheduler-create-job"]["x-workers"] == 1
