"""The command-line test harness: an emulator on a background loop, and a command runner.

A command runs `asyncio.run` in the test's thread (as it does in a shell), so the
emulator serves from its own thread and event loop. Its state is read between
commands, when it is idle, through `Served.call` (on its loop).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from click.testing import CliRunner, Result

from mailseg.cli.app import cli
from mailseg.testing import Emulator

T = TypeVar("T")
PROVIDERS = ("sendcloud", "engagelab")


class Served:
    """An emulator serving on its own thread, for commands run in the test's thread."""

    def __init__(self, provider: str, **options: Any) -> None:
        self.provider = provider
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        options.setdefault("contacts", 200)
        options.setdefault("processing_polls", 1)
        self.emulator: Emulator = self.call(lambda: _started(Emulator(provider, **options)))

    def call(self, function: Callable[[], Any]) -> Any:
        """Run *function* on the emulator's loop (awaiting it if it returns an awaitable)."""

        async def wrapper() -> Any:
            value = function()
            if asyncio.iscoroutine(value):
                value = await value
            return value

        future: Future[Any] = asyncio.run_coroutine_threadsafe(wrapper(), self.loop)
        return future.result(timeout=30)

    @property
    def env(self) -> dict[str, str]:
        """The ``MAILSEG_*`` variables that point a command at this emulator."""
        credentials = self.emulator.credentials
        return {
            "MAILSEG_PROVIDER": self.provider,
            "MAILSEG_API_USER": credentials["api_user"],
            "MAILSEG_API_KEY": credentials["api_key"],
            "MAILSEG_BASE_URL": self.emulator.base_url,
            "MAILSEG_MAX_RETRIES": "0",
        }

    def close(self) -> None:
        self.call(self.emulator.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


async def _started(emulator: Emulator) -> Emulator:
    await emulator.start()
    return emulator


def run(
    args: Sequence[str],
    env: Mapping[str, str | None] | None = None,
    *,
    input: str | None = None,
    code: int | None = 0,
) -> Result:
    """Run one ``mailseg`` command in process; check its exit status unless *code* is None."""
    result = CliRunner().invoke(
        cli, list(args), env=dict(env or {}), input=input, prog_name="mailseg"
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    if code is not None:
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return result


def run_json(args: Sequence[str], env: Mapping[str, str | None] | None = None, **kw: Any) -> Any:
    """Run a command with ``--output json`` and return the parsed document."""
    result = run([*args, "--output", "json"], env, **kw)
    return json.loads(result.stdout)
