"""OpenTelemetry tracing set-up: one tracer provider per process, named after the service."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter


def configure_tracing(*, service: str, exporter: str = "none") -> TracerProvider:
    """Install the global tracer provider. Spans are always created (so trace ids reach logs
    and propagate across NATS); they are exported only when an exporter is chosen."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"migrator-{service}"}))
    span_exporter: SpanExporter | None = None
    if exporter == "console":
        span_exporter = ConsoleSpanExporter()
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # optional extra

        span_exporter = OTLPSpanExporter()
    if span_exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(provider)
    return provider
