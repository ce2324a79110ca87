"""The client: configuration, the provider's adapter, and the resources hung off it."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

import aiohttp

from mailseg import _registry
from mailseg._segments import Segments
from mailseg._tags import Tags
from mailseg._transport import Transport, check_base_url
from mailseg.adapter import Adapter, Credentials
from mailseg.errors import ConfigurationError

_ENV_PREFIX = "MAILSEG_"
_KEYS = (
    "provider",
    "api_user",
    "api_key",
    "token",
    "base_url",
    "timeout",
    "max_retries",
    "max_concurrency",
    "rate_limit",
)
_NUMBERS = {"timeout": float, "max_retries": int, "max_concurrency": int, "rate_limit": float}


class Client:
    """One provider account. Build it with `connect`, `from_env` or `from_config`.

    Use it as an async context manager, or call `close` when done. It creates
    its ``aiohttp.ClientSession`` on first use and closes it on `close`; a
    session passed in by the caller is used as is and never closed.

    Attributes:
        segments: the segment operations.
        tags: the tag operations.
        provider: the provider's name.
    """

    def __init__(
        self,
        provider: str | Adapter | type[Adapter],
        *,
        api_user: str | None = None,
        api_key: str | None = None,
        token: str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        session: aiohttp.ClientSession | None = None,
        max_concurrency: int = 8,
        rate_limit: float | None = None,
    ) -> None:
        adapter = _adapter(provider)
        credentials = _credentials(api_user, api_key, token)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ConfigurationError("timeout must be a number of seconds > 0")
        if not _is_int(max_retries) or max_retries < 0:
            raise ConfigurationError("max_retries must be an integer >= 0")
        if not _is_int(max_concurrency) or max_concurrency < 1:
            raise ConfigurationError("max_concurrency must be an integer >= 1")
        if rate_limit is not None and (
            isinstance(rate_limit, bool)
            or not isinstance(rate_limit, (int, float))
            or rate_limit <= 0
        ):
            raise ConfigurationError("rate_limit must be a number of requests per second > 0")
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise ConfigurationError("session must be an aiohttp.ClientSession")
        url = check_base_url(base_url or adapter.default_base_url)
        self.provider: str = adapter.name
        self._transport = Transport(
            adapter,
            credentials,
            base_url=url,
            timeout=float(timeout),
            max_retries=max_retries,
            session=session,
            max_concurrency=max_concurrency,
            rate_limit=None if rate_limit is None else float(rate_limit),
        )
        self.segments = Segments(self._transport)
        self.tags = Tags(self._transport)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Client:
        """A client from a mapping of ``provider``, ``api_user``, ``api_key``, ``token``,
        ``base_url``, ``timeout``, ``max_retries``, ``max_concurrency`` and ``rate_limit``
        (strings are accepted for the numbers).

        Unknown keys are refused, so that a misspelt setting is not silently ignored.
        """
        unknown = sorted(set(config) - set(_KEYS))
        if unknown:
            raise ConfigurationError(
                f"unknown configuration keys {unknown}; expected some of {list(_KEYS)}"
            )
        return cls._from_settings(dict(config), lambda key: key)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Client:
        """A client from ``MAILSEG_PROVIDER``, ``MAILSEG_API_USER``, ``MAILSEG_API_KEY``,
        ``MAILSEG_TOKEN``, ``MAILSEG_BASE_URL``, ``MAILSEG_TIMEOUT``, ``MAILSEG_MAX_RETRIES``,
        ``MAILSEG_MAX_CONCURRENCY`` and ``MAILSEG_RATE_LIMIT``.
        """
        env = os.environ if environ is None else environ
        settings = {
            key: env[_ENV_PREFIX + key.upper()]
            for key in _KEYS
            if env.get(_ENV_PREFIX + key.upper())
        }
        return cls._from_settings(settings, lambda key: _ENV_PREFIX + key.upper())

    @classmethod
    def _from_settings(cls, settings: dict[str, Any], spelled: Callable[[str], str]) -> Client:
        provider = settings.pop("provider", None)
        if not provider:
            raise ConfigurationError(
                f"{spelled('provider')} is required (installed: {', '.join(_registry.providers())})"
            )
        for key, kind in _NUMBERS.items():
            if isinstance(settings.get(key), str):
                try:
                    settings[key] = kind(settings[key])
                except ValueError:
                    raise ConfigurationError(
                        f"{spelled(key)} must be a number, got {settings[key]!r}"
                    ) from None
        return cls(provider, **settings)

    def __repr__(self) -> str:
        return f"<mailseg.Client provider={self.provider!r} base_url={self.base_url!r}>"

    @property
    def base_url(self) -> str:
        """The provider's base URL this client talks to."""
        return self._transport.base_url

    async def close(self) -> None:
        """Release the connection pool (only when the client created its own session)."""
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


def connect(
    provider: str | Adapter | type[Adapter],
    *,
    api_user: str | None = None,
    api_key: str | None = None,
    token: str | None = None,
    base_url: str | None = None,
    timeout: float = 30.0,
    max_retries: int = 2,
    session: aiohttp.ClientSession | None = None,
    max_concurrency: int = 8,
    rate_limit: float | None = None,
) -> Client:
    """A client for one provider account. A plain function: no running loop is needed.

    Args:
        provider: an installed provider's name (``"sendcloud"``, ``"engagelab"``),
            or an `Adapter` subclass or instance (to correct one detail of a
            built-in adapter, say).
        api_user, api_key: the account's API user and key.
        token: a ready token instead of ``api_user`` and ``api_key``: SendCloud
            sends ``Bearer <token>``, EngageLab ``Basic <token>``.
        base_url: the provider's base URL; https unless the host is loopback.
        timeout: seconds for one whole request (connect, send, read).
        max_retries: retries after the first attempt (2 means at most 3 attempts).
        session: an ``aiohttp.ClientSession`` to use; the client never closes it.
        max_concurrency: requests one bulk call keeps in flight at once (8 suits
            a remote API from a small machine; 1 makes bulk calls sequential).
        rate_limit: requests per second, shared by every call of this client
            (retries included); None for no limit.

    Raises:
        ConfigurationError: unknown provider, missing credentials, bad settings.
    """
    return Client(
        provider,
        api_user=api_user,
        api_key=api_key,
        token=token,
        base_url=base_url,
        timeout=timeout,
        max_retries=max_retries,
        session=session,
        max_concurrency=max_concurrency,
        rate_limit=rate_limit,
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _adapter(provider: str | Adapter | type[Adapter]) -> Adapter:
    if isinstance(provider, Adapter):
        return provider
    if isinstance(provider, type) and issubclass(provider, Adapter):
        return provider()
    if isinstance(provider, str):
        return _registry.load(provider.strip().lower())()
    raise ConfigurationError("provider must be a provider name or a mailseg.adapter.Adapter")


def _credentials(api_user: str | None, api_key: str | None, token: str | None) -> Credentials:
    for name, value in (("api_user", api_user), ("api_key", api_key), ("token", token)):
        if value is not None and not isinstance(value, str):
            raise ConfigurationError(f"{name} must be a string")
    if token:
        return Credentials(token=token)
    if api_user and api_key:
        return Credentials(api_user=api_user, api_key=api_key)
    raise ConfigurationError("credentials are missing: give api_user and api_key, or token")
