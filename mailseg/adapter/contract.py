"""The contract a provider implements: read this module alone to write one.

An adapter is sans-I/O. For each operation it turns arguments the client has
already validated into a `Call`: a `Request` (method, path, query, JSON body),
a function that turns the `Response` (status, headers, body bytes) into a
model, and whether the request may be sent twice. Adapters hold no session
and await nothing; the client owns every byte of I/O, the retries and the
pagination.

To publish a provider, subclass `Adapter` (or `mailseg.adapter.rest.RestAdapter`
when the provider speaks JSON over REST, as both built-in ones do) and register
the class under the entry-point group ``mailseg.adapters``::

    [project.entry-points."mailseg.adapters"]
    acme = "mailseg_acme:AcmeAdapter"

Compatibility promise: the operations below are those of mailseg 0.1 and stay
abstract. An operation added to `Adapter` later comes with a default that
raises `UnsupportedOperationError` naming the provider and the operation, so
an adapter written for 0.1 keeps working and fails clearly only when the new
operation is used.
"""

from __future__ import annotations

import abc
import base64
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar
from urllib.parse import quote

import attrs

from mailseg.adapter.json import decode_json
from mailseg.adapter.status import error_class, parse_retry_after
from mailseg.errors import (
    APIError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
    UnsupportedOperationError,
)
from mailseg.models import Condition, Member, Page, Progress, Segment, SegmentType, Tag

T = TypeVar("T")

#: Response headers read as the provider's request id, first present wins. Neither
#: provider's pages document a response header, so these are the common
#: spellings, not a promise; an adapter may set its own (`Adapter.request_id_headers`).
REQUEST_ID_HEADERS: tuple[str, ...] = ("X-Request-Id", "Request-Id", "X-Amzn-RequestId")

#: Methods that RFC 9110 defines as idempotent: a `Call` with one of them may
#: be repeated after a failure that may have taken effect, unless it says not.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})


@attrs.frozen(repr=False)
class Credentials:
    """What a provider needs to authenticate: a ready token, or ``api_user`` and ``api_key``.

    Its ``repr`` names which of them are set, never their values.
    """

    api_user: str | None = None
    api_key: str | None = None
    token: str | None = None

    def basic_token(self) -> str:
        """The ready token if one was given, else ``base64("api_user:api_key")``."""
        if self.token:
            return self.token
        raw = f"{self.api_user}:{self.api_key}".encode()
        return base64.b64encode(raw).decode("ascii")

    def __repr__(self) -> str:
        present = [name for name in ("api_user", "api_key", "token") if getattr(self, name)]
        return f"Credentials(<{', '.join(present) or 'none'} set>)"


@attrs.frozen
class Request:
    """One HTTP request, as an adapter describes it.

    Attributes:
        method: ``GET``, ``POST``, ``PATCH``, ``PUT`` or ``DELETE``.
        path: the path below the base URL, ids already quoted with `quote_id`.
        query: query parameters in the order they are sent.
        json: the JSON body, or None for no body.
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    json: Any = None


class _Undecoded:
    __slots__ = ()


UNDECODED: Any = _Undecoded()


class Response:
    """One HTTP response, as the client hands it to an adapter.

    Attributes:
        status: the HTTP status.
        headers: the response headers (case-insensitive).
        body: the raw body.
        request: the request it answers.
        provider: the adapter's name, for error messages.
    """

    __slots__ = ("_data", "body", "headers", "provider", "request", "request_id_headers", "status")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        request: Request,
        provider: str = "",
        request_id_headers: Sequence[str] = REQUEST_ID_HEADERS,
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.request = request
        self.provider = provider
        self.request_id_headers = request_id_headers
        self._data: Any = UNDECODED

    @property
    def request_id(self) -> str | None:
        """The provider's request id, when one of `request_id_headers` came back."""
        for name in self.request_id_headers:
            value = self.headers.get(name)
            if value:
                return value
        return None

    def json(self) -> Any:
        """The body decoded as JSON (once); an `UnexpectedResponseError` if it is not JSON."""
        if self._data is UNDECODED:
            try:
                self._data = decode_json(self.body)
            except ValueError as exc:
                raise self.unexpected(str(exc)) from None
        return self._data

    def unexpected(self, message: str) -> UnexpectedResponseError:
        """An `UnexpectedResponseError` about this response, for an adapter to raise."""
        return UnexpectedResponseError(
            message,
            status=self.status,
            body=self.body,
            provider=self.provider,
            method=self.request.method,
            path=self.request.path,
            headers=self.headers,
            request_id=self.request_id,
        )

    def api_error(
        self,
        message: str,
        *,
        code: int | None = None,
        parameter: str | None = None,
        kind: type[APIError] | None = None,
    ) -> APIError:
        """An `APIError` of the right class about this response.

        Args:
            message: the provider's message.
            code: the provider's error code, if it has one.
            parameter: the parameter the provider blamed, if any.
            kind: the class, when the provider's code decides it; by default
                the HTTP status decides (`error_class`).
        """
        cls = kind or error_class(self.status)
        fields: dict[str, Any] = {
            "status": self.status,
            "code": code,
            "parameter": parameter or None,
            "provider": self.provider,
            "method": self.request.method,
            "path": self.request.path,
            "headers": self.headers,
            "request_id": self.request_id,
        }
        if issubclass(cls, (RateLimitError, ServerError)):
            # A 429's and a 503's Retry-After travel with the error, as README promises.
            return cls(message, retry_after=parse_retry_after(self.headers), **fields)
        return cls(message, **fields)


@attrs.frozen
class Operation:
    """What a `Call` is, for tracing: never an id's value, only its kind.

    Attributes:
        name: the client method it serves (``segments.get``, ``tags.add_members``).
        template: the path with its ids as placeholders
            (``/v1/marketing/lists/segments/{segment_id}``): an OpenTelemetry
            ``url.template``, and the HTTP span's name.
        id_kind: the kind of id in the path (``segment_id``, ``tag_id``), or None.
        page_size: a listing's page size, or None.
        chunk_size: how many member ids the request carries, or None.
    """

    name: str
    template: str
    id_kind: str | None = None
    page_size: int | None = None
    chunk_size: int | None = None


def _idempotent(call: Call[Any]) -> bool:
    return call.request.method in IDEMPOTENT_METHODS


@attrs.frozen
class Call(Generic[T]):
    """An operation as an adapter prepared it: what to send, and how to read the answer.

    Attributes:
        request: what to send.
        parse: reads a response that `Adapter.error` did not turn into an error.
        repeatable: whether sending the request twice does no harm, so that
            the client may retry it after a failure that may have taken effect
            (a 500, a reset, a timeout). By default true for the idempotent
            methods and false for POST; a POST that is safe to repeat (adding
            tags, reading members) says so, a create never does.
        operation: what the call is, for tracing (`Operation`); None when the
            adapter does not say, and spans are then named by the method alone.
        fast_parse: optionally, a one-step reading of a 2xx body (the bytes)
            that stands in for `Adapter.error` and ``parse`` together. It
            returns what ``parse`` would, for a body `Adapter.error` finds no
            error in, and raises anything at all to decline a body it cannot
            vouch for; the client then runs `Adapter.error` and ``parse`` as
            usual, so an error always reads as theirs. The built-in adapters
            set it to compiled readers (`mailseg.adapter.compiled`).
    """

    request: Request
    parse: Callable[[Response], T]
    repeatable: bool = attrs.field(default=attrs.Factory(_idempotent, takes_self=True))
    operation: Operation | None = attrs.field(default=None, kw_only=True)
    fast_parse: Callable[[bytes], T] | None = attrs.field(default=None, kw_only=True)


@functools.lru_cache(maxsize=4096)
def quote_id(value: str) -> str:
    """An id as one path segment: every reserved character is percent-encoded.

    ``/``, ``?``, ``#`` and ``%`` included, so that no id can reach another
    endpoint; the client refuses ``.`` and ``..`` before this is called.
    Cached: a client reads and writes the same few ids again and again.
    """
    return quote(value, safe="")


class Adapter(abc.ABC):
    """One provider's wire dialect. Subclass it to add or correct a provider.

    Every operation method takes arguments the client has already validated
    (ids non-empty, names within the providers' rules, at most 1000 member
    ids, page sizes 1 to 100) and returns a `Call`. Override a single method
    (or the path and key attributes the built-in adapters expose) to correct
    one detail without forking the adapter.
    """

    #: The short name users pass to ``mailseg.connect``.
    name: ClassVar[str]
    #: The production base URL, used when the caller gives none.
    default_base_url: ClassVar[str]
    #: The response headers read as the provider's request id (`Response.request_id`).
    request_id_headers: ClassVar[tuple[str, ...]] = REQUEST_ID_HEADERS

    @abc.abstractmethod
    def authorization(self, credentials: Credentials) -> str:
        """The value of the ``Authorization`` header."""

    @abc.abstractmethod
    def error(self, response: Response) -> APIError | None:
        """The error this response carries, or None when it is a success.

        Called for every response, 2xx included (a provider may put an error
        in a 2xx body). Raising `UnexpectedResponseError` (``response.unexpected``)
        says the body cannot be read; for an error status the client then
        classes the error by the status alone.
        """

    def unsupported(self, operation: str) -> UnsupportedOperationError:
        """The error for an operation this provider does not offer (or this adapter predates)."""
        return UnsupportedOperationError(self.name, operation)

    # Segments

    @abc.abstractmethod
    def create_segment(self, name: str, type: SegmentType, condition: Condition) -> Call[Segment]:
        """Create a segment. Not repeatable: a retried create may make two."""

    @abc.abstractmethod
    def get_segment(self, segment_id: str) -> Call[Segment]:
        """Read one segment."""

    @abc.abstractmethod
    def update_segment(
        self, segment_id: str, *, name: str | None, type: SegmentType, condition: Condition
    ) -> Call[Segment]:
        """Replace a segment's condition (and optionally its name)."""

    @abc.abstractmethod
    def delete_segment(self, segment_id: str) -> Call[None]:
        """Delete a segment."""

    @abc.abstractmethod
    def list_segments(
        self, *, name: str | None, type: SegmentType | None, offset: int, limit: int
    ) -> Call[Page[Segment]]:
        """One page of segments."""

    @abc.abstractmethod
    def segment_progress(self, segment_id: str) -> Call[Progress]:
        """A segment's processing progress."""

    @abc.abstractmethod
    def segment_members(
        self, segment_id: str, *, condition: Condition | None, offset: int, limit: int
    ) -> Call[Page[Member]]:
        """One page of a segment's members, optionally filtered further."""

    @abc.abstractmethod
    def remove_segment_members(self, segment_id: str, member_ids: Sequence[str]) -> Call[int]:
        """Remove up to 1000 members from a segment; the provider's count."""

    # Tags

    @abc.abstractmethod
    def create_tag(self, name: str) -> Call[Tag]:
        """Create a tag. Not repeatable."""

    @abc.abstractmethod
    def update_tag(self, tag_id: str, *, name: str) -> Call[None]:
        """Rename a tag."""

    @abc.abstractmethod
    def delete_tag(self, tag_id: str) -> Call[None]:
        """Delete a tag."""

    @abc.abstractmethod
    def list_tags(self, *, name: str | None, offset: int, limit: int) -> Call[Page[Tag]]:
        """One page of tags."""

    @abc.abstractmethod
    def add_tag_members(self, tag_id: str, member_ids: Sequence[str]) -> Call[int]:
        """Tag up to 1000 contacts; the provider's count."""

    @abc.abstractmethod
    def remove_tag_members(self, tag_id: str, member_ids: Sequence[str]) -> Call[int]:
        """Untag up to 1000 contacts; the provider's count."""

    @abc.abstractmethod
    def tag_members(self, tag_id: str, *, offset: int, limit: int) -> Call[Page[Member]]:
        """One page of a tag's contacts."""
