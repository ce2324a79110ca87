"""The ``--where`` parser and ``--condition FILE`` reader, on their own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailseg import Condition, ConditionItem, Op, Relation, ValidationError, all_of, campaign
from mailseg import field as f
from mailseg import tag as t
from mailseg._validation import CAMPAIGN_EVENTS
from mailseg.cli import where
from mailseg.cli.condition_file import load_condition, read_condition


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Age >= 18 and tag = vip", all_of(f("Age") >= 18, t("vip"))),
        ("Age>=18 AND tag=vip", all_of(f("Age") >= 18, t("vip"))),
        ("Age == 18", Condition(items=(f("Age") == 18,))),
        ("Age != 18", Condition(items=(f("Age") != "18",))),
        ("Age < 1 or Age > 99", Condition(relation="or", items=(f("Age") < 1, f("Age") > 99))),
        ("Age <= 1", Condition(items=(f("Age") <= 1,))),
        ("City contain 武汉", Condition(items=(f("City").contains("武汉"),))),
        ("City contains 'Wu han'", Condition(items=(f("City").contains("Wu han"),))),
        (
            'Email does not contain "example.com"',
            Condition(items=(f("Email").does_not_contain("example.com"),)),
        ),
        ("Email not contain x", Condition(items=(f("Email").does_not_contain("x"),))),
        ("campaign 42 opened", Condition(items=(campaign(42).opened(),))),
        ("campaign 42 not opened", Condition(items=(campaign(42).not_opened(),))),
        ("campaign 7 clicked", Condition(items=(campaign(7).clicked(),))),
        ("campaign 7 unclick", Condition(items=(campaign(7).not_clicked(),))),
        ("campaign 7 not sent", Condition(items=(campaign(7).not_sent(),))),
        (
            "campaign 7 sent or campaign 8 open",
            Condition(relation="or", items=(campaign(7).sent(), campaign(8).opened())),
        ),
        ("'first name' = 'O\\'Brien'", Condition(items=(f("first name") == "O'Brien",))),
        ("note = 'and'", Condition(items=(f("note") == "and",))),
        ("'campaign' = open", Condition(items=(ConditionItem("campaign", "==", "open"),))),
        ("Score > -1.5", Condition(items=(f("Score") > "-1.5",))),
        ("x = ''", Condition(items=(f("x") == "",))),
    ],
)
def test_parse(text: str, expected: Condition) -> None:
    assert where.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("Age >= 18 and tag = vip or x = 1", 25, "one relation"),
        ("Age 18", 5, "expected an operator"),
        ("Age >=", 7, "expected a value, found the end"),
        ("Age >= 18 tag = vip", 11, "expected 'and' or 'or'"),
        ("(Age >= 18)", 1, "parentheses"),
        ("Age >= 'unclosed", 8, "never closed"),
        ("", 1, "found nothing"),
        ("= 3", 1, "expected a field"),
        ("Age >= and", 8, "keyword"),
        ("and = 1", 1, "keyword"),
        ("campaign x opened", 10, "campaign id"),
        ("campaign 42 bounced", 13, "expected one of"),
        ("campaign 42", 12, "found the end"),
        ("Email does contain x", 12, "expected 'not contain'"),
        ("Age >= 18 and", 14, "expected a field, found the end"),
        ("Age ! 3", 5, "unexpected character '!'"),
    ],
)
def test_errors_point_at_the_column(text: str, column: int, message: str) -> None:
    with pytest.raises(where.WhereError) as caught:
        where.parse(text)
    error = caught.value
    assert isinstance(error, ValidationError)
    assert error.parameter == "--where"
    assert error.column == column
    assert message in str(error)
    # The text is shown with a caret under the column.
    lines = str(error).splitlines()
    assert lines[-2] == f"  {text}"
    assert lines[-1] == "  " + " " * (column - 1) + "^"


def test_format_writes_the_canonical_text() -> None:
    condition = all_of(f("Age") >= 18, t("vip"), f("City").does_not_contain("Wu han"))
    assert where.to_text(condition) == "Age >= 18 and tag == vip and City does not contain 'Wu han'"
    assert where.to_text(campaign(42).not_clicked()) == "campaign 42 not clicked"
    assert where.to_text(f("q") == "it's") == "q == 'it\\'s'"


# Every condition the SDK accepts: attribute and tag items with any text, or
# campaign items with the six events.
_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_attribute_item = st.builds(
    ConditionItem,
    field=_text,
    op=st.sampled_from(list(Op)),
    value=_text | st.integers(-(10**6), 10**6).map(str),
)
_campaign_item = st.builds(
    ConditionItem,
    field=st.just("campaign"),
    op=st.just(Op.EQ),
    value=st.sampled_from(CAMPAIGN_EVENTS),
    campaign_id=st.integers(0, 10**9),
)
_conditions = st.builds(
    Condition,
    relation=st.sampled_from(list(Relation)),
    items=st.lists(_attribute_item | _campaign_item, min_size=1, max_size=10).map(tuple),
)


@given(_conditions)
def test_round_trip_condition_text_condition(condition: Condition) -> None:
    back = where.parse(where.to_text(condition))
    if len(condition.items) == 1:
        # One item carries no meaningful relation; it comes back as "and".
        condition = Condition(relation="and", items=condition.items)
    assert back == condition


@given(_conditions)
def test_round_trip_through_json_in_each_spelling(condition: Condition) -> None:
    items = [
        {"field": i.field, "op": i.op.value, "value": i.value, "campaign_id": i.campaign_id}
        for i in condition.items
    ]
    mailseg_spelling = {"relation": condition.relation.value, "items": items}
    sendcloud = {
        "relation": condition.relation.value,
        "conditions": [
            {k if k != "campaign_id" else "campaignId": v for k, v in item.items()}
            for item in items
        ],
    }
    engagelab_body = {"segment_name": "s", "condition": mailseg_spelling}
    for data in (mailseg_spelling, sendcloud, engagelab_body):
        assert read_condition(json.loads(json.dumps(data))) == condition


def test_condition_file_reads_a_whole_segment_and_reports_paths(tmp_path: Path) -> None:
    path = tmp_path / "segment.json"
    path.write_text(
        json.dumps(
            {
                "id": "s1",
                "condition": {
                    "relation": "or",
                    "items": [{"field": "Age", "op": ">=", "value": 18, "campaign_id": None}],
                },
            }
        )
    )
    assert load_condition(str(path)) == Condition(relation="or", items=(f("Age") >= 18,))

    path.write_text('{"relation": "and", "conditions": [{"field": "Age", "op": "~", "value": 1}]}')
    with pytest.raises(ValidationError, match=r"conditions\[0\]\.op: '~' is not an operator"):
        load_condition(str(path))
    path.write_text('{"relation": "and", "items": [{"field": "Age", "op": "=="}]}')
    with pytest.raises(ValidationError, match=r"items\[0\]\.value is missing"):
        load_condition(str(path))
    path.write_text("{not json")
    with pytest.raises(ValidationError, match=r"is not JSON.*line 1 column 2"):
        load_condition(str(path))
    with pytest.raises(ValidationError, match="cannot read"):
        load_condition(str(tmp_path / "absent.json"))
