"""mailseg: one async API for the segments and tags of SendCloud and EngageLab.

    import mailseg

    async with mailseg.connect("engagelab", api_user="...", api_key="...") as client:
        tag = await client.tags.create("vip")
        await client.tags.add_members(tag.id, member_ids)

Providers are adapters installed beside the core (``pip install 'mailseg[all]'``);
`providers` lists the installed ones.
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
