"""Every operation of both adapters against servers that misbehave at the HTTP level.

A raw asyncio server on loopback replays each operation's real answer (recorded once from
the emulator) mangled by a behaviour of the table below: truncated at every byte, headers
that never end, a wrong Content-Length either way, broken chunked encoding, a connection
closed after the headers, a 2xx of every content type, enormous headers, bodies past the
size cap. For each behaviour and operation the call must end:

- as a mailseg error of the class the behaviour calls for (never an aiohttp or json one),
- within the client's timeout (a generous bound: the point is that it never hangs),
- leaving the client usable: the next call on the same client, answered properly,
  succeeds (no broken connection was put back in the pool),
- and, once the client is closed, with no connection open on the server and no task left.

The operations of one behaviour run concurrently, one client each, so the stalling
behaviours cost one timeout per test rather than one per operation.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import attrs
import pytest

import mailseg
from mailseg.testing import Emulator
from tests.test_hardening import reachable

PROVIDERS = ("sendcloud", "engagelab")
# The clients' timeout: long enough that a loaded 2-core machine does not turn a
# quick answer into a timeout, short enough that the stalling behaviours end soon.
TIMEOUT = 2.0  # for the behaviours that must end in RequestTimeoutError: they wait it out
# Every other behaviour ends by itself, well before this; under a heavily loaded machine
# (a deflate bomb inflated on a busy core) 2 s was seen to be too short for that.
SLACK_TIMEOUT = 15.0
# Not a speed assertion: a guard that turns a hang (the client's own timeout not
# ending the call) into a failure naming it, instead of a stuck suite.
HANG_GUARD = TIMEOUT + 30.0
CAP = 64 * 1024  # the clients' max_response_bytes here: small, to keep the tests quick
API_USER = "emulator_user"
API_KEY = "emulator-test-key-not-a-secret"
SECRETS = (API_KEY, base64.b64encode(f"{API_USER}:{API_KEY}".encode()).decode())

Operation = Callable[[mailseg.Client], Awaitable[Any]]


@attrs.frozen
class Ids:
    segment: str
    tag: str
    member: str


def operations(ids: Ids) -> dict[str, Operation]:
    """Every operation of the SDK, addressed to objects that exist in the emulator."""
    s, t, m = ids.segment, ids.tag, [ids.member]
    adults = mailseg.field("Age") >= 18
    return {
        "segments.create": lambda c: c.segments.create("hostile", adults),
        "segments.get": lambda c: c.segments.get(s),
        "segments.update": lambda c: c.segments.update(s, condition=adults),
        "segments.list": lambda c: c.segments.list(limit=2),
        "segments.progress": lambda c: c.segments.progress(s),
        "segments.members": lambda c: c.segments.members(s, limit=2),
        "segments.remove_members": lambda c: c.segments.remove_members(s, m),
        "segments.delete": lambda c: c.segments.delete(s),
        "tags.create": lambda c: c.tags.create("hostile"),
        "tags.update": lambda c: c.tags.update(t, name="renamed"),
        "tags.list": lambda c: c.tags.list(limit=2),
        "tags.add_members": lambda c: c.tags.add_members(t, m),
        "tags.remove_members": lambda c: c.tags.remove_members(t, m),
        "tags.members": lambda c: c.tags.members(t, limit=2),
        "tags.delete": lambda c: c.tags.delete(t),
    }


@attrs.frozen
class Answer:
    """A real answer: its status, Content-Type and body (decoded, as the emulator sent it)."""

    status: int
    content_type: str
    body: bytes
    key: tuple[str, str] = ("", "")

    def head(self, **extra: str) -> bytes:
        lines = [f"HTTP/1.1 {self.status} Whatever"]
        if self.content_type:
            lines.append(f"Content-Type: {self.content_type}")
        lines += [f"{name}: {value}" for name, value in extra.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def whole(self) -> bytes:
        if self.status == 204:
            return self.head()
        return self.head(**{"Content-Length": str(len(self.body))}) + self.body


Behaviour = Callable[[Answer, asyncio.StreamWriter], Awaitable[None]]


class HostileServer:
    """A raw HTTP/1.1 server: reads each request, answers with ``behaviour(real answer)``.

    ``answers`` maps (method, path) to the real answer of that request. A request whose
    answer is not recorded yet is relayed to ``relay`` (the emulator) and its answer kept.
    """

    def __init__(self, relay: str) -> None:
        self.relay = relay
        self.answers: dict[tuple[str, str], Answer] = {}
        self.behaviour: Behaviour | None = None
        #: For the truncation test: where to cut each request's answer.
        self.cuts: dict[tuple[str, str], int] = {}
        self.open = 0
        self.server: asyncio.Server | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=True)
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def close(self) -> None:
        assert self.server is not None
        assert self._session is not None
        self.server.close()
        await self.server.wait_closed()
        await self._session.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                method, target, headers, body = request
                key = (method, target.split("?", 1)[0])
                answer = self.answers.get(key)
                if answer is None:
                    answer = self.answers[key] = await self._relay(method, target, headers, body)
                behaviour = self.behaviour
                if behaviour is None:
                    writer.write(answer.whole())
                    await writer.drain()
                    continue
                await behaviour(answer, writer)
                # Then wait for the client to hang up: a behaviour that stalls stalls here.
                await reader.read()
                return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self.open -= 1
            writer.close()

    async def _relay(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> Answer:
        assert self._session is not None
        sent = {k: v for k, v in headers.items() if k.lower() in ("authorization", "content-type")}
        async with self._session.request(
            method, self.relay + target, data=body or None, headers=sent
        ) as response:
            raw = await response.read()
            key = (method, target.split("?", 1)[0])
            return Answer(response.status, response.headers.get("Content-Type", ""), raw, key)


async def _read_request(
    reader: asyncio.StreamReader,
) -> tuple[str, str, dict[str, str], bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip()] = value.strip()
    length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), "0"))
    body = await reader.readexactly(length) if length else b""
    return method, target, headers, body


# -- the behaviours ---------------------------------------------------------------------------


def _send(data: bytes) -> Behaviour:
    async def behaviour(answer: Answer, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()

    return behaviour


def _then_close(make: Callable[[Answer], bytes]) -> Behaviour:
    async def behaviour(answer: Answer, writer: asyncio.StreamWriter) -> None:
        writer.write(make(answer))
        await writer.drain()
        writer.close()

    return behaviour


def _then_stall(make: Callable[[Answer], bytes]) -> Behaviour:
    async def behaviour(answer: Answer, writer: asyncio.StreamWriter) -> None:
        writer.write(make(answer))
        await writer.drain()

    return behaviour


async def _drip_headers(answer: Answer, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\n")
    for i in range(100_000):  # ends when the client gives up and the write fails
        writer.write(f"X-Drip-{i}: {'d' * 50}\r\n".encode())
        await writer.drain()
        await asyncio.sleep(0.001)


def _ok_status(answer: Answer) -> int:
    # A 2xx that may carry a body (a 204 may not).
    return 200 if answer.status == 204 else answer.status


def _typed(content_type: str, body: bytes) -> Callable[[Answer], bytes]:
    def make(answer: Answer) -> bytes:
        head = f"HTTP/1.1 {_ok_status(answer)} OK\r\nContent-Type: {content_type}\r\n"
        return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body

    return make


def _encoded(encoding: str, body: bytes) -> Callable[[Answer], bytes]:
    def make(answer: Answer) -> bytes:
        head = (
            f"HTTP/1.1 {_ok_status(answer)} OK\r\nContent-Type: application/json\r\n"
            f"Content-Encoding: {encoding}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    return make


def _chunked(chunks: bytes) -> Callable[[Answer], bytes]:
    def make(answer: Answer) -> bytes:
        head = (
            f"HTTP/1.1 {_ok_status(answer)} OK\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        )
        return head.encode() + chunks

    return make


def _head_only(answer: Answer) -> bytes:
    # The headers of an answer with a body (a 204 has none to wait for).
    length = len(answer.body) or 10
    return attrs.evolve(answer, status=_ok_status(answer)).head(**{"Content-Length": str(length)})


def _length(answer: Answer, delta: int) -> bytes:
    body = answer.body or b'{"a":1}'
    head = (
        f"HTTP/1.1 {_ok_status(answer)} OK\r\nContent-Type: {answer.content_type}\r\n"
        f"Content-Length: {len(body) + delta}\r\n\r\n"
    )
    return head.encode() + body


async def _short_length(answer: Answer, writer: asyncio.StreamWriter) -> None:
    """Content-Length says half the body: the client must stop there and find it cut.

    The rest follows a moment later, then the connection closes: the client, holding a
    complete (if truncated) answer, must not read the excess as its next answer.
    """
    body = answer.body or b'{"a":1}'
    half = len(body) // 2
    head = (
        f"HTTP/1.1 {_ok_status(answer)} OK\r\nContent-Type: {answer.content_type}\r\n"
        f"Content-Length: {half}\r\n\r\n"
    )
    writer.write(head.encode() + body[:half])
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.write(body[half:])
    writer.close()


def _big_json(size: int) -> bytes:
    # Valid JSON, so only the size can be what is refused.
    return b'{"list": [' + b'"x",' * (size // 4) + b'"x"], "total": 0}'


# Small bombs, still 128 times the cap: ~8 KiB that inflate to 8 MiB.
_BOMB = zlib.compress(b" " * (8 * 1024 * 1024), 9)
_GZIP_BOMB = gzip.compress(b"[" + b"0," * (4 * 1024 * 1024) + b"0]", 9)

#: name -> (behaviour, the error class the call must end with)
BEHAVIOURS: dict[str, tuple[Behaviour, type[mailseg.MailsegError]]] = {
    "closed before answering": (_then_close(lambda a: b""), mailseg.TransportError),
    "no answer at all": (_then_stall(lambda a: b""), mailseg.RequestTimeoutError),
    "not HTTP at all": (_send(b"SSH-2.0-OpenSSH_9.6\r\n"), mailseg.TransportError),
    "a garbage status line": (_send(b"HTTP/1.1 abc OK\r\n\r\n"), mailseg.TransportError),
    "headers that never end": (
        _then_stall(lambda a: b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"),
        mailseg.RequestTimeoutError,
    ),
    "headers that drip forever": (_drip_headers, mailseg.TransportError),
    "closed after the headers": (
        _then_close(lambda a: _head_only(a)),
        mailseg.TransportError,
    ),
    "stalled after the headers": (
        _then_stall(lambda a: _head_only(a)),
        mailseg.RequestTimeoutError,
    ),
    "Content-Length too long, then closed": (
        _then_close(lambda a: _length(a, +10)),
        mailseg.TransportError,
    ),
    "Content-Length too long, then stalled": (
        _then_stall(lambda a: _length(a, +10)),
        mailseg.RequestTimeoutError,
    ),
    "Content-Length too short": (_short_length, mailseg.UnexpectedResponseError),
    "Content-Length not a number": (
        _send(b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n{}"),
        mailseg.TransportError,
    ),
    "chunked, a bad chunk size": (
        _then_stall(_chunked(b"zz\r\n{}\r\n0\r\n\r\n")),
        mailseg.TransportError,
    ),
    "chunked, a chunk cut short": (
        _then_close(_chunked(b'40\r\n{"list": [\r\n')),
        mailseg.TransportError,
    ),
    "chunked, no last chunk": (
        _then_close(_chunked(b"2\r\n{}\r\n")),
        mailseg.TransportError,
    ),
    "an enormous header line": (
        _send(b"HTTP/1.1 200 OK\r\nX-Big: " + b"b" * (1024 * 1024) + b"\r\n\r\n{}"),
        mailseg.TransportError,
    ),
    "ten thousand headers": (
        _send(
            b"HTTP/1.1 200 OK\r\n"
            + b"".join(b"X-H-%d: v\r\n" % i for i in range(10_000))
            + b"Content-Length: 2\r\n\r\n{}"
        ),
        mailseg.TransportError,
    ),
    "a body over the size cap": (
        _then_stall(_typed("application/json", _big_json(CAP * 4))),
        mailseg.ResponseTooLargeError,
    ),
    "a body over the size cap, chunked": (
        _then_stall(_chunked(b"".join(b"%x\r\n%s\r\n" % (4096, b" " * 4096) for _ in range(64)))),
        mailseg.ResponseTooLargeError,
    ),
    "a deflate bomb": (
        _then_stall(_encoded("deflate", _BOMB)),
        mailseg.ResponseTooLargeError,
    ),
    "a gzip bomb": (
        _then_stall(_encoded("gzip", _GZIP_BOMB)),
        mailseg.ResponseTooLargeError,
    ),
    "a broken gzip body": (
        _then_stall(_encoded("gzip", b"\x1f\x8b not gzip after all")),
        mailseg.TransportError,
    ),
    "an unknown Content-Encoding": (
        _then_close(_encoded("x-mystery", b"\x8f\x03 packed somehow")),
        mailseg.UnexpectedResponseError,
    ),
}
#: A 2xx of every content type, each with a body typical of it (none is the provider's JSON).
CONTENT_TYPES = {
    "text/html; charset=utf-8": b"<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>",
    "text/plain": b"OK",
    "application/xml": b'<?xml version="1.0"?><result><count>1</count></result>',
    "text/xml": b"<error>gateway</error>",
    "application/octet-stream": bytes(range(256)),
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 16,
    "multipart/form-data; boundary=x": b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--",
    "application/x-www-form-urlencoded": b"count=1&total=2",
    "application/javascript": b"callback({})",
    "application/json; charset=utf-16": "{}".encode("utf-16"),
    "application/json": b"\xff\xfe\xfd not UTF-8",
    "": b"\x00\x01\x02",
}
for _type, _body in CONTENT_TYPES.items():
    BEHAVIOURS[f"a 2xx as {_type or 'no content type'}"] = (
        _then_close(_typed(_type, _body)),
        mailseg.UnexpectedResponseError,
    )

# SendCloud's deletes answer 204 with no body: a short Content-Length cannot cut one.
_NO_BODY = {("sendcloud", "segments.delete"), ("sendcloud", "tags.delete")}


# -- fixtures ---------------------------------------------------------------------------------


@attrs.frozen
class Hostile:
    server: HostileServer
    ids: Ids
    provider: str
    #: operation -> the (method, path) of its request
    keys: dict[str, tuple[str, str]]


@pytest.fixture(params=PROVIDERS)
async def hostile(request: pytest.FixtureRequest) -> AsyncIterator[Hostile]:
    """A hostile server holding the real answer of every operation of one provider."""
    provider = request.param
    async with Emulator(provider, contacts=20, seed=3, processing_polls=0) as emu:
        async with emu.client() as client:
            segment = await client.segments.create("target", mailseg.field("Age") >= 1)
            tag = await client.tags.create("target")
        ids = Ids(segment.id, tag.id, emu.contacts[0].id)
        server = HostileServer(emu.base_url)
        await server.start()
        try:
            # Record each operation's real answer once (the emulator's state moves on).
            keys = {}
            for op, call in operations(ids).items():
                before = set(server.answers)
                async with _client(provider, server) as client:
                    await call(client)
                (keys[op],) = set(server.answers) - before
                assert 200 <= server.answers[keys[op]].status < 300
            yield Hostile(server, ids, provider, keys)
        finally:
            await server.close()


def _client(provider: str, server: HostileServer, timeout: float = TIMEOUT) -> mailseg.Client:
    return mailseg.connect(
        provider,
        api_user=API_USER,
        api_key=API_KEY,
        base_url=server.base_url,
        timeout=timeout,
        max_retries=0,
        max_response_bytes=CAP,
    )


def _unwrap(error: BaseException) -> BaseException:
    """A bulk call reports its chunk's error inside a BulkError."""
    if isinstance(error, mailseg.BulkError):
        assert len(error.result.failed) == 1
        return error.result.failed[0].error
    return error


async def _fails(call: Operation, client: mailseg.Client, expected: type[Exception]) -> None:
    try:
        await asyncio.wait_for(call(client), HANG_GUARD)
    except mailseg.MailsegError as exc:
        raised: mailseg.MailsegError = exc
        error = _unwrap(exc)
    except asyncio.TimeoutError:  # the guard's, not a mailseg RequestTimeoutError
        raise AssertionError("the client's timeout did not end the call") from None
    else:
        raise AssertionError("the call succeeded")
    assert isinstance(error, expected), repr(error)
    for obj in reachable(raised):
        text = f"{obj!r} {obj}"
        assert not any(secret in text for secret in SECRETS), type(obj)


async def _nothing_left(server: HostileServer, tasks_before: set[asyncio.Task[Any]]) -> None:
    for _ in range(300):
        if server.open == 0:
            break
        await asyncio.sleep(0.01)
    assert server.open == 0, f"{server.open} connection(s) left open"
    current = asyncio.current_task()
    left = {t for t in asyncio.all_tasks() if t not in tasks_before and t is not current}
    assert not left, left


# -- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BEHAVIOURS))
async def test_every_operation_ends_in_the_right_mailseg_error(hostile: Hostile, name: str) -> None:
    server, ids, provider = hostile.server, hostile.ids, hostile.provider
    behaviour, expected = BEHAVIOURS[name]
    calls = operations(ids)
    if name == "Content-Length too short":
        calls = {op: call for op, call in calls.items() if (provider, op) not in _NO_BODY}
    tasks_before = set(asyncio.all_tasks())
    timeout = TIMEOUT if expected is mailseg.RequestTimeoutError else SLACK_TIMEOUT
    clients = {op: _client(provider, server, timeout) for op in calls}
    try:
        server.behaviour = behaviour
        outcomes = await asyncio.gather(
            *(_fails(call, clients[op], expected) for op, call in calls.items()),
            return_exceptions=True,
        )
        failed = {op: o for op, o in zip(calls, outcomes, strict=True) if o is not None}
        assert not failed, failed
        # The same clients (the same pools), answered properly now: no broken connection
        # was kept. Their short timeout is for the hostile answers; a loaded machine may
        # take longer than that to serve fourteen proper ones.
        server.behaviour = None
        patient = {op: client.with_options(timeout=HANG_GUARD) for op, client in clients.items()}
        await asyncio.gather(*(call(patient[op]) for op, call in calls.items()))
    finally:
        server.behaviour = None
        for client in clients.values():
            await client.close()
    await _nothing_left(server, tasks_before)


@pytest.mark.slow
async def test_an_answer_cut_at_any_byte_is_a_transport_error(
    hostile: Hostile,
) -> None:
    """Every operation's real answer, cut after each of its bytes in turn, then closed."""
    server, ids, provider = hostile.server, hostile.ids, hostile.provider

    async def cut(answer: Answer, writer: asyncio.StreamWriter) -> None:
        writer.write(answer.whole()[: server.cuts[answer.key]])
        await writer.drain()
        writer.close()

    async def every_cut(op: str, call: Operation) -> int:
        async with _client(provider, server) as client:
            key = hostile.keys[op]
            whole = server.answers[key].whole()
            for at in range(len(whole)):
                server.cuts[key] = at
                await _fails(call, client, mailseg.TransportError)
            return len(whole)

    tasks_before = set(asyncio.all_tasks())
    server.behaviour = cut
    try:
        sizes = await asyncio.gather(*(every_cut(op, c) for op, c in operations(ids).items()))
    finally:
        server.behaviour = None
    # A status line and headers at least (SendCloud's 204 has nothing more), each cut.
    assert min(sizes) >= len(b"HTTP/1.1 204 Whatever\r\n\r\n")
    await _nothing_left(server, tasks_before)
