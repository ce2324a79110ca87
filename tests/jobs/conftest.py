"""Fixtures of the job tests: an emulator with a tag, and a ledger file of the test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from mailseg import _transport
from mailseg.jobs import SqliteLedger
from mailseg.testing import Emulator

PROVIDERS = ("sendcloud", "engagelab")


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without their backoff delay: faults are absorbed at once."""

    async def instant(_: float) -> None:
        return None

    monkeypatch.setattr(_transport, "_sleep", instant)


@pytest_asyncio.fixture(params=PROVIDERS)
async def emulator(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    """An emulator of 3000 contacts, once per provider."""
    async with Emulator(request.param, contacts=3000, seed=5, max_recorded=None) as emu:
        yield emu


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "jobs.sqlite"


@pytest_asyncio.fixture
async def ledger(ledger_path: Path) -> AsyncIterator[SqliteLedger]:
    async with SqliteLedger(ledger_path) as ledger:
        yield ledger


def write_lines(path: Path, lines: Iterator[str] | list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path
