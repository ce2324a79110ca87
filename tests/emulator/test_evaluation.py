"""Segments select the contacts an independent evaluation selects.

Each segment is created over HTTP, its members read back page by page, and the ids compared
(in order) with :mod:`emulator_reference` run over ``emu.contacts``. A property test then
throws random conditions at the evaluator directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailseg.testing import Emulator, StoredCondition, StoredConditionItem
from mailseg.testing.conditions import OPS
from mailseg.testing.contacts import generate_contacts, load_contacts
from mailseg.testing.ids import IdFactory
from mailseg.testing.store import Store
from tests.emulator.emulator_reference import select_ids
from tests.emulator.emulator_wire import (
    all_members,
    all_tag_members,
    count_of,
    create_segment,
    create_tag,
    item,
    k,
    segment_body,
)

if TYPE_CHECKING:
    from tests.emulator.conftest import Api

Neutral = dict[str, Any]


def F(field: str, op: str, value: str) -> Neutral:
    return {"field": field, "op": op, "value": value}


def C(campaign: int, value: str) -> Neutral:
    return {"field": "campaign", "op": "==", "value": value, "campaign": campaign}


BY_FIELD: list[tuple[str, list[Neutral]]] = [
    ("and", [F("Age", ">=", "30")]),
    ("and", [F("Age", ">", "30"), F("Age", "<", "45")]),
    ("and", [F("age", ">=", "13"), F("age", "<=", "45")]),  # SendCloud's example spelling
    ("and", [F("AGE", "==", "35")]),
    ("and", [F("Age", "==", "35.0")]),  # numbers compare as numbers
    ("and", [F("Age", "!=", "40")]),
    ("and", [F("Age", "<=", "20")]),
    ("and", [F("Age", ">", "abc")]),  # not a number: text order
    ("and", [F("Gender", "==", "女")]),
    ("and", [F("Gender", "==", "")]),
    ("and", [F("Gender", "!=", "男")]),
    ("and", [F("City", "contain", "州")]),
    ("and", [F("City", "does not contain", "京")]),
    ("and", [F("Email", "contain", "tw")]),
    ("and", [F("email", "does not contain", "example.com")]),
    ("and", [F("Name", "contain", "李")]),
    ("and", [F("Name", "==", "")]),
    ("and", [F("name", ">=", "m")]),
    ("and", [F("Phone", "contain", "13")]),
    ("and", [F("Phone", "==", "")]),
    ("and", [F("Birthday", ">=", "06/01")]),
    ("and", [F("Birthday", "<", "03/15")]),
    ("and", [F("tag", "==", "vip")]),
    ("and", [F("tag", "!=", "newsletter")]),
    ("and", [F("tag", "contain", "育")]),
    ("and", [F("tag", "does not contain", "e")]),
    ("and", [F("tag", "==", "no_such_tag")]),
    ("or", [F("tag", "==", "vip"), F("Age", ">=", "70")]),
    ("and", [F("Gender", "==", "女"), F("City", "==", "武汉"), F("Age", "<", "50")]),
    ("or", [F("City", "==", "北京"), F("City", "==", "上海"), F("City", "==", "台北")]),
    ("and", [F("Age", ">", str(n)) for n in range(10)]),
]

BY_CAMPAIGN: list[tuple[str, list[Neutral]]] = [
    *[
        ("and", [C(1, value)])
        for value in ("sent", "open", "click", "unopen", "unclick", "notsent")
    ],
    ("and", [C(1, "open"), C(2, "click")]),
    ("or", [C(3, "click"), C(4, "click"), C(5, "notsent")]),
]


def _wire_items(api: Api, items: list[Neutral]) -> list[dict[str, Any]]:
    return [item(api, i["field"], i["op"], i["value"], i.get("campaign")) for i in items]


def _expected(emu: Emulator, relation: str, items: list[Neutral]) -> list[str]:
    names = {tag_id: tag.name for tag_id, tag in emu.tags.items()}
    return select_ids(emu.contacts, relation, items, names)


def _describe(case: tuple[str, list[Neutral]]) -> str:
    relation, items = case
    parts = [f"{i['field']}{i.get('campaign', '')} {i['op']} {i['value']!r}" for i in items]
    return f" {relation} ".join(parts)


@pytest.mark.parametrize(
    ("relation", "items"),
    BY_FIELD + BY_CAMPAIGN,
    ids=[_describe(c) for c in BY_FIELD + BY_CAMPAIGN],
)
async def test_members_match_the_reference(api: Api, relation: str, items: list[Neutral]) -> None:
    type_ = 1 if items[0]["field"] == "campaign" else 0
    body = segment_body(api, *_wire_items(api, items), type_=type_, relation=relation)
    segment_id = await create_segment(api, body)
    expected = _expected(api.emu, relation, items)
    # Pages of 37: several pages for most segments, and a last page that is not full.
    assert await all_members(api, segment_id, size=37) == expected
    assert api.emu.segments[segment_id].member_total == len(expected)


def test_the_conditions_cover_empty_and_nonempty_results() -> None:
    # A table whose every expectation were empty (or everything) would prove little.
    emu = Emulator("sendcloud", contacts=400, seed=11)
    sizes = [len(_expected(emu, relation, items)) for relation, items in BY_FIELD + BY_CAMPAIGN]
    assert sum(0 < size < 400 for size in sizes) >= len(sizes) - 3


async def test_members_filter_narrows_the_segment(api: Api) -> None:
    segment_items = [F("Age", ">=", "25")]
    filter_items = [F("Email", "contain", "tw"), F("Gender", "==", "女")]
    segment_id = await create_segment(api, segment_body(api, *_wire_items(api, segment_items)))
    body = {"condition": {"relation": "or", "items": _wire_items(api, filter_items)}}
    within = set(_expected(api.emu, "and", segment_items))
    expected = [i for i in _expected(api.emu, "or", filter_items) if i in within]
    assert 0 < len(expected) < len(within)
    assert await all_members(api, segment_id, body, size=10) == expected


async def test_a_tag_applied_through_the_api_is_seen_by_a_new_segment(api: Api) -> None:
    tag_id = await create_tag(api, "picked")
    ids = [c.id for c in api.emu.contacts[::7]]
    answer = await api("POST", f"{api.p}/tags/{tag_id}/add", {k(api, "member_ids"): ids})
    assert count_of(api, answer.body) == len(ids)
    assert await all_tag_members(api, tag_id) == ids
    segment_id = await create_segment(api, segment_body(api, item(api, "tag", "==", "picked")))
    assert await all_members(api, segment_id) == ids


async def test_membership_is_a_snapshot_until_the_segment_is_updated(api: Api) -> None:
    tag_id = await create_tag(api, "later")
    body = segment_body(api, item(api, "tag", "==", "later"))
    segment_id = await create_segment(api, body)
    assert await all_members(api, segment_id) == []
    ids = [c.id for c in api.emu.contacts[:5]]
    await api("POST", f"{api.p}/tags/{tag_id}/add", {k(api, "member_ids"): ids})
    # Tagging after the evaluation does not change the evaluated membership...
    assert await all_members(api, segment_id) == []
    # ...updating the segment evaluates it afresh.
    await api(api.emu.update_method, f"{api.p}/segments/{segment_id}", body)
    assert await all_members(api, segment_id) == ids


async def test_removed_members_stay_removed_until_an_update(api: Api) -> None:
    body = segment_body(api, item(api, "Age", ">=", "30"))
    segment_id = await create_segment(api, body)
    before = await all_members(api, segment_id)
    gone = before[1:4] + before[-2:]
    answer = await api(
        "DELETE", f"{api.p}/segments/{segment_id}/members", {k(api, "member_ids"): [*gone, gone[0]]}
    )
    assert count_of(api, answer.body) == len(gone)
    remaining = [i for i in before if i not in gone]
    assert await all_members(api, segment_id) == remaining
    assert await all_members(api, segment_id) == remaining  # still, on every read
    again = await api(
        "DELETE", f"{api.p}/segments/{segment_id}/members", {k(api, "member_ids"): gone}
    )
    assert count_of(api, again.body) == 0
    # The contacts themselves stay in the list.
    assert all(api.emu.contact(i) for i in gone)
    await api(api.emu.update_method, f"{api.p}/segments/{segment_id}", body)
    assert await all_members(api, segment_id) == before


async def test_deleting_a_tag_takes_it_off_its_contacts(api: Api) -> None:
    tag = api.emu.tag_named("vip")
    assert tag is not None
    carriers = api.emu.tag_member_ids(tag.id)
    assert carriers
    answer = await api("DELETE", f"{api.p}/tags/{tag.id}")
    assert answer.status in (200, 204)
    assert all(tag.id not in api.emu.contact(i).tag_ids for i in carriers)
    segment_id = await create_segment(api, segment_body(api, item(api, "tag", "==", "vip")))
    assert await all_members(api, segment_id) == []


async def test_renaming_a_tag_renames_it_for_conditions(api: Api) -> None:
    tag = api.emu.tag_named("vip")
    assert tag is not None
    carriers = api.emu.tag_member_ids(tag.id)
    await api(api.emu.update_method, f"{api.p}/tags/{tag.id}", {k(api, "tag_name"): "gold"})
    segment_id = await create_segment(api, segment_body(api, item(api, "tag", "==", "gold")))
    assert await all_members(api, segment_id) == carriers


async def test_pages_are_slices_of_the_evaluated_membership(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    segment_id = await create_segment(api, segment_body(api))
    import mailseg.testing.store as store_module

    def no_evaluation(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a members page evaluated the condition again")

    monkeypatch.setattr(store_module, "select", no_evaluation)
    assert await all_members(api, segment_id, size=7)


# -- property test ---------------------------------------------------------------------------

_CONTACTS = load_contacts(
    [
        # Field names spelt differently per contact, missing values, numbers and text mixed.
        {"email": "a@tw.example.com", "name": "李磊", "Age": "30", "City": "武汉", "tags": ["vip"]},
        {"email": "b@example.com", "name": "", "age": "4", "city": "Wuhan", "tags": "vip;x"},
        {"email": "c@example.net", "Age": "abc", "Score": "-1.5", "campaigns": {"1": "click"}},
        {
            "email": "d@example.org",
            "phone": "13800000000",
            "Score": "10",
            "campaigns": {"1": "sent"},
        },
        {"name": "Zoe", "AGE": "30.0", "Score": "1e3", "tags": ["x"], "campaigns": {"2": "open"}},
        {"email": "f@example.com", "Age": "", "Score": "nan"},
    ],
    IdFactory(1),
) + generate_contacts(60, seed=5, ids=IdFactory(2))
_STORE = Store(_CONTACTS, IdFactory(3), campaign_ids=(1, 2, 3, 4, 5), processing_polls=0)
_NAMES = dict(_STORE.tag_names)

_values = st.one_of(
    st.sampled_from(
        ["30", "30.0", "4", "-1.5", "1e3", "abc", "", "武汉", "vip", "x", "李", "tw", "06/01"]
    ),
    st.integers(-5, 90).map(str),
    st.text(max_size=3),
)
_field_items = st.builds(
    lambda field, op, value: {"field": field, "op": op, "value": value},
    st.sampled_from(
        ["Age", "age", "AGE", "City", "Score", "Email", "name", "Phone", "Gender", "Birthday"]
    ),
    st.sampled_from(OPS),
    _values,
)
_tag_items = st.builds(
    lambda op, value: {"field": "tag", "op": op, "value": value},
    st.sampled_from(["==", "!=", "contain", "does not contain"]),
    st.sampled_from(["vip", "x", "newsletter", "教育", "i", ""]),
)
_campaign_items = st.builds(
    lambda campaign, value: {"field": "campaign", "op": "==", "value": value, "campaign": campaign},
    st.integers(1, 5),
    st.sampled_from(["sent", "open", "click", "unopen", "unclick", "notsent"]),
)


@settings(max_examples=300, deadline=None)
@given(
    relation=st.sampled_from(["and", "or"]),
    items=st.lists(st.one_of(_field_items, _tag_items, _campaign_items), min_size=1, max_size=4),
)
def test_evaluation_matches_the_reference(relation: str, items: list[Neutral]) -> None:
    condition = StoredCondition(
        relation,  # type: ignore[arg-type]
        tuple(
            StoredConditionItem(i["field"], i["op"], i["value"], i.get("campaign")) for i in items
        ),
    )
    from mailseg.testing.conditions import select

    got = select(condition, _STORE.contacts, range(len(_STORE.contacts)), _STORE.field_keys, _NAMES)
    assert [_STORE.contacts[i].id for i in got] == select_ids(
        _STORE.contacts, relation, items, _NAMES
    )
