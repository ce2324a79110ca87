"""The response shapes of the providers' pages (seeds/), as key sets and value checks.

Each set is copied from a response example in the seeds, so a test comparing an emulator
answer against it fails if a key is missing, misspelt or in the other provider's style.
"""

from __future__ import annotations

import re
from typing import Any

#: The token both providers' curl examples send: base64("api_user:api_key"). An emulator
#: built with api_user="api_user", api_key="api_key" accepts the examples' headers verbatim.
SEED_TOKEN = "YXBpX3VzZXI6YXBpX2tleQ=="
SEED_CREDENTIALS = {"api_user": "api_user", "api_key": "api_key"}

# SendCloud, seeds/000: segment detail / update / list items.
SC_SEGMENT = {
    "segmentId",
    "userId",
    "segmentName",
    "listId",
    "status",
    "createTime",
    "updateTime",
    "memberTotal",
    "relation",
    "type",
    "conditions",
    "process",
}
SC_CONDITION_ITEM = {"campaignId", "fieldName", "op", "value"}
PROCESS = {"statusDesc", "complete", "percent"}
# SendCloud, seeds/000: members of a segment.
SC_MEMBER = {
    "id",
    "listId",
    "userId",
    "email",
    "phone",
    "name",
    "createTime",
    "updateTime",
    "unsubscribeTime",
    "fields",
    "tags",
    "tagNames",
    "createTimeFmt",
    "updateTimeFmt",
    "unsubscribeTimeFmt",
}
# SendCloud tags are inferred (spec/providers.md); the emulator's choice, in docs/emulator.md.
SC_TAG = {"tagId", "tagName", "createTime", "updateTime", "count"}

# EngageLab, seeds/001: segment create / update / detail / list items.
EL_SEGMENT = {
    "segment_id",
    "user_id",
    "segment_name",
    "type",
    "list_id",
    "status",
    "create_time",
    "update_time",
    "member_total",
    "condition",
    "process",
}
EL_CONDITION_ITEM = {"campaign_id", "field_name", "op", "value"}
# EngageLab, seeds/001: members of a segment (table: tag_ids).
EL_MEMBER = {
    "id",
    "list_id",
    "email",
    "phone",
    "name",
    "create_time",
    "update_time",
    "unsubscribe_time",
    "fields",
    "tag_ids",
    "tag_names",
}
# EngageLab, seeds/004: tag create result, tag list item, tag members.
EL_TAG_CREATED = {"tag_id", "tag_name", "create_time", "update_time"}
EL_TAG = EL_TAG_CREATED | {"count"}
EL_TAG_MEMBER = (EL_MEMBER - {"id"}) | {"member_id"}

SC_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")  # "2021-04-25 18:54:56"
EL_SEGMENT_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+0800")  # "2023-11-29 16:28:41+0800"
EL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0800")  # "2023-11-28T11:14:48+0800"
OBJECT_ID = re.compile(r"[0-9a-f]{24}")


def check_sc_segment(segment: dict[str, Any]) -> None:
    assert set(segment) == SC_SEGMENT
    assert OBJECT_ID.fullmatch(segment["segmentId"])
    assert isinstance(segment["userId"], int)
    assert isinstance(segment["listId"], int)
    assert segment["status"] in ("-1", "1", "2")  # a string, not a number
    assert SC_TIME.fullmatch(segment["createTime"])
    assert SC_TIME.fullmatch(segment["updateTime"])
    assert isinstance(segment["memberTotal"], int)
    assert segment["type"] in (0, 1)
    assert segment["relation"] in ("and", "or")
    for item in segment["conditions"]:
        assert set(item) == SC_CONDITION_ITEM
        assert isinstance(item["value"], str)
    check_process(segment["process"])


def check_el_segment(segment: dict[str, Any], *, detail: bool = False) -> None:
    # The detail example alone adds a top-level relation (docs/emulator.md).
    assert set(segment) == (EL_SEGMENT | {"relation"} if detail else EL_SEGMENT)
    if detail:
        assert segment["relation"] == segment["condition"]["relation"]
    assert OBJECT_ID.fullmatch(segment["segment_id"])
    assert isinstance(segment["user_id"], int)
    assert isinstance(segment["list_id"], int)
    assert segment["status"] in ("-1", "1", "2")
    assert EL_SEGMENT_TIME.fullmatch(segment["create_time"])
    assert EL_SEGMENT_TIME.fullmatch(segment["update_time"])
    assert isinstance(segment["member_total"], int)
    assert segment["type"] in (0, 1)
    assert set(segment["condition"]) == {"relation", "items"}
    for item in segment["condition"]["items"]:
        assert set(item) == EL_CONDITION_ITEM
        assert isinstance(item["value"], str)
    check_process(segment["process"])


def check_process(process: dict[str, Any]) -> None:
    assert set(process) == PROCESS
    assert isinstance(process["complete"], bool)
    assert isinstance(process["percent"], int)
    assert isinstance(process["statusDesc"], str)


def check_sc_member(member: dict[str, Any]) -> None:
    assert set(member) == SC_MEMBER
    assert OBJECT_ID.fullmatch(member["id"])
    assert SC_TIME.fullmatch(member["createTime"])
    assert member["unsubscribeTime"] is None or SC_TIME.fullmatch(member["unsubscribeTime"])
    assert isinstance(member["fields"], dict)
    assert member["tags"] is None or (
        member["tags"] and all(map(OBJECT_ID.fullmatch, member["tags"]))
    )
    assert isinstance(member["tagNames"], list)
    assert len(member["tagNames"]) == len(member["tags"] or [])


def _check_el_member_common(member: dict[str, Any]) -> None:
    assert EL_TIME.fullmatch(member["create_time"])
    assert EL_TIME.fullmatch(member["update_time"])
    assert isinstance(member["fields"], dict)
    assert member["tag_ids"] is None or all(map(OBJECT_ID.fullmatch, member["tag_ids"]))
    assert len(member["tag_names"]) == len(member["tag_ids"] or [])


def check_el_member(member: dict[str, Any]) -> None:
    assert set(member) == EL_MEMBER
    assert OBJECT_ID.fullmatch(member["id"])
    _check_el_member_common(member)


def check_el_tag_member(member: dict[str, Any]) -> None:
    assert set(member) == EL_TAG_MEMBER
    assert OBJECT_ID.fullmatch(member["member_id"])
    _check_el_member_common(member)
