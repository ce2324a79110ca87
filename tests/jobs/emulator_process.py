"""The standalone emulator of the distributed tests, in a process of its own, with a log.

``python -m tests.jobs.emulator_process PROVIDER CONTACTS LATENCY`` serves an emulator
on a free loopback port and prints one JSON line: its base URL, its credentials, and an
admin URL on a second port that answers ``GET /log`` (every request's arrival time,
method, path, status and ids) and ``GET /tags/{id}`` (the tag's member ids). The log is
taken in the emulator's own process, so it measures what reached the provider.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from mailseg.testing import Emulator, Faults


async def main(provider: str, contacts: int, latency: float) -> None:
    emu = Emulator(provider, contacts=contacts, seed=13, max_recorded=0)  # type: ignore[arg-type]
    emu.faults = Faults(latency=latency)
    log: list[dict[str, Any]] = []

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        arrived = time.time()
        body = await request.read()
        response = await handler(request)
        ids: list[str] = []
        if body:
            data = json.loads(body)
            ids = data.get("member_ids") or data.get("memberIds") or []
        log.append(
            {
                "at": arrived,
                "method": request.method,
                "path": request.path,
                "status": response.status,
                "ids": ids,
            }
        )
        return response

    emu.app.middlewares.insert(0, record)  # outermost: sees every request, faults included
    await emu.start()

    async def get_log(_: web.Request) -> web.Response:
        return web.json_response(log)

    async def get_tag(request: web.Request) -> web.Response:
        return web.json_response(emu.tag_member_ids(request.match_info["tag_id"]))

    admin = web.Application()
    admin.router.add_get("/log", get_log)
    admin.router.add_get("/tags/{tag_id}", get_tag)
    runner = web.AppRunner(admin, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(
        json.dumps(
            {
                "base_url": emu.base_url,
                "admin_url": f"http://127.0.0.1:{port}",
                "contacts": [c.id for c in emu.contacts],
                **emu.credentials,
            }
        ),
        flush=True,
    )
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
