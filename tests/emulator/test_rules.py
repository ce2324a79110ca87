"""What the emulator refuses, in each provider's error format.

Every rule of spec/providers.md ("Rules the provider enforces"), authentication, the other
provider's spelling, unknown ids, duplicate tag names and malformed bodies; each case runs
against both providers (the ``api`` fixture), and the error body is checked in that
provider's format: SendCloud ``{"status", "error": {"parameter", "message"}}`` with the HTTP
status, EngageLab ``{"code", "message"}``.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import pytest

from tests.emulator.emulator_wire import SPELLING, create_segment, create_tag, item, k, segment_body

if TYPE_CHECKING:
    from tests.emulator.conftest import Answer, Api

# EngageLab codes by meaning (seeds/001 and seeds/004).
EL_CODES = {401: 30000, 400: 30035, 404: 30036}
UNKNOWN_ID = "62849dc690d79d4947dd033d"


def assert_error(
    api: Api, answer: Answer, status: int, parameter: str = "", *, code: int | None = None
) -> None:
    """The provider's error: SendCloud names the parameter, EngageLab gives a code."""
    assert answer.status == status, answer.raw
    body = answer.body
    if api.emu.provider == "sendcloud":
        assert set(body) == {"status", "error"}
        assert body["status"] == status
        assert set(body["error"]) == {"parameter", "message"}
        assert body["error"]["parameter"] == (
            k(api, parameter) if parameter in SPELLING["sendcloud"] else parameter
        )
        assert isinstance(body["error"]["message"], str)
        assert body["error"]["message"]
    else:
        assert set(body) == {"code", "message"}
        assert body["code"] == (code or EL_CODES[status])
        assert isinstance(body["message"], str)
        if parameter:
            expected = k(api, parameter) if parameter in SPELLING["engagelab"] else parameter
            # The key is named, bracketed ("[segment_name]:...") or in the pages' own wording
            # ("type only be 0 ...", "Tag name only consists of ...").
            assert expected in body["message"], body["message"]


async def _segment(api: Api) -> str:
    return await create_segment(api, segment_body(api))


async def _tag(api: Api, name: str = "t1") -> str:
    return await create_tag(api, name)


# -- authentication --------------------------------------------------------------------------


async def test_missing_credentials(api: Api) -> None:
    assert_error(api, await api("GET", f"{api.p}/segments", auth=None), 401)


async def test_wrong_credentials(api: Api) -> None:
    token = base64.b64encode(b"emulator_user:wrong").decode()
    scheme = "Bearer" if api.emu.provider == "sendcloud" else "Basic"
    assert_error(api, await api("GET", f"{api.p}/tags", auth=f"{scheme} {token}"), 401)


async def test_the_other_providers_auth_scheme(api: Api) -> None:
    scheme, token = api.emu.authorization.split(" ")
    other = "Basic" if scheme == "Bearer" else "Bearer"
    assert_error(api, await api("GET", f"{api.p}/tags", auth=f"{other} {token}"), 401)


async def test_authentication_comes_before_everything_else(api: Api) -> None:
    # Not even an unknown path or a bad body tells an anonymous caller anything.
    assert_error(api, await api("GET", f"{api.p}/nothing", auth=None), 401)
    assert_error(api, await api("POST", f"{api.p}/segments", data=b"{", auth=None), 401)


async def test_the_other_providers_path_is_not_found(api: Api) -> None:
    other = "/v1/marketing/lists" if api.emu.provider == "sendcloud" else "/marketing/lists"
    assert_error(api, await api("GET", f"{other}/segments"), 404)


async def test_the_wrong_update_verb(api: Api) -> None:
    segment_id = await _segment(api)
    verb = "PUT" if api.emu.provider == "sendcloud" else "PATCH"
    answer = await api(verb, f"{api.p}/segments/{segment_id}", segment_body(api))
    assert answer.status == 405
    assert api.emu.segments[segment_id].name == "ok"


# -- the other provider's spelling -----------------------------------------------------------


async def test_segment_name_spelled_the_other_way(api: Api) -> None:
    other = "segment_name" if api.emu.provider == "sendcloud" else "segmentName"
    body = segment_body(api)
    body[other] = body.pop(k(api, "segment_name"))
    assert_error(api, await api("POST", f"{api.p}/segments", body), 400, "segment_name")
    assert not api.emu.segments


async def test_field_name_spelled_the_other_way(api: Api) -> None:
    other = "field_name" if api.emu.provider == "sendcloud" else "fieldName"
    body = segment_body(api, {other: "Age", "op": ">=", "value": "3"})
    assert_error(api, await api("POST", f"{api.p}/segments", body), 400, "field_name")


async def test_member_ids_spelled_the_other_way(api: Api) -> None:
    tag_id = await _tag(api)
    other = "member_ids" if api.emu.provider == "sendcloud" else "memberIds"
    answer = await api("POST", f"{api.p}/tags/{tag_id}/add", {other: [api.emu.contacts[0].id]})
    assert_error(api, answer, 400, "member_ids")
    assert api.emu.tags[tag_id].member_count == 0


async def test_tag_name_spelled_the_other_way(api: Api) -> None:
    other = "name" if api.emu.provider == "sendcloud" else "tagName"
    assert_error(api, await api("POST", f"{api.p}/tags", {other: "abc"}), 400, "tag_name")


async def test_page_size_spelled_the_other_way(api: Api) -> None:
    other = "limit" if api.emu.provider == "sendcloud" else "count"
    answer = await api("GET", f"{api.p}/segments", query={other: "5"})
    assert_error(api, answer, 400, "page_size")


async def test_an_unknown_key_is_refused(api: Api) -> None:
    body = {**segment_body(api), "colour": "red"}
    assert_error(api, await api("POST", f"{api.p}/segments", body), 400)


# -- segment rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["", "x" * 49, *"^?+.*\\[]()", "a(b)", "v1.2", None, 7],
    ids=lambda n: repr(n),
)
async def test_invalid_segment_names(api: Api, name: Any) -> None:
    answer = await api("POST", f"{api.p}/segments", segment_body(api, name=name))
    assert_error(api, answer, 400, "segment_name")
    assert not api.emu.segments


@pytest.mark.parametrize("name", ["x" * 48, "湖北用户", "Age>=20用户组", "a b_c-d"])
async def test_valid_segment_names(api: Api, name: str) -> None:
    answer = await api("POST", f"{api.p}/segments", segment_body(api, name=name))
    assert answer.status in (200, 201), answer.raw


@pytest.mark.parametrize("type_", [2, -1, "0", None, True])
async def test_invalid_type(api: Api, type_: Any) -> None:
    answer = await api("POST", f"{api.p}/segments", segment_body(api, type_=type_))
    assert_error(api, answer, 400, "type")


async def test_invalid_relation(api: Api) -> None:
    answer = await api("POST", f"{api.p}/segments", segment_body(api, relation="xor"))
    assert_error(api, answer, 400, "relation")


@pytest.mark.parametrize("count", [0, 11])
async def test_item_count_out_of_range(api: Api, count: int) -> None:
    body = segment_body(api)
    body["condition"]["items"] = [item(api, "Age", ">", str(n)) for n in range(count)]
    assert_error(api, await api("POST", f"{api.p}/segments", body), 400, "items")


async def test_ten_items_are_fine(api: Api) -> None:
    body = segment_body(api, *[item(api, "Age", ">", str(n)) for n in range(10)])
    assert (await api("POST", f"{api.p}/segments", body)).status in (200, 201)


@pytest.mark.parametrize("op", ["like", "=", "contains", "", "CONTAIN"])
async def test_invalid_op(api: Api, op: str) -> None:
    body = segment_body(api, item(api, "Age", op, "3"))
    assert_error(api, await api("POST", f"{api.p}/segments", body), 400, "op")


async def test_value_must_be_a_string(api: Api) -> None:
    body = segment_body(api, item(api, "Age", ">=", 30))
    assert_error(api, await api("POST", f"{api.p}/segments", body), 400, "value")


async def test_undefined_field(api: Api) -> None:
    body = segment_body(api, item(api, "asge", "==", "1"))
    answer = await api("POST", f"{api.p}/segments", body)
    assert_error(api, answer, 400, "field_name")
    assert "[asge] is not defined" in answer.raw.decode()


async def test_tag_takes_no_ordering_op(api: Api) -> None:
    body = segment_body(api, item(api, "tag", ">", "vip"))
    assert_error(api, await api("POST", f"{api.p}/segments", body), 400, "op")


async def test_by_field_never_names_campaign(api: Api) -> None:
    body = segment_body(api, item(api, "campaign", "==", "open", 1))
    assert_error(api, await api("POST", f"{api.p}/segments", body), 400, "field_name")


@pytest.mark.parametrize(
    ("field", "op", "value", "campaign", "parameter"),
    [
        ("Age", "==", "open", 1, "field_name"),
        ("campaign", "!=", "open", 1, "op"),
        ("campaign", "==", "bounced", 1, "value"),
        ("campaign", "==", "open", None, "campaign_id"),
        ("campaign", "==", "open", 99, "campaign_id"),
    ],
)
async def test_by_campaign_rules(
    api: Api, field: str, op: str, value: str, campaign: int | None, parameter: str
) -> None:
    body = segment_body(api, item(api, field, op, value, campaign), type_=1)
    assert_error(api, await api("POST", f"{api.p}/segments", body), 400, parameter)


@pytest.mark.parametrize("value", ["sent", "open", "click", "unopen", "unclick", "notsent"])
async def test_by_campaign_values(api: Api, value: str) -> None:
    body = segment_body(api, item(api, "campaign", "==", value, 3), type_=1)
    assert (await api("POST", f"{api.p}/segments", body)).status in (200, 201)


async def test_update_checks_the_same_rules(api: Api) -> None:
    segment_id = await _segment(api)
    body = segment_body(api, name="bad.name")
    answer = await api(api.emu.update_method, f"{api.p}/segments/{segment_id}", body)
    assert_error(api, answer, 400, "segment_name")
    assert api.emu.segments[segment_id].name == "ok"


async def test_members_filter_checks_the_condition(api: Api) -> None:
    segment_id = await _segment(api)
    body = {"condition": {"relation": "and", "items": [item(api, "Age", "~", "1")]}}
    answer = await api("POST", f"{api.p}/segments/{segment_id}/members", body)
    assert_error(api, answer, 400, "op")


# -- tag names -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "has space", "a-b", "x" * 65, "emoji🙂", "dot.", None])
async def test_invalid_tag_names(api: Api, name: Any) -> None:
    before = len(api.emu.tags)
    answer = await api("POST", f"{api.p}/tags", {k(api, "tag_name"): name})
    assert_error(api, answer, 400, "tag_name")
    assert len(api.emu.tags) == before


@pytest.mark.parametrize("name", ["x" * 64, "myCustomTag", "中文_ok1", "_"])
async def test_valid_tag_names(api: Api, name: str) -> None:
    answer = await api("POST", f"{api.p}/tags", {k(api, "tag_name"): name})
    assert answer.status in (200, 201), answer.raw


async def test_duplicate_tag_name(api: Api) -> None:
    first = await _tag(api, "dup")
    second = await _tag(api, "dup2")
    created = await api("POST", f"{api.p}/tags", {k(api, "tag_name"): "dup"})
    renamed = await api(
        api.emu.update_method, f"{api.p}/tags/{second}", {k(api, "tag_name"): "dup"}
    )
    for answer in (created, renamed):
        if api.emu.provider == "sendcloud":
            assert_error(api, answer, 409, "tag_name")
        else:
            # A duplicate name is no authentication failure: 400, code 32603.
            assert_error(api, answer, 400, code=32603)
    assert api.emu.tags[first].name == "dup"
    assert api.emu.tags[second].name == "dup2"


async def test_renaming_a_tag_to_its_own_name_is_fine(api: Api) -> None:
    tag_id = await _tag(api, "same")
    answer = await api(
        api.emu.update_method, f"{api.p}/tags/{tag_id}", {k(api, "tag_name"): "same"}
    )
    assert answer.status == 200


# -- paging ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "size", "parameter"),
    [
        ("-1", "10", "offset"),
        ("0", "0", "page_size"),
        ("0", "101", "page_size"),
        ("x", "10", "offset"),
        ("0", "ten", "page_size"),
    ],
)
@pytest.mark.parametrize("where", ["segments", "tags", "segment members", "tag members"])
async def test_page_out_of_range(
    api: Api, offset: str, size: str, parameter: str, where: str
) -> None:
    query = {"offset": offset, k(api, "page_size"): size}
    if where == "segments":
        answer = await api("GET", f"{api.p}/segments", query=query)
    elif where == "tags":
        answer = await api("GET", f"{api.p}/tags", query=query)
    elif where == "segment members":
        answer = await api("POST", f"{api.p}/segments/{await _segment(api)}/members", query=query)
    else:
        answer = await api("GET", f"{api.p}/tags/{await _tag(api)}/members", query=query)
    assert_error(api, answer, 400, parameter)


@pytest.mark.parametrize("size", ["1", "100"])
async def test_page_size_bounds_are_inclusive(api: Api, size: str) -> None:
    segment_id = await _segment(api)
    answer = await api(
        "POST", f"{api.p}/segments/{segment_id}/members", query={k(api, "page_size"): size}
    )
    assert answer.status == 200
    page = answer.body["list" if api.emu.provider == "sendcloud" else "result"]
    assert len(page) == int(size)


# -- member ids ------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["tag add", "tag remove", "segment members"])
async def test_more_than_1000_member_ids(api: Api, where: str) -> None:
    ids = [c.id for c in api.emu.contacts] * 3
    too_many, enough = ids[:1001], ids[:1000]
    if where == "segment members":
        method, path = "DELETE", f"{api.p}/segments/{await _segment(api)}/members"
    else:
        method, path = "POST", f"{api.p}/tags/{await _tag(api)}/{where.split()[1]}"
    assert_error(api, await api(method, path, {k(api, "member_ids"): too_many}), 400, "member_ids")
    assert (await api(method, path, {k(api, "member_ids"): enough})).status == 200


@pytest.mark.parametrize("ids", [[], "abc", [1, 2], None])
async def test_member_ids_must_be_a_list_of_ids(api: Api, ids: Any) -> None:
    tag_id = await _tag(api)
    answer = await api("POST", f"{api.p}/tags/{tag_id}/add", {k(api, "member_ids"): ids})
    assert_error(api, answer, 400, "member_ids")


# -- unknown ids -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("UPDATE", "", "segment"),
        ("DELETE", "", None),
        ("GET", "/process", None),
        ("POST", "/members", None),
        ("DELETE", "/members", "ids"),
    ],
)
async def test_unknown_segment_id(api: Api, method: str, suffix: str, body: str | None) -> None:
    if method == "UPDATE":
        method = api.emu.update_method
    payload: Any = {
        None: None,
        "segment": segment_body(api),
        "ids": {k(api, "member_ids"): [api.emu.contacts[0].id]},
    }[body]
    path = f"{api.p}/segments/{UNKNOWN_ID}{suffix}"
    answer = await (api(method, path) if payload is None else api(method, path, payload))
    assert_error(api, answer, 404)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("UPDATE", "", "name"),
        ("DELETE", "", None),
        ("POST", "/add", "ids"),
        ("POST", "/remove", "ids"),
        ("GET", "/members", None),
    ],
)
async def test_unknown_tag_id(api: Api, method: str, suffix: str, body: str | None) -> None:
    if method == "UPDATE":
        method = api.emu.update_method
    payload: Any = {
        None: None,
        "name": {k(api, "tag_name"): "renamed"},
        "ids": {k(api, "member_ids"): [api.emu.contacts[0].id]},
    }[body]
    path = f"{api.p}/tags/{UNKNOWN_ID}{suffix}"
    answer = await (api(method, path) if payload is None else api(method, path, payload))
    assert_error(api, answer, 404)
    if api.emu.provider == "engagelab":
        assert answer.body["code"] == 30036


async def test_unknown_contact_ids_are_not_counted(api: Api) -> None:
    tag_id = await _tag(api)
    known = api.emu.contacts[0].id
    answer = await api(
        "POST", f"{api.p}/tags/{tag_id}/add", {k(api, "member_ids"): [known, known, UNKNOWN_ID]}
    )
    count = answer.body["successCount" if api.emu.provider == "sendcloud" else "count"]
    assert count == 1


# -- malformed bodies ------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"{", b'{"a": }', b"\xff\xfe", b"[1, 2]", b'"text"'])
@pytest.mark.parametrize("where", ["segments", "tags", "tag add"])
async def test_malformed_body(api: Api, raw: bytes, where: str) -> None:
    path = {
        "segments": f"{api.p}/segments",
        "tags": f"{api.p}/tags",
        "tag add": f"{api.p}/tags/{await _tag(api)}/add" if where == "tag add" else "",
    }[where]
    before = (len(api.emu.segments), len(api.emu.tags))
    answer = await api("POST", path, data=raw, headers={"Content-Type": "application/json"})
    assert_error(api, answer, 400)
    assert (len(api.emu.segments), len(api.emu.tags)) == before


async def test_missing_body(api: Api) -> None:
    assert_error(api, await api("POST", f"{api.p}/segments"), 400)
