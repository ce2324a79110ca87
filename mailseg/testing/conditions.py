"""Segment conditions and their evaluation against the emulator's contacts.

Semantics (the providers do not document them; these are the emulator's, and
``docs/emulator.md`` repeats them):

* Field names match case-insensitively: ``Email``/``email``, ``Age``/``age`` (SendCloud's
  own examples use both ``Age`` and ``age`` for the same field).
* A missing attribute is the empty string.
* ``==`` / ``!=`` compare numbers when both sides parse as finite numbers (``"13"`` equals
  ``"13.0"``), text otherwise, case-sensitively.
* ``>``, ``>=``, ``<``, ``<=`` compare numbers when both sides are numbers, text otherwise
  (so ``"MM/DD"`` birthdays and ISO dates order correctly); an empty value never satisfies
  them.
* ``contain`` / ``does not contain`` test for a substring, case-sensitively.
* ``tag``: ``==`` the contact carries a tag of that name, ``!=`` it does not; ``contain`` one
  of its tag names contains the value, ``does not contain`` none does.
* ``campaign``: ``sent`` sent (whatever followed), ``open`` opened, ``click`` clicked,
  ``unopen`` sent and not opened, ``unclick`` sent and not clicked, ``notsent`` not sent.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import attrs

from mailseg.testing.contacts import Contact

OPS: Final = ("==", "!=", ">", ">=", "<", "<=", "contain", "does not contain")
ORDERING_OPS: Final = frozenset({">", ">=", "<", "<="})
CAMPAIGN_VALUES: Final = ("sent", "open", "click", "unopen", "unclick", "notsent")
RELATIONS: Final = ("and", "or")
MAX_ITEMS: Final = 10

Relation = Literal["and", "or"]
Predicate = Callable[[Contact], bool]


@attrs.frozen
class StoredConditionItem:
    """One filter: ``field_name op value``; ``campaign_id`` only for field ``campaign``."""

    field_name: str
    op: str
    value: str
    campaign_id: int | None = None


@attrs.frozen
class StoredCondition:
    """Items joined by one relation: all ``and`` or all ``or``, as the providers require."""

    relation: Relation
    items: tuple[StoredConditionItem, ...]


_COMPARE: Final[Mapping[str, Callable[[Any, Any], Any]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _field_getter(field: str, field_keys: Mapping[str, Sequence[str]]) -> Callable[[Contact], str]:
    folded = field.lower()
    if folded == "email":
        return lambda c: c.email or ""
    if folded == "name":
        return lambda c: c.name or ""
    if folded == "phone":
        return lambda c: c.phone or ""
    keys = tuple(field_keys.get(folded, ()))
    if len(keys) == 1:
        (key,) = keys

        def single(c: Contact) -> str:
            return c.fields.get(key) or ""

        return single

    def spelled_many_ways(c: Contact) -> str:
        # Loaded data may spell one field differently per contact ("Age", "age").
        for key in keys:
            value = c.fields.get(key)
            if value:
                return value
        return ""

    return spelled_many_ways


def _text_predicate(get: Callable[[Contact], str], op: str, wanted: str) -> Predicate:
    wanted_number = _number(wanted)

    def equal(c: Contact) -> bool:
        actual = get(c)
        if wanted_number is not None:
            number = _number(actual)
            if number is not None:
                return number == wanted_number
        return actual == wanted

    if op == "==":
        return equal
    if op == "!=":
        return lambda c: not equal(c)
    if op == "contain":
        return lambda c: wanted in get(c)
    if op == "does not contain":
        return lambda c: wanted not in get(c)
    compare = _COMPARE[op]

    def ordered(c: Contact) -> bool:
        actual = get(c)
        if not actual:
            return False
        if wanted_number is not None:
            number = _number(actual)
            if number is not None:
                return bool(compare(number, wanted_number))
        return bool(compare(actual, wanted))

    return ordered


def _tag_predicate(op: str, wanted: str, tag_names: Mapping[str, str]) -> Predicate:
    def names(c: Contact) -> Iterable[str]:
        return (tag_names[tag_id] for tag_id in c.tag_ids if tag_id in tag_names)

    if op == "==":
        return lambda c: any(name == wanted for name in names(c))
    if op == "!=":
        return lambda c: all(name != wanted for name in names(c))
    if op == "contain":
        return lambda c: any(wanted in name for name in names(c))
    if op == "does not contain":
        return lambda c: all(wanted not in name for name in names(c))
    raise ValueError(f"op {op!r} does not apply to tags")


def _campaign_predicate(campaign_id: int, wanted: str) -> Predicate:
    if wanted == "sent":
        return lambda c: campaign_id in c.campaigns
    if wanted == "open":
        return lambda c: c.campaigns.get(campaign_id) in ("open", "click")
    if wanted == "click":
        return lambda c: c.campaigns.get(campaign_id) == "click"
    if wanted == "unopen":
        return lambda c: c.campaigns.get(campaign_id) == "sent"
    if wanted == "unclick":
        return lambda c: c.campaigns.get(campaign_id) in ("sent", "open")
    if wanted == "notsent":
        return lambda c: campaign_id not in c.campaigns
    raise ValueError(f"campaign value {wanted!r} is not one of {CAMPAIGN_VALUES}")


def item_predicate(
    item: StoredConditionItem, field_keys: Mapping[str, Sequence[str]], tag_names: Mapping[str, str]
) -> Predicate:
    """The test one item applies to a contact (the item is assumed valid)."""
    folded = item.field_name.lower()
    if folded == "campaign":
        if item.campaign_id is None:
            raise ValueError("a campaign item needs a campaign id")
        return _campaign_predicate(item.campaign_id, item.value)
    if folded == "tag":
        return _tag_predicate(item.op, item.value, tag_names)
    return _text_predicate(_field_getter(item.field_name, field_keys), item.op, item.value)


def select(
    condition: StoredCondition,
    contacts: Sequence[Contact],
    candidates: Iterable[int],
    field_keys: Mapping[str, Sequence[str]],
    tag_names: Mapping[str, str],
) -> list[int]:
    """Indices, among ``candidates`` and in their order, of the contacts the condition selects.

    Args:
        condition: a validated condition.
        contacts: all contacts; candidates index into it.
        candidates: the indices to consider (all contacts, or a segment's members).
        field_keys: lower-cased field name -> the spellings of it present in the data.
        tag_names: tag id -> tag name.
    """
    predicates = [item_predicate(item, field_keys, tag_names) for item in condition.items]
    if len(predicates) == 1:
        (only,) = predicates
        return [i for i in candidates if only(contacts[i])]
    combine = all if condition.relation == "and" else any
    return [i for i in candidates if combine(p(contacts[i]) for p in predicates)]
