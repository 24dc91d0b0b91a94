"""OpenTelemetry tracing set-up: one tracer provider per process, named after the service."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, Sampler, TraceIdRatioBased


def configure_tracing(*, service: str, exporter: str = "none", sample_ratio: float = 1.0) -> TracerProvider:
    """Install the global tracer provider. Spans always exist, so trace ids reach logs and
    propagate across NATS. They are recorded only when an exporter will read them: recording
    spans nobody exports cost the gateway a third of its read throughput."""
    span_exporter: SpanExporter | None = None
    if exporter == "console":
        span_exporter = ConsoleSpanExporter()
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # optional extra

        span_exporter = OTLPSpanExporter()
    # Unrecorded spans keep valid, propagated contexts; a sampled caller's trace is honoured.
    sampler: Sampler = ALWAYS_OFF if span_exporter is None else ParentBased(TraceIdRatioBased(sample_ratio))
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"migrator-{service}"}), sampler=sampler
    )
    if span_exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(provider)
    return provider
