"""Benchmark 2: tagging a million distinct ids at concurrency 16, beside bare aiohttp and the floor.

``await client.tags.add_members(tag_id, ids)``: 1,000 requests of 1,000 distinct ids
(EngageLab dialect) against a latency-only server in its own process (``python -m
bench._server count``: a bare asyncio protocol that answers ``{"count": <ids sent>}``
20 ms after each request, a few µs of CPU each). At concurrency 16 the requests go in
waves of 16: the ideal is ceil(1000 / 16) = 63 whole waves x 20 ms = 1.26 s.

Side by side, in rotating order every round, on the same ids:

* mailseg given a list, and given a generator (each chunk checked as it is taken);
* a hand-written bare aiohttp job: 16 workers on one ``ClientSession``, each sending the
  next 1,000 ids with ``json.dumps``, reading ``{"count"}`` with ``json.loads``;
* the floor: a raw asyncio protocol client, 16 keep-alive connections writing
  pre-framed HTTP/1.1 requests (body encoded with msgspec) and reading the count
  out of the answer: what the event loop, the sockets and the server allow;
* a sequential mailseg client (``max_concurrency=1``) over the first 100 requests,
  extrapolated to 1,000 (each request is one 20 ms wait plus a constant cost).

Then mailseg's bulk machinery alone (``mailseg._bulk.run_bulk`` with a send that returns
at once) and the encoding of one chunk show the client's own CPU cost.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import time
import timeit
from collections.abc import Sequence
from urllib.parse import urlsplit

import aiohttp
import msgspec

import mailseg
from bench._figures import median, ms, quantile, s, us
from bench._processes import Server, server_process
from bench._results import Result, Target

LATENCY = 0.02
CONCURRENCY = 16
CHUNK = 1000
TARGET_BARE_RATIO = 1.00
TARGET_SEQUENTIAL_FACTOR = 12.0
TAG_ID = "bench_tag"

LIST = "mailseg, list, max_concurrency=16"
GENERATOR = "mailseg, generator, max_concurrency=16"
BARE = "bare aiohttp, 16 workers, json.dumps"
FLOOR = "raw asyncio protocol client, 16 connections (floor)"
SEQUENTIAL = "mailseg, list, max_concurrency=1"


def distinct_ids(n: int) -> list[str]:
    """``n`` distinct 24-character hex ids, as both providers write them."""
    return [f"{6566 * 10**20 + i:024x}" for i in range(n)]


async def _bare_job(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], ids: Sequence[str]
) -> int:
    """16 workers, each sending the next 1000 ids until none are left."""
    chunks = [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]
    position = 0
    counted = 0

    async def worker() -> None:
        nonlocal position, counted
        while position < len(chunks):
            chunk = chunks[position]
            position += 1
            data = json.dumps({"member_ids": list(chunk)}, separators=(",", ":")).encode()
            async with session.post(url, data=data, headers=headers) as response:
                body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
            counted += json.loads(body)["count"]

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return counted


class _FloorConnection(asyncio.Protocol):
    """One keep-alive connection: write a request, wait for its whole answer."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[bytes] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None:
            return
        head = bytes(self.buffer[:end]).lower()
        start = head.find(b"content-length:")
        length = int(head[start + 15 :].split(b"\r\n", 1)[0])
        if len(self.buffer) < end + 4 + length:
            return
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        waiter, self.waiter = self.waiter, None
        waiter.set_result(body)

    async def exchange(self, request: bytes) -> bytes:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


async def _floor_job(
    connections: list[_FloorConnection], url: str, headers: dict[str, str], ids: Sequence[str]
) -> int:
    """The same job over raw connections: the cost of the loop and sockets alone."""
    parts = urlsplit(url)
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    ).encode()
    encode = msgspec.json.encode
    position = 0
    counted = 0

    async def worker(connection: _FloorConnection) -> None:
        nonlocal position, counted
        while position < len(ids):
            chunk = ids[position : position + CHUNK]
            position += CHUNK
            body = encode({"member_ids": chunk})
            request = head + b"Content-Length: %d\r\n\r\n" % len(body) + body
            answer = await connection.exchange(request)
            counted += json.loads(answer)["count"]

    await asyncio.gather(*(worker(connection) for connection in connections))
    return counted


def _counted(result: mailseg.BulkResult, chunks: int, ids: int) -> int:
    if not result.ok or result.chunks != chunks or result.requested != ids:
        raise RuntimeError(f"unexpected bulk result {result!r:.300}")
    return result.succeeded


async def _machinery(ids: list[str]) -> dict[str, float]:
    """mailseg's bulk loop with an instant send: its own CPU cost, list and generator."""
    from mailseg._bulk import _check_whole, run_bulk
    from mailseg._transport import _encode

    async def send(chunk: Sequence[str]) -> int:
        return len(chunk)

    out = {}
    for label, source in (("list", lambda: ids), ("generator", lambda: iter(ids))):
        started = time.process_time()
        result = await run_bulk(source(), send, max_concurrency=CONCURRENCY)
        out[label] = time.process_time() - started
        assert result.succeeded == len(ids)
    started = time.process_time()
    _check_whole(ids, "member_ids")
    out["list check"] = time.process_time() - started
    chunk = {"member_ids": ids[:CHUNK]}
    for label, encode in (
        ("encode mailseg", lambda: _encode(chunk)),
        ("encode json.dumps", lambda: json.dumps(chunk, separators=(",", ":")).encode()),
    ):
        timer = timeit.Timer(encode)
        out[label] = min(timer.repeat(repeat=5, number=200)) / 200
    return out


async def _run(
    server: Server, n: int, seq_requests: int, rounds: int
) -> tuple[dict[str, dict[str, list[float]]], dict[str, float]]:
    info = server.info
    credentials = {"api_user": info["api_user"], "api_key": info["api_key"]}
    concurrent = mailseg.connect(
        "engagelab", base_url=server.base_url, max_concurrency=CONCURRENCY, **credentials
    )
    sequential = mailseg.connect(
        "engagelab", base_url=server.base_url, max_concurrency=1, **credentials
    )
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30.0))
    loop = asyncio.get_running_loop()
    parts = urlsplit(server.base_url)
    connections = []
    for _ in range(CONCURRENCY):
        _transport, protocol = await loop.create_connection(
            _FloorConnection, parts.hostname, parts.port
        )
        connections.append(protocol)
    try:
        ids = distinct_ids(n)
        requests = math.ceil(n / CHUNK)
        seq_ids = ids[: seq_requests * CHUNK]
        token = base64.b64encode(f"{info['api_user']}:{info['api_key']}".encode()).decode()
        headers = {
            "Authorization": f"Basic {token}",
            "Accept": "application/json",
            "User-Agent": f"mailseg/{mailseg.__version__}",
            "Content-Type": "application/json; charset=utf-8",
        }
        url = f"{server.base_url}/v1/marketing/lists/tags/{TAG_ID}/add"

        async def m_list() -> int:
            return _counted(await concurrent.tags.add_members(TAG_ID, ids), requests, n)

        async def m_gen() -> int:
            return _counted(await concurrent.tags.add_members(TAG_ID, iter(ids)), requests, n)

        async def bare() -> int:
            return await _bare_job(session, url, headers, ids)

        async def floor() -> int:
            return await _floor_job(connections, url, headers, ids)

        async def m_seq() -> int:
            result = await sequential.tags.add_members(TAG_ID, seq_ids)
            return _counted(result, seq_requests, len(seq_ids))

        jobs = {
            LIST: (m_list, n),
            GENERATOR: (m_gen, n),
            BARE: (bare, n),
            FLOOR: (floor, n),
            SEQUENTIAL: (m_seq, len(seq_ids)),
        }
        # Warm up: connections, hooks, the server's code paths.
        warm = ids[: CONCURRENCY * CHUNK]
        await concurrent.tags.add_members(TAG_ID, warm)
        await _bare_job(session, url, headers, warm)
        await _floor_job(connections, url, headers, warm)
        figures: dict[str, dict[str, list[float]]] = {
            name: {"wall": [], "client_cpu": [], "server_cpu": []} for name in jobs
        }
        names = list(jobs)
        for index in range(rounds):
            order = names[index % len(names) :] + names[: index % len(names)]
            for name in order:
                job, expected = jobs[name]
                cpu, server_cpu = time.process_time(), server.cpu()
                started = time.perf_counter()
                counted = await job()
                wall = time.perf_counter() - started
                figures[name]["wall"].append(wall)
                figures[name]["client_cpu"].append(time.process_time() - cpu)
                figures[name]["server_cpu"].append(server.cpu() - server_cpu)
                if counted != expected:
                    raise RuntimeError(f"{name}: the server counted {counted} of {expected} ids")
        machinery = await _machinery(ids)
        return figures, machinery
    finally:
        await concurrent.close()
        await sequential.close()
        await session.close()
        for connection in connections:
            if connection.transport is not None:
                connection.transport.close()


def run(quick: bool = False) -> Result:
    n = 200_000 if quick else 1_000_000
    seq_requests = 25 if quick else 100
    rounds = 2 if quick else 7
    requests = math.ceil(n / CHUNK)
    waves = math.ceil(requests / CONCURRENCY)
    ideal = waves * LATENCY
    started = time.perf_counter()
    result = Result(
        key="bulk",
        title=f"2. Bulk throughput: `tags.add_members` of {n:,} distinct ids "
        f"({requests:,} requests of {CHUNK:,}) at concurrency {CONCURRENCY}",
        setup=(
            "A latency-only server in its own process (`python -m bench._server count`: a "
            'bare asyncio protocol that answers `{"count": <ids sent>}` '
            f"{LATENCY * 1000:.0f} ms after each request, a few µs of CPU per request). "
            f"{n:,} distinct 24-character hex ids. {rounds} rounds, the five jobs in rotating "
            f"order; medians, and the median of the per-round ratios. Ideal: {requests} "
            f"requests in waves of {CONCURRENCY} = {waves} whole waves x "
            f"{LATENCY * 1000:.0f} ms = {ideal:.2f} s. Bare aiohttp: {CONCURRENCY} workers on "
            "one `ClientSession`, the same headers, `json.dumps` of each chunk, `json.loads` "
            f"of each answer. The floor: {CONCURRENCY} raw keep-alive connections "
            "(`asyncio.Protocol`), pre-framed HTTP/1.1 requests, bodies encoded by msgspec. "
            f"The sequential client sends the first {seq_requests} requests only; its time is "
            f"extrapolated x{requests / seq_requests:g}. Client CPU is this process's "
            "user+system time; server CPU the server process's."
        ),
        columns=(
            "job",
            "requests",
            "wall (median)",
            "vs ideal",
            "vs bare (round ratios p10-median-p90)",
            "per request",
            "client CPU",
            "server CPU",
        ),
    )
    with server_process("count", "--latency", str(LATENCY)) as server:
        figures, machinery = asyncio.run(_run(server, n, seq_requests, rounds))
    walls = {name: median(f["wall"]) for name, f in figures.items()}
    round_ratios: dict[str, list[float]] = {}
    for name, f in figures.items():
        is_seq = name == SEQUENTIAL
        n_requests = seq_requests if is_seq else requests
        ideal_here = (seq_requests if is_seq else waves) * LATENCY
        wall = walls[name]
        ratios = [x / y for x, y in zip(f["wall"], figures[BARE]["wall"], strict=True)]
        round_ratios[name] = ratios
        versus = (
            ""
            if is_seq or name == BARE
            else f"{quantile(ratios, 0.1):.3f}-{median(ratios):.3f}-{quantile(ratios, 0.9):.3f}x"
        )
        result.rows.append(
            (
                name,
                f"{n_requests:,}",
                s(wall),
                f"{wall / ideal_here:.3f}x",
                versus,
                f"{wall / n_requests * 1000:.2f} ms",
                s(median(f["client_cpu"])),
                s(median(f["server_cpu"])),
            )
        )
    seq = walls[SEQUENTIAL] * requests / seq_requests
    result.rows.append(
        (
            f"{SEQUENTIAL}, extrapolated",
            f"{requests:,}",
            s(seq),
            f"{seq / (requests * LATENCY):.3f}x",
            "",
            f"{seq / requests * 1000:.2f} ms",
            "",
            "",
        )
    )
    bare = walls[BARE]
    for name in (LIST, GENERATOR):
        wall = walls[name]
        result.targets.append(
            Target(
                f"{name.split(',')[1].strip()} input vs the bare aiohttp job",
                f"<= {TARGET_BARE_RATIO:.2f}x bare ({bare:.2f} s)",
                f"{wall:.2f} s = {wall / bare:.3f}x (median round ratio "
                f"{median(round_ratios[name]):.3f}x; ideal {ideal:.2f} s, floor "
                f"{walls[FLOOR]:.2f} s)",
                wall <= TARGET_BARE_RATIO * bare,
            )
        )
    primary = walls[LIST]
    result.targets.append(
        Target(
            "sequential client slower",
            f">= {TARGET_SEQUENTIAL_FACTOR:g}x the concurrent job",
            f"{seq / primary:.1f}x ({seq:.2f} s extrapolated from {seq_requests} requests)",
            seq / primary >= TARGET_SEQUENTIAL_FACTOR,
        )
    )
    result.notes.append(
        f"Against the ideal ({ideal:.2f} s): mailseg {primary / ideal:.3f}x (list), "
        f"{walls[GENERATOR] / ideal:.3f}x (generator); bare aiohttp {bare / ideal:.3f}x; the "
        f"floor {walls[FLOOR] / ideal:.3f}x. Client CPU per job: mailseg "
        f"{s(median(figures[LIST]['client_cpu']))}, bare {s(median(figures[BARE]['client_cpu']))}"
        f", floor {s(median(figures[FLOOR]['client_cpu']))}."
    )
    result.details.append(
        (
            f"mailseg's bulk loop alone (`mailseg._bulk.run_bulk`, {n:,} ids, a send that "
            "returns at once), and one chunk's body encoded: client CPU",
            "\n".join(
                [
                    f"list input      {ms(machinery['list'])}  (includes the up-front check of "
                    "the whole list, before the first request)",
                    f"generator input {ms(machinery['generator'])}  (each chunk checked as it "
                    "is taken)",
                    f"list check      {ms(machinery['list check'])}  (`mailseg._bulk._check_whole`:"
                    " `str.join`, `all`, `isascii`, timed alone)",
                    f"encode 1,000 ids: mailseg (msgspec) {us(machinery['encode mailseg'])}, "
                    f"json.dumps {us(machinery['encode json.dumps'])}",
                ]
            ),
        )
    )
    result.data = {
        "walls_s": walls,
        "figures": figures,
        "round_ratios_vs_bare": round_ratios,
        "sequential_extrapolated_s": seq,
        "machinery": machinery,
        "ideal_s": ideal,
        "waves": waves,
        "requests": requests,
        "seq_requests": seq_requests,
    }
    result.seconds = time.perf_counter() - started
    return result
