"""The one place bytes move: session, auth header, timeouts, retries, logging, hooks.

Which failures are retried, and after how long, is a `RetryPolicy` value
(`mailseg._retry`); whether a request may be repeated is carried by its `Call`.
Tracing is not done here: the transport tells its observers (`mailseg._hooks`)
when a call and each attempt start and end, and keeps a successful answer for
a caller who asked for it (`mailseg._raw`).
"""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import json
import logging
import time
from collections.abc import Sequence
from typing import TypeVar
from urllib.parse import urlsplit

import aiohttp
import cattrs
from yarl import URL

from mailseg import _raw
from mailseg._hooks import AttemptScope, Observer, OperationScope
from mailseg._retry import Failure, RetryPolicy
from mailseg._version import __version__
from mailseg.adapter import Adapter, Call, Credentials, Request, Response, parse_retry_after
from mailseg.errors import (
    APIError,
    ConfigurationError,
    MailsegError,
    RateLimitError,
    RequestTimeoutError,
    TransportError,
    UnexpectedResponseError,
)

T = TypeVar("T")

logger = logging.getLogger("mailseg")

_JSON = "application/json; charset=utf-8"

# Module-level so tests can observe the delays without waiting them out.
_sleep = asyncio.sleep


def check_base_url(base_url: str) -> str:
    """The base URL without a trailing slash; https unless the host is loopback."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an http(s) URL, got {base_url!r}")
    if parts.query or parts.fragment:
        raise ConfigurationError("base_url must not carry a query or fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            "base_url must use https: credentials would cross the network in clear "
            f"(http is allowed for loopback hosts only, got host {parts.hostname!r})"
        )
    return base_url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RateLimiter:
    """Spaces requests at least ``1 / rate`` seconds apart, across every caller of one client.

    No burst: a bulk job at full concurrency still goes out at the given pace.
    """

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0

    async def wait(self) -> None:
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await _sleep(slot - now)


class Pool:
    """The ``aiohttp.ClientSession`` a client and its `Transport.with_options` copies share.

    Created on first use, inside the running loop, so that ``connect()`` stays
    a plain function that needs no loop.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        self._session = session
        self._owned = session is None
        self._trace_configs = list(trace_configs)
        self.closed = False

    def session(self) -> aiohttp.ClientSession:
        if self.closed:
            raise ConfigurationError("this client is closed")
        if self._session is None:
            self._session = aiohttp.ClientSession(trace_configs=self._trace_configs or None)
        return self._session

    async def close(self) -> None:
        """Close the session if the pool created it; a caller's session is left open."""
        self.closed = True
        session, self._session = self._session, None
        if session is not None and self._owned:
            await session.close()


class Transport:
    """Sends an adapter's `Call` and returns its parsed result, or raises a mailseg error."""

    def __init__(
        self,
        adapter: Adapter,
        credentials: Credentials,
        *,
        base_url: str,
        timeout: float,
        retry: RetryPolicy,
        session: aiohttp.ClientSession | None,
        max_concurrency: int = 8,
        rate_limit: float | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
        observers: Sequence[Observer] = (),
    ) -> None:
        self.adapter = adapter
        self.max_concurrency = max_concurrency
        self._limiter = None if rate_limit is None else RateLimiter(rate_limit)
        self.base_url = base_url
        self.retry = retry
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self.pool = Pool(session, trace_configs)
        self._observers = tuple(observers)
        # Built once: the credentials are read here and never again.
        self._headers = {
            "Authorization": adapter.authorization(credentials),
            "Accept": "application/json",
            "User-Agent": f"mailseg/{__version__}",
        }
        self._json_headers = {**self._headers, "Content-Type": _JSON}

    def with_options(self, *, timeout: float, retry: RetryPolicy) -> Transport:
        """A transport sharing this one's pool, rate limiter and observers, with other limits."""
        derived = copy.copy(self)
        derived._timeout = aiohttp.ClientTimeout(total=timeout)
        derived.retry = retry
        return derived

    async def close(self) -> None:
        """Close the pool (its session only if the pool created it)."""
        await self.pool.close()

    async def send(self, call: Call[T]) -> T:
        """Send ``call.request`` with retries and return ``call.parse`` of the answer."""
        if self._observers:
            return await self._send_observed(call)
        return self._parse(call, await self._exchange(call.request, call.repeatable, None))

    async def _send_observed(self, call: Call[T]) -> T:
        scope = _Scopes.start(self._observers, call, self.adapter.name, self.base_url)
        try:
            result = self._parse(call, await self._exchange(call.request, call.repeatable, scope))
        except BaseException as exc:
            scope.end(exc)
            raise
        scope.end(None)
        return result

    def _parse(self, call: Call[T], response: Response) -> T:
        _raw.record(response)
        try:
            return call.parse(response)
        except (APIError, UnexpectedResponseError):
            raise
        except Exception as exc:  # any parse failure means a bad response
            raise response.unexpected(_describe(exc)) from exc

    async def _exchange(
        self, request: Request, repeatable: bool, scope: OperationScope | None
    ) -> Response:
        session = self.pool.session()
        url = URL(self.base_url + request.path, encoded=True)
        if request.query:
            url = url.with_query(request.query)
        if request.json is None:
            data, headers = None, self._headers
        else:
            data = json.dumps(request.json, ensure_ascii=False, separators=(",", ":")).encode()
            headers = self._json_headers
        policy = self.retry
        attempts = policy.attempts
        for attempt in range(1, attempts + 1):
            if self._limiter is not None:
                await self._limiter.wait()
            started = time.perf_counter()
            seen = None if scope is None else scope.attempt(attempt)
            try:
                async with session.request(
                    request.method, url, data=data, headers=headers, timeout=self._timeout
                ) as raw:
                    body = await raw.read()
                    response = Response(
                        raw.status,
                        raw.headers,
                        body,
                        request,
                        self.adapter.name,
                        self.adapter.request_id_headers,
                    )
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                failure, kind = _transport_failure(exc, request)
                _log(request, type(exc).__name__, attempt, started)
                if seen is not None:
                    seen.end(None, failure)
                if attempt == attempts or not policy.retries_failure(kind, repeatable=repeatable):
                    raise failure from exc
                await _sleep(policy.backoff(attempt))
                continue
            except BaseException as exc:  # cancelled: the attempt span still ends
                if seen is not None:
                    seen.end(None, exc)
                raise
            _log(request, response.status, attempt, started)
            error = self._error(response)
            if seen is not None:
                seen.end(response.status, error)
            if error is None:
                return response
            delay = self._retry_delay(error, response, attempt, attempts, repeatable)
            if delay is None:
                raise error
            await _sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _error(self, response: Response) -> MailsegError | None:
        try:
            return self.adapter.error(response)
        except Exception as caught:  # an adapter that cannot read the body
            exc = (
                caught
                if isinstance(caught, UnexpectedResponseError)
                else response.unexpected(_describe(caught))
            )
            if 200 <= response.status < 300:
                return exc
            # A proxy's HTML 502, an empty 429, a gateway's 404 page: the body
            # is not the provider's, but the status still says what happened,
            # so the error is classed (and retried) by it.
            return response.api_error(
                f"HTTP {response.status} without the provider's error body "
                f"(body starts {exc.excerpt[:80]!r})"
            )

    def _retry_delay(
        self,
        error: MailsegError,
        response: Response,
        attempt: int,
        attempts: int,
        repeatable: bool,
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up with ``error``."""
        status = response.status
        if attempt == attempts or not self.retry.retries_status(status, repeatable=repeatable):
            return None
        retry_after = error.retry_after if isinstance(error, RateLimitError) else None
        if retry_after is None and status == 503:
            retry_after = parse_retry_after(response.headers)
        return self.retry.delay(attempt, retry_after)


class _Scopes:
    """Every observer's scope for one call, told together.

    An observer that raises is logged and then left out: watching a call must
    never fail it.
    """

    __slots__ = ("_scopes",)

    def __init__(self, scopes: list[OperationScope]) -> None:
        self._scopes = scopes

    @classmethod
    def start(
        cls, observers: Sequence[Observer], call: Call[T], provider: str, base_url: str
    ) -> _Scopes:
        scopes = []
        for observer in observers:
            try:
                scopes.append(observer.operation(call, provider, base_url))
            except Exception:
                _observer_failed(observer)
        return cls(scopes)

    def attempt(self, number: int) -> AttemptScope:
        attempts = []
        for scope in self._scopes:
            try:
                attempts.append(scope.attempt(number))
            except Exception:
                _observer_failed(scope)
        return _Attempts(attempts)

    def end(self, error: BaseException | None) -> None:
        for scope in self._scopes:
            try:
                scope.end(error)
            except Exception:
                _observer_failed(scope)


class _Attempts:
    __slots__ = ("_scopes",)

    def __init__(self, scopes: list[AttemptScope]) -> None:
        self._scopes = scopes

    def end(self, status: int | None, error: BaseException | None) -> None:
        for scope in self._scopes:
            try:
                scope.end(status, error)
            except Exception:
                _observer_failed(scope)


def _observer_failed(observer: object) -> None:
    # The traceback names the observer's code; it holds no request data.
    logger.warning(
        "observer %s failed; the call goes on", type(observer).__qualname__, exc_info=True
    )


def _transport_failure(exc: BaseException, request: Request) -> tuple[TransportError, Failure]:
    """The mailseg error for a failed exchange, and what it says about the provider."""
    where = {"method": request.method, "path": request.path}
    if isinstance(exc, asyncio.TimeoutError):
        return RequestTimeoutError("no answer within the timeout", **where), Failure.MAYBE_APPLIED
    described = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, aiohttp.ClientSSLError):
        return TransportError(f"TLS failed: {described}", **where), Failure.FINAL
    if isinstance(exc, aiohttp.ClientConnectorError):
        return TransportError(f"cannot connect: {described}", **where), Failure.NOT_SENT
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, OSError)):
        # ClientOSError is an OSError: a reset after the request went out.
        return TransportError(f"connection failed: {described}", **where), Failure.MAYBE_APPLIED
    return TransportError(f"request failed: {described}", **where), Failure.FINAL


def _log(request: Request, outcome: int | str, attempt: int, started: float) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        elapsed = (time.perf_counter() - started) * 1000
        logger.debug(
            "%s %s -> %s (attempt %d, %.1f ms)",
            request.method,
            request.path,
            outcome,
            attempt,
            elapsed,
        )


def _describe(exc: Exception) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc, path="body"))
    return f"{type(exc).__name__}: {exc}"
