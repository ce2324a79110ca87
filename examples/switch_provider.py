"""Switch provider by configuration, not code.

    MAILSEG_PROVIDER=engagelab MAILSEG_API_USER=... MAILSEG_API_KEY=... \
        python examples/switch_provider.py

The same code runs against SendCloud with MAILSEG_PROVIDER=sendcloud: the
adapter is chosen from the environment (or from a mapping, see below).
"""

from __future__ import annotations

import asyncio
import os

import mailseg


async def summary(client: mailseg.Client) -> None:
    page = await client.tags.list(limit=5)
    print(f"{client.provider}: {page.total} tags; first {len(page)}:")
    for tag in page:
        print(f"  {tag.id}  {tag.name}  ({tag.member_count} contacts)")
    async for segment in client.segments.iterate(page_size=50):
        print(f"  segment {segment.name!r}: {segment.member_total} members, {segment.status}")


async def main() -> None:
    if os.environ.get("MAILSEG_PROVIDER"):
        client = mailseg.Client.from_env()
    else:
        # The same settings from a mapping (a config file, a secrets store).
        client = mailseg.Client.from_config(
            {"provider": "sendcloud", "api_user": "...", "api_key": "...", "timeout": 10}
        )
    async with client:
        await summary(client)


if __name__ == "__main__":
    asyncio.run(main())
