"""Carry a trace across a database row: capture the current context, resume it later."""
from __future__ import annotations

import contextlib

from opentelemetry import context, propagate, trace


def capture(of: context.Context | None = None) -> dict[str, str]:
    """The trace context `of` (the current one by default) as headers."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=of)
    return carrier


@contextlib.contextmanager
def resumed(carrier: dict[str, str]):
    """Make the stored context current, so spans and published events continue its trace."""
    token = context.attach(propagate.extract(carrier))
    try:
        yield
    finally:
        context.detach(token)


def link_to(carrier: dict[str, str]) -> trace.Link | None:
    span_context = trace.get_current_span(propagate.extract(carrier)).get_span_context()
    return trace.Link(span_context) if span_context.is_valid else None
