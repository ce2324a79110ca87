"""Regression tests for the hardening of issue 8: what a bad setting or a bad server cannot do.

- a response body is capped (``max_response_bytes``), counted after decompression;
- control characters in a credential, a ``:`` in ``api_user`` and userinfo in ``base_url``
  are refused at ``connect``, without echoing the value;
- a 503's and a 429's ``Retry-After`` travel with the error;
- no object reachable from a raised error (cause, context, attributes) holds a credential;
- redirects are not followed, so credentials and bodies never reach another host;
- whatever aiohttp raises while building or sending a request ends as a mailseg error.

``tests/test_hostile_servers.py`` runs every operation against misbehaving servers.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import mailseg
from mailseg import _transport
from mailseg_sendcloud import SendCloudAdapter
from tests.conftest import Wire

KEY = "k3y-s3cr3t"
TOKEN = "s3cr3t-token"
SECRETS = (KEY, TOKEN, base64.b64encode(f"api_user:{KEY}".encode()).decode())
SEGMENT = {"status": 2}  # any JSON: the body is refused before it is read


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    delays: list[float] = []

    async def fake_sleep(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr(_transport, "_sleep", fake_sleep)
    return delays


def reachable(root: object) -> Iterator[object]:
    """Every object reachable from an exception: cause, context, attributes, their items."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, (int, float, bool)):
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, BaseException):
            stack += [obj.__cause__, obj.__context__, *obj.args]
        if isinstance(obj, dict):
            stack += [*obj.keys(), *obj.values()]
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack += list(obj)
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            stack += list(vars(obj).values())
        for slot in getattr(type(obj), "__slots__", ()):
            stack.append(getattr(obj, slot, None))


def assert_nothing_reachable_holds_a_secret(error: BaseException) -> None:
    for obj in reachable(error):
        for text in (repr(obj), str(obj)):
            for secret in SECRETS:
                assert secret not in text, f"{type(obj).__name__} shows a credential"


# -- the response size cap ---------------------------------------------------------------------


async def test_a_body_over_the_cap_is_refused_with_its_size_and_the_limit(wire: Wire) -> None:
    wire.reply(200, b'{"list": [' + b'"x",' * 5000 + b'"x"], "total": 1}')
    async with wire.client("sendcloud", max_response_bytes=10_000) as client:
        with pytest.raises(mailseg.ResponseTooLargeError) as caught:
            await client.segments.list()
    error = caught.value
    assert isinstance(error, mailseg.UnexpectedResponseError)
    assert error.limit == 10_000
    assert error.size > 10_000
    assert "over the limit of 10000 bytes" in str(error)
    assert f"says it is {error.size} bytes" in str(error)  # the Content-Length said so
    assert error.method == "GET"


async def test_the_cap_counts_the_decompressed_body(wire: Wire) -> None:
    inflated = b'{"list": [], "total": 0, "pad": "' + b" " * 2_000_000 + b'"}'
    wire.reply(200, gzip.compress(inflated), **{"Content-Encoding": "gzip"})
    async with wire.client("sendcloud", max_response_bytes=100_000) as client:
        with pytest.raises(mailseg.ResponseTooLargeError) as caught:
            await client.segments.list()
    assert "passed" in str(caught.value)  # counted while streaming, not declared
    assert 100_000 < caught.value.size < len(inflated)  # reading stopped near the limit


async def test_a_body_at_the_cap_is_read(wire: Wire) -> None:
    body = b'{"list": [], "total": 0}'
    wire.reply(200, body)
    async with wire.client("sendcloud", max_response_bytes=len(body)) as client:
        page = await client.segments.list()
    assert page.total == 0


def test_the_default_cap_is_16_mib() -> None:
    assert mailseg.Settings("sendcloud").max_response_bytes == 16 * 1024 * 1024


@pytest.mark.parametrize("value", [0, -1, 1.5, "many", True])
def test_a_bad_cap_is_a_configuration_error(value: Any) -> None:
    with pytest.raises(mailseg.ConfigurationError, match="max_response_bytes"):
        mailseg.connect("sendcloud", api_user="u", api_key="k", max_response_bytes=value)


def test_the_cap_is_read_from_the_environment() -> None:
    client = mailseg.Client.from_env(
        {
            "MAILSEG_PROVIDER": "sendcloud",
            "MAILSEG_TOKEN": "t",
            "MAILSEG_MAX_RESPONSE_BYTES": "4096",
        }
    )
    assert client.settings.max_response_bytes == 4096


# -- credentials checked at connect -------------------------------------------------------------


@pytest.mark.parametrize("char", ["\r", "\n", "\0", "\x7f", "\x1b", "\x85"], ids=repr)
@pytest.mark.parametrize("option", ["api_user", "api_key", "token"])
def test_a_control_character_in_a_credential_is_refused_without_echo(
    option: str, char: str
) -> None:
    secret = f"s3cr3t{char}tail"
    options = {"api_user": "u", "api_key": "k", option: secret}
    with pytest.raises(mailseg.ConfigurationError) as caught:
        mailseg.connect("sendcloud", **options)
    message = str(caught.value)
    assert option in message
    assert "control character" in message
    assert "s3cr3t" not in message
    assert "tail" not in message


def test_control_characters_are_refused_from_the_environment_and_config() -> None:
    environ = {"MAILSEG_PROVIDER": "engagelab", "MAILSEG_API_USER": "u"}
    with pytest.raises(mailseg.ConfigurationError, match="api_key holds a control character"):
        # A key read from a file, its newline and all.
        mailseg.Client.from_env({**environ, "MAILSEG_API_KEY": "k3y\n"})
    config = {"provider": "engagelab", "api_user": "u", "api_key": "k\r"}
    with pytest.raises(mailseg.ConfigurationError, match="api_key holds a control character"):
        mailseg.Client.from_config(config)


def test_a_colon_in_api_user_is_refused_rfc_7617() -> None:
    with pytest.raises(mailseg.ConfigurationError, match="RFC 7617") as caught:
        mailseg.connect("engagelab", api_user="team:s3cr3t", api_key="k")
    assert "s3cr3t" not in str(caught.value)


def test_a_colon_in_api_key_is_fine() -> None:
    # Only the first colon separates user and key: the key may hold more.
    mailseg.connect("engagelab", api_user="u", api_key="a:b:c")


@pytest.mark.parametrize(
    "url",
    [
        "https://user:s3cr3t@api2.sendcloud.net",
        "https://s3cr3t@api2.sendcloud.net",
        "https://:s3cr3t@api2.sendcloud.net",
        "http://user:s3cr3t@127.0.0.1:8025",
    ],
)
def test_userinfo_in_base_url_is_refused_without_echo(url: str) -> None:
    with pytest.raises(mailseg.ConfigurationError, match="must not carry credentials") as caught:
        mailseg.connect("sendcloud", api_user="u", api_key="k", base_url=url)
    assert "s3cr3t" not in str(caught.value)
    assert "s3cr3t" not in repr(caught.value)


@pytest.mark.parametrize("url", ["https://api2.sendcloud.net\r\nX: y", "https://api2 .net"])
def test_control_characters_or_spaces_in_base_url_are_refused(url: str) -> None:
    with pytest.raises(mailseg.ConfigurationError, match="base_url"):
        mailseg.connect("sendcloud", api_user="u", api_key="k", base_url=url)


# -- Retry-After, carried -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"), [(503, mailseg.ServerError), (429, mailseg.RateLimitError)]
)
async def test_a_long_retry_after_ends_at_once_and_is_carried(
    wire: Wire, slept: list[float], status: int, error: type[mailseg.APIError]
) -> None:
    wire.reply(status, b"", **{"Retry-After": "120"})
    async with wire.client("sendcloud", max_retries=3) as client:
        with pytest.raises(error) as caught:
            await client.segments.get("s1")
    assert type(caught.value) is error
    assert caught.value.retry_after == 120  # type: ignore[attr-defined]
    assert len(wire.requests) == 1  # over the 60 s cap: no retry, no wait
    assert slept == []


@pytest.mark.parametrize(
    ("status", "error"), [(503, mailseg.ServerError), (429, mailseg.RateLimitError)]
)
async def test_a_short_retry_after_is_waited_and_still_carried_at_the_end(
    wire: Wire, slept: list[float], status: int, error: type[mailseg.APIError]
) -> None:
    for _ in range(2):
        wire.reply(status, b"", **{"Retry-After": "3"})
    async with wire.client("engagelab", max_retries=1) as client:
        with pytest.raises(error) as caught:
            await client.segments.get("s1")
    assert caught.value.retry_after == 3  # type: ignore[attr-defined]
    assert slept == [3]


async def test_a_503_without_retry_after_carries_none(wire: Wire, slept: list[float]) -> None:
    wire.reply(503, b"")
    async with wire.client("sendcloud") as client:
        with pytest.raises(mailseg.ServerError) as caught:
            await client.segments.get("s1")
    assert caught.value.retry_after is None


# -- redirects ----------------------------------------------------------------------------------


@pytest.fixture
async def elsewhere() -> Any:
    """Another host's server, recording whatever reaches it."""
    seen: list[tuple[str, dict[str, str], bytes]] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append((request.method, dict(request.headers), await request.read()))
        return web.json_response({"list": [], "total": 0})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/stolen")), seen
    finally:
        await server.close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_not_followed_and_nothing_reaches_the_other_host(
    wire: Wire, elsewhere: Any, status: int
) -> None:
    target, seen = elsewhere
    wire.reply(status, b"", Location=target)
    async with wire.client("sendcloud", api_key=KEY, max_retries=2) as client:
        with pytest.raises(mailseg.UnexpectedResponseError) as caught:
            await client.segments.update("s1", condition=mailseg.field("Age") > 1)
    error = caught.value
    assert seen == []
    assert len(wire.requests) == 1  # not retried either
    assert f"redirect (HTTP {status}) to http://127.0.0.1" in str(error)
    assert_nothing_reachable_holds_a_secret(error)


# -- nothing reachable from an error holds a credential ----------------------------------------


def _request_info(authorization: str) -> aiohttp.RequestInfo:
    """What aiohttp keeps of a request on its exceptions: the headers too."""
    headers = CIMultiDictProxy(CIMultiDict({"Authorization": authorization}))
    return aiohttp.RequestInfo(URL("https://h/x"), "GET", headers)


@pytest.mark.parametrize(
    "exc",
    [
        aiohttp.TooManyRedirects(_request_info(f"Bearer {TOKEN}"), ()),
        aiohttp.ClientResponseError(_request_info(f"Basic {TOKEN}"), (), status=400),
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientPayloadError("cut short"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_no_object_reachable_from_a_transport_error_holds_a_credential(
    monkeypatch: pytest.MonkeyPatch, slept: list[float], exc: Exception
) -> None:
    # aiohttp's own exceptions carry the request's headers (a redirect loop's did, with
    # Authorization): the mailseg error names them and keeps none of them.
    assert TOKEN in repr(exc) or not isinstance(exc, aiohttp.ClientResponseError)

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise exc

    monkeypatch.setattr(aiohttp.ClientSession, "request", failing)
    async with mailseg.connect("engagelab", token=TOKEN, max_retries=1) as client:
        with pytest.raises(mailseg.TransportError) as caught:
            await client.segments.get("s1")
    assert type(exc).__name__ in str(caught.value)
    assert_nothing_reachable_holds_a_secret(caught.value)


# -- whatever aiohttp raises while building or sending ---------------------------------------


class HeaderSplitting(SendCloudAdapter):
    """An adapter whose header aiohttp refuses to send (a \\r\\n in it)."""

    def authorization(self, credentials: Any) -> str:
        return f"Bearer {TOKEN}\r\nX-Injected: 1"


async def test_a_request_aiohttp_cannot_build_is_a_transport_error_not_a_value_error(
    wire: Wire,
) -> None:
    async with wire.client(HeaderSplitting, max_retries=2) as client:
        with pytest.raises(mailseg.TransportError, match="could not be sent") as caught:
            await client.segments.get("s1")
    assert wire.requests == []
    assert_nothing_reachable_holds_a_secret(caught.value)


async def test_a_closed_caller_session_is_a_mailseg_error(wire: Wire) -> None:
    session = aiohttp.ClientSession()
    await session.close()
    async with wire.client("sendcloud", session=session) as client:
        with pytest.raises(mailseg.TransportError, match="could not be sent"):
            await client.segments.get("s1")
