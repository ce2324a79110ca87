"""`compiled.constructor`: the cheap way to make a frozen value makes the value ``cls(...)`` makes.

The compiled readers and the adapters' hot calls build models, pages, `Request`s and
`Call`s with it; a caller gets the same frozen instances either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs
import pytest

from mailseg import Condition, ConditionItem, Member, Page, Progress, Segment, SegmentType, Tag
from mailseg.adapter import PROVIDER_ZONE, Call, Operation, Request
from mailseg.adapter.compiled import constructor
from mailseg.models import Op, Relation

WHEN = datetime(2023, 11, 28, 11, 14, 48, tzinfo=PROVIDER_ZONE)
CONDITION = Condition(items=(ConditionItem("Age", ">", "1"),))


def _parse(response: object) -> None:
    return None


CASES: list[tuple[type[Any], tuple[Any, ...]]] = [
    (Request, ("POST", "/v1/x", (("offset", "0"),), {"a": 1})),
    (Call, (Request("GET", "/v1/x"), _parse, True, Operation("x.get", "/v1/x"), None)),
    (Page, ((Tag("t1"),), 1, 0, 10)),
    (Tag, ("t1", "n", 3, WHEN, WHEN)),
    (Progress, (50, False, "running")),
    (
        Member,
        ("m1", "a@b.c", "138", "n", {"Age": "1"}, ("t1",), ("tag",), 9, 8, WHEN, None, None),
    ),
    (
        Segment,
        ("s1", "n", SegmentType.BY_FIELD, CONDITION, None, 1, 2, 3, WHEN, WHEN, None),
    ),
]


@pytest.mark.parametrize(("cls", "values"), CASES, ids=[cls.__name__ for cls, _ in CASES])
def test_a_constructed_value_is_the_one_init_makes(cls: type[Any], values: tuple[Any, ...]) -> None:
    made = constructor(cls)(*values)
    expected = cls(
        *(v for f, v in zip(attrs.fields(cls), values, strict=True) if not f.kw_only),
        **{f.name: v for f, v in zip(attrs.fields(cls), values, strict=True) if f.kw_only},
    )
    assert type(made) is cls
    assert made == expected
    assert repr(made) == repr(expected)
    for field, value in zip(attrs.fields(cls), values, strict=True):
        assert getattr(made, field.name) is value
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        made.__setattr__(attrs.fields(cls)[0].name, None)


def test_a_class_whose_init_converts_keeps_its_init() -> None:
    # Condition and ConditionItem convert their arguments: theirs is still called.
    item = constructor(ConditionItem)("Age", ">", 13, None)
    assert item.op is Op.GT
    assert item.value == "13"
    condition = constructor(Condition)("or", [item])
    assert condition.relation is Relation.OR
    assert condition.items == (item,)
