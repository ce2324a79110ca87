"""client.with_options: other limits for one call or many, over the same pool."""

from __future__ import annotations

import pytest

import mailseg
from mailseg.testing import Emulator, Faults
from tests.conftest import Wire

PROVIDERS = ["sendcloud", "engagelab"]
EMPTY = {
    "sendcloud": {"list": [], "total": 0},
    "engagelab": {"result": [], "total": 0, "count": 0},
}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_shorter_timeout_applies_to_the_copy_only(wire: Wire, provider: str) -> None:
    async with wire.client(provider, timeout=30) as client:
        hurried = client.with_options(timeout=0.2)
        wire.slow(1.0, 200, EMPTY[provider])
        with pytest.raises(mailseg.RequestTimeoutError):
            await hurried.tags.list()
        wire.slow(0.4, 200, EMPTY[provider])
        assert (await client.tags.list()).total == 0  # the original keeps its 30 s
        assert hurried.settings.timeout == 0.2
        assert client.settings.timeout == 30


@pytest.mark.mailseg_emulator(contacts=50, processing_polls=0)
async def test_more_retries_for_the_copy_over_the_same_pool(mailseg_emulator: Emulator) -> None:
    emu = mailseg_emulator
    async with emu.client(max_retries=0, retry=mailseg.RetryPolicy(backoff_base=0.0)) as client:
        await client.tags.list()
        session = client._transport.pool._session
        patient = client.with_options(max_retries=3)
        emu.faults = Faults(schedule=["503", "503", "503"])
        emu.clear_requests()
        page = await patient.tags.list()
        assert page.total == len(emu.tags)
        assert len(emu.requests) == 4
        emu.faults = Faults(schedule=["503"])
        with pytest.raises(mailseg.ServerError):
            await client.tags.list()
        # One pool: the copy created no session of its own.
        assert patient._transport.pool is client._transport.pool
        assert client._transport.pool._session is session
        assert patient.settings.retry_policy.max_retries == 3
        assert patient.base_url == client.base_url
        assert patient.provider == client.provider

        await patient.close()  # the pool is the original's: still open
        assert not client.closed
        assert session is not None
        assert not session.closed
        await client.tags.list()
    assert patient.closed
    with pytest.raises(mailseg.ConfigurationError, match="closed"):
        await patient.tags.list()


async def test_only_the_options_given_change(wire: Wire) -> None:
    policy = mailseg.RetryPolicy(max_retries=4, backoff_base=0.1)
    client = wire.client("sendcloud", timeout=12, retry=policy, max_retries=None)
    same = client.with_options()
    assert same.settings == client.settings
    copy = client.with_options(timeout=3)
    assert copy.settings.retry_policy == policy
    copy = client.with_options(retry=mailseg.RetryPolicy(max_retries=1))
    assert copy.settings.timeout == 12
    assert copy.settings.retry_policy.max_retries == 1
    await client.close()


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"timeout": -1}, "timeout must be a number of seconds > 0"),
        ({"timeout": "5"}, "timeout must be a number"),
        ({"max_retries": -2}, "max_retries must be an integer >= 0"),
        ({"retry": 3}, "retry must be a mailseg.RetryPolicy"),
    ],
)
def test_bad_options_are_refused_before_any_request(
    options: dict[str, object], fragment: str
) -> None:
    client = mailseg.connect("engagelab", api_user="u", api_key="k")
    with pytest.raises(mailseg.ConfigurationError, match=fragment):
        client.with_options(**options)  # type: ignore[arg-type]
