"""Benchmark 2: tagging a million ids, concurrently and sequentially, against the emulator.

``await client.tags.add_members(tag_id, ids)``: 1,000 requests of 1,000 ids against
``mailseg.testing.Emulator`` (EngageLab dialect) run in its own process with 20 ms added
to every answer. With ``max_concurrency=16`` the ideal is requests / 16 x 20 ms = 1.25 s.
The same job through a sequential client (``max_concurrency=1``) runs fewer requests and
is extrapolated linearly (each request is one 20 ms wait plus a constant cost).

Side by side, in alternating order every round: mailseg given a list, mailseg given a
generator over the same list (no up-front check of the whole input), bare aiohttp with
16 workers sending the same bodies (what the emulator and the loop allow), and the
sequential client. Then mailseg's bulk machinery alone (``mailseg._bulk.run_bulk`` with a
send that returns at once) shows the client's own CPU cost per million ids.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import tempfile
import time
from collections.abc import Sequence
from typing import Any

import aiohttp

import mailseg
from bench._figures import median, s
from bench._processes import Server, server_process
from bench._results import Result, Target

LATENCY = 0.02
CONCURRENCY = 16
CHUNK = 1000
TARGET_IDEAL_RATIO = 1.10
TARGET_SEQUENTIAL_FACTOR = 12.0


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


def _counted(result: mailseg.BulkResult, chunks: int, ids: int) -> int:
    if not result.ok or result.chunks != chunks or result.requested != ids:
        raise RuntimeError(f"unexpected bulk result {result!r:.300}")
    return result.succeeded


async def _machinery(ids: list[str]) -> dict[str, float]:
    """mailseg's bulk loop with an instant send: its own CPU cost, list and generator."""
    from mailseg._bulk import _plainly_valid, run_bulk

    async def send(chunk: Sequence[str]) -> int:
        return len(chunk)

    out = {}
    for label, source in (("list", lambda: ids), ("generator", lambda: iter(ids))):
        started = time.process_time()
        result = await run_bulk(source(), send, max_concurrency=CONCURRENCY)
        out[label] = time.process_time() - started
        assert result.succeeded == len(ids)
    # The up-front check of a list alone (`str.join` + `all`; the per-index loop that
    # names a bad id runs only when this fails).
    started = time.process_time()
    ok = _plainly_valid(ids)
    out["list check"] = time.process_time() - started
    assert ok
    return out


async def _run(
    server: Server, pool: list[str], requests: int, seq_requests: int, rounds: int, emulated: bool
) -> dict[str, Any]:
    info = server.info
    credentials = {"api_user": info["api_user"], "api_key": info["api_key"]}
    concurrent = mailseg.connect(
        "engagelab", base_url=server.base_url, max_concurrency=CONCURRENCY, **credentials
    )
    sequential = mailseg.connect(
        "engagelab", base_url=server.base_url, max_concurrency=1, **credentials
    )
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30.0))
    try:
        # The emulator needs a real tag; the count server takes any id.
        tag_id = (await concurrent.tags.create("bench_bulk")).id if emulated else "bench_tag"
        n = requests * CHUNK
        # Chunk k holds pool[k*1000 .. k*1000+999] (wrapping): 1000 distinct existing
        # contacts per request, so the emulator counts every id.
        ids = [pool[i % len(pool)] for i in range(n)]
        seq_ids = ids[: seq_requests * CHUNK]
        token = base64.b64encode(f"{info['api_user']}:{info['api_key']}".encode()).decode()
        headers = {
            "Authorization": f"Basic {token}",
            "Accept": "application/json",
            "User-Agent": f"mailseg/{mailseg.__version__}",
            "Content-Type": "application/json; charset=utf-8",
        }
        url = f"{server.base_url}/v1/marketing/lists/tags/{tag_id}/add"

        async def m_list() -> int:
            return _counted(await concurrent.tags.add_members(tag_id, ids), requests, n)

        async def m_gen() -> int:
            return _counted(await concurrent.tags.add_members(tag_id, iter(ids)), requests, n)

        async def bare() -> int:
            return await _bare_job(session, url, headers, ids)

        async def m_seq() -> int:
            result = await sequential.tags.add_members(tag_id, seq_ids)
            return _counted(result, seq_requests, len(seq_ids))

        jobs = {
            "mailseg, list, max_concurrency=16": (m_list, n),
            "mailseg, generator, max_concurrency=16": (m_gen, n),
            "bare aiohttp, 16 workers": (bare, n),
            "mailseg, list, max_concurrency=1": (m_seq, len(seq_ids)),
        }
        # Warm up: connections, hooks, the emulator's code paths.
        await concurrent.tags.add_members(tag_id, ids[: CONCURRENCY * CHUNK])
        await _bare_job(session, url, headers, ids[: CONCURRENCY * CHUNK])
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
                    raise RuntimeError(f"{name}: the emulator counted {counted} of {expected} ids")
        machinery = await _machinery(ids)
        return {"figures": figures, "machinery": machinery, "n": n}
    finally:
        await concurrent.close()
        await sequential.close()
        await session.close()


SERVERS = {
    "emulator": "emulator (EngageLab dialect)",
    "count": "latency-only server",
}


def _serve(kind: str, contacts: int, tmp: str) -> tuple[Any, str | None]:
    if kind == "emulator":
        ids_file = os.path.join(tmp, "ids.txt")
        return (
            server_process(
                "emulator",
                "--provider",
                "engagelab",
                "--contacts",
                str(contacts),
                "--latency",
                str(LATENCY),
                "--ids-file",
                ids_file,
            ),
            ids_file,
        )
    return server_process("count", "--latency", str(LATENCY)), None


def run(quick: bool = False, servers: Sequence[str] = ("emulator", "count")) -> Result:
    requests = 200 if quick else 1000
    seq_requests = 25 if quick else 100
    rounds = 1 if quick else 3
    contacts = 20_000
    started = time.perf_counter()
    ideal = requests / CONCURRENCY * LATENCY
    result = Result(
        key="bulk",
        title="2. Bulk throughput: `tags.add_members` of "
        f"{requests * CHUNK:,} ids ({requests:,} requests of {CHUNK:,})",
        setup=(
            "Two servers, each in its own process: `mailseg.testing.Emulator` (EngageLab "
            f"dialect, {contacts:,} contacts, `Faults(latency={LATENCY})`, served by "
            "`python -m bench._server emulator`), and a latency-only server (`python -m "
            'bench._server count`: a bare asyncio protocol that answers `{"count": <ids '
            f"sent>}}` {LATENCY * 1000:.0f} ms after each request, a few µs of CPU per request). "
            "Against the emulator the ids are its contacts repeated "
            f"({contacts // CHUNK} distinct chunks of 1,000 existing ids, cycled), so every id is "
            f"counted. {rounds} round(s) per server, the four jobs in rotating order; medians. "
            f"Ideal at concurrency {CONCURRENCY}: {requests} / {CONCURRENCY} x "
            f"{LATENCY * 1000:.0f} ms = {ideal:.2f} s. The sequential client sends the first "
            f"{seq_requests} requests only; its time is extrapolated x{requests / seq_requests:g} "
            f"to {requests} requests. Bare aiohttp: {CONCURRENCY} workers on one `ClientSession`, "
            "same headers and bodies. Client CPU is this process's user+system time; server CPU "
            "the server process's."
        ),
        columns=(
            "server",
            "job",
            "requests",
            "wall (median)",
            "vs ideal",
            "per request",
            "client CPU",
            "server CPU",
        ),
    )
    per_server: dict[str, Any] = {}
    for kind in servers:
        label = SERVERS[kind]
        with tempfile.TemporaryDirectory() as tmp:
            serving, ids_file = _serve(kind, contacts, tmp)
            with serving as server:
                if ids_file is not None:
                    with open(ids_file, encoding="utf-8") as handle:
                        pool = handle.read().split("\n")
                else:
                    pool = [f"{i:024x}" for i in range(contacts)]
                outcome = asyncio.run(
                    _run(server, pool, requests, seq_requests, rounds, emulated=kind == "emulator")
                )
        figures = outcome["figures"]
        walls = {name: median(f["wall"]) for name, f in figures.items()}
        for name, f in figures.items():
            is_seq = name.endswith("max_concurrency=1")
            n_requests = seq_requests if is_seq else requests
            wall = walls[name]
            ideal_here = n_requests / (1 if is_seq else CONCURRENCY) * LATENCY
            result.rows.append(
                (
                    label,
                    name,
                    f"{n_requests:,}",
                    s(wall),
                    f"{wall / ideal_here:.3f}x",
                    f"{wall / n_requests * 1000:.2f} ms",
                    s(median(f["client_cpu"])),
                    s(median(f["server_cpu"])),
                )
            )
        primary = walls["mailseg, list, max_concurrency=16"]
        gen = walls["mailseg, generator, max_concurrency=16"]
        seq = walls["mailseg, list, max_concurrency=1"] * requests / seq_requests
        result.rows.append(
            (
                label,
                "mailseg, list, max_concurrency=1, extrapolated",
                f"{requests:,}",
                s(seq),
                f"{seq / (requests * LATENCY):.3f}x",
                f"{seq / requests * 1000:.2f} ms",
                "",
                "",
            )
        )
        result.targets.append(
            Target(
                f"concurrent job, list input ({label})",
                f"<= {TARGET_IDEAL_RATIO:.2f}x ideal ({ideal:.2f} s)",
                f"{primary:.2f} s = {primary / ideal:.3f}x",
                primary <= TARGET_IDEAL_RATIO * ideal,
            )
        )
        result.targets.append(
            Target(
                f"concurrent job, generator input ({label})",
                f"<= {TARGET_IDEAL_RATIO:.2f}x ideal ({ideal:.2f} s)",
                f"{gen:.2f} s = {gen / ideal:.3f}x",
                gen <= TARGET_IDEAL_RATIO * ideal,
            )
        )
        result.targets.append(
            Target(
                f"sequential client slower ({label})",
                f">= {TARGET_SEQUENTIAL_FACTOR:g}x the concurrent job",
                f"{seq / primary:.1f}x ({seq:.2f} s extrapolated from {seq_requests} requests)",
                seq / primary >= TARGET_SEQUENTIAL_FACTOR,
            )
        )
        result.notes.append(
            f"{label}: the sequential client is {seq / gen:.1f}x slower than the concurrent job "
            f"given a generator, {seq / primary:.1f}x than the job given a list; bare aiohttp "
            f"with {CONCURRENCY} workers takes {walls['bare aiohttp, 16 workers']:.2f} s = "
            f"{walls['bare aiohttp, 16 workers'] / ideal:.3f}x ideal."
        )
        per_server[kind] = {
            "walls_s": walls,
            "figures": figures,
            "sequential_extrapolated_s": seq,
            "machinery_cpu_s": outcome["machinery"],
        }
    machinery = next(iter(per_server.values()))["machinery_cpu_s"]
    n = requests * CHUNK
    result.details.append(
        (
            f"mailseg's bulk loop alone (`mailseg._bulk.run_bulk`, {n:,} ids, a send that "
            "returns at once): client CPU",
            "\n".join(
                [
                    f"list input      {s(machinery['list'])}  (includes the up-front check of "
                    "the whole list, before the first request)",
                    f"generator input {s(machinery['generator'])}  (each chunk checked as it "
                    "is taken)",
                    f"difference      {s(machinery['list'] - machinery['generator'])}",
                    f"list check      {s(machinery['list check'])}  (`mailseg._bulk._plainly_valid`"
                    ": `str.join` + `all`, timed alone; the per-id check runs only if it fails, "
                    "to name the bad id)",
                ]
            ),
        )
    )
    result.data = {
        "servers": per_server,
        "ideal_s": ideal,
        "requests": requests,
        "seq_requests": seq_requests,
    }
    result.seconds = time.perf_counter() - started
    return result
