"""Tracing: aiohttp's trace_configs, and mailseg.tracing's spans and metrics.

Spans are read back from the OpenTelemetry SDK's in-memory exporter, against
the emulator of each provider.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from typing import Any

import aiohttp
import attrs
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import mailseg
from mailseg import Page, Tag
from mailseg.adapter import Call
from mailseg.testing import Emulator, Faults
from mailseg.tracing import Tracing
from mailseg_sendcloud import SendCloudAdapter
from tests.conftest import Wire

pytestmark = pytest.mark.mailseg_emulator(contacts=3000, seed=2, processing_polls=0)


class Telemetry:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.tracing = Tracing(
            tracer_provider=provider, meter_provider=MeterProvider(metric_readers=[self.reader])
        )

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def points(self, name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        assert data is not None
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry()


def _client(emu: Emulator, telemetry: Telemetry, **options: Any) -> mailseg.Client:
    return emu.client(observers=[telemetry.tracing], **options)


async def test_a_call_is_an_operation_span_over_one_client_span_per_attempt(
    mailseg_emulator: Emulator, telemetry: Telemetry
) -> None:
    emu = mailseg_emulator
    async with _client(emu, telemetry, max_retries=0) as client:
        segment = await client.segments.create("traced", mailseg.field("Age") >= 18)
        telemetry.exporter.clear()
        await client.segments.get(segment.id)
    operation, attempt = sorted(telemetry.spans(), key=lambda s: s.kind is SpanKind.CLIENT)
    assert operation.name == "mailseg segments.get"
    assert operation.kind is SpanKind.INTERNAL
    assert dict(operation.attributes or {}) == {
        "mailseg.provider": emu.provider,
        "mailseg.operation": "segments.get",
        "mailseg.id_kind": "segment_id",
    }
    template = f"{emu.prefix}/segments/{{segment_id}}"
    assert attempt.name == f"GET {template}"
    assert attempt.kind is SpanKind.CLIENT
    assert attempt.parent is not None
    assert attempt.parent.span_id == operation.context.span_id
    port = int(emu.base_url.rsplit(":", 1)[1])
    assert dict(attempt.attributes or {}) == {
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": port,
        "url.full": f"{emu.base_url}{emu.prefix}/segments/{segment.id}",
        "url.template": template,
        "http.response.status_code": 200,
    }
    assert attempt.status.status_code is StatusCode.UNSET


async def test_a_retry_is_a_second_attempt_span_with_its_resend_count(
    mailseg_emulator: Emulator, telemetry: Telemetry
) -> None:
    emu = mailseg_emulator
    policy = mailseg.RetryPolicy(backoff_base=0.0)
    async with _client(emu, telemetry, retry=policy) as client:
        # (Not a reset here: aiohttp itself resends a GET once on a reset
        # keep-alive connection, out of mailseg's sight.)
        emu.faults = Faults(schedule=["503", "500"])
        page = await client.tags.list(limit=5)
    assert page.limit == 5
    attempts = [s for s in telemetry.spans() if s.kind is SpanKind.CLIENT]
    assert [s.name for s in attempts] == [f"GET {emu.prefix}/tags"] * 3
    first, second, third = (dict(s.attributes or {}) for s in attempts)
    assert "http.request.resend_count" not in first
    assert (first["http.response.status_code"], first["error.type"]) == (503, "503")
    assert second["http.request.resend_count"] == 1
    assert (second["http.response.status_code"], second["error.type"]) == (500, "500")
    assert third["http.request.resend_count"] == 2
    assert third["http.response.status_code"] == 200
    assert "error.type" not in third
    (operation,) = [s for s in telemetry.spans() if s.kind is SpanKind.INTERNAL]
    assert operation.name == "mailseg tags.list"
    assert dict(operation.attributes or {})["mailseg.page_size"] == 5
    assert operation.status.status_code is StatusCode.UNSET
    assert all(a.parent and a.parent.span_id == operation.context.span_id for a in attempts)

    durations = telemetry.points("http.client.request.duration")
    assert sum(point.count for point in durations) == 3
    (retries,) = telemetry.points("mailseg.client.retries")
    assert retries.value == 2


async def test_a_failed_call_names_its_error_on_both_spans(
    mailseg_emulator: Emulator, telemetry: Telemetry
) -> None:
    async with _client(mailseg_emulator, telemetry) as client:
        with pytest.raises(mailseg.NotFoundError) as caught:
            await client.segments.get("0" * 24)
    attempt = next(s for s in telemetry.spans() if s.kind is SpanKind.CLIENT)
    operation = next(s for s in telemetry.spans() if s.kind is SpanKind.INTERNAL)
    assert dict(operation.attributes or {})["error.type"] == "mailseg.errors.NotFoundError"
    assert operation.status.status_code is StatusCode.ERROR
    # EngageLab reports a missing segment with its code on a 2xx: the class names it.
    status = caught.value.status
    expected = str(status) if status >= 400 else "mailseg.errors.NotFoundError"
    assert dict(attempt.attributes or {})["error.type"] == expected
    assert attempt.status.status_code is StatusCode.ERROR


async def test_a_connection_failure_is_named_by_its_error_class(telemetry: Telemetry) -> None:
    # A port nothing listens on: the connection is refused, no status.
    async with Emulator("sendcloud") as emu:
        base_url = emu.base_url
    client = mailseg.connect(
        "sendcloud",
        api_user="u",
        api_key="k",
        base_url=base_url,
        max_retries=0,
        observers=[telemetry.tracing],
    )
    async with client:
        with pytest.raises(mailseg.TransportError):
            await client.tags.list()
    attempt = next(s for s in telemetry.spans() if s.kind is SpanKind.CLIENT)
    assert dict(attempt.attributes or {})["error.type"] == "mailseg.errors.TransportError"
    assert "http.response.status_code" not in dict(attempt.attributes or {})


async def test_no_credential_and_no_contact_id_reaches_a_span(
    mailseg_emulator: Emulator, telemetry: Telemetry
) -> None:
    emu = mailseg_emulator
    ids = [c.id for c in emu.contacts[:2500]]
    async with _client(emu, telemetry) as client:
        tag = await client.tags.create("traced_tag")
        await client.tags.add_members(tag.id, ids)
        segment = await client.segments.create("by_tag", mailseg.tag("traced_tag"))
        await client.segments.wait_until_complete(segment.id, poll_interval=0.01)
        members = [m.id async for m in client.segments.iterate_members(segment.id)]
        await client.segments.remove_members(segment.id, members[:10])
        await client.tags.list(name="traced")
    assert sorted(members) == sorted(ids)
    spans = telemetry.spans()
    chunks = [
        dict(s.attributes or {})["mailseg.chunk_size"]
        for s in spans
        if s.name == "mailseg tags.add_members"
    ]
    assert sorted(chunks) == [500, 1000, 1000]
    user, key = emu.credentials["api_user"], emu.credentials["api_key"]
    secrets = {user, key, base64.b64encode(f"{user}:{key}".encode()).decode()}
    everything = json.dumps(
        [
            [s.name, dict(s.attributes or {}), [dict(e.attributes or {}) for e in s.events]]
            for s in spans
        ]
    )
    assert not [secret for secret in secrets if secret in everything]
    assert not [contact for contact in ids if contact in everything]
    assert "traced_tag" not in everything  # names travel in bodies and queries: not traced


async def test_trace_configs_reach_the_session_the_client_creates(
    mailseg_emulator: Emulator,
) -> None:
    seen: list[tuple[str, str]] = []

    async def on_request_start(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        seen.append((params.method, params.url.path))

    config = aiohttp.TraceConfig()
    config.on_request_start.append(on_request_start)
    emu = mailseg_emulator
    async with emu.client(trace_configs=[config], retry=mailseg.RetryPolicy(backoff_base=0)) as c:
        emu.faults = Faults(schedule=["503"])
        await c.tags.list()
    # Every attempt passes through the hook, retries included.
    assert seen == [("GET", f"{emu.prefix}/tags")] * 2


async def test_trace_configs_with_a_callers_session_is_refused(
    mailseg_emulator: Emulator,
) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(mailseg.ConfigurationError, match="trace_configs"):
            mailseg_emulator.client(session=session, trace_configs=[aiohttp.TraceConfig()])
    with pytest.raises(mailseg.ConfigurationError, match="trace_configs"):
        mailseg_emulator.client(trace_configs=["not a TraceConfig"])
    with pytest.raises(mailseg.ConfigurationError, match="observers"):
        mailseg_emulator.client(observers=[object()])
    with pytest.raises(mailseg.ConfigurationError, match="observers must be a list"):
        mailseg_emulator.client(observers=Tracing())
    with pytest.raises(mailseg.ConfigurationError, match="trace_configs must be a list"):
        mailseg_emulator.client(trace_configs=aiohttp.TraceConfig())


async def test_spans_only_when_metrics_are_off(mailseg_emulator: Emulator) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with mailseg_emulator.client(
        observers=[Tracing(tracer_provider=provider, metrics=False)]
    ) as client:
        await client.tags.list()
    assert len(exporter.get_finished_spans()) == 2


def test_the_core_imports_no_opentelemetry_and_a_missing_extra_is_named() -> None:
    code = (
        "import sys, mailseg, mailseg.sync\n"
        "assert not [m for m in sys.modules if m.startswith('opentelemetry')]\n"
        "sys.modules['opentelemetry'] = None\n"
        "try:\n"
        "    import mailseg.tracing\n"
        "except mailseg.ConfigurationError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(  # noqa: S603 - this interpreter, a literal script
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == (
        "mailseg.tracing needs OpenTelemetry: pip install 'mailseg[otel]'"
    )


async def test_a_call_without_an_operation_is_named_by_its_method(
    wire: Wire, telemetry: Telemetry
) -> None:
    class Terse(SendCloudAdapter):
        # As an adapter written before Call.operation existed would build it.
        def list_tags(self, *, name: str | None, offset: int, limit: int) -> Call[Page[Tag]]:
            return attrs.evolve(
                super().list_tags(name=name, offset=offset, limit=limit), operation=None
            )

    wire.reply(200, {"list": [], "total": 0})
    async with wire.client(Terse, observers=[telemetry.tracing]) as client:
        await client.tags.list()
    names = sorted(s.name for s in telemetry.spans())
    assert names == ["GET", "mailseg GET"]
    attempt = next(s for s in telemetry.spans() if s.kind is SpanKind.CLIENT)
    assert "url.template" not in dict(attempt.attributes or {})


async def test_opentelemetrys_own_aiohttp_instrumentation_nests_under_the_operation(
    mailseg_emulator: Emulator, telemetry: Telemetry
) -> None:
    from opentelemetry.instrumentation.aiohttp_client import create_trace_config

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(telemetry.exporter))
    config = create_trace_config(tracer_provider=provider)
    async with mailseg_emulator.client(
        trace_configs=[config], observers=[Tracing(tracer_provider=provider, metrics=False)]
    ) as client:
        await client.tags.list()
    spans = telemetry.spans()
    operation = next(s for s in spans if s.name == "mailseg tags.list")
    instrumented = [
        s
        for s in spans
        if s.kind is SpanKind.CLIENT
        and s.instrumentation_scope is not None
        and s.instrumentation_scope.name != "mailseg"
    ]
    assert len(instrumented) == 1
    assert instrumented[0].parent is not None
    assert instrumented[0].parent.span_id == operation.context.span_id
    user, key = (mailseg_emulator.credentials[k] for k in ("api_user", "api_key"))
    token = base64.b64encode(f"{user}:{key}".encode()).decode()
    assert token not in json.dumps(dict(instrumented[0].attributes or {}))


async def test_a_bulk_calls_chunks_nest_under_the_callers_span(
    mailseg_emulator: Emulator, telemetry: Telemetry
) -> None:
    emu = mailseg_emulator
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(telemetry.exporter))
    tracer = provider.get_tracer("app")
    async with emu.client(observers=[Tracing(tracer_provider=provider, metrics=False)]) as c:
        tag = await c.tags.create("nested")
        with tracer.start_as_current_span("tag everyone") as job:
            await c.tags.add_members(tag.id, [x.id for x in emu.contacts[:2500]])
    chunks = [s for s in telemetry.spans() if s.name == "mailseg tags.add_members"]
    assert len(chunks) == 3
    assert all(s.parent and s.parent.span_id == job.get_span_context().span_id for s in chunks)


class _Broken:
    def operation(self, call: Any, provider: str, base_url: str) -> Any:
        raise RuntimeError("observer bug")


class _BrokenScope:
    def operation(self, call: Any, provider: str, base_url: str) -> Any:
        return self

    def attempt(self, number: int) -> Any:
        return self

    def end(self, *args: Any) -> None:
        raise RuntimeError("observer bug")


@pytest.mark.parametrize("observer", [_Broken(), _BrokenScope()], ids=["start", "end"])
async def test_a_failing_observer_is_logged_and_never_fails_the_call(
    mailseg_emulator: Emulator,
    telemetry: Telemetry,
    observer: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with mailseg_emulator.client(observers=[observer, telemetry.tracing]) as client:
        page = await client.tags.list()
    assert page.total == len(mailseg_emulator.tags)
    assert len(telemetry.spans()) == 2  # the other observer still saw the call
    assert "failed; the call goes on" in caplog.text
