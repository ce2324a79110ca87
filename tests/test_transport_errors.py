"""Every aiohttp failure ends as a mailseg error, retried only when that is safe.

aioresponses raises the client-side exceptions a loopback server cannot
produce on demand (a payload cut short, a TLS failure, a DNS failure). It is
used for exceptions only: aioresponses 0.7.9 cannot build a response under
aiohttp 3.14 (pnuckowski/aioresponses#289); responses come from the loopback
server in conftest.
"""

from __future__ import annotations

import re
import ssl

import aiohttp
import pytest
from aioresponses import aioresponses

import mailseg
from mailseg import _transport

BASE = "https://email.api.engagelab.cc"
SEGMENT_URL = re.compile(r"^https://email\.api\.engagelab\.cc/v1/marketing/lists/segments.*$")


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_sleep(delay: float) -> None:
        return None

    monkeypatch.setattr(_transport, "_sleep", fake_sleep)


def key() -> aiohttp.client_reqrep.ConnectionKey:
    return aiohttp.client_reqrep.ConnectionKey(
        "email.api.engagelab.cc", 443, True, True, None, None, None
    )


FAILURES: dict[str, tuple[Exception, bool]] = {
    # name: (exception, may the provider have acted on it?)
    "disconnected": (aiohttp.ServerDisconnectedError(), True),
    "payload": (aiohttp.ClientPayloadError("cut short"), True),
    "reset": (aiohttp.ClientOSError(104, "Connection reset by peer"), True),
    "dns": (aiohttp.ClientConnectorError(key(), OSError(-2, "Name not known")), False),
    "refused": (aiohttp.ClientConnectorError(key(), ConnectionRefusedError(111, "no")), False),
}


def attempts(mocked: aioresponses) -> int:
    return sum(len(calls) for calls in mocked.requests.values())


@pytest.mark.parametrize("name", list(FAILURES))
async def test_reads_are_retried_after_any_transport_failure(name: str) -> None:
    exc, _ = FAILURES[name]
    with aioresponses() as mocked:
        mocked.get(SEGMENT_URL, exception=exc, repeat=True)
        async with mailseg.connect("engagelab", token="t", max_retries=2) as client:
            with pytest.raises(mailseg.TransportError) as caught:
                await client.segments.get("s1")
        assert attempts(mocked) == 3
    # Named in the message, never chained: an aiohttp exception's repr can hold the
    # request's headers (tests/test_security.py walks every raised error for that).
    assert type(exc).__name__ in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
    assert caught.value.path == "/v1/marketing/lists/segments/s1"


@pytest.mark.parametrize("name", list(FAILURES))
async def test_creates_are_retried_only_when_nothing_was_sent(name: str) -> None:
    exc, may_have_applied = FAILURES[name]
    with aioresponses() as mocked:
        mocked.post(SEGMENT_URL, exception=exc, repeat=True)
        async with mailseg.connect("engagelab", token="t", max_retries=2) as client:
            with pytest.raises(mailseg.TransportError) as caught:
                await client.segments.create("n", mailseg.field("Age") > 1)
        assert attempts(mocked) == (1 if may_have_applied else 3)
    assert caught.value.method == "POST"


async def test_a_tls_failure_is_not_retried() -> None:
    tls = aiohttp.ClientConnectorCertificateError(key(), ssl.SSLCertVerificationError("bad cert"))
    with aioresponses() as mocked:
        mocked.get(SEGMENT_URL, exception=tls, repeat=True)
        async with mailseg.connect("engagelab", token="t", max_retries=2) as client:
            with pytest.raises(mailseg.TransportError) as caught:
                await client.segments.get("s1")
        assert attempts(mocked) == 1
    assert "ClientConnectorCertificateError" in str(caught.value)
    assert caught.value.__cause__ is None


async def test_any_other_client_error_is_a_transport_error() -> None:
    with aioresponses() as mocked:
        mocked.get(SEGMENT_URL, exception=aiohttp.InvalidURL(BASE), repeat=True)
        async with mailseg.connect("engagelab", token="t", max_retries=2) as client:
            with pytest.raises(mailseg.TransportError):
                await client.segments.get("s1")
        assert attempts(mocked) == 1
