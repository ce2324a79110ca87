"""Pytest fixtures serving the mailseg emulator (loaded through the ``pytest11`` entry point).

Fixtures:

* ``sendcloud_emulator``: a running :class:`~mailseg.testing.Emulator` speaking SendCloud.
* ``engagelab_emulator``: the same, speaking EngageLab.
* ``mailseg_emulator``: parametrized over both providers, so a test runs once per provider.

Each fixture starts a fresh emulator on an ephemeral loopback port for the test and stops it
afterwards. Construction arguments come from the ``mailseg_emulator`` marker::

    @pytest.mark.mailseg_emulator(contacts=200, seed=3, processing_polls=0)
    async def test_something(mailseg_emulator): ...

The fixtures are async and need pytest-asyncio (any mode: they are declared with
``pytest_asyncio.fixture``).

This module is imported by pytest in every project that installs mailseg, so it imports
nothing heavy at import time and has no side effects: the emulator itself is imported when a
fixture is first used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mailseg.testing.emulator import Emulator

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - only without pytest-asyncio
    pytest_asyncio = None  # type: ignore[assignment]

_MARKER = "mailseg_emulator"
_PROVIDERS = ("sendcloud", "engagelab")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker so ``--strict-markers`` accepts it."""
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(**kwargs): keyword arguments for the mailseg emulator fixtures "
        "(contacts, seed, processing_polls, faults, ...)",
    )


def _marker_kwargs(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker(_MARKER)
    if marker is None:
        return {}
    if marker.args:
        raise pytest.UsageError(f"@pytest.mark.{_MARKER} takes keyword arguments only")
    return dict(marker.kwargs)


async def _serve(provider: str, request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    # Imported here so that loading the plugin does not import aiohttp.
    from mailseg.testing.emulator import Emulator

    kwargs = _marker_kwargs(request)
    kwargs.pop("provider", None)
    async with Emulator(provider, **kwargs) as emulator:
        yield emulator


if pytest_asyncio is not None:

    @pytest_asyncio.fixture
    async def sendcloud_emulator(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
        """A running emulator speaking SendCloud's dialect."""
        async for emulator in _serve("sendcloud", request):
            yield emulator

    @pytest_asyncio.fixture
    async def engagelab_emulator(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
        """A running emulator speaking EngageLab's dialect."""
        async for emulator in _serve("engagelab", request):
            yield emulator

    @pytest_asyncio.fixture(params=_PROVIDERS)
    async def mailseg_emulator(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
        """A running emulator, once per provider (the test id says which)."""
        async for emulator in _serve(request.param, request):
            yield emulator

else:  # pragma: no cover - only without pytest-asyncio

    def _missing(request: pytest.FixtureRequest) -> None:
        pytest.fail("the mailseg emulator fixtures need pytest-asyncio: pip install pytest-asyncio")

    sendcloud_emulator = pytest.fixture(name="sendcloud_emulator")(_missing)
    engagelab_emulator = pytest.fixture(name="engagelab_emulator")(_missing)
    mailseg_emulator = pytest.fixture(name="mailseg_emulator", params=_PROVIDERS)(_missing)
