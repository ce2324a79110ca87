"""Response headers and request ids: on every error, and on results when asked for."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import mailseg
from mailseg.testing import Emulator
from mailseg_engagelab import EngageLabAdapter
from tests.conftest import Wire

NOT_FOUND: dict[str, tuple[int, Any]] = {
    "sendcloud": (404, {"status": 404, "error": {"parameter": "segmentId", "message": "no"}}),
    "engagelab": (200, {"code": 30036, "message": "no"}),
}
TAGS: dict[str, Any] = {
    "sendcloud": {"list": [{"tagId": "t1", "tagName": "vip"}], "total": 1},
    "engagelab": {"result": [{"tag_id": "t1", "tag_name": "vip"}], "total": 1, "count": 1},
}


@pytest.mark.parametrize("provider", ["sendcloud", "engagelab"])
async def test_an_api_error_carries_the_headers_and_the_request_id(
    wire: Wire, provider: str
) -> None:
    status, body = NOT_FOUND[provider]
    wire.reply(status, body, **{"X-Request-Id": "req-7f3a", "X-Extra": "yes"})
    async with wire.client(provider) as client:
        with pytest.raises(mailseg.NotFoundError) as caught:
            await client.segments.get("s1")
    error = caught.value
    assert error.request_id == "req-7f3a"
    assert error.headers["x-request-id"] == "req-7f3a"  # case-insensitive
    assert error.headers["X-Extra"] == "yes"
    assert "[request id req-7f3a]" in str(error)


@pytest.mark.parametrize("provider", ["sendcloud", "engagelab"])
async def test_a_bad_body_carries_the_headers_too(wire: Wire, provider: str) -> None:
    wire.reply(200, "<html>gateway</html>", **{"Content-Type": "text/html", "Request-Id": "r9"})
    async with wire.client(provider) as client:
        with pytest.raises(mailseg.UnexpectedResponseError) as caught:
            await client.segments.get("s1")
    assert caught.value.request_id == "r9"
    assert caught.value.headers["Content-Type"].startswith("text/html")


async def test_without_a_request_id_header_it_is_none(wire: Wire) -> None:
    wire.reply(*NOT_FOUND["sendcloud"])
    async with wire.client("sendcloud") as client:
        with pytest.raises(mailseg.NotFoundError) as caught:
            await client.segments.get("s1")
    assert caught.value.request_id is None
    assert "request id" not in str(caught.value)


async def test_an_adapter_names_its_own_request_id_header(wire: Wire) -> None:
    class Traced(EngageLabAdapter):
        request_id_headers = ("X-Trace",)

    wire.reply(200, TAGS["engagelab"], **{"X-Trace": "t-1", "X-Request-Id": "ignored"})
    async with wire.client(Traced) as client:
        raw = await client.with_raw_response(client.tags.list())
    assert raw.request_id == "t-1"


@pytest.mark.parametrize("provider", ["sendcloud", "engagelab"])
async def test_with_raw_response_gives_the_answer_and_keeps_the_type(
    wire: Wire, provider: str
) -> None:
    wire.reply(200, TAGS[provider], **{"X-Request-Id": "abc"})
    async with wire.client(provider) as client:
        raw = await client.with_raw_response(client.tags.list())
    page: mailseg.Page[mailseg.Tag] = raw.parsed
    assert [t.id for t in page] == ["t1"]
    assert raw.status == 200
    assert raw.request_id == "abc"
    assert raw.headers["X-Request-Id"] == "abc"
    assert (raw.last.method, raw.last.path) == ("GET", wire.requests[0].path)
    assert raw.last.path.endswith("/tags")
    assert len(raw.responses) == 1


@pytest.mark.mailseg_emulator(contacts=2500, processing_polls=2)
async def test_raw_responses_of_a_bulk_call_and_a_wait_against_the_emulator(
    mailseg_emulator: Emulator,
) -> None:
    emu = mailseg_emulator
    async with emu.client() as client:
        tag = await client.tags.create("raw_bulk")
        ids = [c.id for c in emu.contacts]
        raw = await client.with_raw_response(client.tags.add_members(tag.id, ids))
        assert raw.parsed.succeeded == 2500
        assert len(raw.responses) == 3  # one per chunk, from the chunks' own tasks
        assert {r.method for r in raw.responses} == {"POST"}
        assert all(r.headers["Content-Type"].startswith("application/json") for r in raw.responses)
        assert all(r.request_id is None for r in raw.responses)  # the emulator sends none

        segment = await client.segments.create("raw_wait", mailseg.tag("raw_bulk"))
        waited = await client.with_raw_response(
            client.segments.wait_until_complete(segment.id, poll_interval=0.01)
        )
        assert waited.parsed.status is mailseg.SegmentStatus.COMPLETED
        assert len(waited.responses) == 3  # two reads while updating, then complete


async def test_concurrent_raw_calls_keep_their_own_answers(wire: Wire) -> None:
    wire.reply(200, TAGS["sendcloud"], **{"X-Request-Id": "one"})
    wire.reply(200, TAGS["sendcloud"], **{"X-Request-Id": "two"})
    async with wire.client("sendcloud") as client:
        first, second = await asyncio.gather(
            client.with_raw_response(client.tags.list()),
            client.with_raw_response(client.tags.list()),
        )
    assert len(first.responses) == len(second.responses) == 1
    assert {first.request_id, second.request_id} == {"one", "two"}
