"""OpenTelemetry traces, off by default: with an OTLP endpoint configured (`serve
--otlp-endpoint`, or `$OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), every request is a server span
named by its route template with a span for its operation (FastAPI's own telemetry, given
this provider); each statement on the domain tables is a child span of it; each ledger
batch the writer commits is a span of its own (one batch serves many requests, so it has
no single parent).

The tracer provider belongs to the runtime (no global provider is set) and is shut down,
flushing what is buffered, when the runtime closes. The SDK and the exporter are imported
only when tracing is on: a process without an endpoint pays nothing for them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from opentelemetry import context as otel_context
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from sqlalchemy import Engine, event

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

SERVICE_NAME: Final = "digisom-api"
ENDPOINT_ENV: Final = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
_SPAN_KEY: Final = "digisom_otel_span"  # where a statement's span waits for its end, on the execution context
STATEMENT_CHARS_MAX: Final = 500  # statements are parameterised: no values in them, only their shape


class BatchSpans:
    """`BatchObserver`: a span per committed ledger batch, from hand-off to commit."""

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    def batch_committed(self, kind: str, events: int, seconds: float) -> None:
        ended_ns = time.time_ns()
        span = self._tracer.start_span("ledger.batch", context=otel_context.Context(),
                                       start_time=ended_ns - int(seconds * 1e9),
                                       attributes={"digisom.ledger.kind": kind, "digisom.ledger.events": events})
        span.end(end_time=ended_ns)


def trace_engine(engine: Engine, tracer: Tracer) -> None:
    """A client span for every statement `engine` runs, child of the request's span."""

    @event.listens_for(engine, "before_cursor_execute")
    def _start(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        verb = statement.split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = tracer.start_span(verb, kind=SpanKind.CLIENT, attributes={
            "db.system": engine.dialect.name, "db.statement": statement[:STATEMENT_CHARS_MAX]})
        if context is not None:
            setattr(context, _SPAN_KEY, span)
        else:  # no execution context to carry it: a span of no duration rather than a leak
            span.end()

    @event.listens_for(engine, "after_cursor_execute")
    def _end(_conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool) -> None:
        span = getattr(context, _SPAN_KEY, None)
        if span is not None:
            span.end()

    @event.listens_for(engine, "handle_error")
    def _failed(exception_context: Any) -> None:
        span = getattr(exception_context.execution_context, _SPAN_KEY, None)
        if span is not None:
            span.set_status(Status(StatusCode.ERROR, type(exception_context.original_exception).__name__))
            span.end()


@dataclass(frozen=True)
class Tracing:
    """The runtime's tracer and its provider."""

    provider: TracerProvider
    tracer: Tracer

    def trace_engine(self, engine: Engine) -> None:
        """Statements on `engine` become spans."""
        trace_engine(engine, self.tracer)

    def batch_observer(self) -> BatchSpans:
        """The ledger writer's batches become spans."""
        return BatchSpans(self.tracer)

    def close(self) -> None:
        """Flush what is buffered and stop exporting."""
        self.provider.shutdown()


def tracing_with(exporter: SpanExporter, batch: bool = True) -> Tracing:
    """Tracing that hands finished spans to `exporter` (in batches, or one by one for tests)."""
    from opentelemetry.sdk.resources import Resource  # noqa: PLC0415 — only when tracing is on
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor  # noqa: PLC0415

    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
    return Tracing(provider, provider.get_tracer("digisom"))


def otlp_tracing(endpoint: str) -> Tracing:
    """Tracing exported by OTLP over HTTP (protobuf) to `endpoint` (e.g. http://collector:4318/v1/traces)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

    return tracing_with(OTLPSpanExporter(endpoint=endpoint))
