"""The transport's lean success path: what it sends and returns, and when it steps aside.

A first attempt that succeeds never enters the retry machinery, and a 2xx the
compiled reader accepts is never wrapped in a `Response`; the requests on the
wire, the values returned, and every error are the same as on the readable
path. Session-level headers are set only on the session mailseg owns.
"""

from __future__ import annotations

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from yarl import URL

import mailseg
from mailseg._transport import _url
from mailseg.adapter.contract import quote_id
from mailseg_engagelab import EngageLabAdapter
from tests.conftest import SEED_TOKEN, Wire

SEGMENT = {
    "result": {
        "segment_id": "s1",
        "segment_name": "adults",
        "type": 0,
        "status": "2",
        "condition": {
            "relation": "and",
            "items": [{"field_name": "Age", "op": ">", "value": "18", "campaign_id": None}],
        },
        "create_time": "2023-11-29 16:28:41+0800",
    }
}


async def test_an_owned_session_carries_the_headers_and_every_request_has_them(
    wire: Wire,
) -> None:
    wire.reply(200, SEGMENT)
    wire.reply(200, {"count": 2})
    async with wire.client("engagelab") as client:
        await client.segments.get("s1")
        await client.tags.add_members("t1", ["m1", "m2"])
        session = client._transport.pool._session
        assert session is not None
        assert session.headers["Authorization"] == f"Basic {SEED_TOKEN}"
    get, post = wire.requests
    for seen in (get, post):
        assert seen.headers["Authorization"] == f"Basic {SEED_TOKEN}"
        assert seen.headers["Accept"] == "application/json"
        assert seen.headers["User-Agent"] == f"mailseg/{mailseg.__version__}"
    assert "Content-Type" not in get.headers
    assert post.headers["Content-Type"] == "application/json; charset=utf-8"
    assert post.body == b'{"member_ids":["m1","m2"]}'


async def test_a_callers_session_is_not_given_mailsegs_headers(wire: Wire) -> None:
    wire.reply(200, SEGMENT)
    async with aiohttp.ClientSession() as session:
        async with wire.client("engagelab", session=session) as client:
            await client.segments.get("s1")
        assert "Authorization" not in session.headers
    assert wire.requests[0].headers["Authorization"] == f"Basic {SEED_TOKEN}"


async def test_a_body_the_compiled_reader_declines_is_read_and_explained_as_before(
    wire: Wire,
) -> None:
    # A digit string for a count: the readable path refuses it, by name.
    wire.reply(200, {"count": "two"})
    async with wire.client("engagelab") as client:
        with pytest.raises(mailseg.BulkError) as caught:
            await client.tags.add_members("t1", ["m1"])
    error = caught.value.result.failed[0].error
    assert isinstance(error, mailseg.UnexpectedResponseError)
    assert "'count' is not a count" in str(error)


async def test_a_segment_missing_its_id_reads_as_todays_error(wire: Wire) -> None:
    body = {"result": {k: v for k, v in SEGMENT["result"].items() if k != "segment_id"}}
    wire.reply(200, body)
    async with wire.client("engagelab") as client:
        with pytest.raises(mailseg.UnexpectedResponseError, match=r"required field missing @ body"):
            await client.segments.get("s1")


async def test_an_error_code_on_a_2xx_is_an_error_not_a_success(wire: Wire) -> None:
    wire.reply(200, {"code": 30036, "message": "no such tag", "count": 1})
    async with wire.client("engagelab") as client:
        with pytest.raises(mailseg.BulkError) as caught:
            await client.tags.add_members("t1", ["m1"], raise_on_error=True)
    assert isinstance(caught.value.result.failed[0].error, mailseg.NotFoundError)


async def test_a_retried_call_reads_its_last_answer(wire: Wire) -> None:
    wire.reply(503, {"code": 1, "message": "busy"}, **{"Retry-After": "0"})
    wire.reply(200, SEGMENT)
    async with wire.client("engagelab", max_retries=1) as client:
        segment = await client.segments.get("s1")
    assert segment.id == "s1"
    assert segment.status is mailseg.SegmentStatus.COMPLETED
    assert len(wire.requests) == 2


async def test_raw_responses_are_kept_on_the_compiled_path(wire: Wire) -> None:
    wire.reply(200, SEGMENT, **{"X-Request-Id": "req-1"})
    async with wire.client("engagelab") as client:
        raw = await client.with_raw_response(client.segments.get("s1"))
    assert raw.parsed.id == "s1"
    assert (raw.status, raw.request_id) == (200, "req-1")


def test_quote_id_is_cached_and_still_quotes_every_reserved_character() -> None:
    assert quote_id("a/b?c#d%e f") == "a%2Fb%3Fc%23d%25e%20f"
    assert quote_id("a/b?c#d%e f") is quote_id("a/b?c#d%e f")
    assert EngageLabAdapter().get_segment("a/b").request.path.endswith("/a%2Fb")


@settings(max_examples=300, deadline=None)
@given(
    query=st.lists(
        st.tuples(
            st.text(alphabet="ab0-_.~=& %/?#中+", max_size=4),
            st.text(alphabet="ab0-_.~=& %/?#中+", max_size=4),
        ),
        min_size=0,
        max_size=3,
    )
)
def test_a_query_is_encoded_exactly_as_yarl_encodes_it(query: list[tuple[str, str]]) -> None:
    base = "http://127.0.0.1:1/v1/marketing/lists/tags"
    expected = URL(base, encoded=True)
    if query:
        expected = expected.with_query(tuple(query))
    built = _url(base, tuple(query))
    assert str(built) == str(expected)
    assert built.raw_query_string == expected.raw_query_string


TAGS_PAGE = {"result": [{"tag_id": "1", "tag_name": "vip"}], "count": 1}


async def test_a_call_asked_again_is_made_once_and_each_request_still_says_what_it_asks(
    wire: Wire,
) -> None:
    for _ in range(5):
        wire.reply(200, TAGS_PAGE)
    async with wire.client("engagelab") as client:
        adapter = client._transport.adapter
        assert isinstance(adapter, EngageLabAdapter)
        first = adapter.list_tags(name=None, offset=0, limit=10)
        assert adapter.list_tags(name=None, offset=0, limit=10) is first
        assert adapter.list_tags(name="vip", offset=0, limit=10) is not first
        await client.tags.list()
        await client.tags.list(name="vip")
        await client.tags.list(offset=10, limit=5)
        page = await client.tags.list()
        other = await client.tags.list(name="vip")
    assert [seen.query for seen in wire.requests] == [
        (("offset", "0"), ("limit", "10")),
        (("offset", "0"), ("limit", "10"), ("name", "vip")),
        (("offset", "10"), ("limit", "5")),
        (("offset", "0"), ("limit", "10")),
        (("offset", "0"), ("limit", "10"), ("name", "vip")),
    ]
    assert (page.offset, page.limit, page.items[0].name) == (0, 10, "vip")
    assert other.items == page.items


def test_the_calls_an_adapter_keeps_are_bounded_and_told_apart() -> None:
    adapter = EngageLabAdapter()
    calls = [adapter.get_segment(f"s{index}") for index in range(adapter.remembered_calls)]
    assert adapter.get_segment("s1") is calls[1]
    assert len(adapter._calls()) == adapter.remembered_calls
    adapter.get_segment("one more")  # the table starts afresh rather than grow
    assert len(adapter._calls()) == 1
    assert adapter.get_segment("s1") is not calls[1]
    assert adapter.get_segment("s1").request == calls[1].request
    # Same arguments to other operations are other calls.
    listed = adapter.list_segments(name=None, type=None, offset=0, limit=10)
    assert adapter.list_tags(name=None, offset=0, limit=10) is not listed
    assert listed.request.path != adapter.list_tags(name=None, offset=0, limit=10).request.path
