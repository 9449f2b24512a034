"""OpenTelemetry traces (issue 20): off by default; with a provider, a request is a server
span with its domain statements as children and the ledger's batch as its own span; and
the OTLP exporter really sends them (to a collector stand-in on 127.0.0.1)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from digisom.api.runtime import build
from digisom.api.tracing import otlp_tracing, tracing_with
from tests.api.world import World


@pytest.fixture
def traced(tmp_path: Path) -> Iterator[tuple[World, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    runtime = build(data_dir=tmp_path / "data", tracing=tracing_with(exporter, batch=False))
    yield World.create(runtime).setup(), exporter
    runtime.close()


def test_a_payment_is_a_server_span_with_its_statements_and_a_ledger_batch(
        traced: tuple[World, InMemorySpanExporter]) -> None:
    world, exporter = traced
    exporter.clear()
    world.ok(world.pay("treasury", "treasury", "pensioner", 10), 201)
    spans = exporter.get_finished_spans()
    (server,) = [s for s in spans if s.kind is SpanKind.SERVER]
    assert server.name == "POST /v1/payments"
    assert server.attributes is not None and server.attributes["http.response.status_code"] == 201
    trace_id = server.context.trace_id
    statements = [s for s in spans if s.kind is SpanKind.CLIENT and s.attributes and "db.statement" in s.attributes]
    assert statements, "the payment's reads and writes of the domain tables are traced"
    assert all(s.context.trace_id == trace_id for s in statements)
    batches = [s for s in spans if s.name == "ledger.batch"]
    assert batches and batches[0].attributes is not None and batches[0].attributes["digisom.ledger.events"] >= 1
    # The runtime's provider only: nothing was made global.
    assert not hasattr(trace.get_tracer_provider(), "add_span_processor")


def test_without_tracing_nothing_is_recorded(world: World) -> None:
    assert world.runtime.app._telemetry["tracing"] is False  # FastAPI's own spans are off too


class _Collector(BaseHTTPRequestHandler):
    received: list[bytes]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_spans_reach_an_otlp_collector(tmp_path: Path) -> None:
    handler = type("Collector", (_Collector,), {"received": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
        runtime = build(data_dir=tmp_path / "data", tracing=otlp_tracing(url))
        World.create(runtime).client.get("/healthz")
        runtime.close()  # flushes the batch processor
    finally:
        server.shutdown()
        thread.join()
    names = set()
    for body in handler.received:
        request = ExportTraceServiceRequest.FromString(body)
        names |= {span.name for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans}
    assert "GET /healthz" in names
