"""Fixtures for the emulator's own tests: a running emulator and a raw HTTP caller.

The caller is plain aiohttp, shaped like the providers' curl examples: the tests check the
emulator's wire format on its own, without the SDK.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import attrs
import pytest

from mailseg.testing import Emulator

PROVIDERS = ("sendcloud", "engagelab")
#: Small enough to be quick, large enough for several pages of most segments.
CONTACTS = 400
SEED = 11

_NO_BODY: Any = object()
_DEFAULT_AUTH: Any = object()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "emu(**kwargs): Emulator arguments for the emu fixtures")


@attrs.frozen
class Answer:
    """One answer as received: status, headers, raw bytes, and the JSON if it parses."""

    status: int
    headers: Mapping[str, str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw)


class Api:
    """Raw HTTP to one emulator, authenticated like the provider's examples by default."""

    def __init__(self, emulator: Emulator, session: aiohttp.ClientSession) -> None:
        self.emu = emulator
        self.session = session
        #: The provider's path prefix, so one test body can serve both providers.
        self.p = emulator.prefix

    async def __call__(
        self,
        method: str,
        path: str,
        body: Any = _NO_BODY,
        *,
        data: bytes | None = None,
        query: Mapping[str, str] | None = None,
        auth: str | None = _DEFAULT_AUTH,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        if auth is _DEFAULT_AUTH:
            sent["Authorization"] = self.emu.authorization
        elif auth is not None:
            sent["Authorization"] = auth
        if body is not _NO_BODY:
            data = json.dumps(body, ensure_ascii=False).encode()
            sent.setdefault("Content-Type", "application/json; charset=utf-8")
        async with self.session.request(
            method, self.emu.base_url + path, data=data, params=query, headers=sent
        ) as response:
            raw = await response.read()
            return Answer(response.status, dict(response.headers), raw)


def _kwargs(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("emu")
    kwargs: dict[str, Any] = {"contacts": CONTACTS, "seed": SEED, "processing_polls": 0}
    if marker is not None:
        kwargs.update(marker.kwargs)
    return kwargs


@pytest.fixture(params=PROVIDERS)
async def emu(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    """A running emulator, once per provider."""
    async with Emulator(request.param, **_kwargs(request)) as emulator:
        yield emulator


@pytest.fixture
async def sc(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    """A running SendCloud emulator."""
    async with Emulator("sendcloud", **_kwargs(request)) as emulator:
        yield emulator


@pytest.fixture
async def el(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    """A running EngageLab emulator."""
    async with Emulator("engagelab", **_kwargs(request)) as emulator:
        yield emulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def api(emu: Emulator, session: aiohttp.ClientSession) -> Api:
    return Api(emu, session)


@pytest.fixture
def sc_api(sc: Emulator, session: aiohttp.ClientSession) -> Api:
    return Api(sc, session)


@pytest.fixture
def el_api(el: Emulator, session: aiohttp.ClientSession) -> Api:
    return Api(el, session)
