"""The main job, end to end, for both providers: switching only configuration.

    bash scripts/demo.sh               # installs what it needs, then runs this file

Without ``MAILSEG_PROVIDER`` in the environment it starts mailseg's built-in
emulator of each provider in turn and runs the same job against each. With
``MAILSEG_PROVIDER`` and credentials set (see README, "Configuration") it runs
the job once against that real account; set ``MAILSEG_DEMO_CAMPAIGN_ID`` to a
sent campaign's id for the by-campaign segment (it is skipped otherwise).

The job: create a tag, find contacts through a by-field segment, tag a few
thousand of them in bulk, segment by that tag and by a campaign, wait for the
provider to process the segments (with visible progress), page through the
members, remove some, clean everything up, and print a summary per provider.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import time
from collections.abc import Mapping
from typing import Any

import mailseg
from mailseg import campaign, field, tag

TAG_AT_MOST = 3000


def say(message: str) -> None:
    print(message, flush=True)


def show_progress(label: str) -> Any:
    """An ``on_progress`` callback for `wait_until_complete`: a bar per read."""

    def draw(segment: mailseg.Segment) -> None:
        percent = segment.progress.percent if segment.progress else None
        percent = 100 if segment.status is mailseg.SegmentStatus.COMPLETED else (percent or 0)
        say(f"    {label:<16} [{'#' * (percent // 5):<20}] {percent:3d}%")

    return draw


async def main_job(client: mailseg.Client, campaign_id: int | None) -> dict[str, Any]:
    """Everything the demo does with one client; returns the figures for the summary."""
    started = time.perf_counter()
    suffix = secrets.token_hex(3)
    figures: dict[str, Any] = {"provider": client.provider}
    created_segments: list[str] = []
    vip = await client.tags.create(f"demo_vip_{suffix}")
    say(f"  created tag {vip.name} ({vip.id})")
    try:
        everyone = await client.segments.create(f"demo_all_{suffix}", field("Email").contains("@"))
        created_segments.append(everyone.id)
        everyone = await client.segments.wait_until_complete(
            everyone.id, poll_interval=0.05, on_progress=show_progress("all contacts")
        )
        figures["contacts"] = everyone.member_total

        # Collect ids a page at a time (never the whole list in memory).
        ids: list[str] = []
        async for member in client.segments.iterate_members(everyone.id, page_size=100):
            ids.append(member.id)
            if len(ids) >= TAG_AT_MOST:
                break
        tagged = await client.tags.add_members(
            vip.id, ids, on_progress=lambda done, total: say(f"    tagging {done}/{total}")
        )
        figures["tagged"] = tagged.requested
        figures["tag requests"] = tagged.chunks
        say(f"  tagged {tagged.requested} contacts in {tagged.chunks} requests")

        vips = await client.segments.create(f"demo_vips_{suffix}", tag(vip.name))
        created_segments.append(vips.id)
        waits = [
            client.segments.wait_until_complete(
                vips.id, poll_interval=0.05, on_progress=show_progress("by tag")
            )
        ]
        if campaign_id is not None:
            openers = await client.segments.create(
                f"demo_openers_{suffix}", campaign(campaign_id).opened()
            )
            created_segments.append(openers.id)
            waits.append(
                client.segments.wait_until_complete(
                    openers.id, poll_interval=0.05, on_progress=show_progress("opened campaign")
                )
            )
        done = await asyncio.gather(*waits)
        figures["by tag"] = done[0].member_total
        figures["opened campaign"] = done[1].member_total if len(done) > 1 else "skipped"

        first = await client.segments.members(vips.id, limit=5)
        say(f"  first page of {first.total}: " + ", ".join(m.email or m.id for m in first))
        paged = 0
        async for _ in client.segments.iterate_members(vips.id, page_size=100):
            paged += 1
        figures["paged"] = paged

        removed = await client.segments.remove_members(vips.id, [m.id for m in first])
        figures["removed"] = removed.succeeded
        after = await client.segments.members(vips.id, limit=1)
        figures["left in segment"] = after.total
    finally:
        for segment_id in created_segments:
            await client.segments.delete(segment_id)
        await client.tags.delete(vip.id)
        say("  cleaned up")
    figures["seconds"] = round(time.perf_counter() - started, 2)
    return figures


def print_summary(rows: list[Mapping[str, Any]]) -> None:
    keys = list(rows[0])
    width = max(len(k) for k in keys)
    say("\nsummary")
    for key in keys:
        say(f"  {key:<{width}}  " + "  ".join(f"{row.get(key)!s:>12}" for row in rows))


async def against_emulators(contacts: int = 5000) -> list[dict[str, Any]]:
    from mailseg.testing import Emulator

    rows = []
    for provider in ("sendcloud", "engagelab"):
        async with Emulator(provider, contacts=contacts, seed=7) as emu:
            # Only the configuration differs between providers.
            config = {"provider": provider, **emu.credentials, "base_url": emu.base_url}
            say(f"\n{provider} (emulator at {emu.base_url})")
            async with mailseg.Client.from_config(config) as client:
                rows.append(await main_job(client, campaign_id=1))
    return rows


async def against_real_account() -> list[dict[str, Any]]:
    raw = os.environ.get("MAILSEG_DEMO_CAMPAIGN_ID")
    async with mailseg.Client.from_env() as client:
        say(f"\n{client.provider} ({client.base_url})")
        return [await main_job(client, int(raw) if raw else None)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python examples/quickstart.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--contacts",
        type=int,
        default=5000,
        help="contacts in each emulator (default 5000; ignored with MAILSEG_PROVIDER)",
    )
    args = parser.parse_args(argv)
    if os.environ.get("MAILSEG_PROVIDER"):
        rows = asyncio.run(against_real_account())
    else:
        rows = asyncio.run(against_emulators(args.contacts))
    print_summary(rows)


if __name__ == "__main__":
    main()
