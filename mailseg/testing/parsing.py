"""Reading request bodies and queries into neutral values, enforcing the providers' rules.

Every check here is one the providers document (see ``spec/providers.md``, "Rules the
provider enforces"), plus two the emulator adds to catch client bugs early: a key the
endpoint does not take is refused (naming the expected key when it is the other provider's
spelling), and values must have the documented JSON type (``type`` an integer, ``value`` a
string).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any, Final

import attrs
from multidict import MultiMapping

from mailseg.testing.conditions import (
    CAMPAIGN_VALUES,
    MAX_ITEMS,
    OPS,
    ORDERING_OPS,
    RELATIONS,
    StoredCondition,
    StoredConditionItem,
)
from mailseg.testing.errors import ApiError, invalid
from mailseg.testing.naming import Naming
from mailseg.testing.store import Store

SEGMENT_NAME_MAX: Final = 48
SEGMENT_NAME_FORBIDDEN: Final = frozenset("^?+.*\\[]()")
TAG_NAME_MAX: Final = 64
# a-z A-Z 0-9 _ and Chinese characters (CJK unified ideographs and extension A).
_TAG_NAME = re.compile(r"[A-Za-z0-9_\u3400-\u4dbf\u4e00-\u9fff]+")
PAGE_SIZE_MAX: Final = 100
PAGE_SIZE_DEFAULT: Final = 10
MEMBER_IDS_MAX: Final = 1000
_ITEM_KEYS: Final = ("field_name", "op", "value", "campaign_id")
_FILTER_ITEM_KEYS: Final = ("field_name", "op", "value")

#: A body that was sent but is not JSON (the middleware parses once and leaves this behind).
MALFORMED: Final = object()

# An escape that can decode to a UTF-16 surrogate (\ud800 to \udfff): only then can a body
# parsed from UTF-8 hold one, so only then is it worth walking.
_SURROGATE_ESCAPE: Final = re.compile(rb"\\u[dD][89a-fA-F]")
# ASCII digits, an optional minus: Python's int() also takes "1_2", "+5", " 5 " and
# non-ASCII digits, none of which is an integer on the wire.
_QUERY_INTEGER: Final = re.compile(r"-?[0-9]+")
# Digits past this are out of any range the pages give (and past what int() parses cheaply).
_QUERY_INTEGER_DIGITS: Final = 9


@attrs.frozen
class Page:
    """An offset and a page size, validated."""

    offset: int
    size: int

    def slice(self, items: list[Any]) -> list[Any]:
        """This page of ``items``."""
        return items[self.offset : self.offset + self.size]


@attrs.frozen
class SegmentSpec:
    """What a create or update asks for; ``name`` None when an update leaves it unchanged."""

    name: str | None
    type: int
    condition: StoredCondition


class Reader:
    """Reads one provider's requests; ``naming`` gives its spelling of every key."""

    def __init__(self, naming: Naming) -> None:
        #: This provider's spelling of a neutral key: ``reader.key("segment_name")``.
        self.key = naming

    # -- the body -----------------------------------------------------------------------------

    def body(self, raw: bytes) -> object:
        """Parse a request body once: its JSON, None when empty, or :data:`MALFORMED`.

        Malformed covers what ``json.loads`` takes but JSON does not have (``NaN``,
        ``Infinity``) and nesting too deep to parse. A string holding a lone surrogate
        (``"a\\ud800b"``: valid JSON, but no Unicode text, so no answer could echo it) comes
        back as the 400 to raise when the body is read, naming the key that holds it.
        """
        if not raw.strip():
            return None
        try:
            body = json.loads(raw, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, too deep
            return MALFORMED
        if _SURROGATE_ESCAPE.search(raw):
            error = self._lone_surrogate(body)
            if error is not None:
                return error
        return body

    def _lone_surrogate(self, body: object) -> ApiError | None:
        # Iterative: a body may nest as deep as json.loads allows, past Python's stack.
        stack: list[tuple[object, str]] = [(body, "")]
        while stack:
            value, key = stack.pop()
            if isinstance(value, str):
                if not _is_text(value):
                    return invalid(
                        self.key.neutral(key), "[{key}] holds a lone surrogate, which is no text"
                    )
            elif isinstance(value, dict):
                for name, item in value.items():
                    if not _is_text(name):
                        return invalid("", "a key of the body holds a lone surrogate")
                    stack.append((item, name))
            elif isinstance(value, list):
                stack.extend((item, key) for item in value)
        return None

    # -- generic checks -----------------------------------------------------------------------

    def object_body(self, body: object, *, required: bool = True) -> Mapping[str, Any]:
        """The JSON object a body holds; 400 when it is malformed, not an object, or absent."""
        if isinstance(body, ApiError):
            raise body
        if body is MALFORMED:
            raise invalid("", "request body is not valid JSON")
        if body is None:
            if required:
                raise invalid("", "request body is required (a JSON object)")
            return {}
        if not isinstance(body, dict):
            raise invalid("", "request body must be a JSON object")
        return body

    def check_keys(self, obj: Mapping[str, Any], allowed: Collection[str]) -> None:
        """Refuse any key outside ``allowed`` (neutral keys), naming what was expected."""
        wire_allowed = {self.key(k) for k in allowed}
        for key in obj:
            if key in wire_allowed:
                continue
            expected = self.key.expected_for(key)
            if expected is not None and expected in wire_allowed:
                raise invalid(
                    self.key.neutral(expected), f"unknown parameter [{key}]: expected [{{key}}]"
                )
            raise invalid("", f"unknown parameter [{key}]")

    def _int(self, obj: Mapping[str, Any], neutral: str, *, required: bool) -> int | None:
        value = obj.get(self.key(neutral))
        if value is None:
            if required:
                raise invalid(neutral, "[{key}] is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(neutral, "[{key}] must be an integer")
        return value

    def _str(self, obj: Mapping[str, Any], neutral: str, *, required: bool) -> str | None:
        value = obj.get(self.key(neutral))
        if value is None:
            if required:
                raise invalid(neutral, "[{key}] is required")
            return None
        if not isinstance(value, str):
            raise invalid(neutral, "[{key}] must be a string")
        return value

    # -- segments -----------------------------------------------------------------------------

    def segment_name(self, name: str) -> str:
        """A valid segment name: 1 to 48 characters, none of ``^ ? + . * \\ [ ] ( )``."""
        if not 1 <= len(name) <= SEGMENT_NAME_MAX:
            raise invalid("segment_name", f"[{{key}}] must be 1 to {SEGMENT_NAME_MAX} characters")
        if SEGMENT_NAME_FORBIDDEN & set(name):
            raise invalid(
                "segment_name",
                # EngageLab's own wording (seeds/001), with the * its table forbids too.
                "[{key}]:Special characters such as ^, ?, +, ., *, \\, [, ], (, ), cannot be used",
            )
        return name

    def segment(self, body: object, store: Store, *, create: bool) -> SegmentSpec:
        """The body of a segment create (name required) or update (name optional)."""
        obj = self.object_body(body)
        self.check_keys(obj, ("segment_name", "type", "condition"))
        name = self._str(obj, "segment_name", required=create)
        if name is not None:
            name = self.segment_name(name)
        type_ = self._int(obj, "type", required=True)
        if type_ not in (0, 1):
            raise invalid("type", "type only be 0 (by field) or 1 (by campaign)")
        condition = self.condition(obj.get("condition"), store, by_campaign=type_ == 1)
        return SegmentSpec(name, type_, condition)

    def condition(
        self, raw: object, store: Store, *, by_campaign: bool, members_filter: bool = False
    ) -> StoredCondition:
        """A valid condition for a segment of type 1 (``by_campaign``) or 0.

        ``members_filter``: the condition of a members page, whose items take no campaign id
        (its table lists ``fieldName``, ``op`` and ``value`` only).
        """
        if raw is None:
            raise invalid("condition", "[{key}] is required")
        if not isinstance(raw, dict):
            raise invalid("condition", "[{key}] must be an object")
        self.check_keys(raw, ("relation", "items"))
        relation = raw.get("relation")
        if relation not in RELATIONS:
            raise invalid("relation", "[{key}] must be and or or")
        items = raw.get("items")
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
            raise invalid("items", f"[{{key}}] must hold 1 to {MAX_ITEMS} conditions")
        keys = _FILTER_ITEM_KEYS if members_filter else _ITEM_KEYS
        parsed = tuple(self._item(item, store, keys, by_campaign=by_campaign) for item in items)
        return StoredCondition(relation, parsed)

    def _item(
        self, raw: object, store: Store, keys: Collection[str], *, by_campaign: bool
    ) -> StoredConditionItem:
        if not isinstance(raw, dict):
            raise invalid("items", "every one of [{key}] must be an object")
        self.check_keys(raw, keys)
        field = self._str(raw, "field_name", required=True)
        op = self._str(raw, "op", required=True)
        value = self._str(raw, "value", required=True)
        campaign_id = self._int(raw, "campaign_id", required=False)
        # required=True: present, or _str raised.
        assert field is not None
        assert op is not None
        assert value is not None
        if op not in OPS:
            raise invalid("op", f"[{{key}}] must be one of {', '.join(OPS)}")
        folded = field.lower()
        if by_campaign:
            if folded != "campaign":
                raise invalid("field_name", "[{key}] must be campaign when type is 1 (by campaign)")
            if op != "==":
                raise invalid("op", "[{key}] must be == when the field is campaign")
            if value not in CAMPAIGN_VALUES:
                raise invalid("value", f"[{{key}}] must be one of {', '.join(CAMPAIGN_VALUES)}")
            if campaign_id is None:
                raise invalid("campaign_id", "[{key}] is required when the field is campaign")
            if campaign_id not in store.campaigns:
                raise invalid(
                    "campaign_id",
                    f"campaign [{campaign_id}] does not exist or has not been sent",
                )
            return StoredConditionItem("campaign", op, value, campaign_id)
        if folded == "campaign":
            raise invalid("field_name", "[{key}] campaign needs type 1 (by campaign)")
        if not store.knows_field(field):
            raise invalid("field_name", f"[{field}] is not defined, please define it first")
        if folded == "tag" and op in ORDERING_OPS:
            raise invalid("op", "[{key}] must be ==, !=, contain or does not contain for tag")
        return StoredConditionItem(field, op, value, None)

    def members_filter(self, body: object, store: Store) -> StoredCondition | None:
        """The optional ``{"condition": ...}`` of a members page, by field (never campaign)."""
        obj = self.object_body(body, required=False)
        self.check_keys(obj, ("condition",))
        raw = obj.get("condition")
        if raw is None:
            return None
        return self.condition(raw, store, by_campaign=False, members_filter=True)

    def member_ids(self, body: object) -> list[str]:
        """1 to 1000 contact ids, as a removal or tagging request sends them."""
        obj = self.object_body(body)
        self.check_keys(obj, ("member_ids",))
        ids = obj.get(self.key("member_ids"))
        if ids is None:
            raise invalid("member_ids", "[{key}] is required")
        # set(map(type, ...)) checks a thousand ids at C speed.
        if not isinstance(ids, list) or not set(map(type, ids)) <= {str}:
            raise invalid("member_ids", "[{key}] must be a list of contact ids")
        if not ids:
            raise invalid("member_ids", "[{key}] must not be empty")
        if len(ids) > MEMBER_IDS_MAX:
            raise invalid("member_ids", f"[{{key}}] takes at most {MEMBER_IDS_MAX} ids per request")
        return ids

    # -- tags ---------------------------------------------------------------------------------

    def tag_name(self, body: object, *, required: bool) -> str | None:
        """A valid tag name from a create (required) or update (optional) body."""
        obj = self.object_body(body)
        self.check_keys(obj, ("tag_name",))
        name = self._str(obj, "tag_name", required=required)
        if name is not None and (len(name) > TAG_NAME_MAX or _TAG_NAME.fullmatch(name) is None):
            raise invalid(
                "tag_name",
                "Tag name only consists of a-z, A-z, 0-9, _,chinese character, up to 64 characters",
            )
        return name

    # -- queries ------------------------------------------------------------------------------

    def check_query(self, query: MultiMapping[str], allowed: Collection[str]) -> None:
        """Refuse the other provider's spelling of a query key, or a key of ours given twice
        (``offset=1&offset=2`` holds no one integer); ignore other unknown keys."""
        wire_allowed = {self.key(k) for k in allowed}
        for key in wire_allowed:
            if len(query.getall(key, ())) > 1:
                raise invalid(self.key.neutral(key), "[{key}] must be given once")
        for key in query:
            expected = self.key.expected_for(key)
            if key not in wire_allowed and expected is not None and expected in wire_allowed:
                raise invalid(
                    self.key.neutral(expected), f"unknown parameter [{key}]: expected [{{key}}]"
                )

    def page(self, query: Mapping[str, str]) -> Page:
        """``offset`` >= 0 (default 0) and a page size of 1 to 100 (default 10)."""
        offset = _query_int(query, self.key("offset"), "offset", default=0)
        size = _query_int(query, self.key("page_size"), "page_size", default=PAGE_SIZE_DEFAULT)
        if offset < 0:
            raise invalid("offset", "[{key}] must be >= 0")
        if not 1 <= size <= PAGE_SIZE_MAX:
            raise invalid("page_size", f"[{{key}}] must be between 1 and {PAGE_SIZE_MAX}")
        return Page(offset, size)

    def type_filter(self, query: Mapping[str, str]) -> int | None:
        """The optional ``type`` of a segment listing: 0 or 1."""
        raw = query.get("type")
        if raw is None:
            return None
        if raw not in ("0", "1"):
            raise invalid("type", "type only be 0 (by field) or 1 (by campaign)")
        return int(raw)


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _is_text(value: str) -> bool:
    """Whether ``value`` is Unicode text, that is holds no lone surrogate."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _query_int(query: Mapping[str, str], wire: str, neutral: str, *, default: int) -> int:
    raw = query.get(wire)
    if raw is None:
        return default
    # An empty value ("offset=") is no integer either: absent means the default, empty not.
    if _QUERY_INTEGER.fullmatch(raw) is None:
        raise invalid(neutral, "[{key}] must be an integer")
    if len(raw.lstrip("-").lstrip("0")) > _QUERY_INTEGER_DIGITS:
        raise invalid(neutral, "[{key}] is out of range")
    return int(raw)
