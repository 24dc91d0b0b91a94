"""The AsyncAPI 3.0 document of the bus, generated from the code.

Where each part comes from:

* **What the services receive**: each bus service's own bootstrap (``<package>.bootstrap.main``)
  is run with an unconnected broker and an in-memory read store, and stopped where it would
  start serving; FastStream's AsyncAPI generator then lists that broker's subscribers (subject,
  queue group), and the plain nats-py ``Responder``\\ s are read from the service's ``Runtime``.
  Nothing connects to NATS. The contract model a consumer validates against is the type its
  FastStream handler takes (a responder's, from the handler it wraps), and must agree with the
  catalogue below.
* **Every subject and message of the contract**: the catalogue below names each command's,
  event's and request's model in ``migrator_contracts``; subjects are rendered by the contract's
  own subject builders (``job_event("{jobId}", "JobStarted")``), so a parameter of a subject is a
  channel parameter here. The tests hold the catalogue to ``migrator_contracts`` (every subject,
  every command, event and request/reply model) and to the services' source.
* **What the services send**: each service declares its sends (``declare_sends``, in its
  entrypoints; the gateway's in ``migrator_gateway.sends``) as FastStream publishers, which the
  same generator lists; a publish or request not declared is refused at run time, so the
  document cannot miss one. What a declared send carries must agree with the catalogue.

``python -m migrator_devstack.asyncapi --write`` writes ``docs/asyncapi.json`` and the copy the
gateway serves at ``GET /asyncapi.json`` (``migrator_contracts/asyncapi.json``); ``--check``
fails when either is stale.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import re
import sys
import typing
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock
from urllib.parse import unquote

import migrator_contracts
from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI
from migrator_contracts import ids, streams, subjects
from migrator_contracts.base import Message
from migrator_contracts.commands import (
    ControlJob,
    CreateJob,
    CreateJobBatch,
    DeleteTenant,
    DiscoverTenant,
    MigrateAtlassianScope,
    MigrateMailbox,
    MigrateSite,
    MigrateTeam,
    QueueDeviceCommand,
    RevokeTenant,
)
from migrator_contracts.events import (
    ApiKeyRevoked,
    DeviceCommandChanged,
    DeviceDeleted,
    DeviceRegistered,
    Event,
    ItemFailed,
    JobCompleted,
    JobDeleted,
    JobPaused,
    JobQueued,
    JobResumed,
    JobStarted,
    TenantConnected,
    TenantConsentLost,
    TenantDiscovered,
    TenantRemoved,
    UnitProgressed,
)
from migrator_contracts.logs import LogLine
from migrator_contracts.rpc import (
    CancelDeviceCommand,
    ConnectTenantReply,
    ConnectTenantRequest,
    ConsentReply,
    ConsentRequest,
    DeleteDevice,
    DeviceCheckin,
    DeviceResult,
    GetDevice,
    HealthProbe,
    HealthReply,
    ListDevices,
    RegisterDevice,
    RegisterServer,
    RegisterServerReply,
    Reply,
    SetEnrollment,
)
from migrator_platform import consumer
from migrator_platform.bus import create_broker, declare_sends, declared_sends
from migrator_platform.health import answer_health
from migrator_platform.responder import Responder
from migrator_platform.service import Runtime
from migrator_platform.settings import ServiceSettings
from migrator_readstore.sqlite import SqliteReadStore
from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from migrator_devstack.stack import SERVICES

SPEC_VERSION = "3.0.0"
REPO = Path(__file__).resolve().parents[3]
DOC_PATH = REPO / "docs" / "asyncapi.json"
PACKAGE_COPY = Path(migrator_contracts.__file__).resolve().parent / "asyncapi.json"
WRITE_COMMAND = ".venv/bin/python -m migrator_devstack.asyncapi --write"
SCHEMAS = "#/components/schemas/"


# --- messages that are not pydantic models ------------------------------------------------------


@dataclass(frozen=True)
class Extra:
    """A message the contract has no model for (an empty probe, an error reply, a dead letter)."""

    name: str
    summary: str
    payload: dict[str, Any]
    content_type: str = "application/json"
    headers: str | None = "MessageHeaders"


DEAD_LETTER = Extra(
    "DeadLetter",
    "A message a consumer could not process (invalid, or failing after its last delivery), "
    "its body as it was published; why is in the headers.",
    {"description": "The original message's body, byte for byte (it may not be valid JSON)."},
    content_type="application/octet-stream",
    headers="DeadLetterHeaders",
)

FIXED_SCHEMAS: dict[str, dict[str, Any]] = {
    "ErrorBody": {
        "type": "object",
        "title": "ErrorBody",
        "description": "A refused request's Reply body: the API's error body.",
        "properties": {
            "error": {"type": "string"},
            "code": {"type": "string"},
            "status": {"type": "integer"},
        },
        "required": ["error", "code", "status"],
    },
    "MessageHeaders": {
        "type": "object",
        "title": "MessageHeaders",
        "properties": {
            "Nats-Msg-Id": {
                "type": "string",
                "description": "On JetStream subjects (commands, events, log lines): the message's "
                "de-duplication id; a publish repeated within the stream's duplicate window is "
                "stored once.",
            },
            "traceparent": {"type": "string", "description": "W3C trace context (OpenTelemetry)."},
            "tracestate": {"type": "string", "description": "W3C trace context (OpenTelemetry)."},
        },
    },
    "DeadLetterHeaders": {
        "type": "object",
        "title": "DeadLetterHeaders",
        "properties": {
            "Migrator-Original-Subject": {"type": "string", "description": "Where it was published."},
            "Migrator-Reason": {"type": "string", "description": "Why it was dead-lettered."},
            "Migrator-Deliveries": {"type": "string", "description": "How often it was delivered."},
            "Nats-Msg-Id": {"type": "string", "description": "dlq:<stream>:<stream sequence>"},
        },
        "required": ["Migrator-Original-Subject", "Migrator-Reason", "Migrator-Deliveries"],
    },
}

Msg = type[BaseModel] | Extra


def _msg_name(msg: Msg) -> str:
    return msg.name if isinstance(msg, Extra) else msg.__name__


# --- the catalogue: every subject of the contract and its messages ------------------------------

# Commands: one handler each (the MIGRATOR_CMD work queue).
COMMANDS: dict[str, type[Message]] = {
    subjects.CMD_JOB_CREATE: CreateJob,
    subjects.CMD_JOB_BATCH: CreateJobBatch,
    subjects.CMD_JOB_CONTROL: ControlJob,
    subjects.CMD_SITE_MIGRATE: MigrateSite,
    subjects.CMD_MAILBOX_MIGRATE: MigrateMailbox,
    subjects.CMD_TEAM_MIGRATE: MigrateTeam,
    subjects.CMD_TENANT_DISCOVER: DiscoverTenant,
    subjects.CMD_TENANT_DELETE: DeleteTenant,
    subjects.CMD_TENANT_REVOKE: RevokeTenant,
    subjects.CMD_DEVICE_COMMAND: QueueDeviceCommand,
    subjects.CMD_ATLASSIAN_MIGRATE: MigrateAtlassianScope,
    subjects.CMD_ATLASSIAN_DISCOVER: DiscoverTenant,
}

# Events: the subject builder of each (``builder(<aggregate id>, <event name>)``).
EVENTS: dict[type[Event], Callable[[str, str], str]] = {
    JobQueued: subjects.job_event,
    JobStarted: subjects.job_event,
    JobCompleted: subjects.job_event,
    JobPaused: subjects.job_event,
    JobResumed: subjects.job_event,
    JobDeleted: subjects.job_event,
    UnitProgressed: subjects.unit_event,
    ItemFailed: subjects.unit_event,
    TenantConnected: subjects.tenant_event,
    TenantDiscovered: subjects.tenant_event,
    TenantRemoved: subjects.tenant_event,
    TenantConsentLost: subjects.tenant_event,
    DeviceRegistered: subjects.device_event,
    DeviceDeleted: subjects.device_event,
    DeviceCommandChanged: subjects.device_event,
    ApiKeyRevoked: subjects.apikey_event,
}


def _template(builder: Callable[..., str], **fixed: str) -> str:
    """A subject builder's subject with its arguments as parameters: ``migrator.log.job.{jobId}``."""
    names = inspect.signature(builder).parameters
    return builder(**{n: fixed.get(n, "{" + to_camel(n) + "}") for n in names})


def event_subject(event: type[Event]) -> str:
    return _template(EVENTS[event], name=event.__name__)


JOB_LOG = _template(subjects.job_log)
HEALTH = _template(subjects.rpc_health)
DEAD_LETTERS = _template(subjects.dead_letter)

# Request/reply on core NATS: the request and the replies it may get.
DEVICE_REQUESTS: dict[str, type[Message]] = {
    subjects.RPC_DEVICE_REGISTER: RegisterDevice,
    subjects.RPC_DEVICE_CHECKIN: DeviceCheckin,
    subjects.RPC_DEVICE_RESULT: DeviceResult,
    subjects.RPC_DEVICE_LIST: ListDevices,
    subjects.RPC_DEVICE_GET: GetDevice,
    subjects.RPC_DEVICE_DELETE: DeleteDevice,
    subjects.RPC_DEVICE_COMMAND: QueueDeviceCommand,
    subjects.RPC_DEVICE_CANCEL: CancelDeviceCommand,
    subjects.RPC_DEVICE_ENROLLMENT: SetEnrollment,
}
RPC: dict[str, tuple[Msg, tuple[Msg, ...]]] = {
    subjects.RPC_TENANT_CONNECT: (ConnectTenantRequest, (Reply,)),
    subjects.RPC_TENANT_CONSENT: (ConsentRequest, (Reply,)),
    subjects.RPC_ATLASSIAN_CONNECT: (ConnectTenantRequest, (Reply,)),
    subjects.RPC_ATLASSIAN_CONSENT: (ConsentRequest, (Reply,)),
    subjects.RPC_ATLASSIAN_REGISTER: (RegisterServer, (Reply,)),
    HEALTH: (HealthProbe, (Reply,)),
    # {"status": <HTTP status>, "body": {...}}: what the gateway answers (device-hub's as is)
    **{subject: (model, (Reply,)) for subject, model in DEVICE_REQUESTS.items()},
}
# What a successful Reply's body holds, where a model says it (device-hub's bodies are the API's
# responses, which the OpenAPI document describes); a refusal's body is always ErrorBody.
REPLY_BODIES: dict[str, type[Message]] = {
    subjects.RPC_TENANT_CONNECT: ConnectTenantReply,
    subjects.RPC_TENANT_CONSENT: ConsentReply,
    subjects.RPC_ATLASSIAN_CONNECT: ConnectTenantReply,
    subjects.RPC_ATLASSIAN_CONSENT: ConsentReply,
    subjects.RPC_ATLASSIAN_REGISTER: RegisterServerReply,
    HEALTH: HealthReply,
}

# Received outside FastStream and the responders: the gateway's live log tails (JetStream
# ordered consumers, one per job being watched) and revoked API keys (a core subscription on
# every replica, each forgetting the key at once).
RECEIVED_BY: dict[str, tuple[str, ...]] = {"gateway": (JOB_LOG, event_subject(ApiKeyRevoked))}

PARAMETERS: dict[str, str] = {
    "jobId": f"A job's id ({ids.JOB}_…).",
    "deviceId": f"A device's id ({ids.DEVICE}_…).",
    "tenantId": f"A tenant's id ({ids.TENANT}_…).",
    "keyId": "An API key's public id (key_…).",
    "service": "The name of a service.",
    "subject": "The subject the message was first published on, all its tokens: a poison "
    f"``{subjects.CMD_JOB_CREATE}`` lands on ``{subjects.dead_letter(subjects.CMD_JOB_CREATE)}``.",
}


@dataclass
class ChannelSpec:
    address: str
    kind: str
    messages: tuple[Msg, ...]
    replies: tuple[Msg, ...] = ()
    matches: tuple[str, ...] = ()  # a wildcard subscription's channels


def catalogue() -> dict[str, ChannelSpec]:
    """Every subject of the contract, by address."""
    specs = [
        *(ChannelSpec(s, "command", (m,)) for s, m in COMMANDS.items()),
        *(ChannelSpec(event_subject(e), "event", (e,)) for e in EVENTS),
        ChannelSpec(JOB_LOG, "log", (LogLine,)),
        ChannelSpec(DEAD_LETTERS, "dead-letter", (DEAD_LETTER,)),
        *(ChannelSpec(s, "rpc", (req,), replies) for s, (req, replies) in RPC.items()),
    ]
    out: dict[str, ChannelSpec] = {}
    for spec in specs:
        if spec.address in out:
            raise ValueError(f"{spec.address} is catalogued twice")
        out[spec.address] = spec
    return out


# --- the services' wiring, built without I/O ------------------------------------------------------

DUMMY_SECRETS_KEY = base64.b64encode(bytes(32)).decode()  # only to construct SecretBox; never used


@dataclass
class Seen:
    """An operation found in a service's wiring (or, for what no wiring shows, the catalogue)."""

    service: str
    subject: str  # the subscription's subject or filter
    origin: str  # "faststream" | "responder" | "catalogue"
    action: str = "receive"
    model: type[BaseModel] | None = None
    queue: str | None = None
    durable: str | None = None
    workers: str | int | None = None  # a durable's handlers at once: the setting's name, or a number
    success_status: int | None = None


class SettingValue(int):
    """A whole-number setting's default that remembers its name, so that a consumer whose worker
    count comes from a setting is documented by that setting (``x-workers``)."""

    setting: str

    def __new__(cls, value: int, setting: str) -> SettingValue:
        made = super().__new__(cls, value)
        made.setting = setting
        return made


def _named_defaults(settings_type: type[ServiceSettings]) -> dict[str, SettingValue]:
    return {
        name: SettingValue(field.default, f"MIGRATOR_{name.upper()}")
        for name, field in settings_type.model_fields.items()
        if type(field.default) is int
    }


@dataclass
class Wiring:
    service: str
    broker: NatsBroker
    responders: list[Responder] = field(default_factory=list)
    sends_only: bool = False  # the gateway: an HTTP app that sends, no bus service


def _settings_type(main: Callable[..., Any]) -> type[ServiceSettings]:
    hint = typing.get_type_hints(main)["settings"]
    for candidate in (hint, *typing.get_args(hint)):
        if isinstance(candidate, type) and issubclass(candidate, ServiceSettings):
            return candidate
    raise TypeError(f"{main.__module__}.main takes no ServiceSettings")


async def _wire(service: str, bootstrap: ModuleType) -> Wiring:
    """Run the service's ``main`` up to where it would serve: its real wiring on an unconnected
    broker and an in-memory store, with default settings (environment ignored)."""
    settings_type = _settings_type(bootstrap.main)
    # Defaults only (MIGRATOR_* is not read), whole numbers carrying their setting's name.
    values: dict[str, Any] = dict(_named_defaults(settings_type))
    if "secrets_key" in settings_type.model_fields:
        values["secrets_key"] = DUMMY_SECRETS_KEY
    settings = settings_type.model_construct(**values)
    built: list[Runtime] = []

    def build_runtime(name: str, settings: ServiceSettings) -> Runtime:
        broker = create_broker(nats_url=settings.nats_url, service=name)
        return Runtime(name=name, settings=settings, broker=broker, store=SqliteReadStore(":memory:"))

    async def run_service(runtime: Runtime, **_: Any) -> None:
        # What ``run_service`` adds before it connects: the readiness responder.
        answer_health(runtime, is_ready=lambda: False)
        built.append(runtime)

    with ExitStack() as patches:
        patches.enter_context(mock.patch.object(bootstrap, "build_runtime", build_runtime))
        patches.enter_context(mock.patch.object(bootstrap, "run_service", run_service))
        await bootstrap.main(settings)
    if len(built) != 1 or built[0].name != service:
        raise RuntimeError(f"{bootstrap.__name__}.main did not build the runtime of {service}")
    runtime = built[0]
    await runtime.store.close()
    return Wiring(service, runtime.broker, list(runtime.responders))


def bus_services() -> dict[str, ModuleType]:
    """Every service with a bus bootstrap (the gateway is an HTTP app: it has none)."""
    found = {}
    for service, package in SERVICES.items():
        if importlib.util.find_spec(package) and importlib.util.find_spec(f"{package}.bootstrap"):
            found[service] = importlib.import_module(f"{package}.bootstrap")
    return found


def _senders() -> list[Wiring]:
    """The services that only send (the gateway): their ``<package>.sends.SENDS``, declared on a
    broker of their own as they declare it on start."""
    wirings = []
    for service, package in sorted(SERVICES.items()):
        if importlib.util.find_spec(f"{package}.bootstrap") is None and importlib.util.find_spec(
            f"{package}.sends"
        ):
            broker = create_broker(nats_url=ServiceSettings.model_construct().nats_url, service=service)
            declare_sends(broker, *importlib.import_module(f"{package}.sends").SENDS)
            wirings.append(Wiring(service, broker, sends_only=True))
    return wirings


def _closure(fn: Any) -> dict[str, Any]:
    try:
        return dict(inspect.getclosurevars(fn).nonlocals)
    except TypeError:
        return {}


def _handler_of(sub: Any) -> Any:
    """The function FastStream calls (our wrapper), or None if FastStream's internals moved."""
    try:
        return sub.calls[0].handler._original_call
    except (AttributeError, IndexError):
        return None


def _payload_model(handler: Any) -> Any:
    """The contract a subscriber's handler takes (a batch handler's list of it), as FastStream
    validates the payload into it."""
    hint = getattr(handler, "__annotations__", {}).get("message")
    return typing.get_args(hint)[0] if typing.get_origin(hint) is list else hint


def _pointer_key(ref: str) -> str:
    return unquote(ref.rsplit("/", 1)[-1]).replace("~1", "/").replace("~0", "~")


def _faststream_operations(wiring: Wiring, servers: list[dict[str, Any]]) -> Iterator[Seen]:
    """The service's subscribers (and publishers, if it declares any), as FastStream's AsyncAPI
    generator documents them."""
    doc = AsyncAPI(wiring.broker, title=wiring.service, schema_version=SPEC_VERSION).to_specification()
    spec = doc.to_jsonable()
    servers.extend(spec.get("servers", {}).values())
    subscribers = list(wiring.broker.subscribers)
    sent = declared_sends(wiring.broker)
    for key, operation in sorted(spec.get("operations", {}).items()):
        channel = spec["channels"][_pointer_key(operation["channel"]["$ref"])]
        address = channel["address"]
        if operation["action"] == "send":  # a declared send (migrator_platform.bus.declare_sends)
            yield Seen(wiring.service, address, "faststream", action="send", model=sent[address])
            continue
        matches = [s for s in subscribers if s.specification.config.title_ == key] or [
            s for s in subscribers if getattr(s.specification.config, "subject", None) == address
        ]
        if len(matches) != 1:
            raise RuntimeError(f"{wiring.service}: cannot tell which subscriber is {key}")
        sub = matches[0]
        handler = _handler_of(sub)
        model = _payload_model(handler)
        from_platform = handler is not None and handler.__module__ == consumer.__name__
        durable = getattr(getattr(sub, "config", None), "durable_name", None) if from_platform else None
        workers = consumer.durable_workers(durable) if durable else None
        yield Seen(
            service=wiring.service,
            subject=address,
            origin="faststream",
            model=model if isinstance(model, type) and issubclass(model, BaseModel) else None,
            queue=(channel.get("bindings", {}).get("nats") or {}).get("queue") or None,
            durable=durable,
            workers=workers.setting if isinstance(workers, SettingValue) else workers,
        )


def _responder_operations(wiring: Wiring) -> Iterator[Seen]:
    for responder in wiring.responders:
        closure = _closure(getattr(responder, "_handler", None))
        model, status = closure.get("model"), closure.get("status")
        yield Seen(
            service=wiring.service,
            subject=responder.subject,
            origin="responder",
            model=model if isinstance(model, type) and issubclass(model, BaseModel) else None,
            queue=getattr(responder, "_queue", None),
            success_status=status if isinstance(status, int) else None,
        )


# --- subjects and channels ------------------------------------------------------------------------

_PARAM = re.compile(r"\{(\w+)\}")


def channel_id(address: str) -> str:
    """A channel's key: its address, parameters as their names and ``>`` as ``_all``."""
    return _PARAM.sub(r"\1", address).replace(">", "_all").replace("*", "_any")


def _instance_of(subject: str, template: str) -> bool:
    """Every subject ``subject`` stands for is one of ``template``'s (a ``{parameter}`` is one token)."""
    s, t = subject.split("."), template.split(".")
    if ">" in s or len(s) != len(t):
        return False
    return all(b.startswith("{") or a == b for a, b in zip(s, t, strict=True))


def _overlaps(wildcard: str, template: str) -> bool:
    """Some subject matches both the filter ``wildcard`` and ``template``."""
    w, t = wildcard.split("."), template.split(".")
    for i, token in enumerate(w):
        if token == ">":
            return len(t) > i
        if i >= len(t):
            return False
        if token != "*" and not t[i].startswith("{") and token != t[i]:
            return False
    return len(w) == len(t)


def _resolve(subject: str, known: dict[str, ChannelSpec]) -> ChannelSpec:
    """The catalogue channel a subscription's subject is (an instance of), or the wildcard
    channel of a filter that spans several."""
    if subject in known:
        return known[subject]
    instances = [spec for address, spec in known.items() if _instance_of(subject, address)]
    if len(instances) == 1:
        return instances[0]
    if len(instances) > 1:
        raise ValueError(f"{subject} is an instance of several catalogued subjects")
    if "*" not in subject and ">" not in subject:
        raise ValueError(f"{subject} is not in the catalogue of {__name__}: add it")
    matched = sorted(a for a, s in known.items() if s.kind != "wildcard" and _overlaps(subject, a))
    if not matched:
        raise ValueError(f"the filter {subject} matches no catalogued subject")
    messages: dict[str, Msg] = {}
    for address in matched:
        for msg in known[address].messages:
            messages.setdefault(_msg_name(msg), msg)
    known[subject] = ChannelSpec(subject, "wildcard", tuple(messages.values()), matches=tuple(matched))
    return known[subject]


def _stream_of(address: str) -> streams.StreamSpec | None:
    for spec in streams.ALL_STREAMS:
        if any(address.startswith(s.rstrip(">")) for s in spec.subjects):
            return spec
    return None


_KIND_TEXT = {
    "command": "A command: exactly one handler (a durable consumer of a work-queue stream).",
    "event": "A domain event: each subscriber has its own durable consumer.",
    "log": "A job's log lines.",
    "dead-letter": "Dead letters: what a consumer could not process, as it was published.",
    "rpc": "Request/reply on core NATS (not stored): a queue group answers, one replica per request.",
    "wildcard": "A consumer's filter: every subject matching it.",
}


# --- the document ---------------------------------------------------------------------------------


def _ref(*parts: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}


class _Components:
    def __init__(self) -> None:
        self.messages: dict[str, dict[str, Any]] = {}
        self.schemas: dict[str, Any] = dict(FIXED_SCHEMAS)

    def _schema(self, name: str, schema: Any) -> None:
        if self.schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two different schemas are named {name}")

    def model(self, model: type[BaseModel]) -> str:
        """Register ``model``'s schema (not as a message); its name."""
        schema = model.model_json_schema(by_alias=True, ref_template=SCHEMAS + "{model}")
        for def_name, sub in schema.pop("$defs", {}).items():
            self._schema(def_name, sub)
        self._schema(model.__name__, schema)
        return model.__name__

    def add(self, msg: Msg, *, reply: bool = False) -> str:
        """Register ``msg`` (a reply carries no headers); its name."""
        name = _msg_name(msg)
        if name in self.messages:
            return name
        headers: str | None = None if reply else "MessageHeaders"
        if isinstance(msg, Extra):
            payload, summary, description = msg.payload, msg.summary, None
            content_type, headers = msg.content_type, headers and msg.headers
        else:
            payload = msg.model_json_schema(by_alias=True, ref_template=SCHEMAS + "{model}")
            for def_name, schema in payload.pop("$defs", {}).items():
                self._schema(def_name, schema)
            doc = inspect.cleandoc(msg.__doc__) if "__doc__" in vars(msg) and msg.__doc__ else ""
            summary = doc.split("\n\n")[0].replace("\n", " ") if doc else f"{name} ({msg.__module__})"
            description = doc or None
            content_type = "application/json"
        self._schema(name, payload)
        message: dict[str, Any] = {
            "name": name,
            "title": name,
            "summary": summary,
            "contentType": content_type,
            "payload": {"$ref": SCHEMAS + name},
        }
        if description and description != summary:
            message["description"] = description
        if not isinstance(msg, Extra):
            message["x-model"] = f"{msg.__module__}.{msg.__qualname__}"
        if headers:
            message["headers"] = {"$ref": SCHEMAS + headers}
        self.messages[name] = message
        return name


def build_document() -> dict[str, Any]:
    """The AsyncAPI document of the whole bus (deterministic: same code, same document)."""
    known = catalogue()
    wirings = asyncio.run(_wire_all())
    servers: list[dict[str, Any]] = []
    seen: list[Seen] = []
    for wiring in wirings:
        seen.extend(_faststream_operations(wiring, servers))
        seen.extend(_responder_operations(wiring))
    for service, addresses in sorted(RECEIVED_BY.items()):
        seen.extend(Seen(service, a, "catalogue") for a in addresses)

    components = _Components()
    channels: dict[str, dict[str, Any]] = {}
    operations: dict[str, dict[str, Any]] = {}

    def channel(spec: ChannelSpec) -> str:
        cid = channel_id(spec.address)
        if cid in channels:
            return cid
        body: dict[str, Any] = {
            "address": spec.address,
            "description": _KIND_TEXT[spec.kind],
            "messages": {n: _ref("components", "messages", n) for n in map(components.add, spec.messages)},
            "x-kind": spec.kind,
        }
        params = _PARAM.findall(spec.address)
        if params:
            body["parameters"] = {p: _parameter(p, wirings) for p in params}
        stream = _stream_of(spec.address)
        if stream is not None:
            body["x-stream"] = stream.name
        if spec.matches:
            body["x-matches"] = list(spec.matches)
        channels[cid] = body
        if spec.replies:
            channels[f"{cid}.reply"] = {
                "address": None,
                "description": f"The reply to a request on {spec.address}: sent to the requester's "
                "inbox (the NATS reply subject of the request).",
                "messages": {
                    n: _ref("components", "messages", n)
                    for n in (components.add(m, reply=True) for m in spec.replies)
                },
                "x-kind": "reply",
            }
            if Reply in spec.replies:
                success = REPLY_BODIES.get(spec.address)
                channels[f"{cid}.reply"]["x-body"] = {
                    "success": _ref("components", "schemas", components.model(success))
                    if success
                    else {"description": "The API's response (see the OpenAPI document)."},
                    "refused": _ref("components", "schemas", "ErrorBody"),
                }
        return cid

    def operation(service: str, action: str, spec: ChannelSpec, **extra: Any) -> dict[str, Any]:
        cid = channel(spec)
        op_id = f"{service}.{action}.{cid}"
        if op_id in operations:
            raise ValueError(f"{service} {action}s {spec.address} twice")
        op: dict[str, Any] = {
            "action": action,
            "channel": _ref("channels", cid),
            "messages": [_ref("channels", cid, "messages", n) for n in sorted(channels[cid]["messages"])],
            "tags": [{"name": service}],
            "x-service": service,
            **{k: v for k, v in extra.items() if v is not None},
        }
        if spec.replies:
            reply_id = f"{cid}.reply"
            op["reply"] = {
                "channel": _ref("channels", reply_id),
                "messages": [
                    _ref("channels", reply_id, "messages", n) for n in sorted(channels[reply_id]["messages"])
                ],
            }
        operations[op_id] = op
        return op

    dead_lettering: set[str] = set()
    for rec in sorted(seen, key=lambda r: (r.service, r.action, r.subject, r.origin)):
        if rec.origin == "catalogue" and rec.subject not in known:
            raise ValueError(f"{rec.service} {rec.action}s {rec.subject}, which is not catalogued")
        spec = _resolve(rec.subject, known)
        if rec.model is not None and spec.kind != "wildcard":
            models = [m for m in spec.messages if not isinstance(m, Extra)]
            if rec.model not in models:
                raise ValueError(
                    f"{rec.service} reads {rec.subject} as {rec.model.__name__}, the catalogue of "
                    f"{__name__} says {[m.__name__ for m in models]}: update one of them"
                )
        op = operation(
            rec.service,
            rec.action,
            spec,
            bindings={"nats": {"queue": rec.queue, "bindingVersion": "0.1.0"}} if rec.queue else None,
            **{"x-origin": rec.origin, "x-durable": rec.durable, "x-workers": rec.workers},
        )
        if rec.subject != spec.address:
            op["x-subject"] = rec.subject  # the concrete subject or filter subscribed to
        if rec.success_status is not None and "reply" in op:
            op["reply"]["x-success-status"] = rec.success_status
        if rec.durable is not None:
            dead_lettering.add(rec.service)

    for service in sorted(dead_lettering):
        operation(service, "send", known[DEAD_LETTERS], **{"x-origin": "platform"})
    for spec in known.values():  # catalogued, though nothing sends or receives it yet
        channel(spec)

    unique_servers = {json.dumps(s, sort_keys=True): s for s in servers}
    if len(unique_servers) != 1:
        raise ValueError(f"the services' brokers disagree on the server: {list(unique_servers)}")
    (server,) = unique_servers.values()
    services = sorted(w.service for w in wirings)
    return {
        "asyncapi": SPEC_VERSION,
        "info": {
            "title": "Migrator bus",
            "version": _contracts_version(),
            "description": inspect.cleandoc(subjects.__doc__ or "")
            + "\n\nGenerated from the code by `migrator_devstack.asyncapi`; every operation names the "
            "service that performs it (its tag and `x-service`).",
            "tags": [{"name": s} for s in services],
        },
        "defaultContentType": "application/json",
        "servers": {
            "development": {
                "host": server["host"],
                "protocol": server["protocol"],
                "description": "The embedded default (`make run`); elsewhere MIGRATOR_NATS_URL.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": components.messages, "schemas": components.schemas},
    }


def _parameter(name: str, wirings: list[Wiring]) -> dict[str, Any]:
    param: dict[str, Any] = {"description": PARAMETERS.get(name, f"One token: the {name}.")}
    if name == "service":
        param["enum"] = sorted(w.service for w in wirings if not w.sends_only)
    return param


def _contracts_version() -> str:
    return importlib.metadata.version("migrator-contracts")


async def _wire_all() -> list[Wiring]:
    bus = [await _wire(service, bootstrap) for service, bootstrap in sorted(bus_services().items())]
    return sorted([*bus, *_senders()], key=lambda w: w.service)


def render(document: dict[str, Any] | None = None) -> str:
    """The document as committed: sorted keys, two-space indent, a final newline."""
    return json.dumps(document or build_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def stale_files(text: str) -> list[Path]:
    """The committed copies that differ from ``text``."""
    return [p for p in (DOC_PATH, PACKAGE_COPY) if not p.exists() or p.read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m migrator_devstack.asyncapi", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write docs/asyncapi.json and the package copy")
    mode.add_argument("--check", action="store_true", help="exit 1 if a committed copy is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        for path in (DOC_PATH, PACKAGE_COPY):
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
        return 0
    if args.check:
        stale = stale_files(text)
        for path in stale:
            print(f"{path} is stale: run `{WRITE_COMMAND}`", file=sys.stderr)
        return 1 if stale else 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
