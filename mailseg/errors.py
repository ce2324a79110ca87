"""Every exception mailseg raises.

One base class, one class per meaning. An API error carries what a caller needs
to act on it (HTTP status, the provider's code, the offending parameter, the
provider's message, and the request it came from) and never a credential: the
request is named by method and path only.
"""

from __future__ import annotations

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "BulkError",
    "ConfigurationError",
    "ConflictError",
    "MailsegError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "SegmentFailedError",
    "ServerError",
    "TransportError",
    "UnexpectedResponseError",
    "UnsupportedOperationError",
    "ValidationError",
    "WaitTimeoutError",
]

import builtins
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from mailseg.models import BulkResult, Segment


class MailsegError(Exception):
    """Base class of every exception raised by mailseg."""


class ConfigurationError(MailsegError):
    """The client cannot be built: unknown provider, missing credentials, bad base URL."""


class UnsupportedOperationError(MailsegError, NotImplementedError):
    """The provider (or an adapter written for an older mailseg) does not offer this operation.

    Attributes:
        provider: the adapter's name.
        operation: the adapter method that was asked for.
    """

    def __init__(self, provider: str, operation: str) -> None:
        self.provider = provider
        self.operation = operation
        super().__init__(f"the {provider!r} adapter does not support {operation}")


class ValidationError(MailsegError, ValueError):
    """An argument breaks a provider rule; raised before any request is sent.

    Attributes:
        parameter: the name of the offending argument, as the caller spelled it
            (``name``, ``condition.items[2].op``, ``member_ids[3]``).
    """

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


class APIError(MailsegError):
    """The provider answered with an error.

    Attributes:
        status: the HTTP status of the response.
        code: the provider's own error code (EngageLab's ``code``), or None.
        parameter: the parameter the provider blamed (SendCloud's
            ``error.parameter``), or None when it named none.
        message: the provider's message.
        provider: ``"sendcloud"``, ``"engagelab"`` or a third-party adapter's name.
        method, path: the request that failed (no query, no headers).
        headers: the response's headers (case-insensitive; empty when unknown).
        request_id: the provider's request id, when it sent one, for its support.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: int | None = None,
        parameter: str | None = None,
        provider: str = "",
        method: str = "",
        path: str = "",
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.parameter = parameter
        self.provider = provider
        self.method = method
        self.path = path
        self.headers: Mapping[str, str] = {} if headers is None else headers
        self.request_id = request_id
        super().__init__(self._describe())

    def _describe(self) -> str:
        origin = f"{self.provider} " if self.provider else ""
        code = f" code {self.code}" if self.code is not None else ""
        blamed = f" (parameter {self.parameter!r})" if self.parameter else ""
        request = f" on {self.method} {self.path}" if self.method else ""
        traced = f" [request id {self.request_id}]" if self.request_id else ""
        return f"{origin}HTTP {self.status}{code}{request}: {self.message}{blamed}{traced}"


class AuthenticationError(APIError):
    """The credentials were refused (401, EngageLab code 30000)."""


class PermissionDeniedError(APIError):
    """The credentials are valid but not allowed to do this (403)."""


class NotFoundError(APIError):
    """The segment, tag or path does not exist (404, EngageLab code 30036)."""


class BadRequestError(APIError):
    """The provider rejected a parameter (400, EngageLab code 30035)."""


class ConflictError(APIError):
    """The resource already exists (409, EngageLab code 32603: duplicate tag name)."""


class RateLimitError(APIError):
    """Too many requests (429), after the retries ran out or past the wait cap.

    Attributes:
        retry_after: the delay the provider asked for, in seconds, or None.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class ServerError(APIError):
    """The provider failed (5xx). A 500 may have taken effect: creates are never repeated.

    Attributes:
        retry_after: the delay the provider asked for (``Retry-After``, sent with a 503
            most often), in seconds, or None.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class TransportError(MailsegError):
    """The request did not get an HTTP answer: connection refused or reset, DNS, TLS.

    Attributes:
        method, path: the request that failed.
    """

    def __init__(self, message: str, *, method: str = "", path: str = "") -> None:
        self.method = method
        self.path = path
        request = f" on {method} {path}" if method else ""
        super().__init__(f"{message}{request}")


class RequestTimeoutError(TransportError, builtins.TimeoutError):
    """No complete answer came within the client's ``timeout``.

    Also a builtin `TimeoutError`, as `WaitTimeoutError` is, so ``except
    TimeoutError`` catches both kinds of timeout. Not an HTTP 408: an answer with
    that status is an `APIError`. Formerly ``mailseg.TimeoutError``, a name that
    shadowed the builtin without being one; that name still works, with a
    `DeprecationWarning`.
    """


class UnexpectedResponseError(MailsegError):
    """The provider's body is not what it documents: HTML, truncated JSON, wrong types.

    Attributes:
        status: the HTTP status of the response.
        excerpt: the first 200 characters of the body, for the log.
        provider, method, path: where it came from.
        headers: the response's headers (case-insensitive; empty when unknown).
        request_id: the provider's request id, when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body: bytes = b"",
        provider: str = "",
        method: str = "",
        path: str = "",
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.headers: Mapping[str, str] = {} if headers is None else headers
        self.request_id = request_id
        self.excerpt = body[:200].decode("utf-8", "replace")
        self.provider = provider
        self.method = method
        self.path = path
        request = f" on {method} {path}" if method else ""
        super().__init__(
            f"{provider or 'provider'} sent an unexpected response{request} "
            f"(HTTP {status}): {message}; body starts {self.excerpt!r}"
        )


class ResponseTooLargeError(UnexpectedResponseError):
    """The answer's body is larger than the client's ``max_response_bytes``.

    Counted after decompression, while the body streams in: reading stops at the limit,
    the excess is never held, and the connection is closed rather than reused.

    Attributes:
        limit: the ``max_response_bytes`` in force.
        size: the size the body was known to exceed when reading stopped (its declared
            ``Content-Length``, or the bytes received so far).
    """

    def __init__(self, *, limit: int, size: int, declared: bool, **kwargs: Any) -> None:
        self.limit = limit
        self.size = size
        said = "says it is" if declared else "passed"
        super().__init__(
            f"the body {said} {size} bytes, over the limit of {limit} bytes "
            "(the client's max_response_bytes)",
            **kwargs,
        )


class WaitTimeoutError(MailsegError, builtins.TimeoutError):
    """``segments.wait_until_complete`` gave up before the segment finished processing."""


class SegmentFailedError(MailsegError):
    """The provider reports the segment's processing failed (status -1).

    Attributes:
        segment: the segment as last read.
    """

    def __init__(self, segment: Segment) -> None:
        self.segment = segment
        super().__init__(f"segment {segment.id!r} failed to process")


class BulkError(MailsegError):
    """At least one chunk of a bulk member operation failed.

    The others were applied. ``result.failed_ids`` holds exactly the ids to
    send again::

        try:
            await client.tags.add_members(tag_id, ids)
        except mailseg.BulkError as exc:
            await client.tags.add_members(tag_id, exc.result.failed_ids)

    Attributes:
        result: the whole `BulkResult`.
    """

    def __init__(self, result: BulkResult) -> None:
        self.result = result
        failed = len(result.failed)
        first = result.failed[0].error if result.failed else None
        super().__init__(
            f"{failed} of {result.chunks} chunks failed "
            f"({len(result.failed_ids)} of {result.requested} ids); first error: {first}"
        )


# Renamed names keep working, with a DeprecationWarning, until the next major version.
# Each maps to its new name and why it changed.
_RENAMED: Final = {
    "TimeoutError": ("RequestTimeoutError", "it shadows the builtin TimeoutError"),
}


def _renamed(module: str, name: str) -> Any:
    """The value behind a renamed ``module.name``, warning the code that reached for it."""
    if name not in _RENAMED:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    new, reason = _RENAMED[name]
    warnings.warn(
        f"{module}.{name} is deprecated ({reason}): use {module}.{new}",
        DeprecationWarning,
        stacklevel=3,  # past this function and the module __getattr__, to the caller
    )
    return globals()[new]


def __getattr__(name: str) -> Any:
    return _renamed(__name__, name)
