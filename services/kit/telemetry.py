"""Tracing setup: one TracerProvider per process, named after the service.

Spans go to OTLP when an endpoint is set, and always to the span store (telemetry.spans),
which the runner flushes from an asyncio task (services/kit/span_store.py).
"""
from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from services.kit.span_store import SpanStore, retention_days

_provider: TracerProvider | None = None
_span_store: SpanStore | None = None


def setup_tracing(service: str, otlp_endpoint: str | None, extra: tuple[SpanProcessor, ...] = ()) -> TracerProvider:
    global _provider, _span_store
    if _provider is not None:
        return _provider
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")))
    for processor in extra:
        provider.add_span_processor(processor)
    _span_store = SpanStore(retention_days=retention_days())
    provider.add_span_processor(_span_store)
    trace.set_tracer_provider(provider)
    _provider = provider
    return provider


def span_store() -> SpanStore | None:
    """This process's span store (None before setup_tracing); the runner runs its flush task."""
    return _span_store


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
