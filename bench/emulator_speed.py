"""How fast the emulator answers, so it is never the bottleneck of the SDK's benchmarks.

Measures, over real loopback HTTP with aiohttp:

* building an emulator of N contacts (generation and indexing);
* creating a segment over all of them (evaluation happens then, once);
* a members page (100 contacts) at various offsets, sequentially: median and p95;
* tagging: 1,000 requests of 1,000 ids at concurrency 16, as the SDK's bulk benchmark does.

Run: ``PYTHONPATH=. python bench/emulator_speed.py [--contacts 200000]``.
Figures go in docs/emulator.md. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import aiohttp

from mailseg.testing import Emulator


def _peak_mb() -> str:
    try:
        import resource
    except ImportError:  # Windows
        return "n/a"
    # ru_maxrss is in KiB on Linux (bytes on macOS, where this overstates by 1024).
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


async def run(contacts: int, pages: int, tag_requests: int, concurrency: int) -> None:
    started = time.perf_counter()
    emulator = Emulator("sendcloud", contacts=contacts, processing_polls=0, max_recorded=100)
    built = time.perf_counter() - started
    print(f"contacts: {contacts}")
    print(f"build emulator: {built:.2f} s, peak memory {_peak_mb()}")
    async with emulator, aiohttp.ClientSession(emulator.base_url) as session:
        headers = {"Authorization": emulator.authorization}
        base = emulator.prefix

        started = time.perf_counter()
        async with session.post(
            f"{base}/segments",
            json={
                "segmentName": "bench",
                "type": 0,
                "condition": {
                    "relation": "or",
                    "items": [
                        {"fieldName": "Age", "op": ">=", "value": "30"},
                        {"fieldName": "tag", "op": "==", "value": "vip"},
                    ],
                },
            },
            headers=headers,
        ) as response:
            segment_id = (await response.json())["segmentId"]
        created = time.perf_counter() - started
        total = emulator.segments[segment_id].member_total
        print(f"create segment over all contacts ({total} members): {_ms(created)}")

        latencies = []
        for i in range(pages):
            offset = (i * 7919 * 100) % max(total - 100, 1)
            started = time.perf_counter()
            async with session.post(
                f"{base}/segments/{segment_id}/members?offset={offset}&count=100", headers=headers
            ) as response:
                body = await response.json()
            latencies.append(time.perf_counter() - started)
            assert len(body["list"]) == 100
        latencies.sort()
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(
            f"members page of 100 ({pages} pages): median {_ms(statistics.median(latencies))}, "
            f"p95 {_ms(p95)}"
        )

        async with session.post(f"{base}/tags", json={"tagName": "bulk"}, headers=headers) as r:
            tag_id = (await r.json())["id"]
        ids = [c.id for c in emulator.contacts]
        batches = [
            [ids[(n * 1000 + k) % len(ids)] for k in range(1000)] for n in range(tag_requests)
        ]
        queue: asyncio.Queue[list[str]] = asyncio.Queue()
        for batch in batches:
            queue.put_nowait(batch)

        async def worker() -> None:
            while not queue.empty():
                batch = queue.get_nowait()
                async with session.post(
                    f"{base}/tags/{tag_id}/add", json={"memberIds": batch}, headers=headers
                ) as response:
                    assert (await response.json())["successCount"] == 1000

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        print(
            f"tag add: {tag_requests} requests x 1000 ids at concurrency {concurrency}: "
            f"{elapsed:.2f} s, {tag_requests / elapsed:.0f} requests/s, "
            f"{tag_requests * 1000 / elapsed:,.0f} ids/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--tag-requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(run(args.contacts, args.pages, args.tag_requests, args.concurrency))


if __name__ == "__main__":
    main()
