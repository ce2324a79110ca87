"""The client's options, defined once: `Settings`.

``connect``, ``Client.from_env``, ``Client.from_config`` (and the command line
and the sync client above them) all build a `Settings`; each field's metadata
says what it means and whether it has an environment variable, so that the
documentation and the readers of strings come from the same place.
"""

from __future__ import annotations

__all__ = ["ENV_PREFIX", "Settings"]

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import aiohttp
import attrs

from mailseg._hooks import Observer
from mailseg._registry import providers
from mailseg._retry import RetryPolicy
from mailseg.adapter import Adapter
from mailseg.errors import ConfigurationError

ENV_PREFIX = "MAILSEG_"
_SECRETS = ("api_user", "api_key", "token")


def _check(test: Callable[[Any], bool], message: str) -> Callable[[Any, Any, Any], None]:
    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not test(value):
            raise ConfigurationError(f"{attribute.name} {message}")

    return validate


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _option(
    default: Any,
    doc: str,
    *,
    parse: Callable[[str], Any] | None = None,
    env: bool = True,
    config: bool = True,
    check: Callable[[Any, Any, Any], None] | None = None,
) -> Any:
    return attrs.field(
        default=default,
        kw_only=True,
        validator=check,
        metadata={"doc": doc, "parse": parse, "env": env, "config": config},
    )


_optional_str = _check(lambda v: v is None or isinstance(v, str), "must be a string")

#: 16 MiB: a page of 100 members is tens of KiB, so this is far above any real answer and
#: far below a memory problem.
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024


def _credential(*, colon: bool = True) -> Callable[[Any, Any, Any], None]:
    """A credential: a string without control characters (and, for ``api_user``, no ``:``).

    The value is never echoed: the error names the option and the rule only.
    """

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            raise ConfigurationError(f"{attribute.name} must be a string")
        # \r or \n would split the Authorization header; \0 and the other C0/C1 controls
        # have no place in a credential either, and aiohttp refuses some of them per call.
        if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value):
            raise ConfigurationError(
                f"{attribute.name} holds a control character (such as \\r, \\n or \\0): "
                "check how it was read (a trailing newline from a file?)"
            )
        if not colon and ":" in value:
            # RFC 7617: the user-id of Basic credentials cannot contain a colon, since the
            # first colon separates it from the password.
            raise ConfigurationError(
                f"{attribute.name} holds a ':', which HTTP Basic credentials cannot carry "
                "(RFC 7617); if you have a ready token, pass it as token"
            )

    return validate


def _tuple(name: str) -> Callable[[Iterable[Any] | None], tuple[Any, ...]]:
    def convert(value: Iterable[Any] | None) -> tuple[Any, ...]:
        if value is None:
            return ()
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise ConfigurationError(f"{name} must be a list")
        return tuple(value)

    return convert


def _tuple_option(name: str, doc: str, check: Callable[[Any, Any, Any], None]) -> Any:
    return attrs.field(
        default=(),
        kw_only=True,
        converter=_tuple(name),
        validator=check,
        metadata={"doc": doc, "parse": None, "env": False, "config": False},
    )


@attrs.frozen(repr=False)
class Settings:
    """Everything a `Client` is built from. Its ``repr`` never shows a credential.

    Build one with keywords (``Settings("sendcloud", api_key=...)``), from the
    environment (`from_env`) or from a mapping (`from_config`); `describe`
    lists the options with their meaning.
    """

    provider: str | Adapter | type[Adapter] = attrs.field(
        metadata={
            "doc": "`sendcloud`, `engagelab`, or an `Adapter` class/instance",
            "parse": None,
            "env": True,
            "config": True,
        }
    )
    api_user: str | None = _option(
        None,
        "the account's API user (no `:`, no control character)",
        check=_credential(colon=False),
    )
    api_key: str | None = _option(None, "the account's API key", check=_credential())
    token: str | None = _option(None, "a ready token instead of user and key", check=_credential())
    base_url: str | None = _option(
        None,
        "https, unless the host is loopback (127.0.0.0/8, ::1, localhost)",
        check=_optional_str,
    )
    timeout: float = _option(
        30.0,
        "seconds for one whole request (default 30)",
        parse=float,
        check=_check(lambda v: _is_number(v) and v > 0, "must be a number of seconds > 0"),
    )
    max_retries: int | None = _option(
        None,
        "retries after the first attempt (default 2: at most 3 attempts); "
        "overrides `retry.max_retries`",
        parse=int,
        check=_check(lambda v: v is None or (_is_int(v) and v >= 0), "must be an integer >= 0"),
    )
    retry: RetryPolicy = _option(
        RetryPolicy(),
        "a `RetryPolicy`: what is retried, backoff, `Retry-After` cap",
        env=False,
        check=_check(lambda v: isinstance(v, RetryPolicy), "must be a mailseg.RetryPolicy"),
    )
    max_concurrency: int = _option(
        8,
        "requests one bulk call keeps in flight (default 8)",
        parse=int,
        check=_check(lambda v: _is_int(v) and v >= 1, "must be an integer >= 1"),
    )
    rate_limit: float | None = _option(
        None,
        "requests per second for the whole client, retries included (default none)",
        parse=float,
        check=_check(
            lambda v: v is None or (_is_number(v) and v > 0),
            "must be a number of requests per second > 0",
        ),
    )
    max_response_bytes: int = _option(
        DEFAULT_MAX_RESPONSE_BYTES,
        "the largest answer body read, in bytes, after decompression (default 16 MiB)",
        parse=int,
        check=_check(lambda v: _is_int(v) and v >= 1, "must be an integer >= 1"),
    )
    session: aiohttp.ClientSession | None = _option(
        None,
        "an `aiohttp.ClientSession` to use; the client never closes it",
        env=False,
        config=False,
        check=_check(
            lambda v: v is None or isinstance(v, aiohttp.ClientSession),
            "must be an aiohttp.ClientSession",
        ),
    )

    trace_configs: tuple[aiohttp.TraceConfig, ...] = _tuple_option(
        "trace_configs",
        "`aiohttp.TraceConfig`s for the session the client creates (not with `session`)",
        _check(
            lambda v: all(isinstance(c, aiohttp.TraceConfig) for c in v),
            "must be aiohttp.TraceConfig instances",
        ),
    )
    observers: tuple[Observer, ...] = _tuple_option(
        "observers",
        "told of every call and HTTP attempt: `mailseg.tracing.Tracing()` (the `otel` extra)",
        _check(
            lambda v: all(callable(getattr(o, "operation", None)) for o in v),
            "must have an operation(call, provider, base_url) method",
        ),
    )

    def __attrs_post_init__(self) -> None:
        if self.trace_configs and self.session is not None:
            raise ConfigurationError(
                "trace_configs applies to the session the client creates: "
                "pass them to your own aiohttp.ClientSession instead"
            )

    @property
    def retry_policy(self) -> RetryPolicy:
        """`retry`, with `max_retries` applied when it was given."""
        if self.max_retries is None:
            return self.retry
        return attrs.evolve(self.retry, max_retries=self.max_retries)

    def __repr__(self) -> str:
        shown = []
        for field in attrs.fields(Settings):
            value = getattr(self, field.name)
            if field.name in _SECRETS:
                if value:
                    shown.append(f"{field.name}=<set>")
            elif value != field.default:
                shown.append(f"{field.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    @staticmethod
    def describe() -> list[tuple[str, str | None, str]]:
        """Each option's name, environment variable (or None) and meaning."""
        return [
            (f.name, env_name(f.name) if f.metadata["env"] else None, f.metadata["doc"])
            for f in attrs.fields(Settings)
        ]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Settings from a mapping of the option names (strings are read for the numbers).

        Unknown keys are refused, so that a misspelt setting is not silently ignored.
        """
        known = [field.name for field in attrs.fields(cls) if field.metadata["config"]]
        unknown = sorted(set(config) - set(known))
        if unknown:
            raise ConfigurationError(
                f"unknown configuration keys {unknown}; expected some of {known}"
            )
        return cls._read(dict(config), lambda name: name)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from the ``MAILSEG_*`` variables of ``environ`` (empty ones are unset)."""
        values = {
            field.name: environ[env_name(field.name)]
            for field in attrs.fields(cls)
            if field.metadata["env"] and environ.get(env_name(field.name))
        }
        return cls._read(values, env_name)

    @classmethod
    def _read(cls, values: dict[str, Any], spelled: Callable[[str], str]) -> Settings:
        provider = values.pop("provider", None)
        if not provider:
            raise ConfigurationError(
                f"{spelled('provider')} is required (installed: {', '.join(providers())})"
            )
        for field in attrs.fields(cls):
            parse = field.metadata["parse"]
            raw = values.get(field.name)
            if parse is not None and isinstance(raw, str):
                try:
                    values[field.name] = parse(raw)
                except ValueError:
                    raise ConfigurationError(
                        f"{spelled(field.name)} must be a number, got {raw!r}"
                    ) from None
        return cls(provider, **values)


def env_name(option: str) -> str:
    """The environment variable of an option: ``MAILSEG_`` and its name in capitals."""
    return ENV_PREFIX + option.upper()
