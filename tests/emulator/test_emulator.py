"""The Emulator object: serving, credentials, the request log, the SDK hook."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import types
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

import mailseg
from mailseg.testing import DEFAULT_API_KEY, DEFAULT_API_USER, Emulator
from tests.emulator.emulator_wire import create_tag, k

if TYPE_CHECKING:
    from tests.emulator.conftest import Api


async def test_serves_on_loopback_with_an_ephemeral_port() -> None:
    emu = Emulator("sendcloud", contacts=5)
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.base_url
    async with emu:
        assert emu.base_url.startswith("http://127.0.0.1:")
        port = int(emu.base_url.rsplit(":", 1)[1])
        assert port > 0
        with pytest.raises(RuntimeError, match="already running"):
            await emu.start()
    # Closed: the port no longer answers, the state stays inspectable.
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"http://127.0.0.1:{port}/marketing/lists/tags")
    assert len(emu.contacts) == 5


async def test_every_installed_provider_name_is_accepted_as_a_str() -> None:
    # mailseg.providers() returns list[str]: its names go straight in (mypy included,
    # tests/test_typing.py), and each emulator then speaks that provider to the SDK.
    for name in mailseg.providers():
        async with Emulator(name, contacts=3) as emu, emu.client() as client:
            assert emu.provider == name
            tag = await client.tags.create("vip")
        assert emu.requests[-1].path == f"{emu.prefix}/tags"
        assert emu.tags[tag.id].name == "vip"


@pytest.mark.parametrize("name", ["mailchimp", "SendCloud", ""])
def test_a_provider_the_emulator_does_not_speak_is_refused_by_name(name: str) -> None:
    with pytest.raises(ValueError, match=r"^provider must be one of \['engagelab', 'sendcloud'\]"):
        Emulator(name)


def test_a_provider_that_is_not_a_str_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"^provider must be a str, not NoneType$"):
        Emulator(None)  # type: ignore[arg-type]


def test_credentials_and_authorization() -> None:
    sendcloud = Emulator("sendcloud", contacts=0)
    engagelab = Emulator("engagelab", contacts=0, api_user="u", api_key="k")
    assert dict(sendcloud.credentials) == {"api_user": DEFAULT_API_USER, "api_key": DEFAULT_API_KEY}
    token = base64.b64encode(f"{DEFAULT_API_USER}:{DEFAULT_API_KEY}".encode()).decode()
    assert sendcloud.authorization == f"Bearer {token}"
    assert engagelab.authorization == f"Basic {base64.b64encode(b'u:k').decode()}"
    assert (sendcloud.prefix, engagelab.prefix) == ("/marketing/lists", "/v1/marketing/lists")
    assert (sendcloud.update_method, engagelab.update_method) == ("PATCH", "PUT")
    with pytest.raises(TypeError):
        sendcloud.credentials["api_key"] = "x"  # type: ignore[index]


async def test_requests_are_recorded_with_the_credential_redacted(api: Api) -> None:
    await api("POST", f"{api.p}/tags", {k(api, "tag_name"): "rec"}, query={"x": "1"})
    await api("GET", f"{api.p}/tags", query={"offset": "0", k(api, "page_size"): "5"})
    await api("GET", f"{api.p}/tags", auth="Bearer")
    create, listing, bare = api.emu.requests[-3:]
    assert (create.method, create.path, create.query) == ("POST", f"{api.p}/tags", {"x": "1"})
    assert create.body == {k(api, "tag_name"): "rec"}
    assert create.status in (200, 201)
    assert listing.query == {"offset": "0", k(api, "page_size"): "5"}
    assert listing.body is None
    scheme = api.emu.authorization.split()[0]
    assert create.headers["Authorization"] == f"{scheme} <redacted>"
    assert bare.headers["Authorization"] == "<redacted>"
    secret = api.emu.authorization.split()[1]
    assert all(secret not in repr(r) for r in api.emu.requests)
    assert [r.index for r in api.emu.requests] == list(range(len(api.emu.requests)))
    api.emu.clear_requests()
    assert api.emu.requests == []


async def test_raw_path_keeps_percent_encoding(api: Api) -> None:
    tag_id = await create_tag(api, "教育_x")
    await api("GET", f"{api.p}/tags/{tag_id}/members?offset=0")
    await api("GET", f"{api.p}/tags?{k(api, 'tag_name')}=%E6%95%99")
    members, search = api.emu.requests[-2:]
    assert members.path == f"{api.p}/tags/{tag_id}/members"
    assert search.query == {k(api, "tag_name"): "教"}


@pytest.mark.emu(max_recorded=3)
async def test_the_request_log_is_bounded(api: Api) -> None:
    for _ in range(5):
        await api("GET", f"{api.p}/tags")
    assert [r.index for r in api.emu.requests] == [2, 3, 4]


async def test_the_app_runs_under_aiohttps_test_server() -> None:
    emu = Emulator("engagelab", contacts=20)
    async with TestClient(TestServer(emu.app)) as client:
        answer = await client.get(
            "/v1/marketing/lists/tags", headers={"Authorization": emu.authorization}
        )
        assert answer.status == 200
        assert (await answer.json())["total"] == len(emu.tags)
    assert emu.requests[-1].status == 200


async def test_client_calls_mailseg_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    fake = types.ModuleType("mailseg")

    def connect(provider: str, **options: Any) -> str:
        calls.append((provider, options))
        return "client"

    fake.connect = connect  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mailseg", fake)
    async with Emulator("engagelab", contacts=1) as emu:
        assert emu.client(timeout=3, api_key="wrong") == "client"  # type: ignore[comparison-overlap]
        assert calls == [
            (
                "engagelab",
                {
                    "api_user": DEFAULT_API_USER,
                    "api_key": "wrong",
                    "base_url": emu.base_url,
                    "timeout": 3,
                },
            )
        ]


def test_state_views_are_read_only() -> None:
    emu = Emulator("sendcloud", contacts=10)
    with pytest.raises(TypeError):
        emu.tags["x"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        emu.segments["x"] = None  # type: ignore[index]
    assert emu.contact(emu.contacts[3].id) is emu.contacts[3]
    with pytest.raises(KeyError):
        emu.contact("nope")


def test_importing_the_package_and_the_plugin_is_lazy() -> None:
    # pytest imports the plugin in every project that installs mailseg: it must not pull
    # in the emulator (and aiohttp with it) before a fixture is used.
    code = (
        "import sys, mailseg.testing, mailseg.testing.pytest_plugin;"
        "print('aiohttp' in sys.modules, 'mailseg.testing.emulator' in sys.modules)"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_env()
    ).stdout.split()
    assert out[1] == "False"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
