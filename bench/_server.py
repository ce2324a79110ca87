"""The servers the benchmarks talk to, each run in its own process.

    python -m bench._server fixed [--engine raw|aiohttp]
    python -m bench._server count [--latency S]
    python -m bench._server emulator --provider engagelab --contacts N [--latency S] [--ids-file F]

Each prints one JSON line (``base_url``, and the credentials for the emulator) once it
listens on 127.0.0.1, then serves until its stdin closes (the parent exited or is done)
or it gets SIGTERM.

``fixed`` answers every request with the same EngageLab segment detail: ``raw`` is a
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

#: A segment as EngageLab's detail answer shows it (docs example, strict JSON).
SEGMENT_DETAIL = {
    "result": {
        "segment_id": "6566f6392c16e71300b1b1e9",
        "user_id": 104201,
        "segment_name": "MyCustomField",
        "relation": "and",
        "type": 0,
        "list_id": 96112,
        "status": "2",
        "create_time": "2023-11-29 16:28:41+0800",
        "update_time": "2023-11-29 16:33:58+0800",
        "member_total": 1,
        "condition": {
            "relation": "and",
            "items": [
                {
                    "campaign_id": None,
                    "field_name": "CustomField",
                    "op": "contain",
                    "value": "CustomField",
                }
            ],
        },
        "process": {"statusDesc": "segmentation completed", "complete": True, "percent": 100},
    }
}
SEGMENT_BODY = json.dumps(SEGMENT_DETAIL, separators=(",", ":")).encode()
SEGMENT_ID = "6566f6392c16e71300b1b1e9"  # the detail's segment_id


def _fixed_response() -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(SEGMENT_BODY)}\r\n"
        f"Date: {formatdate(usegmt=True)}\r\n"
        "Server: bench\r\n"
        "\r\n"
    )
    return head.encode() + SEGMENT_BODY


class _FixedProtocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive: every complete request gets the same answer."""

    response = _fixed_response()
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
            for line in bytes(buffer[:end]).split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            total = end + 4 + length
            if len(buffer) < total:
                return
            body = bytes(buffer[end + 4 : total])
            del buffer[:total]
            assert self.transport is not None
            answer = self.answer(body)
            if self.latency:
                self.loop.call_later(self.latency, self.transport.write, answer)
            else:
                self.transport.write(answer)

    def answer(self, body: bytes) -> bytes:
        return self.response


class _CountProtocol(_FixedProtocol):
    """Answers a tagging request with EngageLab's ``{"count": N}``, N the ids sent.

    The ids are counted, not parsed (``","`` separators + 1), so that the server costs
    a few µs per request and the client is what the measurement shows.
    """

    def answer(self, body: bytes) -> bytes:
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
        return web.Response(body=SEGMENT_BODY, content_type="application/json", charset="utf-8")

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
