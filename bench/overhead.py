"""Benchmark 1: the cost of one call through mailseg against the same request in bare aiohttp.

``client.segments.get(id)`` versus ``session.get(url, headers=...)``, ``read()`` and
``json.loads``: same session settings (one ``ClientSession`` with the same
``ClientTimeout``, default connector), same headers, the same server in another
process answering a fixed EngageLab segment detail. Everything runs in one event
loop, one call at a time, in alternating blocks (the order flips every round).

Where mailseg's extra time goes: bare aiohttp plus mailseg's parsing splits it into
transport and parsing, bare aiohttp plus a hand-written reader of the same models shows
what building them costs with nothing generic in the way, bare aiohttp plus a pydantic
model shows what a compiled validator costs; each step mailseg adds is timed alone
without I/O, and a cProfile of mailseg's loop is grouped by package.
"""

from __future__ import annotations

import asyncio
import base64
import cProfile
import gc
import json
import pstats
import time
import timeit
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from yarl import URL

import mailseg
from bench._bodies import ENGAGELAB_TAGS_BODY, SEGMENT_BODY, SEGMENT_ID, TAGS
from bench._figures import median, quantile, us
from bench._handwritten import segment_answer
from bench._models import EngageLabSegmentAnswer
from bench._processes import Server, server_process
from bench._results import Result, Target
from mailseg.adapter import Response
from mailseg_engagelab import EngageLabAdapter

TARGET_RATIO = 1.05
#: The cases with a target: each mailseg call and its bare aiohttp twin.
CASES = {
    "engagelab segments.get": "mailseg",
    "engagelab tags.list": "engagelab tags.list: mailseg",
    "sendcloud segments.get": "sendcloud segments.get: mailseg",
    "sendcloud tags.list": "sendcloud tags.list: mailseg",
}


def _baseline(name: str) -> str:
    """The bare aiohttp implementation a row is compared with."""
    case, _, _impl = name.rpartition(": ")
    return f"{case}: bare" if case else "bare aiohttp"


API_USER = "bench_user"
API_KEY = "bench-key-not-a-secret"


class _Impls:
    """The implementations compared, all pointed at the same server.

    * ``mailseg``: ``client.segments.get(id)``.
    * ``bare aiohttp``: the same request by hand: ``session.get``, ``read()``, ``json.loads``.
    * ``bare + mailseg parse``: bare aiohttp, then mailseg's adapter reads the answer
      (its compiled ``call.fast_parse`` on the bytes, as the transport does first): what
      is left between this
      and ``mailseg`` is the cost of mailseg's transport; between this and bare, the cost
      of turning the body into a checked ``Segment``.
    * ``bare + hand-written Segment``: bare aiohttp, then the decoded body read into the same
      ``Segment`` by ``bench/_handwritten.py`` (plain code, same type checks, no cattrs): what
      building mailseg's typed attrs models costs in the same loop.
    * ``bare + pydantic Segment``: bare aiohttp, the body validated by a pydantic model of the
      same Segment (``model_validate_json``, replacing ``json.loads``): what a compiled
      validator costs in the same loop.

    ``bare + mailseg parse`` also times its parsing step alone, in the loop (``parse_times``).
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.client = mailseg.connect(
            "engagelab", api_user=API_USER, api_key=API_KEY, base_url=base_url
        )
        self.adapter = EngageLabAdapter()
        # What mailseg's transport sends, rebuilt from public facts.
        token = base64.b64encode(f"{API_USER}:{API_KEY}".encode()).decode()
        self.headers = {
            "Authorization": f"Basic {token}",
            "Accept": "application/json",
            "User-Agent": f"mailseg/{mailseg.__version__}",
        }
        self.url = f"{base_url}/v1/marketing/lists/segments/{SEGMENT_ID}"
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30.0))
        self.parse_times: list[float] = []

        self.sendcloud = mailseg.connect(
            "sendcloud", api_user=API_USER, api_key=API_KEY, base_url=base_url
        )
        self.sendcloud_headers = {**self.headers, "Authorization": f"Bearer {token}"}
        self.urls = {
            "engagelab tags.list": f"{base_url}/v1/marketing/lists/tags?offset=0&limit=10",
            "sendcloud segments.get": f"{base_url}/marketing/lists/segments/{SEGMENT_ID}",
            "sendcloud tags.list": f"{base_url}/marketing/lists/tags?offset=0&count=10",
        }

    def table(self) -> dict[str, Callable[[], Awaitable[Any]]]:
        return {
            "mailseg": self.mailseg_get,
            "bare aiohttp": self.bare_get,
            "bare + mailseg parse": self.bare_parse_get,
            "bare + hand-written Segment": self.bare_hand_get,
            "bare + pydantic Segment": self.bare_pydantic_get,
            "engagelab tags.list: mailseg": lambda: self.client.tags.list(),
            "engagelab tags.list: bare": self._bare("engagelab tags.list", self.headers),
            "sendcloud segments.get: mailseg": lambda: self.sendcloud.segments.get(SEGMENT_ID),
            "sendcloud segments.get: bare": self._bare(
                "sendcloud segments.get", self.sendcloud_headers
            ),
            "sendcloud tags.list: mailseg": lambda: self.sendcloud.tags.list(),
            "sendcloud tags.list: bare": self._bare("sendcloud tags.list", self.sendcloud_headers),
        }

    def _bare(self, case: str, headers: dict[str, str]) -> Callable[[], Awaitable[Any]]:
        url = self.urls[case]

        async def get() -> Any:
            async with self.session.get(url, headers=headers) as response:
                body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            return json.loads(body)

        return get

    async def mailseg_get(self) -> Any:
        return await self.client.segments.get(SEGMENT_ID)

    async def bare_get(self) -> Any:
        async with self.session.get(self.url, headers=self.headers) as response:
            body = await response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        return json.loads(body)

    async def bare_parse_get(self) -> Any:
        call = self.adapter.get_segment(SEGMENT_ID)
        async with self.session.get(self.url, headers=self.headers) as raw:
            body = await raw.read()
            status, headers = raw.status, raw.headers
        started = time.perf_counter()
        if call.fast_parse is not None and status == 200:
            # What the transport runs first: the compiled reader, on the bytes.
            segment = call.fast_parse(body)
            self.parse_times.append(time.perf_counter() - started)
            return segment
        response = Response(status, headers, body, call.request, "engagelab")
        error = self.adapter.error(response)
        if error is not None:
            raise error
        segment = call.parse(response)
        self.parse_times.append(time.perf_counter() - started)
        return segment

    async def bare_hand_get(self) -> Any:
        async with self.session.get(self.url, headers=self.headers) as response:
            body = await response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        return segment_answer(json.loads(body))

    async def bare_pydantic_get(self) -> Any:
        async with self.session.get(self.url, headers=self.headers) as response:
            body = await response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        return EngageLabSegmentAnswer.model_validate_json(body).result

    async def close(self) -> None:
        await self.client.close()
        await self.sendcloud.close()
        await self.session.close()


async def _block(call: Callable[[], Awaitable[Any]], n: int) -> list[float]:
    clock = time.perf_counter
    times: list[float] = []
    append = times.append
    for _ in range(n):
        started = clock()
        await call()
        append(clock() - started)
    return times


async def _measure(impls: _Impls, rounds: int, block: int, warmup: int) -> dict[str, Any]:
    table = impls.table()
    segment = await impls.mailseg_get()
    if segment.id != SEGMENT_ID or segment.status is not mailseg.SegmentStatus.COMPLETED:
        raise RuntimeError(f"unexpected segment {segment!r}")
    if await impls.bare_parse_get() != segment or await impls.bare_hand_get() != segment:
        raise RuntimeError("the implementations disagree on the segment")
    if (await impls.bare_get())["result"]["segment_id"] != SEGMENT_ID:
        raise RuntimeError("bare aiohttp read another body")
    model = await impls.bare_pydantic_get()
    if (model.id, model.status, model.created_at) != (
        segment.id,
        segment.status,
        segment.created_at,
    ):
        raise RuntimeError("the pydantic model disagrees with mailseg")
    for call in table.values():
        await _block(call, warmup)
    samples: dict[str, list[float]] = {name: [] for name in table}
    round_medians: dict[str, list[float]] = {name: [] for name in table}
    cpu_per_call: dict[str, list[float]] = {name: [] for name in table}
    names = list(table)
    for index in range(rounds):
        order = names if index % 2 == 0 else names[::-1]
        for name in order:
            gc.collect()
            cpu = time.process_time()
            times = await _block(table[name], block)
            cpu_per_call[name].append((time.process_time() - cpu) / block)
            samples[name].extend(times)
            round_medians[name].append(median(times))
    return {
        "samples": samples,
        "round_medians": round_medians,
        "cpu_per_call": cpu_per_call,
        "parse_in_loop": median(impls.parse_times[-rounds * block :]),
    }


async def _profile(impls: _Impls, n: int) -> dict[str, pstats.Stats]:
    out = {}
    for name, call in (("mailseg", impls.mailseg_get),):
        gc.collect()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(n):
            await call()
        profiler.disable()
        out[name] = pstats.Stats(profiler)
    return out


# -- where the time goes ----------------------------------------------------------------------

_AREAS = (
    ("mailseg core", ("/mailseg/",)),
    ("mailseg adapter", ("mailseg_engagelab", "mailseg_sendcloud")),
    ("cattrs / attrs", ("cattrs", "<attrs generated", "/attr/", "/attrs/")),
    ("aiohttp", ("aiohttp",)),
    ("yarl / multidict", ("yarl", "multidict")),
    ("asyncio", ("asyncio",)),
    ("json", ("/json/", "_json")),
    ("datetime / urllib", ("datetime", "urllib", "_strptime")),
)


def _area(filename: str, function: str) -> str:
    key = f"{filename}:{function}"
    for name, needles in _AREAS:
        if any(needle in key for needle in needles):
            return name
    if filename == "~":
        return "builtins (C)"
    return "other"


def _by_area(stats: pstats.Stats, calls: int) -> dict[str, float]:
    totals: dict[str, float] = {}
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        tottime = row[2]
        area = _area(filename, function)
        totals[area] = totals.get(area, 0.0) + tottime / calls
    return totals


def _top_mailseg(stats: pstats.Stats, calls: int, limit: int = 14) -> str:
    rows = []
    for (filename, line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        area = _area(filename, function)
        if area.startswith("mailseg") or area.startswith("cattrs") or "datetime" in area:
            short = filename.split("/site-packages/")[-1].split("/work/main/")[-1]
            rows.append(
                (row[3] / calls, row[2] / calls, row[1] / calls, f"{short}:{line}({function})")
            )
    rows.sort(reverse=True)
    lines = [f"{'cumulative/call':>16} {'own/call':>10} {'calls/call':>10}  function"]
    for cumulative, own, ncalls, where in rows[:limit]:
        lines.append(f"{us(cumulative):>16} {us(own):>10} {ncalls:>10.1f}  {where}")
    return "\n".join(lines)


def _steps(base_url: str) -> list[tuple[str, float]]:
    """mailseg's own steps for one ``segments.get``, each timed alone (no I/O)."""
    from mailseg import _validation as check
    from mailseg.adapter import parse_timestamp

    adapter = EngageLabAdapter()
    call = adapter.get_segment(SEGMENT_ID)
    request = call.request
    headers = {"Content-Type": "application/json; charset=utf-8"}

    def response() -> Response:
        return Response(200, headers, SEGMENT_BODY, request, "engagelab")

    tags_call = adapter.list_tags(name=None, offset=0, limit=10)
    tag_times = [
        tag[key]
        for tag in json.loads(ENGAGELAB_TAGS_BODY)["result"]
        for key in ("create_time", "update_time")
    ]
    decoded = response()
    decoded.json()
    data = json.loads(SEGMENT_BODY)

    def time_it(fn: Callable[[], object]) -> float:
        # About 60 ms per repeat, best of 5: enough for µs-scale steps.
        timer = timeit.Timer(fn)
        estimate = timer.timeit(number=50) / 50
        number = max(200, int(0.06 / max(estimate, 1e-7)))
        return min(timer.repeat(repeat=5, number=number)) / number

    steps: list[tuple[str, Callable[[], object]]] = [
        (
            "validate the id (`_validation.resource_id`)",
            lambda: check.resource_id(SEGMENT_ID, "segment_id"),
        ),
        (
            "build the Call (`adapter.get_segment`: quote_id, Request, Call)",
            lambda: adapter.get_segment(SEGMENT_ID),
        ),
        (
            "build the URL (`yarl.URL(base + path, encoded=True)`)",
            lambda: URL(base_url + request.path, encoded=True),
        ),
        ("wrap the answer (`Response(...)`)", response),
        (
            "error check, body not yet decoded (`adapter.error`: decode_json)",
            lambda: adapter.error(response()),
        ),
        ("  bare aiohttp's `json.loads(body)`, for comparison", lambda: json.loads(SEGMENT_BODY)),
        ("structure the Segment (`call.parse`, body already decoded)", lambda: call.parse(decoded)),
        (
            "compiled reading: decode + check + build (`call.fast_parse(body)`, what runs)",
            lambda: call.fast_parse(SEGMENT_BODY),  # type: ignore[misc]
        ),
        (
            "  the same Segment read by hand (`bench/_handwritten.py`, body decoded)",
            lambda: segment_answer(data),
        ),
        (
            "  2 x `parse_timestamp` (inside the above)",
            lambda: (
                parse_timestamp("2023-11-29 16:28:41+0800"),
                parse_timestamp("2023-11-29 16:33:58+0800"),
            ),
        ),
        (
            "pydantic: `model_validate_json(body)` of the same Segment (decode + validate)",
            lambda: EngageLabSegmentAnswer.model_validate_json(SEGMENT_BODY),
        ),
        (
            "tags.list: build the Call (`adapter.list_tags`)",
            lambda: adapter.list_tags(name=None, offset=0, limit=10),
        ),
        (
            f"tags.list: compiled reading of the {TAGS}-tag page (`call.fast_parse(body)`)",
            lambda: tags_call.fast_parse(ENGAGELAB_TAGS_BODY),  # type: ignore[misc]
        ),
        (
            "  of which: 20 `parse_timestamp` (two per tag)",
            lambda: [parse_timestamp(value) for value in tag_times],
        ),
        (
            f"tags.list: bare aiohttp's `json.loads` of the {TAGS}-tag page",
            lambda: json.loads(ENGAGELAB_TAGS_BODY),
        ),
    ]
    return [(label, time_it(fn)) for label, fn in steps]


def steps_by_name(steps: list[tuple[str, float]]) -> dict[str, float]:
    """The steps the notes quote, by short name."""
    found = {}
    for label, seconds in steps:
        if label.startswith("error check"):
            found["error"] = seconds
        elif label.startswith("structure the Segment"):
            found["parse"] = seconds
        elif "read by hand" in label:
            found["hand"] = seconds
        elif label.startswith("compiled reading"):
            found["compiled"] = seconds
        elif label.startswith("pydantic"):
            found["pydantic"] = seconds
        elif "json.loads(body)" in label:
            found["json"] = seconds
    return found


def _profile_table(stats: dict[str, pstats.Stats], calls: int) -> str:
    """Each package's share of the profiled time of one ``segments.get``."""
    areas = _by_area(stats["mailseg"], calls)
    total = sum(areas.values())
    lines = [f"{'own time per call, by package':32} {'time':>10} {'share':>7}"]
    for area, seconds in sorted(areas.items(), key=lambda item: -item[1]):
        lines.append(f"{area:32} {us(seconds):>10} {seconds / total:>7.1%}")
    lines.append(f"{'total (under cProfile)':32} {us(total):>10}")
    return "\n".join(lines)


def run(quick: bool = False, engines: tuple[str, ...] = ("raw", "aiohttp")) -> Result:
    rounds = 6 if quick else 30
    block = 100
    warmup = 200
    profile_calls = 500 if quick else 2000
    started = time.perf_counter()
    result = Result(
        key="overhead",
        title="1. Per-call overhead: `segments.get` and `tags.list`, both adapters, vs bare",
        setup=(
            f"{rounds} rounds x {block} sequential calls per implementation, in alternating "
            f"blocks (order reversed every round), after {warmup} warm-up calls each; one event "
            "loop; the server runs in a separate process on 127.0.0.1 and answers each path with "
            "a fixed body (`bench/_bodies.py`): the EngageLab segment detail of its docs "
            f"({len(SEGMENT_BODY)} bytes), SendCloud's segment detail example, and a page of 10 "
            "tags in each dialect. Each mailseg case (`client.segments.get(id)`, "
            "`client.tags.list()`, on an EngageLab and a SendCloud client) has its bare aiohttp "
            "twin (same URL, headers, `json.loads`); the unprefixed rows are EngageLab's "
            "`segments.get` with the breakdown below. Bare aiohttp: one "
            "`ClientSession(timeout=ClientTimeout(total=30))` (mailseg's settings), the same three "
            "headers, `session.get(url)`, `await read()`, status check, `json.loads`. "
            "`bare + mailseg parse` is bare aiohttp followed by the EngageLab adapter's "
            "compiled reader, `call.fast_parse(body)` (splits mailseg's extra time into "
            "transport and parsing); "
            "`bare + hand-written Segment` is bare aiohttp followed by a plain-Python reader "
            "building the same `Segment` with the same type checks, no cattrs "
            "(`bench/_handwritten.py`: what the typed models cost); "
            "`bare + pydantic Segment` is bare "
            "aiohttp with `model_validate_json` of a pydantic model of the same Segment instead "
            "of `json.loads` (what a compiled validator costs in the same loop; "
            "`bench/_models.py`). Median per-call wall time over all "
            "calls; the spread (10th-90th percentile) of the per-round ratio; and the client "
            "process's CPU time per call (median over blocks), which other load on the machine "
            "disturbs less than wall time."
        ),
        columns=(
            "server",
            "implementation",
            "median / call",
            "vs bare",
            "round ratio p10-p90",
            "client CPU / call",
            "CPU vs bare",
        ),
    )
    for engine in engines:
        with server_process("fixed", "--engine", engine) as server:
            first = engine == engines[0]

            async def main(
                server: Server = server, first: bool = first
            ) -> tuple[dict[str, Any], dict[str, pstats.Stats] | None]:
                impls = _Impls(server.base_url)
                try:
                    measured = await _measure(impls, rounds, block, warmup)
                    profiles = await _profile(impls, profile_calls) if first else None
                    return measured, profiles
                finally:
                    await impls.close()

            measured, profiles = asyncio.run(main())
            label = server.info["engine"]
            medians = {name: median(values) for name, values in measured["samples"].items()}
            cpus = {name: median(values) for name, values in measured["cpu_per_call"].items()}
            figures: dict[str, Any] = {}
            for name, value in medians.items():
                base = _baseline(name)
                bare = medians[base]
                ratios = [
                    x / y
                    for x, y in zip(
                        measured["round_medians"][name],
                        measured["round_medians"][base],
                        strict=True,
                    )
                ]
                spread = (
                    ""
                    if name == base
                    else f"{quantile(ratios, 0.1):.3f}-{quantile(ratios, 0.9):.3f}x"
                )
                result.rows.append(
                    (
                        label,
                        name,
                        us(value),
                        f"{value / bare:.3f}x (+{us(value - bare)})" if name != base else "1.000x",
                        spread,
                        us(cpus[name]),
                        f"{cpus[name] / cpus[base]:.3f}x",
                    )
                )
                figures[name] = {
                    "median_s": value,
                    "ratio": value / bare,
                    "round_ratios": ratios,
                    "round_ratio_median": median(ratios),
                    "cpu_per_call_s": cpus[name],
                }
            for case, name in CASES.items():
                base = _baseline(name)
                ratio = medians[name] / medians[base]
                result.targets.append(
                    Target(
                        f"{case}, per call ({label} server)",
                        f"mailseg <= {TARGET_RATIO:.2f}x bare aiohttp + json.loads",
                        f"{ratio:.3f}x ({us(medians[name])} vs {us(medians[base])}; "
                        f"median round ratio {median(figures[name]['round_ratios']):.3f}x)",
                        ratio <= TARGET_RATIO,
                    )
                )
            figures["calls_each"] = len(measured["samples"]["mailseg"])
            figures["parse_in_loop_s"] = measured["parse_in_loop"]
            result.data[engine] = figures
            result.notes.append(
                f"{label} server: inside the `bare + mailseg parse` loop, mailseg's reading of the "
                f"answer (the compiled `call.fast_parse`, JSON decoding included) took a median "
                f"{us(measured['parse_in_loop'])} per call."
            )
            if profiles is not None:
                result.details.append(
                    (
                        f"cProfile of {profile_calls} `segments.get` ({label} server): own time "
                        "per call by package. cProfile inflates every Python call, cattrs' many "
                        "small ones most: read the shares, not the absolute times",
                        _profile_table(profiles, profile_calls),
                    )
                )
                result.details.append(
                    (
                        "cProfile: mailseg-side functions by cumulative time per call "
                        "(coroutines count one call per resume)",
                        _top_mailseg(profiles["mailseg"], profile_calls),
                    )
                )
            if first:
                steps = _steps(server.base_url)
                lines = [
                    f"{'step (timed alone with timeit, best of 5, no I/O)':70} {'per call':>10}"
                ]
                for text, seconds in steps:
                    lines.append(f"{text:70} {us(seconds):>10}")
                result.details.append(
                    ("mailseg's steps for one `segments.get`, timed alone", "\n".join(lines))
                )
                result.data["steps_s"] = dict(steps)
                alone = steps_by_name(steps)
                result.notes.append(
                    "Timed alone (hot caches), mailseg's compiled reading of the answer takes "
                    f"{us(alone['compiled'])}; the readable path it falls back to takes "
                    f"{us(alone['error'] + alone['parse'])} (`adapter.error` "
                    f"{us(alone['error'])} + `call.parse` {us(alone['parse'])}); the "
                    f"hand-written reader builds the same Segment from the decoded body in "
                    f"{us(alone['hand'])}; pydantic's "
                    f"`model_validate_json` of the same Segment takes {us(alone['pydantic'])}, "
                    f"`json.loads` alone {us(alone['json'])}."
                )
    result.seconds = time.perf_counter() - started
    return result
