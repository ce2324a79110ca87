"""`RetryPolicy` as a value: its rules alone, and the client obeying a changed one."""

from __future__ import annotations

import pytest

import mailseg
from mailseg import RetryPolicy, _transport
from mailseg._retry import Failure
from mailseg.adapter import Call, Request
from tests.conftest import Wire

CREATED = {"segmentId": "s1"}
BOOM = {"status": 500, "error": {"parameter": "", "message": "boom"}}


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    seen: list[float] = []

    async def fake_sleep(delay: float) -> None:
        seen.append(delay)

    monkeypatch.setattr(_transport, "_sleep", fake_sleep)
    return seen


def test_the_default_is_the_documented_policy() -> None:
    policy = RetryPolicy()
    assert (policy.max_retries, policy.attempts) == (2, 3)
    assert policy.retries_status(429, repeatable=False)
    assert policy.retries_status(503, repeatable=False)
    assert not policy.retries_status(500, repeatable=False)
    assert policy.retries_status(500, repeatable=True)
    assert not policy.retries_status(404, repeatable=True)
    assert policy.retries_failure(Failure.NOT_SENT, repeatable=False)
    assert not policy.retries_failure(Failure.MAYBE_APPLIED, repeatable=False)
    assert policy.retries_failure(Failure.MAYBE_APPLIED, repeatable=True)
    assert not policy.retries_failure(Failure.FINAL, repeatable=True)


def test_backoff_without_jitter_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(jitter=False, backoff_base=0.1, backoff_cap=0.35)
    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [0.1, 0.2, 0.35, 0.35]


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    policy = RetryPolicy(retry_after_cap=5.0)
    assert policy.delay(1, 5.0) == 5.0
    assert policy.delay(1, 5.1) is None  # give up now rather than hang the caller


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": True}, "max_retries"),
        ({"backoff_base": -0.1}, "backoff_base"),
        ({"retry_after_cap": "60"}, "retry_after_cap"),
        ({"retry_statuses": {200}}, "retry statuses"),
        ({"retry_statuses": "429"}, "retry statuses"),
    ],
)
def test_a_bad_policy_is_a_configuration_error(options: dict[str, object], parameter: str) -> None:
    with pytest.raises(mailseg.ConfigurationError, match=parameter):
        RetryPolicy(**options)  # type: ignore[arg-type]


def test_repeatable_defaults_to_the_method_and_can_be_said() -> None:
    def parse(response: object) -> None:
        return None

    assert Call(Request("GET", "/x"), parse).repeatable
    assert Call(Request("DELETE", "/x"), parse).repeatable
    assert not Call(Request("POST", "/x"), parse).repeatable
    assert Call(Request("POST", "/x"), parse, repeatable=True).repeatable


async def test_a_policy_that_retries_500_always_repeats_even_a_create(
    wire: Wire, sleeps: list[float]
) -> None:
    wire.reply(500, BOOM)
    wire.reply(201, CREATED)
    policy = RetryPolicy(max_retries=1, retry_statuses={429, 500, 503}, jitter=False)
    async with wire.client("sendcloud", retry=policy, max_retries=None) as client:
        segment = await client.segments.create("n", mailseg.field("Age") > 1)
    assert segment.id == "s1"
    assert len(wire.requests) == 2
    assert sleeps == [0.5]


async def test_max_retries_overrides_the_policy_count(wire: Wire, sleeps: list[float]) -> None:
    for _ in range(3):
        wire.reply(503, b"")
    async with wire.client("sendcloud", retry=RetryPolicy(max_retries=5), max_retries=2) as client:
        with pytest.raises(mailseg.ServerError):
            await client.tags.delete("t1")
    assert len(wire.requests) == 3


async def test_a_policy_with_no_retries_sends_once(wire: Wire, sleeps: list[float]) -> None:
    wire.reply(503, b"")
    async with wire.client("sendcloud", retry=RetryPolicy(max_retries=0), max_retries=None) as c:
        with pytest.raises(mailseg.ServerError):
            await c.tags.delete("t1")
    assert (len(wire.requests), sleeps) == (1, [])
