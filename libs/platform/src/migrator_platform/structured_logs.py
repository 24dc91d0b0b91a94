"""Structured JSON logs (structlog) carrying the current trace id, with secrets redacted."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from opentelemetry import trace

_SECRET_KEYS = ("secret", "token", "password", "api_key", "apikey", "authorization", "key")


def _add_trace_ids(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event["trace_id"] = format(ctx.trace_id, "032x")
        event["span_id"] = format(ctx.span_id, "016x")
    return event


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    # A secret must never reach a log line, whoever passes it in by mistake.
    for field in list(event):
        if any(word in field.lower() for word in _SECRET_KEYS) and field not in ("event", "key_prefix"):
            event[field] = "[redacted]"
    return event


def configure_logging(*, service: str, level: str = "INFO", fmt: str = "json") -> None:
    """Route stdlib and structlog logging through one JSON (or console) renderer."""
    renderer: Any = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer()
    # JSON lines carry the traceback as text (no local variables: they may hold secrets);
    # the console renderer prints it itself.
    tracebacks: list[Any] = [structlog.processors.format_exc_info] if fmt == "json" else []
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_trace_ids,
        _redact,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tracebacks, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.contextvars.bind_contextvars(service=service)
    # FastStream and uvicorn are chatty at INFO; their warnings still come through.
    for noisy in ("faststream", "faststream.access.nats", "uvicorn.access", "httpx", "azure"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str) -> Any:
    """A structlog logger bound to ``name``."""
    return structlog.get_logger(name)
