"""The providers' own rules, checked before anything is sent.

Every check raises `ValidationError` naming the argument as the caller spelled
it, so a bad call fails fast and costs no request. The rules are the ones both
providers' pages state (see docs: "Rules the provider enforces").
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, Iterable
from typing import Any

from mailseg.errors import ValidationError
from mailseg.models import Condition, ConditionItem, Op, SegmentType

SEGMENT_NAME_MAX = 48
TAG_NAME_MAX = 64
MAX_ITEMS = 10
MAX_PAGE_SIZE = 100

_SEGMENT_NAME_FORBIDDEN = frozenset("^?+.*\\[]()")
# a-z, A-Z, 0-9, _ and Chinese characters (CJK unified ideographs, extension A,
# compatibility ideographs), as both providers word it.
_TAG_NAME = re.compile(r"[A-Za-z0-9_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
CAMPAIGN_EVENTS = ("sent", "open", "click", "unopen", "unclick", "notsent")


def has_utf8_form(text: str) -> bool:
    """False when ``text`` holds a lone surrogate (U+D800 to U+DFFF, what
    ``surrogateescape`` decoding leaves of bytes that were not UTF-8): it cannot go
    on the wire. Ids joined into one text are checked at once."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def sendable(value: str, parameter: str) -> str:
    """``value``, refused by name if it has no UTF-8 form, rather than as a
    ``UnicodeEncodeError`` from the encoder halfway through a call."""
    if not has_utf8_form(value):
        raise ValidationError(parameter, "must be valid Unicode text (it holds a lone surrogate)")
    return value


def resource_id(value: object, parameter: str) -> str:
    """A segment or tag id: a non-empty string that cannot name another path."""
    if not isinstance(value, str):
        raise ValidationError(parameter, f"must be a string, not {type(value).__name__}")
    if not value:
        raise ValidationError(parameter, "must not be empty")
    if value in (".", ".."):
        raise ValidationError(parameter, f"{value!r} is not an id")
    return sendable(value, parameter)


def segment_name(value: object, parameter: str = "name") -> str:
    if not isinstance(value, str):
        raise ValidationError(parameter, f"must be a string, not {type(value).__name__}")
    if not 1 <= len(value) <= SEGMENT_NAME_MAX:
        raise ValidationError(parameter, f"must be 1 to {SEGMENT_NAME_MAX} characters long")
    bad = sorted(set(value) & _SEGMENT_NAME_FORBIDDEN)
    if bad:
        raise ValidationError(
            parameter, f"must not contain {' '.join(bad)} (forbidden: ^ ? + . * \\ [ ] ( ))"
        )
    return sendable(value, parameter)


def tag_name(value: object, parameter: str = "name") -> str:
    if not isinstance(value, str):
        raise ValidationError(parameter, f"must be a string, not {type(value).__name__}")
    if not 1 <= len(value) <= TAG_NAME_MAX:
        raise ValidationError(parameter, f"must be 1 to {TAG_NAME_MAX} characters long")
    if not _TAG_NAME.fullmatch(value):
        raise ValidationError(parameter, "may hold only a-z, A-Z, 0-9, _ and Chinese characters")
    return value


def optional_filter(value: object, parameter: str) -> str | None:
    """A name filter for a listing: None, or a non-empty string."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValidationError(parameter, "must be a non-empty string or None")
    return sendable(value, parameter)


def segment_type(value: object, parameter: str = "type") -> SegmentType:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(parameter, "must be SegmentType.BY_FIELD (0) or BY_CAMPAIGN (1)")
    try:
        return SegmentType(value)
    except ValueError:
        raise ValidationError(
            parameter, f"{value} is not SegmentType.BY_FIELD (0) or BY_CAMPAIGN (1)"
        ) from None


def page_window(offset: object, limit: object, limit_name: str = "limit") -> tuple[int, int]:
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValidationError("offset", "must be an integer >= 0")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(limit_name, f"must be an integer from 1 to {MAX_PAGE_SIZE}")
    return offset, limit


def as_condition(value: object, parameter: str = "condition") -> Condition:
    """A `Condition`, also from a single `ConditionItem` (what the builder makes)."""
    if isinstance(value, ConditionItem):
        return Condition(items=(value,))
    if not isinstance(value, Condition):
        raise ValidationError(
            parameter, f"must be a Condition or ConditionItem, not {type(value).__name__}"
        )
    return value


def infer_type(condition: Condition) -> SegmentType:
    """By campaign when an item tests a campaign, else by field."""
    if any(item.field == "campaign" for item in condition.items):
        return SegmentType.BY_CAMPAIGN
    return SegmentType.BY_FIELD


def segment_condition(
    value: object, kind: SegmentType | None, parameter: str = "condition"
) -> Condition:
    """A segment's condition, checked against the segment type.

    ``kind`` None checks a members filter: attributes and tags only.
    """
    condition = as_condition(value, parameter)
    items = condition.items
    if not 1 <= len(items) <= MAX_ITEMS:
        raise ValidationError(f"{parameter}.items", f"must hold 1 to {MAX_ITEMS} items")
    for index, item in enumerate(items):
        where = f"{parameter}.items[{index}]"
        if not isinstance(item, ConditionItem):
            raise ValidationError(where, f"must be a ConditionItem, not {type(item).__name__}")
        _check_item(item, kind, where)
    return condition


def _check_item(item: ConditionItem, kind: SegmentType | None, where: str) -> None:
    if not isinstance(item.field, str) or not item.field:
        raise ValidationError(f"{where}.field", "must be a non-empty string")
    sendable(item.field, f"{where}.field")
    if isinstance(item.value, str):
        sendable(item.value, f"{where}.value")
    if item.campaign_id is not None and (
        isinstance(item.campaign_id, bool) or not isinstance(item.campaign_id, int)
    ):
        raise ValidationError(f"{where}.campaign_id", "must be an integer")
    if item.field != "campaign":
        if kind is SegmentType.BY_CAMPAIGN:
            raise ValidationError(
                f"{where}.field", "a by-campaign segment tests field 'campaign' only"
            )
        if item.campaign_id is not None:
            raise ValidationError(f"{where}.campaign_id", "is only for field 'campaign'")
        if item.field == "tag" and not item.value:
            raise ValidationError(f"{where}.value", "must be the tag's name")
        return
    if kind is None:
        raise ValidationError(f"{where}.field", "a members filter cannot test 'campaign'")
    if kind is SegmentType.BY_FIELD:
        raise ValidationError(f"{where}.field", "'campaign' needs type SegmentType.BY_CAMPAIGN (1)")
    if item.op is not Op.EQ:
        raise ValidationError(f"{where}.op", "field 'campaign' takes op '==' only")
    if item.value not in CAMPAIGN_EVENTS:
        raise ValidationError(f"{where}.value", f"must be one of {', '.join(CAMPAIGN_EVENTS)}")
    if item.campaign_id is None:
        raise ValidationError(f"{where}.campaign_id", "is required for field 'campaign'")


def member_id_source(
    value: object, parameter: str = "member_ids"
) -> Iterable[Any] | AsyncIterable[Any]:
    """An iterable (or async iterable) of ids; a lone string is refused, not split into letters."""
    if isinstance(value, (str, bytes)):
        raise ValidationError(parameter, "must be a collection of ids, not a single string")
    if not isinstance(value, (Iterable, AsyncIterable)):
        raise ValidationError(parameter, f"must be an iterable of ids, not {type(value).__name__}")
    return value


def member_id(value: object, parameter: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError(parameter, "must be a non-empty string")
    return sendable(value, parameter)
