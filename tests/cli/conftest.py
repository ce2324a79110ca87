"""Fixtures for the command-line tests (the harness itself is in harness.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.harness import PROVIDERS, Served


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No MAILSEG_* variable of the developer's shell, and a private profile file."""
    for key in list(os.environ):
        if key.startswith("MAILSEG_"):
            monkeypatch.delenv(key)
    path = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("MAILSEG_CONFIG_FILE", str(path))
    monkeypatch.setenv("COLUMNS", "200")
    return path


@pytest.fixture
def config_file(_isolated: Path) -> Path:
    return _isolated


@pytest.fixture(params=PROVIDERS)
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    """An emulator of each provider in turn (fresh state for every test)."""
    server = Served(request.param)
    yield server
    server.close()


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """Start emulators with chosen options; all are closed after the test."""
    started: list[Served] = []

    def start(provider: str, **options: Any) -> Served:
        server = Served(provider, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
