"""Benchmark 4: members parsed per second, mailseg's adapters beside pydantic v2.

The input is one real page of 100 members per provider, fetched from
``mailseg.testing.Emulator`` with the request the adapter itself builds
(``adapter.segment_members(...)``). Then, with no I/O, in interleaved rounds:

* ``mailseg page parse``: the call's compiled reader (``Call.fast_parse``) on the page's
  bytes (JSON decoding included), which is what the client runs per page;
* ``mailseg readable path``: ``adapter.error`` then ``Call.parse`` on a
  ``mailseg.adapter.Response`` holding the page, what the client runs when the compiled
  reader declines a page (and what it ran for every page before);
* ``mailseg converter only``: ``converter.structure(d, Member)`` over already decoded dicts;
* ``pydantic model_validate_json``: a page model (pydantic's own JSON parser);
* ``pydantic model_validate``: ``json.loads`` then ``model_validate`` (mailseg's split);
* ``pydantic, dicts only``: ``TypeAdapter(list[Member]).validate_python`` over decoded dicts;
* ``json.loads only``: the floor both share.

The pydantic models mirror ``mailseg.Member``: the same renames and variant keys
(``id``/``member_id``, ``tag_ids``/``tags``), frozen, timestamps parsed as aware datetimes
with UTC+8 for a time without an offset (an ``AfterValidator``), lax mode (digit strings
accepted for integers, as mailseg does). Both results are checked equal, member by
member, before anything is timed.
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import json
import pstats
import time
import timeit
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiohttp
import attrs
from pydantic import TypeAdapter

import mailseg
from bench._figures import median
from bench._models import EngageLabMember, EngageLabPage, SendCloudMember, SendCloudPage
from bench._results import Result

if TYPE_CHECKING:
    from mailseg.testing import Provider
from mailseg.adapter import Adapter, Response
from mailseg_engagelab import EngageLabAdapter
from mailseg_sendcloud import SendCloudAdapter

PAGE = 100
_MEMBER_FIELDS = [f.name for f in attrs.fields(mailseg.Member)]


async def _fetch_page(provider: Provider, adapter: Adapter) -> tuple[bytes, Any]:
    """One members page of 100 from an emulator, requested as the adapter builds it."""
    from mailseg.testing import Emulator

    async with Emulator(provider, contacts=PAGE * 3, seed=7, processing_polls=0) as emulator:
        async with emulator.client() as client:
            segment = await client.segments.create(
                "bench_parse", mailseg.field("Email").contains("example")
            )
        call = adapter.segment_members(segment.id, condition=None, offset=PAGE, limit=PAGE)
        request = call.request
        headers = {
            "Authorization": emulator.authorization,
            "Accept": "application/json",
            "Content-Type": "application/json; charset=utf-8",
        }
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method,
                emulator.base_url + request.path,
                params=list(request.query),
                data=json.dumps(request.json).encode(),
                headers=headers,
            ) as response,
        ):
            body = await response.read()
            assert response.status == 200, body[:300]
    return body, call


def _same(members: Any, models: Any) -> None:
    members = list(members)
    models = list(models)
    if len(members) != len(models) or len(members) != PAGE:
        raise RuntimeError(f"{len(members)} mailseg members, {len(models)} pydantic models")
    for member, model in zip(members, models, strict=True):
        for name in _MEMBER_FIELDS:
            a, b = getattr(member, name), getattr(model, name)
            if isinstance(a, datetime) and isinstance(b, datetime):
                same = a == b and a.utcoffset() == b.utcoffset()
            else:
                same = a == b
            if not same:
                raise RuntimeError(f"{name}: mailseg {a!r} != pydantic {b!r}")


def _cases(provider: str, body: bytes, call: Any) -> dict[str, Callable[[], object]]:
    if provider == "engagelab":
        adapter: Adapter = EngageLabAdapter()
        page_model: Any = EngageLabPage
        member_model: Any = EngageLabMember
        items_key = "result"
    else:
        adapter = SendCloudAdapter()
        page_model = SendCloudPage
        member_model = SendCloudMember
        items_key = "list"
    request = call.request
    page_call = adapter.segment_members("s", condition=None, offset=PAGE, limit=PAGE)
    parse = page_call.parse
    fast = page_call.fast_parse
    assert fast is not None
    headers = {"Content-Type": "application/json; charset=utf-8"}
    items = json.loads(body)[items_key]
    structure = adapter.converter.get_structure_hook(mailseg.Member)  # type: ignore[attr-defined]
    member_list = TypeAdapter(list[member_model])
    name = adapter.name

    def mailseg_page() -> object:
        return fast(body)

    def readable() -> object:
        response = Response(200, headers, body, request, name)
        if adapter.error(response) is not None:
            raise RuntimeError("the page reads as an error")
        return parse(response)

    def converter_only() -> object:
        return [structure(item, mailseg.Member) for item in items]

    def pydantic_json() -> object:
        return page_model.model_validate_json(body)

    def pydantic_split() -> object:
        return page_model.model_validate(json.loads(body))

    def pydantic_dicts() -> object:
        return member_list.validate_python(items)

    def json_only() -> object:
        return json.loads(body)

    reference = mailseg_page()
    _same(reference, pydantic_json().items)  # type: ignore[attr-defined]
    _same(reference, pydantic_split().items)  # type: ignore[attr-defined]
    _same(reference, pydantic_dicts())
    _same(reference, converter_only())
    _same(reference, readable())
    return {
        "mailseg page parse": mailseg_page,
        "mailseg readable path": readable,
        "mailseg converter only": converter_only,
        "pydantic model_validate_json": pydantic_json,
        "pydantic model_validate": pydantic_split,
        "pydantic, dicts only": pydantic_dicts,
        "json.loads only": json_only,
    }


def _profile(case: Callable[[], object], pages: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(pages):
        case()
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        short = filename.split("/site-packages/")[-1].split("/work/main/")[-1]
        rows.append((row[2], row[1], f"{short}:{line}({function})"))
    rows.sort(reverse=True)
    total = sum(r[0] for r in rows)
    members = pages * PAGE
    lines = [f"{'own/member':>11} {'share':>6} {'calls/member':>13}  function"]
    for own, calls, where in rows[:14]:
        lines.append(
            f"{own / members * 1e6:>8.2f} µs {own / total:>6.1%} {calls / members:>13.1f}  {where}"
        )
    return "\n".join(lines)


def run(quick: bool = False) -> Result:
    rounds = 3 if quick else 9
    target_block = 0.04 if quick else 0.06
    started = time.perf_counter()
    result = Result(
        key="parsing",
        title="4. Parsing: members structured per second, mailseg vs pydantic v2",
        setup=(
            "One page of 100 members per provider, fetched from `mailseg.testing.Emulator` "
            "(seeded contacts: Chinese and Latin names, phones, 3-4 custom fields, tags) with "
            f"the adapter's own request. {rounds} interleaved rounds of about "
            f"{target_block * 1000:.0f} ms per case; median of the per-round rates. Pydantic "
            "models mirror `mailseg.Member` (same renames and variant keys, frozen, aware "
            "datetimes with UTC+8 for naive times, lax mode); every case's result is checked "
            "equal to mailseg's, member by member, before timing."
        ),
        columns=("provider", "case", "members / s", "µs / member", "vs mailseg page parse"),
    )
    pages = {
        "engagelab": asyncio.run(_fetch_page("engagelab", EngageLabAdapter())),
        "sendcloud": asyncio.run(_fetch_page("sendcloud", SendCloudAdapter())),
    }
    data: dict[str, Any] = {}
    for provider, (body, call) in pages.items():
        cases = _cases(provider, body, call)
        numbers = {}
        for name, case in cases.items():
            per_call = timeit.Timer(case).timeit(number=5) / 5
            numbers[name] = max(1, int(target_block / per_call))
        rates: dict[str, list[float]] = {name: [] for name in cases}
        names = list(cases)
        for index in range(rounds):
            order = names if index % 2 == 0 else names[::-1]
            for name in order:
                gc.collect()
                elapsed = timeit.Timer(cases[name]).timeit(number=numbers[name])
                rates[name].append(numbers[name] * PAGE / elapsed)
        base = median(rates["mailseg page parse"])
        data[provider] = {}
        for name in names:
            rate = median(rates[name])
            result.rows.append(
                (provider, name, f"{rate:,.0f}", f"{1e6 / rate:.2f}", f"{rate / base:.2f}x")
            )
            data[provider][name] = {"members_per_s": rate, "rounds": rates[name]}
        data[provider]["body_bytes"] = len(body)
        if provider == "engagelab":
            result.details.append(
                (
                    "cProfile of the EngageLab page parse (mailseg as is), own time per member; "
                    "cProfile inflates small calls, read the shares",
                    _profile(cases["mailseg page parse"], 200 if not quick else 50),
                )
            )
    for provider in pages:
        m = data[provider]["mailseg page parse"]["members_per_s"]
        p = data[provider]["pydantic model_validate_json"]["members_per_s"]
        result.notes.append(
            f"{provider}: pydantic (model_validate_json) parses {p / m:.1f}x as many members per "
            f"second as mailseg's page parse ({p:,.0f} vs {m:,.0f})."
        )
    result.data = data
    result.seconds = time.perf_counter() - started
    return result
