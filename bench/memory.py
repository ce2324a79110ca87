"""Benchmark 3: the client's memory while iterating 200,000 segment members.

``async for m in client.segments.iterate_members(segment_id, page_size=100)`` against
``mailseg.testing.Emulator`` (EngageLab dialect, 200,000 contacts, a segment holding all
of them) served in its own process. Each measurement runs in a fresh interpreter
(``python -m bench.memory --child ...``) so that nothing earlier in the run inflates its
peak:

1. import, connect, fetch one page of 100 members (the session, connection and
   converter are then in place): the *idle client*; ``gc.collect()``, read ``VmRSS``;
2. reset the peak (``echo 5 > /proc/self/clear_refs`` resets ``VmHWM``; where that is
   not allowed the peak since start is used, which can only overstate the growth);
3. iterate every member (nothing kept but a count), sampling ``VmRSS`` every 100 pages;
4. read ``VmHWM``: growth = peak - idle RSS.

The same child runs a bare aiohttp loop over the same pages (``json.loads`` only) for
comparison. The time of the two is then compared in paired rounds in one process,
against the fixed-page servers (a raw asyncio protocol and ``aiohttp.web``), whose own
cost is next to nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bench._bodies import SEGMENT_ID
from bench._figures import median, mib
from bench._processes import run_child, server_process
from bench._procfs import status_kib
from bench._results import Result, Target

TARGET_GROWTH_MIB = 20.0
TARGET_TIME_RATIO = 1.3


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def _walk(members: AsyncIterator[Any]) -> dict[str, Any]:
    """Steps 2 to 4 over an idle client's member stream: what every mode reports."""
    gc.collect()
    idle = status_kib("VmRSS")
    reset = _reset_peak()
    samples = []
    count = 0
    started = time.perf_counter()
    async for _member in members:
        count += 1
        if count % 10_000 == 0:
            samples.append(status_kib("VmRSS"))
    return {
        "count": count,
        "idle_kib": idle,
        "peak_kib": status_kib("VmHWM"),
        "end_kib": status_kib("VmRSS"),
        "samples_kib": samples,
        "peak_reset": reset,
        "seconds": time.perf_counter() - started,
    }


def _report(mode: str, walked: dict[str, Any]) -> dict[str, Any]:
    """The walk's figures, with the RSS once the client is closed and collected."""
    gc.collect()
    return {"mode": mode, **walked, "after_close_gc_kib": status_kib("VmRSS")}


async def _child_mailseg(args: argparse.Namespace) -> dict[str, Any]:
    import mailseg

    client = mailseg.connect(
        "engagelab", api_user=args.api_user, api_key=args.api_key, base_url=args.base_url
    )
    async with client:
        page = await client.segments.members(args.segment_id, limit=100)
        assert len(page) == 100
        del page
        walked = await _walk(client.segments.iterate_members(args.segment_id, page_size=100))
    return _report("mailseg", walked)


async def _child_bare(args: argparse.Namespace) -> dict[str, Any]:
    import base64

    import aiohttp

    token = base64.b64encode(f"{args.api_user}:{args.api_key}".encode()).decode()
    headers = {
        "Authorization": f"Basic {token}",
        "Accept": "application/json",
        "Content-Type": "application/json; charset=utf-8",
    }
    url = f"{args.base_url}/v1/marketing/lists/segments/{args.segment_id}/members"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30.0)) as session:

        async def page(offset: int) -> dict[str, Any]:
            params = {"offset": str(offset), "limit": "100"}
            async with session.post(url, params=params, data=b"{}", headers=headers) as response:
                body = await response.read()
            return dict(json.loads(body))

        async def members() -> AsyncIterator[Any]:
            offset = 0
            while True:
                data = await page(offset)
                items = data["result"] or []
                for member in items:
                    yield member
                offset += len(items)
                if len(items) < 100 or offset >= data["total"]:
                    return

        first = await page(0)
        assert len(first["result"]) == 100
        del first
        walked = await _walk(members())
    return _report("bare", walked)


def _child(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory --child")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--mode", choices=("mailseg", "bare"), required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-user", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--segment-id", required=True)
    args = parser.parse_args(argv)
    interpreter = status_kib("VmRSS")  # before mailseg or aiohttp is imported
    runner = _child_mailseg if args.mode == "mailseg" else _child_bare
    print(json.dumps({**asyncio.run(runner(args)), "interpreter_kib": interpreter}))


async def _make_segment(base_url: str, credentials: dict[str, str]) -> tuple[str, int]:
    import mailseg

    client = mailseg.connect(
        "engagelab",
        base_url=base_url,
        api_user=credentials["api_user"],
        api_key=credentials["api_key"],
    )
    async with client:
        # Every generated contact has an address at a reserved example domain.
        segment = await client.segments.create(
            "bench_all", mailseg.field("Email").contains("example")
        )
        segment = await client.segments.wait_until_complete(segment.id, poll_interval=0.05)
        assert segment.member_total is not None
        return segment.id, segment.member_total


async def _time_iteration(base_url: str, members: int, rounds: int) -> dict[str, list[float]]:
    """mailseg's member iteration and the bare paging loop, paired rounds in one process.

    Against the fixed-page server (`bench._bodies`: EngageLab member pages of 100 with
    distinct ids and times, cycled every 20 pages, ``total`` 200,000), so that the
    server's cost is next to nothing and the clients' is what is compared.
    """
    import base64

    import aiohttp

    import mailseg

    credentials = {"api_user": "bench_user", "api_key": "bench-key-not-a-secret"}
    token = base64.b64encode(
        f"{credentials['api_user']}:{credentials['api_key']}".encode()
    ).decode()
    headers = {
        "Authorization": f"Basic {token}",
        "Accept": "application/json",
        "User-Agent": f"mailseg/{mailseg.__version__}",
        "Content-Type": "application/json; charset=utf-8",
    }
    url = f"{base_url}/v1/marketing/lists/segments/{SEGMENT_ID}/members"
    client = mailseg.connect("engagelab", base_url=base_url, **credentials)
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30.0))

    async def m() -> int:
        count = 0
        async for _member in client.segments.iterate_members(SEGMENT_ID, page_size=100):
            count += 1
            if count == members:
                break
        return count

    async def bare() -> int:
        count = offset = 0
        while True:
            params = {"offset": str(offset), "limit": "100"}
            async with session.post(url, params=params, data=b"{}", headers=headers) as response:
                body = await response.read()
            data = json.loads(body)
            items = data["result"] or []
            for _member in items:
                count += 1
                if count == members:
                    return count
            offset += len(items)
            if len(items) < 100 or offset >= data["total"]:
                return count

    jobs = {"mailseg": m, "bare": bare}
    times: dict[str, list[float]] = {name: [] for name in jobs}
    try:
        for job in jobs.values():  # warm up
            await job()
        for index in range(rounds):
            for name in list(jobs) if index % 2 == 0 else list(jobs)[::-1]:
                gc.collect()
                started = time.perf_counter()
                count = await jobs[name]()
                times[name].append(time.perf_counter() - started)
                if count != members:
                    raise RuntimeError(f"{name} iterated {count} of {members} members")
    finally:
        await client.close()
        await session.close()
    return times


def _page_steps() -> list[tuple[str, float]]:
    """Where reading one page of 100 members goes, each step timed alone (no I/O)."""
    import timeit

    from bench._bodies import MEMBER_BODIES
    from mailseg import Member
    from mailseg.adapter import parse_timestamp
    from mailseg_engagelab import EngageLabAdapter

    call = EngageLabAdapter().segment_members(SEGMENT_ID, condition=None, offset=0, limit=100)
    assert call.fast_parse is not None
    fast = call.fast_parse
    body = MEMBER_BODIES[0]
    decoded = json.loads(body)["result"]
    times = [m[key] for m in decoded for key in ("create_time", "update_time")]
    times += [m["unsubscribe_time"] for m in decoded if m["unsubscribe_time"]]
    members = fast(body).items
    fields = [tuple(getattr(m, name) for name in Member.__slots__[:12]) for m in members]

    def build() -> list[Member]:
        return [Member(*values) for values in fields]

    def parse_times() -> list[Any]:
        return [parse_timestamp(value) for value in times]

    async def agen() -> AsyncIterator[Any]:
        for member in members:
            yield member

    async def through_agen() -> None:
        async for _member in agen():
            pass

    loop = asyncio.new_event_loop()
    try:
        steps: list[tuple[str, Any]] = [
            ("bare: `json.loads` of the page", lambda: json.loads(body)),
            ("mailseg: `call.fast_parse` (decode + check + build 100 Members)", lambda: fast(body)),
            (f"  of which: {len(times)} `parse_timestamp`", parse_times),
            ("  of which: 100 `Member(...)` (attrs init, values ready)", build),
            (
                "mailseg's `async for` over 100 members (an async generator, no I/O)",
                lambda: loop.run_until_complete(through_agen()),
            ),
        ]
        out = []
        for label, fn in steps:
            timer = timeit.Timer(fn)
            out.append((label, min(timer.repeat(repeat=5, number=50)) / 50))
        return out
    finally:
        loop.close()


def run(quick: bool = False, modes: tuple[str, ...] = ("mailseg", "bare")) -> Result:
    members = 20_000 if quick else 200_000
    started = time.perf_counter()
    result = Result(
        key="memory",
        title=f"3. Memory: iterating {members:,} segment members (page_size=100)",
        setup=(
            f"`mailseg.testing.Emulator` (EngageLab dialect, {members:,} contacts, a segment "
            '`Email contains "example"` holding all of them) in its own process; each client '
            "runs in a fresh interpreter (`python -m bench.memory --child`). Interpreter RSS = "
            "before mailseg or aiohttp is imported. Idle client = "
            "after `connect` and one page of 100 members, then `gc.collect()`. Peak = `VmHWM` "
            "after resetting it at the idle point (`/proc/self/clear_refs`). The loop keeps "
            "nothing but a count. `bare aiohttp` pages through the same endpoint with "
            "`json.loads` only."
        ),
        columns=(
            "client",
            "members",
            "interpreter RSS",
            "idle RSS",
            "peak RSS",
            "peak growth",
            "RSS at end",
            "time",
        ),
    )
    with server_process(
        "emulator", "--provider", "engagelab", "--contacts", str(members)
    ) as server:
        credentials = {"api_user": server.info["api_user"], "api_key": server.info["api_key"]}
        segment_id, total = asyncio.run(_make_segment(server.base_url, credentials))
        children = {}
        for mode in modes:
            children[mode] = run_child(
                "bench.memory",
                "--child",
                "--mode",
                mode,
                "--base-url",
                server.base_url,
                "--api-user",
                credentials["api_user"],
                "--api-key",
                credentials["api_key"],
                "--segment-id",
                segment_id,
            )
    for mode, child in children.items():
        growth = child["peak_kib"] - child["idle_kib"]
        result.rows.append(
            (
                "mailseg" if mode == "mailseg" else "bare aiohttp",
                f"{child['count']:,}",
                mib(child["interpreter_kib"]),
                mib(child["idle_kib"]),
                mib(child["peak_kib"]),
                mib(growth),
                mib(child["end_kib"]),
                f"{child['seconds']:.1f} s",
            )
        )
        if mode == "mailseg":
            if child["count"] != total:
                result.notes.append(
                    f"mailseg iterated {child['count']:,} members of {total:,}: check the pager."
                )
            result.targets.append(
                Target(
                    "peak RSS growth over the idle client",
                    f"<= {TARGET_GROWTH_MIB:g} MiB",
                    mib(growth)
                    + ("" if child["peak_reset"] else " (peak not reset: peak since start)"),
                    growth / 1024 <= TARGET_GROWTH_MIB and child["count"] == total,
                )
            )
            samples = child["samples_kib"]
            if samples:
                result.details.append(
                    (
                        "mailseg client VmRSS every 10,000 members (MiB)",
                        " ".join(f"{kib / 1024:.1f}" for kib in samples),
                    )
                )
    rounds = 2 if quick else 6
    timed: dict[str, Any] = {}
    for engine in ("raw", "aiohttp"):
        with server_process("fixed", "--engine", engine) as server:
            label = server.info["engine"]
            times = asyncio.run(_time_iteration(server.base_url, members, rounds))
        ratios = [x / y for x, y in zip(times["mailseg"], times["bare"], strict=True)]
        m_time, b_time = median(times["mailseg"]), median(times["bare"])
        timed[engine] = {"times_s": times, "round_ratios": ratios}
        result.details.append(
            (
                f"iteration time against the fixed-page server ({label}), {rounds} paired rounds",
                f"mailseg {m_time:.2f} s ({members / m_time:,.0f} members/s), bare aiohttp + "
                f"json.loads {b_time:.2f} s ({members / b_time:,.0f} members/s): "
                f"{m_time / b_time:.3f}x; per-round ratios "
                + ", ".join(f"{ratio:.3f}" for ratio in ratios),
            )
        )
        result.targets.append(
            Target(
                f"iterating {members:,} members vs a bare aiohttp paging loop ({label} server)",
                f"<= {TARGET_TIME_RATIO:g}x",
                f"{m_time / b_time:.3f}x ({m_time:.2f} s vs {b_time:.2f} s; median round ratio "
                f"{median(ratios):.3f}x)",
                m_time / b_time <= TARGET_TIME_RATIO,
            )
        )
    steps = _page_steps()
    result.details.append(
        (
            "one page of 100 members, each step timed alone (timeit, best of 5, no I/O)",
            "\n".join(f"{label:72} {seconds * 1e6:>9,.1f} µs" for label, seconds in steps),
        )
    )
    result.data = {
        "segment_total": total,
        "children": children,
        "timed": timed,
        "page_steps_s": dict(steps),
    }
    result.seconds = time.perf_counter() - started
    return result


if __name__ == "__main__":
    if "--child" in sys.argv[1:]:
        _child(sys.argv[1:])
    else:
        print("run through `python -m bench --only memory`", file=sys.stderr)
        sys.exit(2)
