"""Building a client: connect, from_env, from_config, sessions, provider discovery."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

import mailseg
from mailseg_engagelab import EngageLabAdapter
from mailseg_sendcloud import SendCloudAdapter
from tests.conftest import SEED_TOKEN, Wire

TAGS_PAGE = {"result": [], "total": 0, "count": 0}


def test_connect_needs_no_running_loop() -> None:
    client = mailseg.connect("sendcloud", api_user="u", api_key="k")
    assert client.provider == "sendcloud"
    assert client.base_url == "https://api2.sendcloud.net"


def test_default_base_urls() -> None:
    engagelab = mailseg.connect("engagelab", token="t")
    assert engagelab.base_url == "https://email.api.engagelab.cc"
    region = mailseg.connect("engagelab", token="t", base_url="https://emailapi-tr.engagelab.com/")
    assert region.base_url == "https://emailapi-tr.engagelab.com"


def test_installed_providers_are_discovered_through_entry_points() -> None:
    assert {"sendcloud", "engagelab"} <= set(mailseg.providers())
    from importlib.metadata import entry_points

    group = {ep.name: ep.value for ep in entry_points(group="mailseg.adapters")}
    assert group["sendcloud"] == "mailseg_sendcloud:SendCloudAdapter"
    assert group["engagelab"] == "mailseg_engagelab:EngageLabAdapter"


def test_unknown_provider_lists_the_installed_ones() -> None:
    with pytest.raises(mailseg.ConfigurationError) as caught:
        mailseg.connect("mailchimp", token="t")
    message = str(caught.value)
    assert "'mailchimp' is not installed" in message
    assert "engagelab, sendcloud" in message


def test_known_but_missing_provider_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from mailseg import _registry

    monkeypatch.setattr(_registry, "entry_points", lambda group: [])
    _registry._entry_points.cache_clear()
    try:
        with pytest.raises(mailseg.ConfigurationError) as caught:
            mailseg.connect("sendcloud", token="t")
    finally:
        monkeypatch.undo()
        _registry._entry_points.cache_clear()
    assert "pip install 'mailseg[sendcloud]'" in str(caught.value)
    assert "installed: none" in str(caught.value)


def test_an_adapter_class_or_instance_can_stand_for_the_name() -> None:
    assert mailseg.connect(SendCloudAdapter, token="t").provider == "sendcloud"
    assert mailseg.connect(EngageLabAdapter(), token="t").provider == "engagelab"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({}, "credentials are missing"),
        ({"api_user": "u"}, "credentials are missing"),
        ({"api_key": "k"}, "credentials are missing"),
        ({"token": "t", "timeout": 0}, "timeout"),
        ({"token": "t", "timeout": "3"}, "timeout"),
        ({"token": "t", "max_retries": -1}, "max_retries"),
        ({"token": "t", "base_url": "ftp://x"}, "base_url"),
        ({"token": "t", "base_url": "https://x/?a=1"}, "query"),
        ({"token": "t", "session": object()}, "session"),
    ],
    ids=repr,
)
def test_bad_settings_are_configuration_errors(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(mailseg.ConfigurationError) as caught:
        mailseg.connect("engagelab", **kwargs)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    "url", ["http://api2.sendcloud.net", "http://10.0.0.1:8080", "http://example.com"]
)
def test_http_is_refused_for_a_non_loopback_host(url: str) -> None:
    with pytest.raises(mailseg.ConfigurationError) as caught:
        mailseg.connect("sendcloud", token="t", base_url=url)
    assert "https" in str(caught.value)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8025", "http://localhost:1", "http://[::1]:80", "http://127.9.9.9"]
)
def test_http_is_allowed_for_loopback(url: str) -> None:
    assert mailseg.connect("sendcloud", token="t", base_url=url).base_url == url


def test_from_env_reads_every_setting() -> None:
    client = mailseg.Client.from_env(
        {
            "MAILSEG_PROVIDER": "engagelab",
            "MAILSEG_API_USER": "u",
            "MAILSEG_API_KEY": "k",
            "MAILSEG_BASE_URL": "http://127.0.0.1:8025",
            "MAILSEG_TIMEOUT": "2.5",
            "MAILSEG_MAX_RETRIES": "4",
            "MAILSEG_MAX_CONCURRENCY": "3",
            "MAILSEG_RATE_LIMIT": "12.5",
            "UNRELATED": "x",
        }
    )
    assert client.provider == "engagelab"
    assert client.base_url == "http://127.0.0.1:8025"
    assert client._transport.retry.max_retries == 4
    assert client._transport._timeout.total == 2.5
    assert client._transport.max_concurrency == 3
    assert client._transport._limiter is not None
    assert client._transport._limiter.interval == 1 / 12.5


def test_from_env_uses_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILSEG_PROVIDER", "sendcloud")
    monkeypatch.setenv("MAILSEG_TOKEN", "tok")
    assert mailseg.Client.from_env().provider == "sendcloud"


def test_from_env_names_the_variable_in_errors() -> None:
    with pytest.raises(mailseg.ConfigurationError) as caught:
        mailseg.Client.from_env({"MAILSEG_API_USER": "u"})
    assert "MAILSEG_PROVIDER is required" in str(caught.value)
    with pytest.raises(mailseg.ConfigurationError) as caught:
        mailseg.Client.from_env(
            {"MAILSEG_PROVIDER": "sendcloud", "MAILSEG_TOKEN": "t", "MAILSEG_TIMEOUT": "soon"}
        )
    assert "MAILSEG_TIMEOUT must be a number" in str(caught.value)


def test_from_config_takes_the_same_keys_and_refuses_others() -> None:
    client = mailseg.Client.from_config(
        {"provider": "sendcloud", "token": "t", "timeout": 3, "max_retries": "1"}
    )
    assert client.provider == "sendcloud"
    assert client._transport.retry.max_retries == 1
    with pytest.raises(mailseg.ConfigurationError) as caught:
        mailseg.Client.from_config({"provider": "sendcloud", "token": "t", "api_secret": "x"})
    assert "api_secret" in str(caught.value)


async def test_a_ready_token_is_sent_as_is(wire: Wire) -> None:
    wire.reply(200, TAGS_PAGE)
    wire.reply(200, {"list": [], "total": 0})
    async with wire.client("engagelab", token=SEED_TOKEN, api_user=None, api_key=None) as c:
        await c.tags.list()
    async with wire.client("sendcloud", token="ready-token") as c:
        await c.tags.list()
    assert wire.requests[0].headers["Authorization"] == f"Basic {SEED_TOKEN}"
    assert wire.requests[1].headers["Authorization"] == "Bearer ready-token"


async def test_a_callers_session_is_used_and_left_open(wire: Wire) -> None:
    wire.reply(200, TAGS_PAGE)
    async with aiohttp.ClientSession() as session:
        async with wire.client("engagelab", session=session) as client:
            await client.tags.list()
        assert not session.closed
    assert len(wire.requests) == 1


async def test_an_owned_session_is_closed_and_the_client_refuses_more_work(wire: Wire) -> None:
    wire.reply(200, TAGS_PAGE)
    client = wire.client("engagelab")
    await client.tags.list()
    session = client._transport.pool._session
    assert session is not None
    await client.close()
    assert session.closed
    with pytest.raises(mailseg.ConfigurationError, match="closed"):
        await client.tags.list()
