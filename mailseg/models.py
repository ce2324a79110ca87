"""The values mailseg returns and takes: one set of models for every provider.

Models are frozen, slotted attrs classes. Fields a provider did not send are
None. Timestamps are timezone-aware; a provider time without an offset is read
as UTC+8, the zone both providers document.
"""

from __future__ import annotations

__all__ = [
    "BulkResult",
    "Condition",
    "ConditionItem",
    "FailedChunk",
    "Member",
    "Op",
    "Page",
    "Progress",
    "Relation",
    "Segment",
    "SegmentStatus",
    "SegmentType",
    "Tag",
]

import enum
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, SupportsIndex, TypeVar, overload

import attrs

from mailseg.errors import MailsegError, ValidationError

T = TypeVar("T")


class _NamedIntEnum(enum.IntEnum):
    # An int on the wire and in comparisons, a word when printed: `print(segment.status)`
    # says COMPLETED, not 2 (nor "SegmentStatus.COMPLETED" on Python 3.10). `int()` and
    # `.value` give the number; repr stays <SegmentStatus.COMPLETED: 2>.

    def __str__(self) -> str:
        return self.name

    def __format__(self, format_spec: str) -> str:
        return format(self.name, format_spec)


class SegmentType(_NamedIntEnum):
    """How a segment selects contacts.

    An `int` (0 or 1, as the providers send it) that prints as its name: ``str()`` and
    f-strings give ``BY_FIELD``; ``int()`` or ``.value`` give the number.
    """

    BY_FIELD = 0
    """By contact attributes, or by tag (field ``tag``, value the tag's name)."""
    BY_CAMPAIGN = 1
    """By what a contact did with one campaign (field ``campaign``)."""


class SegmentStatus(_NamedIntEnum):
    """Processing state of a segment (the providers send it as the strings "-1", "1", "2").

    An `int` that prints as its name: ``print(segment.status)`` shows ``COMPLETED``;
    ``int()`` or ``.value`` give the number, and ``segment.status == 2`` holds.
    """

    FAILED = -1
    """The provider could not process the segment."""
    UPDATING = 1
    """Being processed: members and counts are not final yet."""
    COMPLETED = 2
    """Processed: members and counts are final."""


class Relation(str, enum.Enum):
    """How the items of a condition combine."""

    AND = "and"
    OR = "or"

    def __str__(self) -> str:
        return self.value


class Op(str, enum.Enum):
    """The eight operators both providers accept in a condition item."""

    EQ = "=="
    NE = "!="
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    CONTAIN = "contain"
    NOT_CONTAIN = "does not contain"

    def __str__(self) -> str:
        return self.value


# Lookups by value: conditions are built for every segment read, and a dict
# lookup is several times cheaper than Enum's own call.
_OPS: dict[object, Op] = {**{op.value: op for op in Op}, **{op: op for op in Op}}
_RELATIONS: dict[object, Relation] = {
    **{r.value: r for r in Relation},
    **{r: r for r in Relation},
}


def _to_op(value: Op | str) -> Op:
    op = _OPS.get(value) if isinstance(value, str) else None
    if op is None:
        choices = ", ".join(repr(op.value) for op in Op)
        raise ValidationError("op", f"{value!r} is not an operator; use one of {choices}")
    return op


def _to_relation(value: Relation | str) -> Relation:
    relation = _RELATIONS.get(value) if isinstance(value, str) else None
    if relation is None:
        raise ValidationError("relation", f"{value!r} is not 'and' or 'or'")
    return relation


def _to_value(value: str | int | float) -> str:
    # Both providers carry every value as a string ("13" for an age); numbers
    # are accepted for convenience and written the way a person would.
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValidationError("value", f"must be a string or a number, not {type(value).__name__}")


def _to_items(items: Sequence[ConditionItem]) -> tuple[ConditionItem, ...]:
    if type(items) is tuple:
        return items
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise ValidationError("items", "must be a sequence of ConditionItem")
    return tuple(items)


@attrs.frozen
class ConditionItem:
    """One test of a condition.

    Attributes:
        field: a contact attribute (``"Age"``, ``"Email"``), ``"tag"`` (value is
            the tag's *name*), or ``"campaign"`` (value is ``sent``, ``open``,
            ``click``, ``unopen``, ``unclick`` or ``notsent``).
        op: one of the eight operators; ``"campaign"`` takes ``==`` only.
        value: compared as text, or as a number when both sides are numbers.
        campaign_id: the campaign, required when field is ``"campaign"``.
    """

    field: str
    op: Op = attrs.field(converter=_to_op)
    value: str = attrs.field(converter=_to_value)
    campaign_id: int | None = None


@attrs.frozen(kw_only=True)
class Condition:
    """Which contacts a segment holds: 1 to 10 items joined by one relation."""

    relation: Relation = attrs.field(default=Relation.AND, converter=_to_relation)
    items: tuple[ConditionItem, ...] = attrs.field(converter=_to_items)


@attrs.frozen
class Progress:
    """How far the provider is in computing a segment's members."""

    percent: int | None = None
    complete: bool | None = None
    description: str | None = None


@attrs.frozen
class Segment:
    """A segment of the contact list.

    SendCloud's create answers with the id alone: the Segment it returns holds
    that id and the name, type and condition that were sent, with status,
    counts and times None. ``segments.get`` or ``wait_until_complete`` fill
    them in.

    A fresh segment's ``status`` therefore depends on the provider: None on
    SendCloud, and on EngageLab whatever its create answer says (``UPDATING``,
    or already ``COMPLETED`` as in its documented example). None means "not
    reported", never a guess: mailseg does not invent a status the provider
    did not send. From the first ``get`` on, both providers report it alike.
    """

    id: str
    name: str | None
    type: SegmentType
    condition: Condition
    status: SegmentStatus | None = None
    member_total: int | None = None
    list_id: int | None = None
    user_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    progress: Progress | None = None


@attrs.frozen
class Tag:
    """A contact tag. ``member_count`` is sent by list calls only."""

    id: str
    name: str | None = None
    member_count: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen
class Member:
    """A contact, as segment and tag member listings return it."""

    id: str
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    fields: Mapping[str, Any] | None = None
    tag_ids: tuple[str, ...] | None = None
    tag_names: tuple[str, ...] | None = None
    list_id: int | None = None
    user_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    unsubscribed_at: datetime | None = None


@attrs.frozen
class Page(Generic[T]):
    """One page of a listing: iterable, sized and indexable over its items.

    Attributes:
        items: the items of this page.
        total: how many items the whole listing holds, as the provider counts them.
        offset, limit: the window that was asked for.
    """

    items: tuple[T, ...]
    total: int | None
    offset: int
    limit: int

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: SupportsIndex) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: SupportsIndex | slice) -> T | tuple[T, ...]:
        """One item, or a slice of the items as a tuple (``page[1:3]``).

        A slice is plain items, not a `Page`: ``total``, ``offset`` and ``limit``
        describe the window the provider was asked for, which a slice is not.
        """
        return self.items[index]


@attrs.frozen
class FailedChunk:
    """One request of a bulk job that failed, with the ids it carried."""

    ids: tuple[str, ...]
    error: MailsegError


@attrs.frozen
class BulkResult:
    """What a bulk member operation did, chunk by chunk.

    Every id taken from the input is in exactly one chunk, and every chunk
    either succeeded or is listed in ``failed`` with its ids: nothing is
    dropped or counted twice.

    Attributes:
        requested: ids taken from the input.
        chunks: requests attempted (at most 1000 ids each).
        succeeded: the provider's counts summed over the chunks that succeeded
            (ids already in the requested state may not be counted by it).
        failed: every failed chunk, with its ids and its error.
    """

    requested: int
    chunks: int
    succeeded: int
    failed: tuple[FailedChunk, ...] = ()

    @property
    def failed_ids(self) -> tuple[str, ...]:
        """Every id of every failed chunk, in input order within a chunk: what to retry."""
        return tuple(member for chunk in self.failed for member in chunk.ids)

    @property
    def ok(self) -> bool:
        """True when no chunk failed."""
        return not self.failed
