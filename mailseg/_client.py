"""The client: its settings, the provider's adapter, and the resources hung off it."""

from __future__ import annotations

import functools
import os
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, cast

import attrs

from mailseg import _raw, _registry
from mailseg._raw import RawResponse
from mailseg._retry import RetryPolicy
from mailseg._segments import Segments
from mailseg._settings import Settings
from mailseg._tags import Tags
from mailseg._transport import Transport, check_base_url
from mailseg.adapter import Adapter, Credentials
from mailseg.errors import ConfigurationError

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class Client:
    """One provider account. Build it with `connect`, `from_env` or `from_config`.

    Use it as an async context manager, or call `close` when done. It creates
    its ``aiohttp.ClientSession`` on first use and closes it on `close`; a
    session passed in by the caller is used as is and never closed.

    Attributes:
        segments: the segment operations.
        tags: the tag operations.
        provider: the provider's name.
        settings: what the client was built from (its ``repr`` hides credentials).
    """

    def __init__(self, settings: Settings) -> None:
        if not isinstance(settings, Settings):
            raise ConfigurationError(
                "Client takes a mailseg.Settings; use mailseg.connect(provider, ...) instead"
            )
        adapter = _adapter(settings.provider)
        credentials = _credentials(settings.api_user, settings.api_key, settings.token)
        url = check_base_url(settings.base_url or adapter.default_base_url)
        transport = Transport(
            adapter,
            credentials,
            base_url=url,
            timeout=float(settings.timeout),
            retry=settings.retry_policy,
            session=settings.session,
            max_concurrency=settings.max_concurrency,
            rate_limit=None if settings.rate_limit is None else float(settings.rate_limit),
            trace_configs=settings.trace_configs,
            observers=settings.observers,
            max_response_bytes=settings.max_response_bytes,
        )
        self._attach(settings, transport, owns_pool=True)

    def _attach(self, settings: Settings, transport: Transport, *, owns_pool: bool) -> None:
        self.settings = settings
        self.provider: str = transport.adapter.name
        self._transport = transport
        self._owns_pool = owns_pool
        self.segments = Segments(transport)
        self.tags = Tags(transport)

    def with_options(
        self,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
    ) -> Client:
        """This client with other limits, sharing its connection pool and rate limit.

        ``client.with_options(timeout=5, max_retries=0).segments.get(segment_id)``
        for one call, or keep the result for many. Only the options given
        change (None keeps this client's); they are checked as `connect` checks
        them. The pool stays this client's: closing the copy does not close it,
        and once this client is closed the copy is closed too.
        """
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["timeout"] = timeout
        if retry is not None:
            changes["retry"] = retry
        if max_retries is not None:
            changes["max_retries"] = max_retries
        settings = attrs.evolve(self.settings, **changes)
        transport = self._transport.with_options(
            timeout=float(settings.timeout), retry=settings.retry_policy
        )
        derived = object.__new__(Client)
        derived._attach(settings, transport, owns_pool=False)
        return derived

    @staticmethod
    async def with_raw_response(call: Awaitable[T]) -> RawResponse[T]:
        """Await a call and return its result with the HTTP answers behind it.

        ``raw = await client.with_raw_response(client.segments.get(segment_id))``;
        ``raw.parsed`` is the `Segment`, ``raw.headers``, ``raw.status`` and
        ``raw.request_id`` describe the answer, and ``raw.responses`` holds
        every answer (one per chunk for a bulk call, one per page read by
        ``wait_until_complete``). Errors carry the same (``exc.headers``,
        ``exc.request_id``) without asking.
        """
        return await _raw.with_raw_response(call)

    @property
    def closed(self) -> bool:
        """True once the client (or the client this one was derived from) is closed."""
        return self._transport.pool.closed

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Client:
        """A client from a mapping of `connect`'s option names (strings are read for numbers).

        Unknown keys are refused, so that a misspelt setting is not silently ignored.
        """
        return cls(Settings.from_config(config))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Client:
        """A client from the ``MAILSEG_*`` variables (``MAILSEG_PROVIDER``, ``MAILSEG_API_KEY``...).

        Each option of `connect` that has a variable is read from ``MAILSEG_`` and
        its name in capitals; empty variables are unset.
        """
        return cls(Settings.from_env(os.environ if environ is None else environ))

    def __repr__(self) -> str:
        return f"<mailseg.Client provider={self.provider!r} base_url={self.base_url!r}>"

    @property
    def base_url(self) -> str:
        """The provider's base URL this client talks to."""
        return self._transport.base_url

    async def close(self) -> None:
        """Release the connection pool (only when the client created its own session).

        A client from `with_options` leaves the pool to the client it came from.
        """
        if self._owns_pool:
            await self._transport.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def takes_settings(
    settings: Callable[P, Settings],
) -> Callable[[Callable[..., R]], Callable[P, R]]:
    """Give ``function`` the parameters of `Settings` (for type checkers and ``help``)."""

    # connect's parameters are Settings' fields: written once, there.
    def decorate(function: Callable[..., R]) -> Callable[P, R]:
        # __wrapped__ only: inspect.signature(connect) and help() show Settings' parameters.
        wrapped = functools.update_wrapper(function, settings, assigned=(), updated=())
        return cast("Callable[P, R]", wrapped)

    return decorate


@takes_settings(Settings)
def connect(*args: Any, **options: Any) -> Client:
    return Client(Settings(*args, **options))


_CONNECT_SUMMARY = "A client for one provider account. A plain function: no running loop is needed."


def document_connect(summary: str = _CONNECT_SUMMARY) -> str:
    """``connect``'s docstring: ``summary`` and the options of `Settings`."""
    lines = [
        summary,
        "",
        "Takes the options of `mailseg.Settings`:",
        "",
        "Args:",
    ]
    lines += [f"    {name}: {doc}" for name, _, doc in Settings.describe()]
    lines += [
        "",
        "Raises:",
        "    ConfigurationError: unknown provider, missing credentials, bad settings.",
    ]
    return "\n".join(lines)


connect.__doc__ = document_connect()
connect.__name__ = connect.__qualname__ = "connect"


def _adapter(provider: str | Adapter | type[Adapter]) -> Adapter:
    if isinstance(provider, Adapter):
        return provider
    if isinstance(provider, type) and issubclass(provider, Adapter):
        return provider()
    if isinstance(provider, str):
        return _registry.load(provider.strip().lower())()
    raise ConfigurationError("provider must be a provider name or a mailseg.adapter.Adapter")


def _credentials(api_user: str | None, api_key: str | None, token: str | None) -> Credentials:
    if token:
        return Credentials(token=token)
    if api_user and api_key:
        return Credentials(api_user=api_user, api_key=api_key)
    raise ConfigurationError("credentials are missing: give api_user and api_key, or token")
