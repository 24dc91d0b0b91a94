"""Trace context kept with stored work, so work resumed later from a loop joins its trace.

A job created by a request may be started or dispatched by a periodic pass that no request
is behind. The job keeps the context it was created in; that pass resumes it, and the trace
runs on from the request to the connector and back to the projection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import propagate, trace

_tracer = trace.get_tracer("migrator.trace_context")


def capture() -> dict[str, str] | None:
    """The current trace context as W3C headers to store, or None outside a recorded trace."""
    if not trace.get_current_span().is_recording():
        return None
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier or None


@contextmanager
def resumed(carrier: dict[str, str] | None, name: str) -> Iterator[None]:
    """Run the block in a span continuing the stored context; linked to the current span when
    another trace triggered it. Without a stored context, nothing is started."""
    if not carrier:
        yield
        return
    current = trace.get_current_span().get_span_context()
    links = [trace.Link(current)] if current.is_valid else []
    with _tracer.start_as_current_span(name, context=propagate.extract(carrier), links=links):
        yield
