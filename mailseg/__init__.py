"""mailseg: one async API for the segments and tags of SendCloud and EngageLab.

    import mailseg

    async with mailseg.connect("engagelab", api_user="...", api_key="...") as client:
        tag = await client.tags.create("early_access")
        await client.tags.add_members(tag.id, member_ids)

Providers are adapters installed beside the core (``pip install 'mailseg[all]'``);
`providers` lists the installed ones. ``mailseg.testing`` is a local emulator of both.

Connecting:

    mailseg.connect(provider, *, api_user, api_key, token, base_url, timeout,
                    max_retries, session, max_concurrency, rate_limit) -> Client
    mailseg.Client.from_env() / mailseg.Client.from_config(mapping) -> Client
    mailseg.providers() -> list of installed provider names

Segment operations, on ``client.segments``:

    create(name, condition, *, type=None) -> Segment
    get(segment_id) -> Segment
    update(segment_id, *, condition, name=None, type=None) -> Segment
    delete(segment_id) -> None
    list(*, name=None, type=None, offset=0, limit=10) -> Page[Segment]
    iterate(*, name=None, type=None, page_size=100) -> AsyncIterator[Segment]
    progress(segment_id) -> Progress
    wait_until_complete(segment_id, *, timeout=300.0, poll_interval=2.0,
                        on_progress=None) -> Segment
    members(segment_id, *, condition=None, offset=0, limit=10) -> Page[Member]
    iterate_members(segment_id, *, condition=None, page_size=100) -> AsyncIterator[Member]
    remove_members(segment_id, member_ids, **bulk) -> BulkResult

Tag operations, on ``client.tags``:

    create(name) -> Tag
    update(tag_id, *, name) -> None
    delete(tag_id) -> None
    list(*, name=None, offset=0, limit=10) -> Page[Tag]
    iterate(*, name=None, page_size=100) -> AsyncIterator[Tag]
    add_members(tag_id, member_ids, **bulk) -> BulkResult
    remove_members(tag_id, member_ids, **bulk) -> BulkResult
    members(tag_id, *, offset=0, limit=10) -> Page[Member]
    iterate_members(tag_id, *, page_size=100) -> AsyncIterator[Member]

    **bulk: max_concurrency=None, on_progress=None, raise_on_error=True

Conditions: ``field("Age") >= 18``, ``tag("vip")``, ``campaign(1).opened()``,
``all_of(...)``, ``any_of(...)``; or `Condition` and `ConditionItem` directly.
Every error is a `MailsegError`. Each operation's own help: ``help(mailseg.Client)``,
``help(client.segments.create)``.
"""

from __future__ import annotations

from typing import Any

from mailseg import errors as _errors
from mailseg._client import Client, connect
from mailseg._raw import ExchangeInfo, RawResponse
from mailseg._registry import providers
from mailseg._retry import RetryPolicy
from mailseg._settings import Settings
from mailseg._version import __version__
from mailseg.conditions import all_of, any_of, campaign, field, tag
from mailseg.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    BulkError,
    ConfigurationError,
    ConflictError,
    MailsegError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ResponseTooLargeError,
    SegmentFailedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    UnsupportedOperationError,
    ValidationError,
    WaitTimeoutError,
)
from mailseg.models import (
    BulkResult,
    Condition,
    ConditionItem,
    FailedChunk,
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

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "BulkError",
    "BulkResult",
    "Client",
    "Condition",
    "ConditionItem",
    "ConfigurationError",
    "ConflictError",
    "ExchangeInfo",
    "FailedChunk",
    "MailsegError",
    "Member",
    "NotFoundError",
    "Op",
    "Page",
    "PermissionDeniedError",
    "Progress",
    "RateLimitError",
    "RawResponse",
    "Relation",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "Segment",
    "SegmentFailedError",
    "SegmentStatus",
    "SegmentType",
    "ServerError",
    "Settings",
    "Tag",
    "TransportError",
    "UnexpectedResponseError",
    "UnsupportedOperationError",
    "ValidationError",
    "WaitTimeoutError",
    "__version__",
    "all_of",
    "any_of",
    "campaign",
    "connect",
    "field",
    "providers",
    "tag",
]


def __getattr__(name: str) -> Any:
    # Deprecated names (mailseg.TimeoutError): the value, with a DeprecationWarning.
    return _errors._renamed(__name__, name)
