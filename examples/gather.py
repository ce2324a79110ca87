"""Run independent operations concurrently with asyncio.gather.

One client holds one connection pool; every coroutine below shares it.

    MAILSEG_PROVIDER=sendcloud MAILSEG_TOKEN=... python examples/gather.py

Against the standalone emulator (``python -m mailseg.testing``), set
``MAILSEG_BASE_URL=http://127.0.0.1:8025`` and its credentials (README, "The
emulator"). The names carry a random suffix, so a run never collides with an
earlier one or with the account's own tags, and everything created is deleted
at the end, even when a step fails.
"""

from __future__ import annotations

import asyncio
import secrets

import mailseg
from mailseg import field, tag


async def main(client: mailseg.Client, poll_interval: float = 2.0) -> None:
    """The concurrent tour; deletes every tag and segment it created, whatever happens."""
    suffix = secrets.token_hex(3)
    tags: list[mailseg.Tag] = []
    segments: list[mailseg.Segment] = []
    try:
        # Create three tags at once. return_exceptions=True keeps the ones that were
        # created when another failed, so that they are deleted below.
        created = await asyncio.gather(
            *(client.tags.create(f"{name}_{suffix}") for name in ("early", "trial", "churned")),
            return_exceptions=True,
        )
        tags = [t for t in created if isinstance(t, mailseg.Tag)]
        for outcome in created:
            if isinstance(outcome, BaseException):
                raise outcome
        print("tags:", ", ".join(t.name for t in tags))

        # Two segments at once, then wait for both to finish processing.
        made = await asyncio.gather(
            client.segments.create(f"young_{suffix}", field("Age") < 25),
            client.segments.create(f"vips_{suffix}", tag("vip")),
            return_exceptions=True,
        )
        segments = [s for s in made if isinstance(s, mailseg.Segment)]
        for outcome in made:
            if isinstance(outcome, BaseException):
                raise outcome
        waits = (
            client.segments.wait_until_complete(s.id, poll_interval=poll_interval) for s in segments
        )
        done = await asyncio.gather(*waits)
        for segment in done:
            print(f"{segment.name}: {segment.member_total} members")

        # Errors come back per operation with return_exceptions=True.
        results = await asyncio.gather(
            client.segments.get(segments[0].id),
            client.segments.get("no-such-segment"),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, mailseg.NotFoundError):
                print("not found:", result.path)
    finally:
        # Concurrent clean-up; one failed delete does not stop the others, and is shown.
        deleted = await asyncio.gather(
            *(client.segments.delete(s.id) for s in segments),
            *(client.tags.delete(t.id) for t in tags),
            return_exceptions=True,
        )
        for thing, outcome in zip([*segments, *tags], deleted, strict=True):
            if isinstance(outcome, BaseException):
                print(f"could not delete {thing.name} ({thing.id}): {outcome}")
        print("cleaned up")


async def run() -> None:
    async with mailseg.Client.from_env() as client:
        await main(client)


if __name__ == "__main__":
    asyncio.run(run())
