"""Opt-in access to the HTTP answers behind a result: `RawResponse`.

``await client.with_raw_response(client.segments.get(segment_id))`` returns a
`RawResponse` holding the typed result and the answers that produced it, so
the plain calls keep their plain return types. The answers are collected
through a context variable the transport appends to: concurrent calls (and a
bulk call's chunks, which run in tasks that inherit the variable) each land in
the collection of the call that started them.
"""

from __future__ import annotations

__all__ = ["ExchangeInfo", "RawResponse"]

import contextlib
import contextvars
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Generic, TypeVar

import attrs

from mailseg.adapter import Response

T = TypeVar("T")


@attrs.frozen
class ExchangeInfo:
    """One answer the provider sent, as a caller may read it (no body, no request headers).

    Attributes:
        status: the HTTP status.
        headers: the response headers (case-insensitive).
        request_id: the provider's request id, when it sent one.
        method, path: the request it answered.
    """

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    request_id: str | None
    method: str
    path: str


@attrs.frozen
class RawResponse(Generic[T]):
    """A result with the HTTP answers behind it.

    Attributes:
        parsed: the typed result, as the plain call returns it.
        responses: every successful answer, in the order they came (one for
            ``get``; one per chunk for a bulk call).
    """

    parsed: T
    responses: tuple[ExchangeInfo, ...]

    @property
    def last(self) -> ExchangeInfo:
        """The last answer (the only one, for a single request)."""
        return self.responses[-1]

    @property
    def status(self) -> int:
        """The last answer's status."""
        return self.last.status

    @property
    def headers(self) -> Mapping[str, str]:
        """The last answer's headers."""
        return self.last.headers

    @property
    def request_id(self) -> str | None:
        """The last answer's request id, when the provider sent one."""
        return self.last.request_id


_collected: contextvars.ContextVar[list[ExchangeInfo] | None] = contextvars.ContextVar(
    "mailseg_raw_responses", default=None
)


#: The list collecting answers now, or None when no caller is (a compiled reading
#: then builds no `Response`). The context variable's own ``get``: no Python call.
sink: Callable[[], list[ExchangeInfo] | None] = _collected.get


def record(response: Response) -> None:
    """Keep a successful answer, when a caller asked for raw responses (else nothing)."""
    sink = _collected.get()
    if sink is not None:
        sink.append(
            ExchangeInfo(
                response.status,
                response.headers,
                response.request_id,
                response.request.method,
                response.request.path,
            )
        )


@contextlib.contextmanager
def collecting() -> Iterator[list[ExchangeInfo]]:
    """Collect, into the list yielded, the answers of the calls made in this context.

    Tasks started inside inherit the collection, as does a callback scheduled
    from this thread with ``loop.call_soon_threadsafe`` (which runs in a copy
    of the caller's context): that is how the sync client's calls are seen.
    """
    sink: list[ExchangeInfo] = []
    token = _collected.set(sink)
    try:
        yield sink
    finally:
        _collected.reset(token)


async def with_raw_response(call: Awaitable[T]) -> RawResponse[T]:
    """Await ``call`` (a client coroutine, not yet awaited), keeping the answers behind it."""
    with collecting() as sink:
        parsed = await call
    return RawResponse(parsed, tuple(sink))
