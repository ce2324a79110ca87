"""Run independent operations concurrently with asyncio.gather.

One client holds one connection pool; every coroutine below shares it.

    MAILSEG_PROVIDER=sendcloud MAILSEG_TOKEN=... python examples/gather.py
"""

from __future__ import annotations

import asyncio

import mailseg
from mailseg import field, tag


async def main() -> None:
    async with mailseg.Client.from_env() as client:
        # Create three tags at once.
        vip, trial, churned = await asyncio.gather(
            client.tags.create("vip"),
            client.tags.create("trial"),
            client.tags.create("churned"),
        )
        print("tags:", vip.id, trial.id, churned.id)

        # Two segments at once, then wait for both to finish processing.
        young, vips = await asyncio.gather(
            client.segments.create("young", field("Age") < 25),
            client.segments.create("vips", tag("vip")),
        )
        done = await asyncio.gather(
            client.segments.wait_until_complete(young.id),
            client.segments.wait_until_complete(vips.id),
        )
        for segment in done:
            print(f"{segment.name}: {segment.member_total} members")

        # Errors come back per operation with return_exceptions=True.
        results = await asyncio.gather(
            client.segments.get(young.id),
            client.segments.get("no-such-segment"),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, mailseg.NotFoundError):
                print("not found:", result.path)

        await asyncio.gather(
            *(client.segments.delete(s.id) for s in done),
            *(client.tags.delete(t.id) for t in (vip, trial, churned)),
        )


if __name__ == "__main__":
    asyncio.run(main())
