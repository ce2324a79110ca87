"""An independent, deliberately plain evaluation of segment conditions.

Written from the semantics in docs/emulator.md, not from the emulator's code: one function,
no precomputation, so that a disagreement with the emulator points at a real bug.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mailseg.testing import Contact


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def attribute(contact: Contact, field: str) -> str:
    """The contact's value for a field name, matched case-insensitively; "" when missing."""
    wanted = field.lower()
    if wanted in ("email", "name", "phone"):
        return getattr(contact, wanted) or ""
    for key, value in contact.fields.items():
        if key.lower() == wanted and value:
            return value
    return ""


def matches(contact: Contact, item: Mapping[str, Any], tag_names: Mapping[str, str]) -> bool:
    """Whether one condition item (neutral keys: field, op, value, campaign) holds."""
    field, op, value = item["field"], item["op"], item["value"]
    if field.lower() == "campaign":
        level = contact.campaigns.get(item["campaign"])
        return {
            "sent": level is not None,
            "open": level in ("open", "click"),
            "click": level == "click",
            "unopen": level == "sent",
            "unclick": level in ("sent", "open"),
            "notsent": level is None,
        }[value]
    if field.lower() == "tag":
        names = [tag_names[t] for t in contact.tag_ids]
        return {
            "==": value in names,
            "!=": value not in names,
            "contain": any(value in n for n in names),
            "does not contain": not any(value in n for n in names),
        }[op]
    actual = attribute(contact, field)
    left, right = _number(actual), _number(value)
    numeric = left is not None and right is not None
    equal = left == right if numeric else actual == value
    if op == "==":
        return equal
    if op == "!=":
        return not equal
    if op == "contain":
        return value in actual
    if op == "does not contain":
        return value not in actual
    if actual == "":
        return False
    a, b = (left, right) if numeric else (actual, value)
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]  # type: ignore[operator]


def select_ids(
    contacts: Iterable[Contact],
    relation: str,
    items: Sequence[Mapping[str, Any]],
    tag_names: Mapping[str, str],
) -> list[str]:
    """Ids of the contacts a condition selects, in contact order."""
    join = all if relation == "and" else any
    return [c.id for c in contacts if join(matches(c, i, tag_names) for i in items)]
