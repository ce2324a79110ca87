"""OpenTelemetry spans and metrics for mailseg calls (the ``otel`` extra).

    import mailseg
    from mailseg.tracing import Tracing

    client = mailseg.connect("engagelab", ..., observers=[Tracing()])

Two spans per request, following the HTTP client semantic conventions
(https://opentelemetry.io/docs/specs/semconv/http/http-spans/):

- one *operation* span (kind ``INTERNAL``) per provider call (one page of an
  iteration, one chunk of a bulk call), named ``mailseg <operation>``
  (``mailseg segments.get``), with ``mailseg.provider``, ``mailseg.operation``,
  ``mailseg.id_kind`` (``segment_id``: the kind, never the id),
  ``mailseg.page_size`` and ``mailseg.chunk_size`` when they apply;
- under it, one ``CLIENT`` span per HTTP attempt, named by method and
  ``url.template`` (``GET /v1/marketing/lists/segments/{segment_id}``), with
  ``http.request.method``, ``server.address``, ``server.port``, ``url.full``
  (without the query: a name filter may be user data), ``url.template``,
  ``http.response.status_code``, ``error.type`` and, on a retry,
  ``http.request.resend_count``.

No span carries a header, a body or a query, so no credential and no contact
id (member ids travel in bodies only) reach a span. Metrics, when a meter
provider is set up: ``http.client.request.duration`` (a histogram in seconds,
per attempt) and ``mailseg.client.retries`` (a counter of attempts after the
first).

The operation span is made current while the call runs, so spans from
``opentelemetry-instrumentation-aiohttp-client`` (given through
``connect(trace_configs=...)``) nest under it.
"""

from __future__ import annotations

__all__ = ["Tracing"]

import time
from typing import Any
from urllib.parse import urlsplit

from mailseg._version import __version__
from mailseg.adapter import Call
from mailseg.errors import ConfigurationError

try:
    from opentelemetry import context as otel_context
    from opentelemetry import metrics, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError as exc:  # pragma: no cover - only without the extra
    raise ConfigurationError(
        "mailseg.tracing needs OpenTelemetry: pip install 'mailseg[otel]'"
    ) from exc

_SCOPE = "mailseg"


def _error_type(error: BaseException) -> str:
    cls = type(error)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


class Tracing:
    """An observer emitting OpenTelemetry spans (and metrics) for every call of a client.

    Args:
        tracer_provider: where spans go; the global one when None.
        meter_provider: where metrics go; the global one when None.
        metrics: False emits spans only.
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        metrics: bool = True,
    ) -> None:
        self._tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider=tracer_provider)
        self._duration: Any = None
        self._retries: Any = None
        if metrics:
            meter = _get_meter(meter_provider)
            self._duration = meter.create_histogram(
                "http.client.request.duration",
                unit="s",
                description="Duration of HTTP client requests.",
            )
            self._retries = meter.create_counter(
                "mailseg.client.retries",
                unit="{retry}",
                description="HTTP attempts after the first one of a call.",
            )

    def operation(self, call: Call[Any], provider: str, base_url: str) -> _OperationSpan:
        """Start the operation span of ``call`` (the transport calls this)."""
        return _OperationSpan(self, call, provider, base_url)


def _get_meter(provider: metrics.MeterProvider | None) -> metrics.Meter:
    return metrics.get_meter(_SCOPE, __version__, meter_provider=provider)


class _OperationSpan:
    __slots__ = ("_attributes", "_call", "_span", "_template", "_token", "_tracing")

    def __init__(self, tracing: Tracing, call: Call[Any], provider: str, base_url: str) -> None:
        self._tracing = tracing
        self._call = call
        operation = call.operation
        request = call.request
        attributes: dict[str, Any] = {"mailseg.provider": provider}
        if operation is None:
            name = f"mailseg {request.method}"
            self._template: str | None = None
        else:
            name = f"mailseg {operation.name}"
            self._template = operation.template
            attributes["mailseg.operation"] = operation.name
            for key, value in (
                ("mailseg.id_kind", operation.id_kind),
                ("mailseg.page_size", operation.page_size),
                ("mailseg.chunk_size", operation.chunk_size),
            ):
                if value is not None:
                    attributes[key] = value
        self._span = tracing._tracer.start_span(name, kind=SpanKind.INTERNAL, attributes=attributes)
        self._token = otel_context.attach(trace.set_span_in_context(self._span))
        parts = urlsplit(base_url)
        self._attributes = {
            "http.request.method": request.method,
            "server.address": parts.hostname or "",
            "server.port": parts.port or (443 if parts.scheme == "https" else 80),
            # The path, not the query: a name filter may be user data.
            "url.full": base_url + request.path,
        }
        if self._template is not None:
            self._attributes["url.template"] = self._template

    def attempt(self, number: int) -> _AttemptSpan:
        method = self._call.request.method
        name = method if self._template is None else f"{method} {self._template}"
        attributes: dict[str, Any] = dict(self._attributes)
        if number > 1:
            attributes["http.request.resend_count"] = number - 1
            if self._tracing._retries is not None:
                self._tracing._retries.add(1, {"http.request.method": method})
        span = self._tracing._tracer.start_span(
            name,
            context=trace.set_span_in_context(self._span),
            kind=SpanKind.CLIENT,
            attributes=attributes,
        )
        return _AttemptSpan(self._tracing, span, attributes)

    def end(self, error: BaseException | None) -> None:
        if error is not None:
            self._span.set_attribute("error.type", _error_type(error))
            self._span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        self._span.end()
        otel_context.detach(self._token)


class _AttemptSpan:
    __slots__ = ("_attributes", "_span", "_started", "_tracing")

    def __init__(self, tracing: Tracing, span: trace.Span, attributes: dict[str, Any]) -> None:
        self._tracing = tracing
        self._span = span
        self._attributes = attributes
        self._started = time.perf_counter()

    def end(self, status: int | None, error: BaseException | None) -> None:
        span = self._span
        measured: dict[str, Any] = {
            key: self._attributes[key]
            for key in ("http.request.method", "server.address", "server.port", "url.template")
            if key in self._attributes
        }
        if status is not None:
            span.set_attribute("http.response.status_code", status)
            measured["http.response.status_code"] = status
        error_type = None
        if status is not None and status >= 400:
            error_type = str(status)  # what the conventions ask for an error status
        elif error is not None:
            error_type = _error_type(error)
        if error_type is not None:
            span.set_attribute("error.type", error_type)
            span.set_status(Status(StatusCode.ERROR))
            measured["error.type"] = error_type
        span.end()
        if self._tracing._duration is not None:
            self._tracing._duration.record(time.perf_counter() - self._started, measured)
