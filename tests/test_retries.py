"""The retry policy, tested once in the core: what is repeated, how often, how long apart."""

from __future__ import annotations

import email.utils
import time

import pytest

import mailseg
from mailseg import _retry, _transport
from tests.conftest import Wire

SEGMENT = {
    "result": {
        "segment_id": "s1",
        "segment_name": "n",
        "type": 0,
        "condition": {"relation": "and", "items": [{"field_name": "Age", "op": ">", "value": "1"}]},
    }
}
CREATED = {"segmentId": "s1"}


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the delays the client asks for instead of waiting them out."""
    seen: list[float] = []

    async def fake_sleep(delay: float) -> None:
        seen.append(delay)

    monkeypatch.setattr(_transport, "_sleep", fake_sleep)
    return seen


def condition() -> mailseg.ConditionItem:
    return mailseg.field("Age") > 1


@pytest.mark.parametrize("status", [429, 503])
async def test_429_and_503_are_retried_even_for_a_create(
    wire: Wire, sleeps: list[float], status: int
) -> None:
    wire.reply(status, b"")
    wire.reply(status, b"")
    wire.reply(201, CREATED)
    async with wire.client("sendcloud", max_retries=2) as client:
        segment = await client.segments.create("n", condition())
    assert segment.id == "s1"
    assert len(wire.requests) == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_a_create_is_never_repeated_after_a_5xx_that_may_have_applied(
    wire: Wire, sleeps: list[float], status: int
) -> None:
    wire.reply(status, {"status": status, "error": {"parameter": "", "message": "boom"}})
    wire.reply(201, CREATED)
    async with wire.client("sendcloud", max_retries=2) as client:
        with pytest.raises(mailseg.ServerError) as caught:
            await client.segments.create("n", condition())
    assert caught.value.status == status
    assert len(wire.requests) == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_repeatable_requests_are_retried_after_a_5xx(
    wire: Wire, sleeps: list[float], status: int
) -> None:
    wire.reply(status, b"<html>Bad gateway</html>", **{"Content-Type": "text/html"})
    wire.reply(200, SEGMENT)
    async with wire.client("engagelab", max_retries=1) as client:
        segment = await client.segments.get("s1")
    assert segment.id == "s1"
    assert [r.method for r in wire.requests] == ["GET", "GET"]


async def test_max_retries_two_means_three_attempts_then_the_error(
    wire: Wire, sleeps: list[float]
) -> None:
    for _ in range(4):
        wire.reply(503, b"")
    async with wire.client("engagelab", max_retries=2) as client:
        with pytest.raises(mailseg.ServerError) as caught:
            await client.segments.get("s1")
    assert caught.value.status == 503
    assert len(wire.requests) == 3
    assert len(sleeps) == 2


async def test_backoff_is_exponential_with_full_jitter(
    wire: Wire, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    ceilings: list[float] = []

    def uniform(low: float, high: float) -> float:
        ceilings.append(high)
        return high / 2

    monkeypatch.setattr(_retry.random, "uniform", uniform)
    for _ in range(4):
        wire.reply(503, b"")
    wire.reply(200, SEGMENT)
    async with wire.client("engagelab", max_retries=4) as client:
        await client.segments.get("s1")
    assert ceilings == [0.5, 1.0, 2.0, 4.0]
    assert sleeps == [0.25, 0.5, 1.0, 2.0]


async def test_retry_after_in_seconds_sets_the_delay(wire: Wire, sleeps: list[float]) -> None:
    wire.reply(429, {"code": 429, "message": "slow down"}, **{"Retry-After": "7"})
    wire.reply(200, SEGMENT)
    async with wire.client("engagelab", max_retries=1) as client:
        await client.segments.get("s1")
    assert sleeps == [7.0]


async def test_retry_after_as_an_http_date_sets_the_delay(wire: Wire, sleeps: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    wire.reply(503, b"", **{"Retry-After": when})
    wire.reply(200, SEGMENT)
    async with wire.client("engagelab", max_retries=1) as client:
        await client.segments.get("s1")
    assert len(sleeps) == 1
    assert 25 <= sleeps[0] <= 31


async def test_retry_after_past_the_cap_gives_up_at_once(wire: Wire, sleeps: list[float]) -> None:
    wire.reply(429, b"", **{"Retry-After": "3600"})
    wire.reply(200, SEGMENT)
    async with wire.client("engagelab", max_retries=2) as client:
        with pytest.raises(mailseg.RateLimitError) as caught:
            await client.segments.get("s1")
    assert caught.value.retry_after == 3600.0
    assert caught.value.status == 429
    assert len(wire.requests) == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
async def test_other_4xx_are_not_retried(wire: Wire, sleeps: list[float], status: int) -> None:
    wire.reply(status, {"status": status, "error": {"parameter": "", "message": "no"}})
    async with wire.client("sendcloud", max_retries=2) as client:
        with pytest.raises(mailseg.APIError) as caught:
            await client.segments.get("s1")
    assert caught.value.status == status
    assert len(wire.requests) == 1


async def test_a_reset_is_retried_for_a_read(wire: Wire, sleeps: list[float]) -> None:
    wire.reset()
    wire.reply(200, SEGMENT)
    async with wire.client("engagelab", max_retries=1) as client:
        segment = await client.segments.get("s1")
    assert segment.id == "s1"
    assert len(wire.requests) == 2


async def test_a_reset_is_not_retried_for_a_create(wire: Wire, sleeps: list[float]) -> None:
    wire.reset()
    wire.reply(201, CREATED)
    async with wire.client("sendcloud", max_retries=2) as client:
        with pytest.raises(mailseg.TransportError) as caught:
            await client.segments.create("n", condition())
    assert caught.value.method == "POST"
    assert caught.value.path == "/marketing/lists/segments"
    assert len(wire.requests) == 1


async def test_a_refused_connection_is_retried_even_for_a_create(sleeps: list[float]) -> None:
    # Nothing listens on this port: nothing was sent, so even a create may retry.
    client = mailseg.connect(
        "sendcloud", token="t", base_url="http://127.0.0.1:9", max_retries=2, timeout=5
    )
    async with client:
        with pytest.raises(mailseg.TransportError) as caught:
            await client.segments.create("n", condition())
    assert not isinstance(caught.value, mailseg.RequestTimeoutError)
    assert len(sleeps) == 2


async def test_a_timeout_is_a_mailseg_timeout_error(wire: Wire, sleeps: list[float]) -> None:
    wire.slow(2.0, 200, SEGMENT)
    async with wire.client("engagelab", max_retries=0, timeout=0.2) as client:
        with pytest.raises(mailseg.RequestTimeoutError) as caught:
            await client.segments.get("s1")
    assert caught.value.path == "/v1/marketing/lists/segments/s1"


async def test_a_request_timeout_is_also_a_builtin_timeout_error(
    wire: Wire, sleeps: list[float]
) -> None:
    # Like WaitTimeoutError: `except TimeoutError` catches both kinds of timeout.
    wire.slow(2.0, 200, SEGMENT)
    async with wire.client("engagelab", max_retries=0, timeout=0.2) as client:
        with pytest.raises(TimeoutError) as caught:
            await client.segments.get("s1")
    assert isinstance(caught.value, mailseg.RequestTimeoutError)
    assert isinstance(caught.value, mailseg.TransportError)
    assert issubclass(mailseg.WaitTimeoutError, TimeoutError)
    assert str(caught.value) == (
        "no answer within the timeout on GET /v1/marketing/lists/segments/s1"
    )


async def test_a_timeout_is_not_retried_for_a_create(wire: Wire, sleeps: list[float]) -> None:
    wire.slow(2.0, 201, CREATED)
    wire.reply(201, CREATED)
    async with wire.client("sendcloud", max_retries=2, timeout=0.2) as client:
        with pytest.raises(mailseg.RequestTimeoutError):
            await client.segments.create("n", condition())
    assert sleeps == []


async def test_a_retry_that_finds_the_client_closed_says_so_and_sends_nothing(
    wire: Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    wire.reply(503, b"")
    wire.reply(200, SEGMENT)
    async with wire.client("engagelab", max_retries=2) as client:

        async def close_while_waiting(delay: float) -> None:
            await client.close()

        monkeypatch.setattr(_transport, "_sleep", close_while_waiting)
        with pytest.raises(mailseg.ConfigurationError, match="this client is closed"):
            await client.segments.get("s1")
    assert len(wire.requests) == 1
