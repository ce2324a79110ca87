"""The servers the benchmarks talk to, each run in its own process.

    python -m bench._server fixed [--engine raw|aiohttp]
    python -m bench._server count [--latency S]
    python -m bench._server emulator --provider engagelab --contacts N [--latency S] [--ids-file F]

Each prints one JSON line (``base_url``, and the credentials for the emulator) once it
listens on 127.0.0.1, then serves until its stdin closes (the parent exited or is done)
or it gets SIGTERM.

``fixed`` answers every request with a fixed body chosen by its path (`bench._bodies`:
a segment detail or a tag list of either dialect, an EngageLab member page): ``raw`` is a
bare asyncio protocol (a few µs per request, so the client's cost dominates what is
measured), ``aiohttp`` an ``aiohttp.web`` application (what a Python server costs).
``count`` answers tagging requests with ``{"count": <ids sent>}`` after ``--latency``
seconds, from a bare asyncio protocol: a latency-only server that costs next to no CPU.
``emulator`` serves ``mailseg.testing.Emulator`` through its public API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import threading
from email.utils import formatdate
from pathlib import Path
from typing import ClassVar

from bench._bodies import answer_for


def _fixed_response(body: bytes) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Date: {formatdate(usegmt=True)}\r\n"
        "Server: bench\r\n"
        "\r\n"
    )
    return head.encode() + body


class _FixedProtocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive: every complete request gets the fixed answer of its path."""

    responses: ClassVar[dict[int, bytes]] = {}
    latency = 0.0

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            length = 0
            lines = bytes(buffer[:end]).split(b"\r\n")
            target = lines[0].split(b" ")[1] if lines[0].count(b" ") >= 2 else b"/"
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            total = end + 4 + length
            if len(buffer) < total:
                return
            body = bytes(buffer[end + 4 : total])
            del buffer[:total]
            assert self.transport is not None
            answer = self.answer(target, body)
            if self.latency:
                self.loop.call_later(self.latency, self.transport.write, answer)
            else:
                self.transport.write(answer)

    def answer(self, target: bytes, body: bytes) -> bytes:
        # The bodies are module constants: one ready response per body.
        body = answer_for(target.decode())
        response = self.responses.get(id(body))
        if response is None:
            response = self.responses[id(body)] = _fixed_response(body)
        return response


class _CountProtocol(_FixedProtocol):
    """Answers a tagging request with EngageLab's ``{"count": N}``, N the ids sent.

    The ids are counted, not parsed (``","`` separators + 1), so that the server costs
    a few µs per request and the client is what the measurement shows.
    """

    def answer(self, target: bytes, body: bytes) -> bytes:
        count = body.count(b'","') + 1 if b'"member_ids":["' in body else 0
        payload = b'{"count":%d}' % count
        return (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
            b"Content-Length: %d\r\nServer: bench\r\n\r\n" % len(payload)
        ) + payload


async def _serve_raw(protocol: type[_FixedProtocol], latency: float, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    protocol.latency = latency
    server = await loop.create_server(protocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _announce(
        {
            "base_url": f"http://127.0.0.1:{port}",
            "engine": "raw asyncio protocol",
            "latency": latency,
            "api_user": "bench_user",
            "api_key": "bench-key-not-a-secret",
        }
    )
    async with server:
        await stop.wait()


async def _serve_fixed(engine: str, stop: asyncio.Event) -> None:
    if engine == "raw":
        await _serve_raw(_FixedProtocol, 0.0, stop)
        return
    from aiohttp import web

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        body = answer_for(request.path_qs)
        return web.Response(body=body, content_type="application/json", charset="utf-8")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    _announce({"base_url": f"http://127.0.0.1:{port}", "engine": "aiohttp.web"})
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def _serve_emulator(args: argparse.Namespace, stop: asyncio.Event) -> None:
    from mailseg.testing import Emulator, Faults

    emulator = Emulator(
        args.provider,
        contacts=args.contacts,
        seed=args.seed,
        processing_polls=0,
        faults=Faults(latency=args.latency),
        max_recorded=args.max_recorded,
    )
    if args.ids_file:
        ids = "\n".join(contact.id for contact in emulator.contacts)
        await asyncio.to_thread(Path(args.ids_file).write_text, ids, encoding="utf-8")
    async with emulator:
        _announce(
            {
                "base_url": emulator.base_url,
                "provider": emulator.provider,
                "contacts": len(emulator.contacts),
                "latency": args.latency,
                **emulator.credentials,
            }
        )
        await stop.wait()


def _announce(info: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()


async def _main(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    def watch_stdin() -> None:
        # The parent closes our stdin when it is done (or dies): stop then.
        while sys.stdin.readline():
            pass
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    if args.mode == "fixed":
        await _serve_fixed(args.engine, stop)
    elif args.mode == "count":
        await _serve_raw(_CountProtocol, args.latency, stop)
    else:
        await _serve_emulator(args, stop)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._server")
    sub = parser.add_subparsers(dest="mode", required=True)
    fixed = sub.add_parser("fixed")
    fixed.add_argument("--engine", choices=("raw", "aiohttp"), default="raw")
    count = sub.add_parser("count")
    count.add_argument("--latency", type=float, default=0.0)
    emulator = sub.add_parser("emulator")
    emulator.add_argument("--provider", choices=("sendcloud", "engagelab"), default="engagelab")
    emulator.add_argument("--contacts", type=int, default=1000)
    emulator.add_argument("--seed", type=int, default=7)
    emulator.add_argument("--latency", type=float, default=0.0)
    emulator.add_argument("--max-recorded", type=int, default=16)
    emulator.add_argument("--ids-file", default=None)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
