"""SendCloud's wire format, request by request as in seeds/000 (and the inferred tag API).

Requests copy the pages' curl examples: same path, verb, headers (the examples' own token,
which this emulator accepts because it runs with api_user="api_user", api_key="api_key")
and body. Answers are checked against the pages' response examples: status, envelope, keys,
value types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.emulator.emulator_shapes import (
    OBJECT_ID,
    SC_TAG,
    SC_TIME,
    SEED_CREDENTIALS,
    SEED_TOKEN,
    check_sc_member,
    check_sc_segment,
)

if TYPE_CHECKING:
    from tests.emulator.conftest import Api

pytestmark = pytest.mark.emu(**SEED_CREDENTIALS)

JSON_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "Authorization": f"Bearer {SEED_TOKEN}",
}
FORM_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded;charset=utf-8",
    "Authorization": f"Bearer {SEED_TOKEN}",
}
# The create example of seeds/000, verbatim.
CREATE_EXAMPLE = {
    "segmentName": "湖北用户",
    "type": 0,
    "condition": {
        "relation": "and",
        "items": [{"fieldName": "Name", "op": "contain", "value": "李磊"}],
    },
}
# The update example's condition (seeds/000): Age between 13 and 45, as in its response.
UPDATE_EXAMPLE = {
    "segmentName": "年龄介于13与45之间",
    "type": 0,
    "condition": {
        "relation": "and",
        "items": [
            {"fieldName": "age", "op": ">=", "value": "13"},
            {"fieldName": "age", "op": "<=", "value": "45"},
        ],
    },
}
UNAUTHORIZED = {"status": 401, "error": {"parameter": "", "message": "Unauthorized"}}
NOT_FOUND = {"status": 404, "error": {"parameter": "", "message": "resource not found"}}


async def _create(sc_api: Api, body: dict[str, Any] = CREATE_EXAMPLE) -> str:
    answer = await sc_api("POST", "/marketing/lists/segments", body, headers=JSON_HEADERS)
    assert answer.status == 201, answer.raw
    return str(answer.body["segmentId"])


async def test_create_segment_answers_201_with_the_segment_id(sc_api: Api) -> None:
    answer = await sc_api("POST", "/marketing/lists/segments", CREATE_EXAMPLE, headers=JSON_HEADERS)
    assert answer.status == 201
    assert answer.headers["Content-Type"].startswith("application/json")
    assert set(answer.body) == {"segmentId"}
    assert OBJECT_ID.fullmatch(answer.body["segmentId"])
    assert answer.body["segmentId"] in sc_api.emu.segments


async def test_delete_segment_answers_204_without_body(sc_api: Api) -> None:
    segment_id = await _create(sc_api)
    answer = await sc_api("DELETE", f"/marketing/lists/segments/{segment_id}", headers=FORM_HEADERS)
    assert (answer.status, answer.raw) == (204, b"")
    again = await sc_api("DELETE", f"/marketing/lists/segments/{segment_id}", headers=FORM_HEADERS)
    assert (again.status, again.body) == (404, NOT_FOUND)


async def test_update_segment_is_a_patch_answering_the_segment(sc_api: Api) -> None:
    segment_id = await _create(sc_api)
    answer = await sc_api(
        "PATCH", f"/marketing/lists/segments/{segment_id}", UPDATE_EXAMPLE, headers=JSON_HEADERS
    )
    assert answer.status == 200
    segment = answer.body
    check_sc_segment(segment)
    assert segment["segmentId"] == segment_id
    assert segment["segmentName"] == "年龄介于13与45之间"
    assert segment["relation"] == "and"
    assert segment["conditions"] == [
        {"campaignId": None, "fieldName": "age", "op": ">=", "value": "13"},
        {"campaignId": None, "fieldName": "age", "op": "<=", "value": "45"},
    ]
    put = await sc_api(
        "PUT", f"/marketing/lists/segments/{segment_id}", UPDATE_EXAMPLE, headers=JSON_HEADERS
    )
    assert put.status == 405


async def test_update_without_name_keeps_the_name(sc_api: Api) -> None:
    segment_id = await _create(sc_api)
    body = {k: v for k, v in UPDATE_EXAMPLE.items() if k != "segmentName"}
    answer = await sc_api("PATCH", f"/marketing/lists/segments/{segment_id}", body)
    assert answer.body["segmentName"] == "湖北用户"


async def test_segment_detail(sc_api: Api) -> None:
    segment_id = await _create(sc_api, UPDATE_EXAMPLE)
    answer = await sc_api("GET", f"/marketing/lists/segments/{segment_id}", headers=FORM_HEADERS)
    assert answer.status == 200
    segment = answer.body
    check_sc_segment(segment)
    assert segment["status"] == "2"
    assert segment["process"] == {
        "statusDesc": "segmentation completed",
        "complete": True,
        "percent": 100,
    }
    assert segment["memberTotal"] == len(sc_api.emu.member_ids(segment_id)) > 0
    assert (segment["userId"], segment["listId"]) == (100249, 63877)


async def test_segment_list_with_the_examples_query(sc_api: Api) -> None:
    await _create(sc_api, {**UPDATE_EXAMPLE, "segmentName": "abc_by_name"})
    await _create(sc_api, {**UPDATE_EXAMPLE, "segmentName": "other"})
    answer = await sc_api(
        "GET",
        "/marketing/lists/segments?offset=0&count=10&segmentName=abc_by_name&type=0",
        headers=FORM_HEADERS,
    )
    assert answer.status == 200
    assert set(answer.body) == {"list", "total"}
    assert answer.body["total"] == 1
    (segment,) = answer.body["list"]
    check_sc_segment(segment)
    assert segment["segmentName"] == "abc_by_name"


async def test_segment_list_pages_with_offset_and_count(sc_api: Api) -> None:
    for n in range(5):
        await _create(sc_api, {**UPDATE_EXAMPLE, "segmentName": f"s{n}"})
    first = await sc_api("GET", "/marketing/lists/segments", query={"offset": "0", "count": "2"})
    rest = await sc_api("GET", "/marketing/lists/segments", query={"offset": "2", "count": "10"})
    default = await sc_api("GET", "/marketing/lists/segments")
    assert first.body["total"] == rest.body["total"] == 5
    names = [s["segmentName"] for s in first.body["list"] + rest.body["list"]]
    assert names == ["s4", "s3", "s2", "s1", "s0"]  # newest first
    assert len(default.body["list"]) == 5


async def test_progress(sc_api: Api) -> None:
    segment_id = await _create(sc_api)
    answer = await sc_api(
        "GET", f"/marketing/lists/segments/{segment_id}/process", headers=FORM_HEADERS
    )
    assert answer.status == 200
    assert answer.body == {"percent": 100, "complete": True, "statusDesc": "segmentation completed"}


async def test_members_with_the_examples_condition(sc_api: Api) -> None:
    segment_id = await _create(sc_api, UPDATE_EXAMPLE)
    answer = await sc_api(
        "POST",
        f"/marketing/lists/segments/{segment_id}/members?offset=0&count=10",
        {
            "condition": {
                "relation": "and",
                "items": [{"fieldName": "Email", "op": "contain", "value": "tw"}],
            }
        },
        headers=JSON_HEADERS,
    )
    assert answer.status == 200
    assert set(answer.body) == {"list", "total"}
    members = answer.body["list"]
    assert 0 < len(members) <= 10
    assert answer.body["total"] >= len(members)
    for member in members:
        check_sc_member(member)
        assert "tw" in member["email"]
        assert (member["listId"], member["userId"]) == (63877, 100249)


async def test_members_without_body_and_member_tags(sc_api: Api) -> None:
    segment_id = await _create(sc_api, UPDATE_EXAMPLE)
    answer = await sc_api(
        "POST", f"/marketing/lists/segments/{segment_id}/members", headers=FORM_HEADERS
    )
    assert answer.status == 200
    members = answer.body["list"]
    assert len(members) == 10  # the default page size
    assert answer.body["total"] == len(sc_api.emu.member_ids(segment_id))
    for member in members:
        check_sc_member(member)
        contact = sc_api.emu.contact(member["id"])
        names = [sc_api.emu.tags[t].name for t in contact.tag_ids]
        assert member["tags"] == (list(contact.tag_ids) or None)  # null, not [], when none
        assert member["tagNames"] == names
        assert member["fields"] == contact.fields
        assert member["createTimeFmt"] is not None
        assert SC_TIME.fullmatch(member["createTimeFmt"])


async def test_remove_members(sc_api: Api) -> None:
    segment_id = await _create(sc_api, UPDATE_EXAMPLE)
    first, second = sc_api.emu.member_ids(segment_id)[:2]
    answer = await sc_api(
        "DELETE",
        f"/marketing/lists/segments/{segment_id}/members",
        {"memberIds": [first, second, "asdfsdf2211212aa"]},
        headers=JSON_HEADERS,
    )
    assert (answer.status, answer.body) == (200, {"successCount": 2})


async def test_tag_create_update_list_delete(sc_api: Api) -> None:
    created = await sc_api(
        "POST", "/marketing/lists/tags", {"tagName": "myCustomTag"}, headers=JSON_HEADERS
    )
    assert created.status == 201
    assert set(created.body) == {"id"}
    tag_id = created.body["id"]
    assert OBJECT_ID.fullmatch(tag_id)

    renamed = await sc_api(
        "PATCH", f"/marketing/lists/tags/{tag_id}", {"tagName": "教育2"}, headers=JSON_HEADERS
    )
    assert (renamed.status, renamed.body) == (200, {})

    listed = await sc_api(
        "GET", "/marketing/lists/tags?tagName=教育&offset=0&count=10", headers=FORM_HEADERS
    )
    assert listed.status == 200
    assert set(listed.body) == {"list", "total"}
    by_name = {t["tagName"]: t for t in listed.body["list"]}
    assert set(by_name) == {"教育", "教育2"}  # fuzzy: the name contains the query
    assert listed.body["total"] == 2
    tag = by_name["教育2"]
    assert set(tag) == SC_TAG
    assert tag["tagId"] == tag_id
    assert tag["count"] == 0
    assert SC_TIME.fullmatch(tag["createTime"])

    deleted = await sc_api("DELETE", f"/marketing/lists/tags/{tag_id}", headers=FORM_HEADERS)
    assert (deleted.status, deleted.raw) == (204, b"")
    assert tag_id not in sc_api.emu.tags


async def test_tag_add_remove_and_members(sc_api: Api) -> None:
    tag_id = (await sc_api("POST", "/marketing/lists/tags", {"tagName": "fresh"})).body["id"]
    ids = [c.id for c in sc_api.emu.contacts[:25]]
    added = await sc_api(
        "POST", f"/marketing/lists/tags/{tag_id}/add", {"memberIds": ids}, headers=JSON_HEADERS
    )
    assert (added.status, added.body) == (200, {"successCount": 25})
    removed = await sc_api(
        "POST",
        f"/marketing/lists/tags/{tag_id}/remove",
        {"memberIds": ids[:5]},
        headers=JSON_HEADERS,
    )
    assert (removed.status, removed.body) == (200, {"successCount": 5})

    page = await sc_api(
        "GET", f"/marketing/lists/tags/{tag_id}/members?offset=0&count=100", headers=FORM_HEADERS
    )
    assert page.status == 200
    assert set(page.body) == {"list", "total"}
    assert page.body["total"] == 20
    assert [m["id"] for m in page.body["list"]] == ids[5:]
    for member in page.body["list"]:
        check_sc_member(member)
        assert tag_id in member["tags"]
        assert "fresh" in member["tagNames"]


async def test_errors_have_the_status_error_body(sc_api: Api) -> None:
    answer = await sc_api("GET", "/marketing/lists/segments", auth=None)
    assert (answer.status, answer.body) == (401, UNAUTHORIZED)
    missing = await sc_api("GET", "/marketing/lists/segments/62849dc690d79d4947dd033d")
    assert (missing.status, missing.body) == (404, NOT_FOUND)
    undefined = await sc_api(
        "POST",
        "/marketing/lists/segments",
        {
            **CREATE_EXAMPLE,
            "condition": {
                "relation": "and",
                "items": [{"fieldName": "asge", "op": "==", "value": "1"}],
            },
        },
    )
    # The example error of seeds/000, verbatim.
    assert (undefined.status, undefined.body) == (
        400,
        {
            "status": 400,
            "error": {
                "parameter": "fieldName",
                "message": "[asge] is not defined, please define it first",
            },
        },
    )
