"""Requests a fuzzer sends: the emulator refuses each in the provider's format, never a 5xx.

Each case is one a raw-HTTP fuzzing run found answered with aiohttp's plain-text 500 (and a
traceback on the console), or accepted where the pages forbid it: a body nested 100,000
deep, a lone surrogate stored as a segment name, ``count=1_2`` read as 12, a campaign id in
a members filter, a 405 without ``Allow``. ``tests/contract`` fuzzes the whole wire; these
pin the cases down.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
from typing import TYPE_CHECKING, Any

import pytest

from tests.emulator.conftest import Answer
from tests.emulator.emulator_wire import create_segment, create_tag, item, items_of, k, segment_body
from tests.emulator.test_rules import assert_error

if TYPE_CHECKING:
    from tests.emulator.conftest import Api

JSON = {"Content-Type": "application/json; charset=utf-8"}


def raw_json(body: Any) -> bytes:
    """``body`` as JSON bytes with every non-ASCII character escaped, lone surrogates too."""
    return json.dumps(body, ensure_ascii=True).encode()


# -- bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
async def test_a_body_nested_100000_deep_is_malformed_json(api: Api, opening: bytes) -> None:
    deep = opening * 100_000
    answer = await api("POST", f"{api.p}/segments", data=deep, headers=JSON)
    assert_error(api, answer, 400)
    assert not api.emu.segments


async def test_a_deep_body_without_credentials_is_refused_for_the_credentials(api: Api) -> None:
    answer = await api("POST", f"{api.p}/segments", data=b"[" * 100_000, auth=None)
    assert_error(api, answer, 401)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_non_json_constants_are_malformed(api: Api, constant: str) -> None:
    tag_id = await create_tag(api)
    data = f'{{"{k(api, "member_ids")}": [{constant}]}}'.encode()
    answer = await api("POST", f"{api.p}/tags/{tag_id}/add", data=data, headers=JSON)
    assert_error(api, answer, 400)
    assert "not valid JSON" in answer.raw.decode()


async def test_a_lone_surrogate_in_a_segment_name_is_refused_and_not_stored(api: Api) -> None:
    data = raw_json(segment_body(api, name="a\ud800b"))
    answer = await api("POST", f"{api.p}/segments", data=data, headers=JSON)
    assert_error(api, answer, 400, "segment_name")
    assert not api.emu.segments
    listing = await api("GET", f"{api.p}/segments")
    assert listing.status == 200
    assert items_of(api, listing.body) == []


@pytest.mark.parametrize(
    ("where", "parameter"),
    [("field", "field_name"), ("value", "value"), ("op", "op")],
)
async def test_a_lone_surrogate_in_a_condition_is_a_400_naming_its_key(
    api: Api, where: str, parameter: str
) -> None:
    parts = {"field": "Age", "op": ">=", "value": "3"}
    parts[where] = "x\udfffy"
    body = segment_body(api, item(api, parts["field"], parts["op"], parts["value"]))
    answer = await api("POST", f"{api.p}/segments", data=raw_json(body), headers=JSON)
    assert_error(api, answer, 400, parameter)


async def test_a_lone_surrogate_in_a_tag_name_is_a_400_naming_it(api: Api) -> None:
    before = len(api.emu.tags)
    data = raw_json({k(api, "tag_name"): "\udbff"})
    assert_error(api, await api("POST", f"{api.p}/tags", data=data, headers=JSON), 400, "tag_name")
    assert len(api.emu.tags) == before


async def test_a_lone_surrogate_in_a_key_is_a_400(api: Api) -> None:
    before = len(api.emu.tags)
    data = raw_json({"\ud800": 1})
    assert_error(api, await api("POST", f"{api.p}/tags", data=data, headers=JSON), 400)
    assert len(api.emu.tags) == before


async def test_a_surrogate_pair_is_a_character_and_is_kept(api: Api) -> None:
    # "\ud83d\ude00" escapes one character (U+1F600): JSON text, not a lone surrogate.
    body = segment_body(api, item(api, "Name", "contain", "\U0001f600"))
    data = raw_json(body)
    assert b"\\ud83d\\ude00" in data
    segment_id = await create_segment(api, json.loads(data))
    assert api.emu.segments[segment_id].condition.items[0].value == "\U0001f600"


async def test_a_body_over_the_size_limit_is_a_413_in_the_providers_format(api: Api) -> None:
    big = io.BytesIO(b" " * (16 * 1024 * 1024 + 1))  # BytesIO: aiohttp streams it
    headers = {**JSON, "Authorization": api.emu.authorization}
    async with api.session.post(
        f"{api.emu.base_url}{api.p}/tags", data=big, headers=headers
    ) as response:
        answer = Answer(response.status, dict(response.headers), await response.read())
    assert_error(api, answer, 413, code=30035)
    assert answer.headers.get("Connection", "").lower() == "close"
    assert api.emu.requests[-1].body_unread


async def test_a_body_whose_encoding_is_broken_is_a_400_and_closes(api: Api) -> None:
    before = len(api.emu.tags)
    headers = {**JSON, "Content-Encoding": "gzip"}
    answer = await api("POST", f"{api.p}/tags", data=b"not gzip at all", headers=headers)
    assert_error(api, answer, 400)
    assert answer.headers.get("Connection", "").lower() == "close"
    assert len(api.emu.tags) == before


async def test_a_gzip_body_is_read(api: Api) -> None:
    body = gzip.compress(json.dumps({k(api, "tag_name"): "zipped"}).encode())
    answer = await api(
        "POST", f"{api.p}/tags", data=body, headers={**JSON, "Content-Encoding": "gzip"}
    )
    assert answer.status in (200, 201), answer.raw
    assert api.emu.tag_named("zipped") is not None


# -- query integers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size",
    ["", "1_2", "+5", " 5 ", "5 ", "\uff15", "\u0665", "5.0", "1e1", "0x10", "five", "--5"],
    ids=repr,
)
@pytest.mark.parametrize("where", ["segments", "tags", "segment members", "tag members"])
async def test_a_page_size_is_ascii_digits_only(api: Api, size: str, where: str) -> None:
    query = {k(api, "page_size"): size}
    if where == "segments":
        answer = await api("GET", f"{api.p}/segments", query=query)
    elif where == "tags":
        answer = await api("GET", f"{api.p}/tags", query=query)
    elif where == "segment members":
        segment_id = await create_segment(api, segment_body(api))
        answer = await api("POST", f"{api.p}/segments/{segment_id}/members", query=query)
    else:
        answer = await api("GET", f"{api.p}/tags/{await create_tag(api)}/members", query=query)
    assert_error(api, answer, 400, "page_size")


@pytest.mark.parametrize("offset", ["1_0", "\uff10", "+0", "99999999999999999999"])
async def test_an_offset_is_ascii_digits_in_range(api: Api, offset: str) -> None:
    answer = await api("GET", f"{api.p}/segments", query={"offset": offset})
    assert_error(api, answer, 400, "offset")


async def test_leading_zeros_are_still_an_integer(api: Api) -> None:
    segment_id = await create_segment(api, segment_body(api, item(api, "Email", "contain", "@")))
    answer = await api(
        "POST",
        f"{api.p}/segments/{segment_id}/members",
        query={"offset": "007", k(api, "page_size"): "012"},
    )
    assert answer.status == 200, answer.raw
    assert len(items_of(api, answer.body)) == 12


# -- the members filter -----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["campaignId", "campaign_id"])
async def test_a_members_filter_takes_no_campaign_id(api: Api, key: str) -> None:
    segment_id = await create_segment(api, segment_body(api))
    filter_item = {**item(api, "Age", ">=", "30"), key: 1}
    body = {"condition": {"relation": "and", "items": [filter_item]}}
    answer = await api("POST", f"{api.p}/segments/{segment_id}/members", body)
    assert_error(api, answer, 400)
    assert f"[{key}]" in answer.raw.decode()


async def test_a_by_field_segment_still_takes_a_campaign_id_key(api: Api) -> None:
    # The segment tables list campaignId for every item (null unless the field is campaign).
    body = segment_body(api, {**item(api, "Age", ">=", "30"), k(api, "campaign_id"): None})
    await create_segment(api, body)


# -- 405 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "allowed"),
    [
        ("/segments", {"GET", "POST"}),
        ("/segments/{segment}", {"GET", "DELETE", "UPDATE"}),
        ("/segments/{segment}/process", {"GET"}),
        ("/segments/{segment}/members", {"POST", "DELETE"}),
        ("/tags", {"GET", "POST"}),
        ("/tags/{tag}", {"DELETE", "UPDATE"}),
        ("/tags/{tag}/add", {"POST"}),
        ("/tags/{tag}/remove", {"POST"}),
        ("/tags/{tag}/members", {"GET"}),
    ],
)
async def test_a_405_lists_the_allowed_methods(api: Api, suffix: str, allowed: set[str]) -> None:
    allowed = {api.emu.update_method if m == "UPDATE" else m for m in allowed}
    path = api.p + suffix.format(segment="62849dc690d79d4947dd033d", tag="62849dc690d79d4947dd0330")
    wrong = sorted({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"} - allowed)
    for method in wrong:
        answer = await api(method, path)
        assert answer.status == 405, (method, answer.raw)
        assert set(answer.headers["Allow"].split(", ")) == allowed
        if method != "HEAD":
            assert_error(api, answer, 405, code=30035)


# -- the last line of defence ----------------------------------------------------------------


async def test_a_bug_in_a_handler_is_a_500_in_the_providers_format_not_plain_text(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(api.emu._service.store, "list_tags", broken)
    with caplog.at_level(logging.ERROR, logger="mailseg.testing"):
        answer = await api("GET", f"{api.p}/tags")
    assert answer.status == 500
    assert answer.headers["Content-Type"].startswith("application/json")
    status_key = "status" if api.emu.provider == "sendcloud" else "code"
    assert answer.body[status_key] == 500
    assert "a bug" in caplog.text


@pytest.mark.parametrize("key", ["offset", "page_size"])
async def test_a_query_integer_given_twice_is_refused(api: Api, key: str) -> None:
    wire = k(api, key) if key == "page_size" else key
    answer = await api("GET", f"{api.p}/segments?{wire}=1&{wire}=2")
    assert_error(api, answer, 400, key)
