"""The blocking client: the async `mailseg.Client` run on a private event loop thread.

    import mailseg.sync

    with mailseg.sync.connect("sendcloud", api_user="...", api_key="...") as client:
        segment = client.segments.get("62849dc690d79d4947dd033d")
        for member in client.segments.iterate_members(segment.id):
            print(member.email)

The same resources and methods as the async client, with the same arguments
and the same models; calls block and return the result, ``iterate*`` return
plain iterators. The client runs the async one on its own event loop in one
background thread (started on first use), so it works where a loop is already
running (Jupyter, inside ``asyncio.run``, an async app's executor thread) and
from many threads at once (calls from several threads run concurrently on the
one loop, over one connection pool). `Client.close` (or leaving the ``with``
block) closes the pool, stops the loop and joins the thread.

Durable jobs (`mailseg.jobs`) have their blocking twin in `mailseg.sync.jobs`.

Callbacks (``on_progress``) and the member ids of a bulk call are read on the
client's thread; calling the same sync client from inside a callback is refused
(it would wait for itself).

Why descriptors and not hand-written twins: each sync method is declared as
``get = blocking(segments.Segments.get)``; its parameters and return type are
the async method's, read by the type checker through a ``ParamSpec``, so
``mypy --strict`` sees ``client.segments.get(segment_id: str) -> Segment``
and the two cannot drift apart. httpx and openai-python write both classes
out (generated code, in openai's case); with twenty methods and no code
generator here, a one-line declaration per method keeps the same static
types, the docstrings (copied) and ``inspect.signature``, and a test checks
that every public async method has its sync counterpart.
"""

from __future__ import annotations

__all__ = ["Client", "Segments", "Tags", "connect"]

import asyncio
import functools
import os
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from types import TracebackType
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from mailseg import _raw
from mailseg import _segments as async_segments
from mailseg import _tags as async_tags
from mailseg._client import Client as AsyncClient
from mailseg._client import document_connect, takes_settings
from mailseg._raw import RawResponse
from mailseg._retry import RetryPolicy
from mailseg._settings import Settings
from mailseg.errors import ConfigurationError, MailsegError

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")


class _LoopThread:
    """An event loop running in one daemon thread, started on first use, stopped by `stop`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closers: list[Callable[[], None]] = []
        self.stopped = False

    def close_before_stop(self, closer: Callable[[], None]) -> None:
        """Have the owning client call ``closer`` when it closes (a ledger on this loop)."""
        with self._lock:
            self._closers.append(closer)

    def forget(self, closer: Callable[[], None]) -> None:
        with self._lock:
            if closer in self._closers:
                self._closers.remove(closer)

    def run_closers(self) -> None:
        with self._lock:
            closers = list(self._closers)
        for closer in closers:
            closer()

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` on the loop, from any thread (nothing to do if it never started)."""
        with self._lock:
            loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(callback)

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self.stopped:
                raise ConfigurationError("this client is closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=self._serve, args=(loop,), name="mailseg-sync", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    @staticmethod
    def _serve(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()

    @property
    def in_loop_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and wait for its result in this thread."""
        try:
            if self.in_loop_thread:
                raise MailsegError(
                    "a mailseg.sync client was called from its own thread (from a callback "
                    "such as on_progress): that call would wait for itself"
                )
            loop = self._start()
        except BaseException:
            coroutine.close()  # never started: no "never awaited" warning
            raise
        # run_coroutine_threadsafe schedules with call_soon_threadsafe, which runs
        # the task in a copy of this thread's context: with_raw_response's
        # collection (a context variable) is seen by the call.
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result()
        except BaseException:
            # KeyboardInterrupt in the waiting thread: stop the work on the loop too.
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the loop, join its thread, and close the loop (with its executor threads)."""
        with self._lock:
            self.stopped = True
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        try:
            # The loop is stopped: finish its async generators and its default
            # executor (DNS lookups run there) from this thread.
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


class _Resource(Generic[R]):
    """A sync resource: the async one, and the loop thread that runs it."""

    def __init__(self, resource: R, portal: _LoopThread) -> None:
        self._async = resource
        self._portal = portal


class _Blocking(Generic[P, T]):
    """A sync method made from an async one: same parameters, the awaited result."""

    def __init__(self, method: Callable[Concatenate[Any, P], Coroutine[Any, Any, T]]) -> None:
        self._name = method.__name__
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> _Blocking[P, T]: ...
    @overload
    def __get__(self, instance: _Resource[Any], owner: type[Any]) -> Callable[P, T]: ...
    def __get__(
        self, instance: _Resource[Any] | None, owner: type[Any]
    ) -> _Blocking[P, T] | Callable[P, T]:
        if instance is None:
            return self
        target = getattr(instance._async, self._name)
        portal = instance._portal

        @functools.wraps(target)
        def call(*args: P.args, **kwargs: P.kwargs) -> T:
            result: T = portal.run(target(*args, **kwargs))
            return result

        return call


class _Iterating(Generic[P, T]):
    """A sync method made from an ``iterate*`` one: same parameters, a plain iterator."""

    def __init__(self, method: Callable[Concatenate[Any, P], AsyncIterator[T]]) -> None:
        self._name = method.__name__
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> _Iterating[P, T]: ...
    @overload
    def __get__(self, instance: _Resource[Any], owner: type[Any]) -> Callable[P, Iterator[T]]: ...
    def __get__(
        self, instance: _Resource[Any] | None, owner: type[Any]
    ) -> _Iterating[P, T] | Callable[P, Iterator[T]]:
        if instance is None:
            return self
        target = getattr(instance._async, self._name)
        portal = instance._portal

        @functools.wraps(target)
        def call(*args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
            # The arguments are checked here, at once, as the async method does.
            return _blocking_iterator(portal, target(*args, **kwargs))

        return call


class _Done:
    __slots__ = ()


_DONE = _Done()


async def _next(iterator: AsyncIterator[T]) -> T | _Done:
    try:
        return await iterator.__anext__()
    except StopAsyncIteration:
        return _DONE


async def _close(iterator: AsyncIterator[Any]) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


def _blocking_iterator(portal: _LoopThread, iterator: AsyncIterator[T]) -> Iterator[T]:
    try:
        while True:
            item = portal.run(_next(iterator))
            if isinstance(item, _Done):
                return
            yield item
    finally:
        # Left early (break, an exception): close the async iterator on its loop,
        # unless the client was closed meanwhile (its loop is gone).
        if not portal.stopped and not portal.in_loop_thread:
            portal.run(_close(iterator))


class Segments(_Resource[async_segments.Segments]):
    """Segments of the contact list, blocking. Reached as ``client.segments``.

    The methods are those of `mailseg.Client.segments`, with the same arguments.
    """

    create = _Blocking(async_segments.Segments.create)
    get = _Blocking(async_segments.Segments.get)
    update = _Blocking(async_segments.Segments.update)
    delete = _Blocking(async_segments.Segments.delete)
    list = _Blocking(async_segments.Segments.list)
    iterate = _Iterating(async_segments.Segments.iterate)
    progress = _Blocking(async_segments.Segments.progress)
    wait_until_complete = _Blocking(async_segments.Segments.wait_until_complete)
    members = _Blocking(async_segments.Segments.members)
    iterate_members = _Iterating(async_segments.Segments.iterate_members)
    remove_members = _Blocking(async_segments.Segments.remove_members)


class Tags(_Resource[async_tags.Tags]):
    """Contact tags, blocking. Reached as ``client.tags``.

    The methods are those of `mailseg.Client.tags`, with the same arguments.
    """

    create = _Blocking(async_tags.Tags.create)
    update = _Blocking(async_tags.Tags.update)
    delete = _Blocking(async_tags.Tags.delete)
    list = _Blocking(async_tags.Tags.list)
    iterate = _Iterating(async_tags.Tags.iterate)
    add_members = _Blocking(async_tags.Tags.add_members)
    remove_members = _Blocking(async_tags.Tags.remove_members)
    members = _Blocking(async_tags.Tags.members)
    iterate_members = _Iterating(async_tags.Tags.iterate_members)


class Client:
    """One provider account, blocking. Build it with `connect`, `from_env` or `from_config`.

    Use it in a ``with`` block, or call `close` when done: that closes the
    connection pool, stops the client's event loop and joins its thread.

    Attributes:
        segments: the segment operations.
        tags: the tag operations.
        provider: the provider's name.
        settings: what the client was built from (its ``repr`` hides credentials).
    """

    def __init__(self, settings: Settings) -> None:
        self._attach(AsyncClient(settings), _LoopThread(), owner=True)

    def _attach(self, client: AsyncClient, portal: _LoopThread, *, owner: bool) -> None:
        self._client = client
        self._portal = portal
        self._owner = owner
        self.settings = client.settings
        self.provider = client.provider
        self.segments = Segments(client.segments, portal)
        self.tags = Tags(client.tags, portal)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Client:
        """A client from a mapping of `connect`'s option names, as `mailseg.Client.from_config`."""
        return cls(Settings.from_config(config))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Client:
        """A client from the ``MAILSEG_*`` variables, as `mailseg.Client.from_env`."""
        return cls(Settings.from_env(os.environ if environ is None else environ))

    def with_options(
        self,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
    ) -> Client:
        """This client with other limits, sharing its pool and thread, as the async one's.

        Closing the copy closes nothing; closing this client closes both.
        """
        derived = object.__new__(Client)
        changed = self._client.with_options(timeout=timeout, max_retries=max_retries, retry=retry)
        derived._attach(changed, self._portal, owner=False)
        return derived

    def with_raw_response(
        self, method: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> RawResponse[T]:
        """Call a method of this client and return its result with the HTTP answers behind it.

        ``raw = client.with_raw_response(client.segments.get, segment_id)``; the
        `RawResponse` is the async client's (``raw.parsed``, ``raw.headers``,
        ``raw.request_id``, ``raw.responses``).
        """
        with _raw.collecting() as sink:
            parsed = method(*args, **kwargs)
        return RawResponse(parsed, tuple(sink))

    @property
    def base_url(self) -> str:
        """The provider's base URL this client talks to."""
        return self._client.base_url

    @property
    def closed(self) -> bool:
        """True once the client (or the client this one was derived from) is closed."""
        return self._portal.stopped

    def close(self) -> None:
        """Close the connection pool, stop the event loop and join its thread.

        A client from `with_options` leaves all of that to the client it came from.
        """
        if not self._owner or self._portal.stopped:
            return
        if self._portal.in_loop_thread:
            raise MailsegError("a mailseg.sync client cannot be closed from its own callbacks")
        try:
            self._portal.run_closers()  # ledgers opened with this client (mailseg.sync.jobs)
            if not self._client.closed:
                self._portal.run(self._client.close())
        finally:
            self._portal.stop()

    def __repr__(self) -> str:
        return f"<mailseg.sync.Client provider={self.provider!r} base_url={self.base_url!r}>"

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@takes_settings(Settings)
def connect(*args: Any, **options: Any) -> Client:
    return Client(Settings(*args, **options))


connect.__doc__ = document_connect(
    "A blocking client for one provider account (`mailseg.connect`'s options)."
)
connect.__name__ = connect.__qualname__ = "connect"
