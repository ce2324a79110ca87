"""A bulk job with a progress bar that survives failures and resumes from them.

    python examples/bulk_progress.py          # against the built-in emulator

It tags 50,000 contacts through an emulator that fails 20% of requests with
503 or a reset, on a client told not to retry (so failures reach the job).
The job reports exactly which ids failed; a second call on ``failed_ids``,
once the faults are gone, completes it. With retries on (the default) most
such faults never surface at all.
"""

from __future__ import annotations

import asyncio
import sys
import time

import mailseg
from mailseg.testing import Emulator, Faults


class ProgressBar:
    """Draws ``done/total`` for ``on_progress(done_ids, total_ids)``."""

    def __init__(self, label: str, width: int = 30) -> None:
        self.label = label
        self.width = width
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int | None) -> None:
        if total:
            filled = self.width * done // total
            bar = f"[{'#' * filled:<{self.width}}] {done:>7}/{total}"
        else:
            bar = f"{done:>7} ids"
        rate = done / max(time.perf_counter() - self.started, 1e-9)
        end = "\n" if total and done >= total else ""
        sys.stdout.write(f"\r{self.label:<8} {bar}  {rate:,.0f} ids/s{end}")
        sys.stdout.flush()


async def main(contacts: int = 50_000, fault_rate: float = 0.2) -> mailseg.BulkResult:
    faults = Faults(rate=fault_rate, kinds=("503", "reset"), seed=3)
    async with Emulator("engagelab", contacts=contacts, faults=faults) as emu:
        ids = [contact.id for contact in emu.contacts]
        async with emu.client(max_retries=0, max_concurrency=8) as client:
            emu.faults = None  # the tag itself is created without faults
            vip = await client.tags.create("bulk_demo")
            emu.faults = faults
            try:
                result = await client.tags.add_members(
                    vip.id, ids, on_progress=ProgressBar("tagging")
                )
            except mailseg.BulkError as exc:
                failed = exc.result
                print(
                    f"{len(failed.failed)} of {failed.chunks} requests failed; "
                    f"{len(failed.failed_ids)} ids to send again"
                )
                emu.faults = None
                retry = ProgressBar("retrying")
                result = await client.tags.add_members(vip.id, failed.failed_ids, on_progress=retry)
        tagged = len(emu.tag_member_ids(vip.id))
        print(f"tagged in the emulator: {tagged} of {len(ids)}")
        return result


if __name__ == "__main__":
    asyncio.run(main())
