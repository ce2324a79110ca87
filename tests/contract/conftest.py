"""An emulator served from a thread of its own, for the synchronous HTTP of schemathesis."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from mailseg.testing import Emulator


class ServedEmulator:
    """An :class:`Emulator` running on an event loop in a background thread."""

    def __init__(self, provider: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.emu = Emulator(provider, contacts=200, seed=5, processing_polls=1, max_recorded=50)
        asyncio.run_coroutine_threadsafe(self.emu.start(), self.loop).result(timeout=10)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.emu.close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, ServedEmulator]]:
    """One served emulator per provider, shared by a module's tests."""
    servers = {name: ServedEmulator(name) for name in ("sendcloud", "engagelab")}
    try:
        yield servers
    finally:
        for server in servers.values():
            server.close()
