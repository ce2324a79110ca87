"""Raw UTF-8 in a request target (``?name=教育`` as curl sends it) over a real socket.

aiohttp's C parser refuses such a request line with a plain-text 400 before the app runs;
the emulator percent-encodes those bytes first (``mailseg.testing.request_line``), as the
providers' front ends accept them. These tests write the bytes themselves to a socket,
since every HTTP client library would encode them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailseg.testing.request_line import RequestFraming
from tests.emulator.emulator_wire import create_segment, create_tag, item, items_of, k, segment_body

if TYPE_CHECKING:
    from mailseg.testing import Emulator
    from tests.emulator.conftest import Api


@attrs.frozen
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive connection to an emulator, written to and read from byte for byte."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def answer(self) -> RawAnswer:
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout=10)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        size = int(headers.get("content-length", "0"))
        body = await asyncio.wait_for(self.reader.readexactly(size), timeout=10)
        return RawAnswer(int(status_line.split(" ")[1]), headers, body)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def connect(emu: Emulator) -> Connection:
    address = urlsplit(emu.base_url)
    assert address.hostname is not None
    assert address.port is not None
    return Connection(*await asyncio.open_connection(address.hostname, address.port))


def request(emu: Emulator, method: str, target: str, body: bytes | None = None) -> bytes:
    """A request with ``target`` sent as its UTF-8 bytes, unencoded, as curl does."""
    lines = [
        f"{method} {target} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: {emu.authorization}",
    ]
    if body is not None:
        lines += ["Content-Type: application/json; charset=utf-8", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


@pytest.fixture(autouse=True)
def _no_logged_errors(caplog: pytest.LogCaptureFixture) -> Any:
    # aiohttp logs a refused request line with its traceback ("Error handling request").
    caplog.set_level(logging.DEBUG)
    yield
    assert [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info] == []


async def test_a_raw_utf8_query_is_read_as_utf8(api: Api) -> None:
    segment_id = await create_segment(api, segment_body(api, name="教育客户"))
    await create_segment(api, segment_body(api, name="其他"))
    conn = await connect(api.emu)
    try:
        await conn.send(
            request(api.emu, "GET", f"{api.p}/segments?{k(api, 'segment_name')}=教育客户")
        )
        answer = await conn.answer()
    finally:
        await conn.close()
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("application/json")
    found = items_of(api, answer.json())
    assert [s[k(api, "segment_name")] for s in found] == ["教育客户"]
    assert segment_id in json.dumps(found)
    recorded = api.emu.requests[-1]
    assert recorded.query == {k(api, "segment_name"): "教育客户"}
    # The target as the app received it: percent-encoded on the way in.
    assert recorded.path == f"{api.p}/segments"


async def test_a_raw_utf8_tag_name_filter(api: Api) -> None:
    conn = await connect(api.emu)
    try:
        await conn.send(request(api.emu, "GET", f"{api.p}/tags?{k(api, 'tag_name')}=教育"))
        answer = await conn.answer()
    finally:
        await conn.close()
    assert answer.status == 200
    names = [
        t["tagName" if api.emu.provider == "sendcloud" else "tag_name"]
        for t in items_of(api, answer.json())
    ]
    assert "教育" in names


async def test_raw_utf8_in_a_path_is_the_providers_404(api: Api) -> None:
    conn = await connect(api.emu)
    try:
        await conn.send(request(api.emu, "GET", f"{api.p}/tags/教育/members"))
        answer = await conn.answer()
    finally:
        await conn.close()
    assert answer.status == 404
    body = answer.json()
    if api.emu.provider == "sendcloud":
        assert body["status"] == 404
        assert set(body["error"]) == {"parameter", "message"}
    else:
        assert body["code"] == 30036
    assert api.emu.requests[-1].path == f"{api.p}/tags/%E6%95%99%E8%82%B2/members"


async def test_a_bad_raw_query_value_is_the_providers_400(api: Api) -> None:
    conn = await connect(api.emu)
    try:
        await conn.send(request(api.emu, "GET", f"{api.p}/segments?offset=五"))
        answer = await conn.answer()
    finally:
        await conn.close()
    assert answer.status == 400
    body = answer.json()
    key = "offset"
    if api.emu.provider == "sendcloud":
        assert body["error"]["parameter"] == key
    else:
        assert body["code"] == 30035
        assert f"[{key}]" in body["message"]


async def test_keep_alive_and_pipelining_with_bodies_holding_high_bytes(api: Api) -> None:
    """Three requests in one write, then a fourth: only the request targets change."""
    tag_id = await create_tag(api, "甲")
    member = api.emu.contacts[0].id
    # A body with raw UTF-8 (a name and an id list) must reach the app byte for byte.
    rename = json.dumps({k(api, "tag_name"): "教育_二"}, ensure_ascii=False).encode()
    add = json.dumps({k(api, "member_ids"): [member, "不存在"]}, ensure_ascii=False).encode()
    conn = await connect(api.emu)
    try:
        await conn.send(
            request(api.emu, api.emu.update_method, f"{api.p}/tags/{tag_id}", rename)
            + request(api.emu, "GET", f"{api.p}/tags?{k(api, 'tag_name')}=教育_二")
            + request(api.emu, "POST", f"{api.p}/tags/{tag_id}/add", add)
        )
        renamed, listed, added = [await conn.answer() for _ in range(3)]
        await conn.send(request(api.emu, "GET", f"{api.p}/segments?{k(api, 'segment_name')}=无"))
        fourth = await conn.answer()
    finally:
        await conn.close()
    assert renamed.status == 200
    assert api.emu.tags[tag_id].name == "教育_二"
    assert listed.status == 200
    assert [t.get("tagId", t.get("tag_id")) for t in items_of(api, listed.json())] == [tag_id]
    assert added.status == 200
    assert api.emu.tag_member_ids(tag_id) == [member]
    assert fourth.status == 200
    assert items_of(api, fourth.json()) == []
    recorded = api.emu.requests[-4:]
    assert [r.raw_body_size for r in recorded] == [len(rename), 0, len(add), 0]
    assert recorded[2].body == {k(api, "member_ids"): [member, "不存在"]}


async def test_a_request_split_byte_by_byte(api: Api) -> None:
    segment_id = await create_segment(api, segment_body(api, name="分组"))
    spec = segment_body(api, item(api, "Name", "contain", "王"), name="分组")
    body = json.dumps(spec, ensure_ascii=False)
    data = request(
        api.emu, api.emu.update_method, f"{api.p}/segments/{segment_id}?x=教", body.encode()
    ) + request(api.emu, "GET", f"{api.p}/segments?{k(api, 'segment_name')}=分组")
    conn = await connect(api.emu)
    try:
        for byte in range(len(data)):
            await conn.send(data[byte : byte + 1])
        updated, listed = await conn.answer(), await conn.answer()
    finally:
        await conn.close()
    assert updated.status == 200
    assert api.emu.segments[segment_id].condition.items[0].value == "王"
    assert api.emu.requests[-2].query == {"x": "教"}
    assert listed.status == 200
    assert len(items_of(api, listed.json())) == 1


# -- the framing on its own --------------------------------------------------------------------

CHUNKED = (
    b"POST /a?q=\xe6\x95\x99 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"4;ext=1\r\n\xe6\x95\x99\n\r\n0\r\nTrailer: \xe6\x95\x99\r\n\r\n"
    b"GET /b?q=\xe8\x82\xb2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n\xe8\x82\xb2"
    b"\r\n"  # an empty line between requests is allowed
    b"GET /c \xe8\x82\xb2 HTTP/1.1\r\nHost: x\r\n\r\n"
)
CHUNKED_PASSED = (
    b"POST /a?q=%E6%95%99 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"4;ext=1\r\n\xe6\x95\x99\n\r\n0\r\nTrailer: \xe6\x95\x99\r\n\r\n"
    b"GET /b?q=%E8%82%B2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n\xe8\x82\xb2"
    b"\r\n"
    b"GET /c %E8%82%B2 HTTP/1.1\r\nHost: x\r\n\r\n"
)


@pytest.mark.parametrize("step", [1, 2, 3, 7, 64, len(CHUNKED)])
def test_framing_encodes_only_request_targets_however_the_reads_split(step: int) -> None:
    framing = RequestFraming()
    passed = b"".join(framing.feed(CHUNKED[i : i + step]) for i in range(0, len(CHUNKED), step))
    assert passed == CHUNKED_PASSED
    assert framing.following


def test_framing_leaves_ascii_alone_and_returns_the_same_object() -> None:
    framing = RequestFraming()
    data = b"GET /a?q=%E6 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n\xe6\x95"
    assert framing.feed(data) is data


@pytest.mark.parametrize(
    "head",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
        b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: +1\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_framing_stops_where_the_bytes_are_no_longer_requests(head: bytes) -> None:
    # After an upgrade, or framing aiohttp refuses (and closes on), nothing is rewritten.
    framing = RequestFraming()
    later = b"GET /\xe6 HTTP/1.1\r\n\r\n"
    assert framing.feed(head) == head
    assert framing.feed(later) == later
    assert not framing.following


_TARGET_TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), blacklist_characters="#"),
    max_size=12,
)


@st.composite
def _connection(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """Requests of one connection: (as sent, as aiohttp must receive them)."""
    sent, passed = [], []
    for _ in range(draw(st.integers(1, 4))):
        target = "/t?q=" + draw(_TARGET_TEXT)
        raw_target = target.encode()
        encoded = b"".join(b"%%%02X" % b if b >= 0x80 else bytes([b]) for b in raw_target)
        body = draw(st.binary(max_size=40) | st.text(max_size=10).map(str.encode))
        framing = draw(st.sampled_from(["length", "chunked", "none"]))
        head = b"Host: x\r\nX-Note: \xe6\x95\x99\r\n"  # a high byte in a header stays
        if framing == "length":
            head += b"Content-Length: %d\r\n" % len(body)
            payload = body
        elif framing == "chunked":
            head += b"Transfer-Encoding: chunked\r\n"
            cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=3)))
            parts = [body[i:j] for i, j in zip([0, *cuts], [*cuts, len(body)], strict=True)]
            payload = b"".join(b"%x;e=\xe6\r\n%s\r\n" % (len(p), p) for p in parts if p)
            payload += b"0\r\nTrailer-Note: \xe8\x82\xb2\r\n\r\n"
        else:
            payload = b""
        rest = b" HTTP/1.1\r\n" + head + b"\r\n" + payload
        sent.append(b"POST " + raw_target + rest)
        passed.append(b"POST " + encoded + rest)
    return b"".join(sent), b"".join(passed)


@settings(max_examples=300, deadline=None)
@given(_connection(), st.lists(st.integers(1, 50), max_size=20))
def test_framing_property_only_targets_change_whatever_the_reads(
    connection: tuple[bytes, bytes], reads: list[int]
) -> None:
    sent, expected = connection
    framing = RequestFraming()
    passed, at = [], 0
    for size in reads:
        passed.append(framing.feed(sent[at : at + size]))
        at += size
    passed.append(framing.feed(sent[at:]))
    assert b"".join(passed) == expected
    assert framing.following
