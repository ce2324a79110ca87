"""Every provider rule is checked before sending, naming the parameter."""

from __future__ import annotations

from typing import Any

import pytest

import mailseg
from mailseg import Condition, ConditionItem, SegmentType, campaign, field, tag
from tests.conftest import Reply, Wire

AGE = field("Age") >= 13


def items(n: int) -> Condition:
    return Condition(items=tuple(field(f"F{i}") == "x" for i in range(n)))


SEGMENT_CREATE_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("empty name", {"name": "", "condition": AGE}, "name"),
    ("long name", {"name": "x" * 49, "condition": AGE}, "name"),
    ("name not str", {"name": 5, "condition": AGE}, "name"),
    ("no items", {"name": "n", "condition": Condition(items=())}, "condition.items"),
    ("11 items", {"name": "n", "condition": items(11)}, "condition.items"),
    ("condition type", {"name": "n", "condition": {"relation": "and"}}, "condition"),
    ("bad type", {"name": "n", "condition": AGE, "type": 2}, "type"),
    ("bool type", {"name": "n", "condition": AGE, "type": True}, "type"),
    (
        "campaign in by-field",
        {"name": "n", "condition": campaign(1).opened(), "type": SegmentType.BY_FIELD},
        "condition.items[0].field",
    ),
    (
        "attribute in by-campaign",
        {"name": "n", "condition": AGE, "type": SegmentType.BY_CAMPAIGN},
        "condition.items[0].field",
    ),
    (
        "campaign op",
        {"name": "n", "condition": ConditionItem("campaign", "!=", "open", 1)},
        "condition.items[0].op",
    ),
    (
        "campaign value",
        {"name": "n", "condition": ConditionItem("campaign", "==", "bounced", 1)},
        "condition.items[0].value",
    ),
    (
        "campaign id missing",
        {"name": "n", "condition": ConditionItem("campaign", "==", "open")},
        "condition.items[0].campaign_id",
    ),
    (
        "campaign id on attribute",
        {"name": "n", "condition": ConditionItem("Age", ">", "1", 3)},
        "condition.items[0].campaign_id",
    ),
    ("empty tag", {"name": "n", "condition": tag("")}, "condition.items[0].value"),
    (
        "mixed campaign and field",
        {"name": "n", "condition": mailseg.all_of(campaign(1).opened(), AGE)},
        "condition.items[1].field",
    ),
]


@pytest.mark.parametrize("char", list("^?+.*\\[]()"))
async def test_segment_names_refuse_each_forbidden_character(wire: Wire, char: str) -> None:
    async with wire.client("engagelab") as client:
        with pytest.raises(mailseg.ValidationError) as caught:
            await client.segments.create(f"a{char}b", AGE)
    assert caught.value.parameter == "name"
    assert wire.requests == []


@pytest.mark.parametrize(
    ("case", "kwargs", "parameter"), SEGMENT_CREATE_CASES, ids=[c[0] for c in SEGMENT_CREATE_CASES]
)
@pytest.mark.parametrize("provider", ["sendcloud", "engagelab"])
async def test_segment_create_rules(
    wire: Wire, provider: str, case: str, kwargs: dict[str, Any], parameter: str
) -> None:
    async with wire.client(provider) as client:
        with pytest.raises(mailseg.ValidationError) as caught:
            await client.segments.create(**kwargs)
    assert caught.value.parameter == parameter
    assert parameter in str(caught.value)
    assert wire.requests == []


async def test_48_characters_and_chinese_names_are_accepted(wire: Wire) -> None:
    wire.reply(201, {"segmentId": "s"})
    wire.reply(201, {"segmentId": "t"})
    async with wire.client("sendcloud") as client:
        await client.segments.create("x" * 48, AGE)
        await client.segments.create("湖北用户 2024", AGE)
    assert len(wire.requests) == 2


async def test_type_is_inferred_from_the_condition(wire: Wire) -> None:
    wire.reply(201, {"segmentId": "s"})
    wire.reply(201, {"segmentId": "t"})
    async with wire.client("sendcloud") as client:
        by_campaign = await client.segments.create("c", campaign(7).clicked())
        by_field = await client.segments.create("f", tag("vip"))
    assert by_campaign.type is SegmentType.BY_CAMPAIGN
    assert by_field.type is SegmentType.BY_FIELD
    assert wire.requests[0].json()["type"] == 1
    assert wire.requests[1].json()["type"] == 0


@pytest.mark.parametrize(
    "name", ["", "x" * 65, "has space", "dash-ed", "点.号", "emoji😀"], ids=repr
)
async def test_tag_name_rules(wire: Wire, name: str) -> None:
    async with wire.client("engagelab") as client:
        with pytest.raises(mailseg.ValidationError) as caught:
            await client.tags.create(name)
        assert caught.value.parameter == "name"
        with pytest.raises(mailseg.ValidationError):
            await client.tags.update("t1", name=name)
    assert wire.requests == []


@pytest.mark.parametrize("name", ["a", "x" * 64, "教育", "VIP_2024", "会员_Gold"])
async def test_tag_names_that_follow_the_rule_are_sent(wire: Wire, name: str) -> None:
    wire.reply(200, {"result": {"tag_id": "t", "tag_name": name}})
    async with wire.client("engagelab") as client:
        created = await client.tags.create(name)
    assert created.name == name
    assert wire.requests[0].json() == {"name": name}


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"offset": -1}, "offset"),
        ({"offset": 1.5}, "offset"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": True}, "limit"),
        ({"name": ""}, "name"),
        ({"type": 3}, "type"),
    ],
    ids=repr,
)
async def test_listing_windows_and_filters(
    wire: Wire, kwargs: dict[str, Any], parameter: str
) -> None:
    async with wire.client("sendcloud") as client:
        with pytest.raises(mailseg.ValidationError) as caught:
            await client.segments.list(**kwargs)
    assert caught.value.parameter == parameter
    assert wire.requests == []


async def test_iterators_check_their_arguments_at_once(wire: Wire) -> None:
    async with wire.client("sendcloud") as client:
        with pytest.raises(mailseg.ValidationError) as caught:
            client.tags.iterate(page_size=500)
        assert caught.value.parameter == "page_size"
        with pytest.raises(mailseg.ValidationError) as caught:
            client.segments.iterate_members("..")
        assert caught.value.parameter == "segment_id"


@pytest.mark.parametrize("bad", ["", ".", "..", 12, None], ids=repr)
async def test_ids_that_could_reach_another_path_are_refused(wire: Wire, bad: Any) -> None:
    async with wire.client("engagelab") as client:
        with pytest.raises(mailseg.ValidationError) as caught:
            await client.segments.get(bad)
        assert caught.value.parameter == "segment_id"
        with pytest.raises(mailseg.ValidationError) as caught:
            await client.tags.delete(bad)
        assert caught.value.parameter == "tag_id"
    assert wire.requests == []


async def test_text_that_has_no_utf8_form_is_refused_by_name(wire: Wire) -> None:
    # A lone surrogate, as surrogateescape decoding leaves of bytes that were not UTF-8.
    bad = "x\udcff"
    async with wire.client("engagelab") as client:
        calls = {
            "segment_id": lambda: client.segments.get(bad),
            "tag_id": lambda: client.tags.delete(bad),
            "name": lambda: client.tags.list(name=bad),
            "condition.items[0].value": lambda: client.segments.members(
                "s1", condition=field("Email").contains(bad)
            ),
        }
        for parameter, call in calls.items():
            with pytest.raises(mailseg.ValidationError) as caught:
                await call()
            assert caught.value.parameter == parameter
            assert "lone surrogate" in str(caught.value)
        # Text outside ASCII that has a UTF-8 form goes out as before.
        wire.default = Reply(200, {"count": 1})
        result = await client.tags.add_members("t1", ["张三@例子.中国"])
    assert result.succeeded == 1
    assert [r.json()["member_ids"] for r in wire.requests] == [["张三@例子.中国"]]


async def test_members_filter_refuses_campaign(wire: Wire) -> None:
    async with wire.client("engagelab") as client:
        with pytest.raises(mailseg.ValidationError) as caught:
            await client.segments.members("s1", condition=campaign(1).opened())
    assert caught.value.parameter == "condition.items[0].field"


@pytest.mark.parametrize(
    ("ids", "parameter"),
    [
        ("abc", "member_ids"),
        (["a", ""], "member_ids[1]"),
        (["a", 3], "member_ids[1]"),
        (5, "member_ids"),
        # 2,500 ids: the bad one is in the second chunk, found before the first goes.
        ([f"m{i}" for i in range(1500)] + ["b\udcff"] + ["m"] * 999, "member_ids[1500]"),
        (("a", "\ud83d", "\ude00"), "member_ids[1]"),  # a pair split in two ids
    ],
    ids=repr,
)
async def test_member_ids_are_checked_before_the_first_request(
    wire: Wire, ids: Any, parameter: str
) -> None:
    async with wire.client("engagelab") as client:
        with pytest.raises(mailseg.ValidationError) as caught:
            await client.tags.add_members("t1", ids)
    assert caught.value.parameter == parameter
    assert wire.requests == []


def test_condition_items_check_op_and_relation_at_construction() -> None:
    with pytest.raises(mailseg.ValidationError) as caught:
        ConditionItem("Age", "=>", "1")
    assert caught.value.parameter == "op"
    with pytest.raises(mailseg.ValidationError) as caught:
        Condition(relation="xor", items=(AGE,))
    assert caught.value.parameter == "relation"
    with pytest.raises(mailseg.ValidationError) as caught:
        ConditionItem("Age", ">", [1])  # type: ignore[arg-type]
    assert caught.value.parameter == "value"


def test_validation_error_is_a_value_error_and_a_mailseg_error() -> None:
    error = mailseg.ValidationError("name", "too long")
    assert isinstance(error, ValueError)
    assert isinstance(error, mailseg.MailsegError)
    assert str(error) == "name: too long"


def test_builder_makes_the_plain_classes() -> None:
    assert (field("Age") >= 13) == ConditionItem("Age", ">=", "13")
    assert (field("Age") != 1.5) == ConditionItem("Age", "!=", "1.5")
    assert field("Email").contains("tw") == ConditionItem("Email", "contain", "tw")
    assert field("Email").does_not_contain("x").op is mailseg.Op.NOT_CONTAIN
    assert tag("vip") == ConditionItem("tag", "==", "vip")
    assert campaign(42).opened() == ConditionItem("campaign", "==", "open", 42)
    assert campaign(42).not_sent().value == "notsent"
    assert mailseg.any_of(tag("a"), tag("b")) == Condition(
        relation="or", items=(tag("a"), tag("b"))
    )
