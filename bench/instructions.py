"""Instructions per call of the client process, counted by valgrind's callgrind.

    python -m bench.instructions                 # every case, mailseg and bare, in turn
    python -m bench.instructions get-mailseg     # some of them

Other load on the machine does not change an instruction count the way it changes a
wall time (it moves by about 1 %: a client that finds the answer not yet there goes
round the event loop once more), so these decide between two versions of the code
where paired wall-clock rounds on a busy machine cannot. They count the client's
user-space work only: not the kernel's, not the server's.

Each case runs in a fresh interpreter under ``valgrind --tool=callgrind
--instr-atstart=no``, against the fixed-answer raw server of benchmark 1 in its own
process (not counted); collection is switched on (``callgrind_control -i on``) for
the timed calls only, after as many warm-up calls. Needs valgrind.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

import mailseg
from bench._bodies import SEGMENT_ID
from bench._processes import child_env, server_process

API_USER = "bench_user"
API_KEY = "bench-key-not-a-secret"
#: Case -> calls timed (a member case counts pages of 100).
CASES = {
    "get-mailseg": 300,
    "get-bare": 300,
    "tags-mailseg": 300,
    "tags-bare": 300,
    "sget-mailseg": 300,
    "sget-bare": 300,
    "stags-mailseg": 300,
    "stags-bare": 300,
    "members-mailseg": 30,
    "members-bare": 30,
}


def _collect(on: bool) -> None:
    subprocess.run(  # noqa: S603 (valgrind's own tool, our pid)
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],  # noqa: S607
        check=True,
        capture_output=True,
    )


async def _child(base: str, case: str, n: int) -> None:
    token = base64.b64encode(f"{API_USER}:{API_KEY}".encode()).decode()
    headers = {
        "Authorization": f"Basic {token}",
        "Accept": "application/json",
        "User-Agent": f"mailseg/{mailseg.__version__}",
    }
    sendcloud_headers = {**headers, "Authorization": f"Bearer {token}"}
    engagelab = mailseg.connect("engagelab", api_user=API_USER, api_key=API_KEY, base_url=base)
    sendcloud = mailseg.connect("sendcloud", api_user=API_USER, api_key=API_KEY, base_url=base)
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30.0))

    def bare(path: str, sent: dict[str, str]) -> Callable[[], Awaitable[Any]]:
        url = base + path

        async def get() -> Any:
            async with session.get(url, headers=sent) as response:
                body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            return json.loads(body)

        return get

    members_url = f"{base}/v1/marketing/lists/segments/{SEGMENT_ID}/members"
    members_headers = {**headers, "Content-Type": "application/json; charset=utf-8"}

    async def members_bare() -> int:
        count = offset = 0
        while count < 100 * n:
            params = {"offset": str(offset), "limit": "100"}
            async with session.post(
                members_url, params=params, data=b"{}", headers=members_headers
            ) as response:
                body = await response.read()
            items = json.loads(body)["result"] or []
            for _member in items:
                count += 1
            offset += len(items)
        return count

    async def members_mailseg() -> int:
        count = 0
        async for _member in engagelab.segments.iterate_members(SEGMENT_ID, page_size=100):
            count += 1
            if count == 100 * n:
                break
        return count

    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "get-mailseg": lambda: engagelab.segments.get(SEGMENT_ID),
        "get-bare": bare(f"/v1/marketing/lists/segments/{SEGMENT_ID}", headers),
        "tags-mailseg": lambda: engagelab.tags.list(),
        "tags-bare": bare("/v1/marketing/lists/tags?offset=0&limit=10", headers),
        "sget-mailseg": lambda: sendcloud.segments.get(SEGMENT_ID),
        "sget-bare": bare(f"/marketing/lists/segments/{SEGMENT_ID}", sendcloud_headers),
        "stags-mailseg": lambda: sendcloud.tags.list(),
        "stags-bare": bare("/marketing/lists/tags?offset=0&count=10", sendcloud_headers),
    }
    try:
        if case.startswith("members"):
            walk = members_mailseg if case == "members-mailseg" else members_bare
            await walk()
            _collect(True)
            await walk()
            _collect(False)
        else:
            call = calls[case]
            for _ in range(n):
                await call()
            _collect(True)
            for _ in range(n):
                await call()
            _collect(False)
    finally:
        await engagelab.close()
        await sendcloud.close()
        await session.close()


def count(base: str, case: str) -> float:
    """Instructions per call (per page for a member case) of ``case``."""
    n = CASES[case]
    with tempfile.TemporaryDirectory() as where:
        completed = subprocess.run(  # noqa: S603 (valgrind running our interpreter)
            [  # noqa: S607
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={where}/out",
                sys.executable,
                "-m",
                "bench.instructions",
                "--child",
                base,
                case,
                str(n),
            ],
            env=child_env(),
            capture_output=True,
            text=True,
            check=True,
        )
    found = re.search(r"Collected : (\d+)", completed.stderr)
    if found is None:
        raise RuntimeError(f"callgrind counted nothing for {case}:\n{completed.stderr[-2000:]}")
    return int(found.group(1)) / n


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        asyncio.run(_child(argv[1], argv[2], int(argv[3])))
        return 0
    cases = argv or list(CASES)
    with server_process("fixed", "--engine", "raw") as server:
        for case in cases:
            print(f"{case:16} {count(server.base_url, case):12,.0f} instructions", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
