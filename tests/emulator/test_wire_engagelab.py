"""EngageLab's wire format, request by request as in seeds/001 (segments) and seeds/004 (tags).

Requests copy the pages' curl examples (with the contradictions settled as
spec/providers.md decides: Basic auth and ``member_ids`` everywhere); answers are checked
against the pages' response examples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.rows import fixture_json
from tests.emulator.emulator_shapes import (
    EL_TAG,
    EL_TAG_CREATED,
    EL_TIME,
    OBJECT_ID,
    SEED_CREDENTIALS,
    SEED_TOKEN,
    check_el_member,
    check_el_segment,
    check_el_tag_member,
)

if TYPE_CHECKING:
    from tests.emulator.conftest import Api

pytestmark = pytest.mark.emu(**SEED_CREDENTIALS)

P = "/v1/marketing/lists"
JSON_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "Authorization": f"Basic {SEED_TOKEN}",
}
FORM_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded;charset=utf-8",
    "Authorization": f"Basic {SEED_TOKEN}",
}
CREATE_EXAMPLE = {
    "segment_name": "湖北用户",
    "type": 0,
    "condition": {
        "relation": "and",
        "items": [{"field_name": "Name", "op": "contain", "value": "李磊"}],
    },
}
UPDATE_EXAMPLE = {
    "segment_name": "年龄介于13与45之间",
    "type": 0,
    "condition": {
        "relation": "and",
        "items": [
            {"field_name": "Age", "op": ">=", "value": "13"},
            {"field_name": "Age", "op": "<=", "value": "45"},
        ],
    },
}
AUTH_FAILED = {"code": 30000, "message": "Authentication failed"}


async def _create(el_api: Api, body: dict[str, Any] = CREATE_EXAMPLE) -> dict[str, Any]:
    answer = await el_api("POST", f"{P}/segments", body, headers=JSON_HEADERS)
    assert answer.status == 200, answer.raw
    result: dict[str, Any] = answer.body["result"]
    return result


async def test_create_segment_answers_the_segment_in_result(el_api: Api) -> None:
    answer = await el_api("POST", f"{P}/segments", CREATE_EXAMPLE, headers=JSON_HEADERS)
    assert answer.status == 200
    assert set(answer.body) == {"result"}
    segment = answer.body["result"]
    check_el_segment(segment)
    assert segment["segment_name"] == "湖北用户"
    assert segment["condition"] == {
        "relation": "and",
        "items": [{"campaign_id": None, "field_name": "Name", "op": "contain", "value": "李磊"}],
    }
    assert segment["segment_id"] in el_api.emu.segments


async def test_delete_segment_answers_count(el_api: Api) -> None:
    segment_id = (await _create(el_api))["segment_id"]
    answer = await el_api("DELETE", f"{P}/segments/{segment_id}", headers=FORM_HEADERS)
    assert (answer.status, answer.body) == (200, {"count": 1})
    again = await el_api("DELETE", f"{P}/segments/{segment_id}", headers=FORM_HEADERS)
    assert (again.status, again.body) == (404, {"code": 30036, "message": "not found"})


async def test_update_segment_is_a_put(el_api: Api) -> None:
    segment_id = (await _create(el_api))["segment_id"]
    answer = await el_api("PUT", f"{P}/segments/{segment_id}", UPDATE_EXAMPLE, headers=JSON_HEADERS)
    assert answer.status == 200
    segment = answer.body["result"]
    check_el_segment(segment)
    assert segment["segment_name"] == "年龄介于13与45之间"
    assert segment["condition"]["items"] == [
        {"campaign_id": None, "field_name": "Age", "op": ">=", "value": "13"},
        {"campaign_id": None, "field_name": "Age", "op": "<=", "value": "45"},
    ]
    patch = await el_api("PATCH", f"{P}/segments/{segment_id}", UPDATE_EXAMPLE)
    assert patch.status == 405


async def test_segment_detail(el_api: Api) -> None:
    segment_id = (await _create(el_api, UPDATE_EXAMPLE))["segment_id"]
    answer = await el_api("GET", f"{P}/segments/{segment_id}", headers=FORM_HEADERS)
    assert answer.status == 200
    assert set(answer.body) == {"result"}
    segment = answer.body["result"]
    check_el_segment(segment, detail=True)
    # The keys of the page's detail example, in its order.
    example = fixture_json("engagelab", "segment_detail")["result"]
    assert list(segment) == list(example)
    assert segment["status"] == "2"
    assert segment["member_total"] == len(el_api.emu.member_ids(segment_id)) > 0


async def test_segment_list(el_api: Api) -> None:
    for name in ("abc_by_name", "other", "abc_by_name_2"):
        await _create(el_api, {**UPDATE_EXAMPLE, "segment_name": name})
    answer = await el_api(
        "GET",
        f"{P}/segments?offset=0&limit=1&segment_name=abc_by_name&type=0",
        headers=FORM_HEADERS,
    )
    assert answer.status == 200
    assert set(answer.body) == {"result", "total", "count"}
    assert (answer.body["total"], answer.body["count"]) == (2, 1)
    check_el_segment(answer.body["result"][0])


async def test_progress(el_api: Api) -> None:
    segment_id = (await _create(el_api))["segment_id"]
    answer = await el_api("GET", f"{P}/segments/{segment_id}/process", headers=FORM_HEADERS)
    assert answer.status == 200
    assert answer.body == {
        "result": {"percent": 100, "complete": True, "statusDesc": "segmentation completed"}
    }


async def test_members_with_the_examples_condition(el_api: Api) -> None:
    segment_id = (await _create(el_api, UPDATE_EXAMPLE))["segment_id"]
    answer = await el_api(
        "POST",
        f"{P}/segments/{segment_id}/members?offset=0&limit=10",
        {
            "condition": {
                "relation": "and",
                "items": [{"field_name": "Email", "op": "contain", "value": "tw"}],
            }
        },
        headers=JSON_HEADERS,
    )
    assert answer.status == 200
    # The page shows "result" and "total" here, no "count".
    assert set(answer.body) == {"result", "total"}
    members = answer.body["result"]
    assert 0 < len(members) <= 10
    for member in members:
        check_el_member(member)
        assert "tw" in member["email"]
        contact = el_api.emu.contact(member["id"])
        assert member["tag_ids"] == (list(contact.tag_ids) or None)


async def test_remove_members(el_api: Api) -> None:
    segment_id = (await _create(el_api, UPDATE_EXAMPLE))["segment_id"]
    ids = el_api.emu.member_ids(segment_id)[:3]
    answer = await el_api(
        "DELETE", f"{P}/segments/{segment_id}/members", {"member_ids": ids}, headers=JSON_HEADERS
    )
    assert (answer.status, answer.body) == (200, {"count": 3})


async def test_tag_create_update_list_delete(el_api: Api) -> None:
    created = await el_api("POST", f"{P}/tags", {"name": "myCustomTag"}, headers=JSON_HEADERS)
    assert created.status == 200
    tag = created.body["result"]
    assert set(tag) == EL_TAG_CREATED
    assert OBJECT_ID.fullmatch(tag["tag_id"])
    assert tag["tag_name"] == "myCustomTag"
    assert EL_TIME.fullmatch(tag["create_time"])

    updated = await el_api(
        "PUT", f"{P}/tags/{tag['tag_id']}", {"name": "教育2"}, headers=JSON_HEADERS
    )
    assert (updated.status, updated.body) == (200, {"count": 1})

    listed = await el_api("GET", f"{P}/tags?offset=0&limit=10&name=教育", headers=FORM_HEADERS)
    assert listed.status == 200
    assert set(listed.body) == {"result", "count", "total"}
    assert (listed.body["total"], listed.body["count"]) == (2, 2)
    by_name = {t["tag_name"]: t for t in listed.body["result"]}
    assert set(by_name) == {"教育", "教育2"}
    assert set(by_name["教育2"]) == EL_TAG
    assert by_name["教育2"]["count"] == 0
    assert by_name["教育"]["count"] == el_api.emu.tag_named("教育").member_count > 0  # type: ignore[union-attr]

    deleted = await el_api("DELETE", f"{P}/tags/{tag['tag_id']}", headers=FORM_HEADERS)
    assert (deleted.status, deleted.body) == (200, {"count": 1})
    again = await el_api("DELETE", f"{P}/tags/{tag['tag_id']}", headers=FORM_HEADERS)
    assert (again.status, again.body) == (404, {"code": 30036, "message": "resource not found"})


async def test_tag_add_remove_and_members(el_api: Api) -> None:
    tag_id = (await el_api("POST", f"{P}/tags", {"name": "fresh"})).body["result"]["tag_id"]
    ids = [c.id for c in el_api.emu.contacts[:12]]
    added = await el_api(
        "POST", f"{P}/tags/{tag_id}/add", {"member_ids": ids}, headers=JSON_HEADERS
    )
    assert (added.status, added.body) == (200, {"count": 12})
    removed = await el_api(
        "POST", f"{P}/tags/{tag_id}/remove", {"member_ids": ids[:2]}, headers=JSON_HEADERS
    )
    assert (removed.status, removed.body) == (200, {"count": 2})
    page = await el_api("GET", f"{P}/tags/{tag_id}/members?offset=0&limit=4", headers=FORM_HEADERS)
    assert page.status == 200
    assert set(page.body) == {"result", "total", "count"}
    assert (page.body["total"], page.body["count"]) == (10, 4)
    assert [m["member_id"] for m in page.body["result"]] == ids[2:6]
    for member in page.body["result"]:
        check_el_tag_member(member)
        assert tag_id in member["tag_ids"]
        assert "fresh" in member["tag_names"]


async def test_wrong_credentials_answer_30000(el_api: Api) -> None:
    answer = await el_api("GET", f"{P}/tags", auth="Basic d3Jvbmc6d3Jvbmc=")
    assert (answer.status, answer.body) == (401, AUTH_FAILED)
