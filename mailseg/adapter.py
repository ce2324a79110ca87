"""What a provider adapter is, and the pieces every adapter shares.

Adapters are sans-I/O. For each operation an adapter turns validated arguments
into a `Call`: a `Request` description (method, path, query, JSON body) and a
function that turns the `Response` (status, headers, body bytes) into a model.
They hold no session and await nothing; the client owns every byte of I/O, the
retries and the pagination. A third party publishes a provider by subclassing
`Adapter` and registering the class under the entry-point group
``mailseg.adapters``, exactly as ``mailseg-sendcloud`` and ``mailseg-engagelab`` do.
"""

from __future__ import annotations

__all__ = [
    "Adapter",
    "Call",
    "Credentials",
    "Request",
    "Response",
    "base_converter",
    "decode_json",
    "error_class",
    "non_empty_str",
    "object_with",
    "parse_timestamp",
    "quote_id",
    "read_count",
    "read_object",
    "read_page",
]

import abc
import base64
import enum
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Generic, TypeVar
from urllib.parse import quote

import attrs
import cattrs

from mailseg.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
)
from mailseg.models import (
    Condition,
    Member,
    Op,
    Page,
    Progress,
    Relation,
    Segment,
    SegmentStatus,
    SegmentType,
    Tag,
)

T = TypeVar("T")
_NONE = type(None)

#: Both providers document their times in China Standard Time.
PROVIDER_ZONE = timezone(timedelta(hours=8), "UTC+08:00")


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


class Response:
    """One HTTP response, as the client hands it to an adapter.

    Attributes:
        status: the HTTP status.
        headers: the response headers (case-insensitive).
        body: the raw body.
        request: the request it answers.
        provider: the adapter's name, for error messages.
    """

    __slots__ = ("_data", "body", "headers", "provider", "request", "status")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        request: Request,
        provider: str = "",
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.request = request
        self.provider = provider
        self._data: Any = _UNDECODED

    def json(self) -> Any:
        """The body decoded as JSON (once); an `UnexpectedResponseError` if it is not JSON."""
        if self._data is _UNDECODED:
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
        }
        if issubclass(cls, RateLimitError):
            return cls(message, retry_after=parse_retry_after(self.headers), **fields)
        return cls(message, **fields)


class _Undecoded:
    __slots__ = ()


_UNDECODED: Any = _Undecoded()


@attrs.frozen
class Call(Generic[T]):
    """An operation as an adapter prepared it: what to send, and how to read the answer.

    ``parse`` is only called for a response the adapter's `Adapter.error`
    did not turn into an error.
    """

    request: Request
    parse: Callable[[Response], T]


class Adapter(abc.ABC):
    """One provider's wire dialect. Subclass it to add or correct a provider.

    Every operation method takes arguments the client has already validated
    and returns a `Call`. Override a single method (or the path and key
    attributes the built-in adapters expose) to correct one detail without
    forking the adapter.
    """

    #: The short name users pass to ``mailseg.connect``.
    name: ClassVar[str]
    #: The production base URL, used when the caller gives none.
    default_base_url: ClassVar[str]

    @abc.abstractmethod
    def authorization(self, credentials: Credentials) -> str:
        """The value of the ``Authorization`` header."""

    @abc.abstractmethod
    def error(self, response: Response) -> APIError | None:
        """The error this response carries, or None when it is a success."""

    # Segments

    @abc.abstractmethod
    def create_segment(self, name: str, type: SegmentType, condition: Condition) -> Call[Segment]:
        """Create a segment."""

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
        """Create a tag."""

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


def read_object(response: Response, data: Any = _UNDECODED) -> dict[str, Any]:
    """The body (or ``data``, a part of it) as a JSON object, else `UnexpectedResponseError`."""
    value = response.json() if data is _UNDECODED else data
    if not isinstance(value, dict):
        raise response.unexpected(f"expected a JSON object, got {type(value).__name__}")
    return value


def read_count(response: Response, data: dict[str, Any], *keys: str) -> int:
    """The first of ``keys`` present in ``data``, as a non-negative integer."""
    for key in keys:
        if key in data:
            value = data[key]
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return value
            raise response.unexpected(f"{key!r} is not a count: {value!r:.40}")
    raise response.unexpected(f"no {' or '.join(map(repr, keys))} in the body")


def read_page(
    response: Response,
    data: dict[str, Any],
    items_key: str,
    structure: Callable[[Any, type[T]], T],
    cls: type[T],
    *,
    offset: int,
    limit: int,
) -> Page[T]:
    """A `Page` from ``data[items_key]`` (a list, or null for none) and ``data["total"]``.

    A missing items key is an error, not an empty page: an envelope of another
    shape must not read as "no more items".
    """
    if items_key not in data:
        raise response.unexpected(f"no {items_key!r} in the listing")
    raw_items = data[items_key]
    if raw_items is None:
        raw_items = []
    elif not isinstance(raw_items, list):
        raise response.unexpected(f"{items_key!r} is not a list")
    total = data.get("total")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise response.unexpected(f"'total' is not a count: {total!r:.40}")
    items = tuple([structure(item, cls) for item in raw_items])
    return Page(items=items, total=total, offset=offset, limit=limit)


def quote_id(value: str) -> str:
    """An id as one path segment: every reserved character is percent-encoded.

    ``/``, ``?``, ``#`` and ``%`` included, so that no id can reach another
    endpoint; the client refuses ``.`` and ``..`` before this is called.
    """
    return quote(value, safe="")


_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitError,
}


def error_class(status: int) -> type[APIError]:
    """The error class an HTTP status means when the provider says nothing more precise."""
    if status >= 500:
        return ServerError
    return _STATUS_ERRORS.get(status, APIError)


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds (from a number of seconds or an HTTP date), or None."""
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def decode_json(body: bytes) -> Any:
    """Decode a JSON body, tolerating the trailing commas the providers' own examples show.

    Raises:
        ValueError: the body is empty, not UTF-8, or not JSON.
    """
    if not body.strip():
        raise ValueError("the body is empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("the body nests too deeply to decode") from None
    except json.JSONDecodeError as exc:
        # EngageLab's tag pages show `"update_time": "...",\n}`: strict JSON
        # refuses it, a real server may send it. Retry once without the
        # trailing commas; anything else (HTML, truncation) stays an error.
        relaxed = _strip_trailing_commas(text)
        if relaxed != text:
            try:
                return json.loads(relaxed)
            except (json.JSONDecodeError, RecursionError):
                pass
        raise ValueError(f"the body is not JSON ({exc.msg} at position {exc.pos})") from None


def _strip_trailing_commas(text: str) -> str:
    out: list[str] = []
    in_string = escaped = False
    pending_comma = -1
    for char in text:
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char in "}]" and pending_comma >= 0:
            del out[pending_comma]
        if char == ",":
            pending_comma = len(out)
        elif not char.isspace():
            pending_comma = -1
        if char == '"':
            in_string = True
        out.append(char)
    return "".join(out)


def parse_timestamp(value: str) -> datetime:
    """A provider time as an aware datetime.

    Accepts ``2021-04-25 18:54:56`` (no offset: UTC+8), ``2023-11-29 16:28:41+0800``
    and ``2023-11-28T11:14:48+0800``.
    """
    try:
        parsed = datetime.fromisoformat(value)  # Python 3.11+ reads all three as they are
    except ValueError:
        # Before 3.11 "+0800" is not understood: normalise it to "+08:00".
        text = value.strip()
        if len(text) >= 5 and text[-5] in "+-" and text[-4:].isdigit():
            text = f"{text[:-2]}:{text[-2:]}"
        parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PROVIDER_ZONE)
    return parsed


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _strict_int(value: Any, _: type) -> int:
    # Providers send some integers as strings ("status": "2"); accept digits,
    # refuse booleans, floats and anything else rather than guess.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise TypeError(f"expected an integer, got {value!r:.40}")


def _strict_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected a boolean, got {value!r:.40}")
    return value


def _timestamp(value: Any, _: type) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected a time string, got {type(value).__name__}")
    return parse_timestamp(value)


def non_empty_str(value: Any, _: type = str) -> str:
    """A structure hook for ids: a string, and not an empty one."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"expected a non-empty string id, got {value!r:.40}")
    return value


def object_with(data: Any, what: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """``data`` if it is an object holding at least one of ``keys``, else a TypeError.

    For models whose every field is optional (a progress), so that a string
    or an unrelated object does not read as "nothing known".
    """
    if not isinstance(data, dict):
        raise TypeError(f"expected {what} object, got {type(data).__name__}")
    for key in keys:
        if key in data:
            return data
    raise TypeError(f"{what} object has none of {', '.join(keys)}")


def _enum_lookup(cls: type[enum.Enum]) -> Callable[[Any, type], Any]:
    # A lookup table instead of Enum's own call, which costs several times
    # more per value read; it also takes the providers' "2" for a status 2.
    members: dict[Any, Any] = {}
    for member in cls:
        members[member.value] = members[str(member.value)] = member

    def structure(value: Any, _: type) -> Any:
        member = members.get(value) if type(value) in (int, str) else None
        if member is None:
            raise ValueError(f"{value!r:.40} is not a valid {cls.__name__}")
        return member

    return structure


def _mapping(value: Any, _: type) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _enum_value(value: Op | Relation) -> str:
    return str(value.value)


def _is_optional(annotation: Any) -> bool:
    args = typing.get_args(annotation)
    return (
        typing.get_origin(annotation) in (typing.Union, types.UnionType)
        and len(args) == 2
        and _NONE in args
    )


def _optional_hook(annotation: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    # cattrs' own Optional handling finds the inner hook again for every
    # value; resolving it once, when the class hook is built, makes a member
    # about a quarter faster to read.
    inner = next(arg for arg in typing.get_args(annotation) if arg is not _NONE)
    hook = converter.get_structure_hook(inner)
    if inner is str and hook is _strict_str:
        return _optional_str  # the commonest case, without a second call
    if inner is int and hook is _strict_int:
        return _optional_int

    def structure(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure


def _optional_str(value: Any, _: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    return _strict_str(value, str)


def _optional_int(value: Any, _: Any) -> int | None:
    if value is None or type(value) is int:
        return value
    return _strict_int(value, int)


def _is_homogeneous_tuple(annotation: Any) -> bool:
    args = typing.get_args(annotation)
    return typing.get_origin(annotation) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook(annotation: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    item = typing.get_args(annotation)[0]
    hook = converter.get_structure_hook(item)

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        return tuple([hook(element, item) for element in value])

    return structure


def base_converter() -> cattrs.Converter:
    """A cattrs converter with the hooks every provider dialect shares.

    Strict scalars (a string is never silently made of a number or a null),
    the providers' timestamps, string-encoded statuses, and contact fields kept
    as an object. Each adapter starts from its own copy and registers its
    naming and shapes on top.
    """
    converter = cattrs.Converter()
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(datetime, _timestamp)
    converter.register_structure_hook(SegmentStatus, _enum_lookup(SegmentStatus))
    converter.register_structure_hook(SegmentType, _enum_lookup(SegmentType))
    converter.register_structure_hook(Op, _enum_lookup(Op))
    converter.register_structure_hook(Relation, _enum_lookup(Relation))
    # str-valued enums go out as their plain values.
    converter.register_unstructure_hook(Op, _enum_value)
    converter.register_unstructure_hook(Relation, _enum_value)
    # Generic aliases are not classes: they are matched by predicate.
    converter.register_structure_hook_func(lambda t: t == Mapping[str, Any], _mapping)
    converter.register_structure_hook_factory(_is_optional, _optional_hook)
    converter.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_hook)
    return converter
