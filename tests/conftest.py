"""Shared test fixtures: a loopback HTTP server that records what the SDK sends.

`wire` answers each request with the next scripted reply and keeps every
request exactly as it arrived (method, raw path, query, headers, body bytes),
so tests assert on the bytes on the wire rather than on a mock's view of them.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import mailseg

API_USER = "api_user"
API_KEY = "api_key"
# base64("api_user:api_key"), the token both providers' examples show.
SEED_TOKEN = "YXBpX3VzZXI6YXBpX2tleQ=="

if TYPE_CHECKING:
    from tests.jobs.processes import RedisServer


@attrs.frozen
class Reply:
    """One scripted answer: status, body (bytes, str, or JSON-able), headers."""

    status: int = 200
    body: Any = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    reset: bool = False  # close the connection instead of answering
    delay: float = 0.0  # seconds to wait before answering

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, ensure_ascii=False).encode()


@attrs.frozen
class Seen:
    """One request as the server received it."""

    method: str
    raw_path: str  # path and query, as sent (percent-encoding intact)
    path: str  # raw path without the query
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Wire:
    """The recording server's handle: script replies, read requests."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[Seen] = []
        self.base_url = ""
        self.in_flight = 0
        self.max_in_flight = 0
        self.default: Reply | None = None  # answers when the script is empty

    def reply(self, status: int = 200, body: Any = b"", **headers: str) -> None:
        self.replies.append(Reply(status, body, headers))

    def reset(self) -> None:
        self.replies.append(Reply(reset=True))

    def slow(self, delay: float, status: int = 200, body: Any = b"") -> None:
        self.replies.append(Reply(status, body, delay=delay))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        raw_path, _, _ = request.raw_path.partition("?")
        self.requests.append(
            Seen(
                method=request.method,
                raw_path=request.raw_path,
                path=raw_path,
                query=tuple(request.query.items()),
                headers=dict(request.headers),
                body=body,
            )
        )
        if self.replies:
            reply = self.replies.pop(0)
        elif self.default is not None:
            reply = self.default
        else:
            return web.Response(status=599, text="no scripted reply left")
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.reset:
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)  # never reaches the client
        content_type = reply.headers.get("Content-Type", "application/json")
        headers = {k: v for k, v in reply.headers.items() if k != "Content-Type"}
        response = web.Response(status=reply.status, body=reply.encoded(), headers=headers)
        if reply.encoded() and reply.status != 204:
            response.content_type = content_type.split(";")[0]
        return response

    def client(self, provider: str | type[Any], **options: Any) -> mailseg.Client:
        settings: dict[str, Any] = {"api_user": API_USER, "api_key": API_KEY, "max_retries": 0}
        settings.update(options)
        return mailseg.connect(provider, base_url=self.base_url, **settings)


@pytest.fixture
async def wire() -> AsyncIterator[Wire]:
    state = Wire()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", state.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state.base_url = str(server.make_url("")).rstrip("/")
    try:
        yield state
    finally:
        await server.close()


class ThreadedEmulator:
    """An emulator serving from its own event loop thread, for blocking callers.

    A sync client (or a framework's sync test client) blocks the thread it is
    called from, so the emulator cannot share that thread's loop.
    """

    def __init__(self, provider: str, **options: Any) -> None:
        from mailseg.testing import Emulator

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.emulator = Emulator(provider, **options)
        self.run(self.emulator.start())

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.run(self.emulator.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


@pytest.fixture(params=["sendcloud", "engagelab"])
def threaded_emulator(request: pytest.FixtureRequest) -> Iterator[ThreadedEmulator]:
    emulator = ThreadedEmulator(request.param, contacts=300, seed=5, processing_polls=0)
    try:
        yield emulator
    finally:
        emulator.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A real redis-server of the test's own, on a free loopback port, stopped after it."""
    from tests.jobs.processes import RedisServer

    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder)
    server.start()
    yield server
    server.stop()
