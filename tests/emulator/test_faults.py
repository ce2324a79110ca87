"""Fault injection, seen from a raw aiohttp client; deterministic from the seed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import aiohttp
import pytest

from mailseg.testing import Emulator, FaultKind, Faults
from mailseg.testing.faults import SAFE_KINDS, FaultPlan
from tests.emulator.emulator_wire import create_tag, k

if TYPE_CHECKING:
    from tests.emulator.conftest import Api


async def _list_tags(api: Api) -> tuple[int, Mapping[str, str], bytes]:
    answer = await api("GET", f"{api.p}/tags")
    return answer.status, answer.headers, answer.raw


def _error_body(api: Api, raw: bytes, status: int) -> None:
    body = json.loads(raw)
    if api.emu.provider == "sendcloud":
        assert body["status"] == status
        assert set(body["error"]) == {"parameter", "message"}
    else:
        assert body["code"] == status
        assert isinstance(body["message"], str)


@pytest.mark.parametrize(
    ("kind", "status", "retry_after"),
    [
        ("429", 429, None),
        ("429_retry_after", 429, "2"),
        ("500", 500, None),
        ("502", 502, None),
        ("503", 503, None),
        ("503_retry_after", 503, "2"),
    ],
)
async def test_status_faults(api: Api, kind: str, status: int, retry_after: str | None) -> None:
    api.emu.faults = Faults(schedule=[kind], retry_after=2)
    got, headers, raw = await _list_tags(api)
    assert got == status
    assert headers.get("Retry-After") == retry_after
    _error_body(api, raw, status)
    assert (await _list_tags(api))[0] == 200  # only the scheduled request failed


async def test_truncated_json(api: Api) -> None:
    api.emu.set_faults(schedule=["truncated_json"])
    status, headers, raw = await _list_tags(api)
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert raw.startswith(b"{")
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)


async def test_html_error_page(api: Api) -> None:
    api.emu.set_faults(schedule=["html_error"])
    status, headers, raw = await _list_tags(api)
    assert status == 502
    assert headers["Content-Type"].startswith("text/html")
    assert raw.startswith(b"<html>")


async def test_empty_body(api: Api) -> None:
    api.emu.set_faults(schedule=["empty_body"])
    status, headers, raw = await _list_tags(api)
    assert (status, raw) == (200, b"")
    assert headers["Content-Type"].startswith("application/json")


async def test_connection_reset(api: Api, session: aiohttp.ClientSession) -> None:
    api.emu.set_faults(schedule=["reset"])
    # A POST: aiohttp itself silently repeats an idempotent request (GET, DELETE...) once
    # when the connection drops, which would hide the reset from this test.
    with pytest.raises(aiohttp.ClientConnectionError):
        await session.post(
            f"{api.emu.base_url}{api.p}/tags",
            json={k(api, "tag_name"): "never"},
            headers={"Authorization": api.emu.authorization},
        )
    (record,) = api.emu.requests[-1:]
    assert record.fault is FaultKind.RESET
    assert record.status is None
    assert api.emu.tag_named("never") is None
    assert (await _list_tags(api))[0] == 200


@pytest.mark.parametrize("kind", [k.value for k in SAFE_KINDS])
async def test_faults_fire_instead_of_the_handler(api: Api, kind: str) -> None:
    api.emu.faults = Faults(schedule=[kind])
    before = set(api.emu.tags)
    try:
        await api("POST", f"{api.p}/tags", {k(api, "tag_name"): "never"})
    except aiohttp.ClientConnectionError:
        assert kind == "reset"
    assert set(api.emu.tags) == before
    assert api.emu.tag_named("never") is None


async def test_apply_then_500_takes_effect(api: Api) -> None:
    api.emu.faults = Faults(schedule=[FaultKind.APPLY_THEN_500])
    answer = await api("POST", f"{api.p}/tags", {k(api, "tag_name"): "anyway"})
    assert answer.status == 500
    _error_body(api, answer.raw, 500)
    assert api.emu.tag_named("anyway") is not None


async def test_schedule_as_a_mapping_and_changing_faults_while_running(api: Api) -> None:
    api.emu.faults = Faults(schedule={1: "503", 3: "429"})
    statuses = [(await _list_tags(api))[0] for _ in range(5)]
    assert statuses == [200, 503, 200, 429, 200]
    # New faults restart the index at 0.
    api.emu.set_faults(schedule=["500"])
    assert (await _list_tags(api))[0] == 500
    api.emu.faults = None
    assert (await _list_tags(api))[0] == 200
    assert api.emu.faults == Faults()


async def test_faults_are_recorded(api: Api) -> None:
    api.emu.faults = Faults(schedule=[None, "502"])
    await _list_tags(api)
    await _list_tags(api)
    records = api.emu.requests[-2:]
    assert [r.fault for r in records] == [None, FaultKind.BAD_GATEWAY]
    assert [r.status for r in records] == [200, 502]


async def test_latency_is_drawn_and_recorded(api: Api) -> None:
    api.emu.faults = Faults(latency=0.01, jitter=0.02, seed=4)
    for _ in range(5):
        await _list_tags(api)
    delays = [r.delay for r in api.emu.requests[-5:]]
    assert all(0.01 <= d <= 0.03 for d in delays)
    assert len(set(delays)) == 5
    plan = FaultPlan(Faults(latency=0.01, jitter=0.02, seed=4))
    assert delays == [plan.draw().delay for _ in range(5)]


async def test_random_faults_are_deterministic_from_the_seed(api: Api) -> None:
    faults = Faults(rate=0.5, seed=42, kinds=["429", "500", "503", "empty_body", "html_error"])
    api.emu.faults = faults
    for _ in range(30):
        await _list_tags(api)
    seen = [r.fault for r in api.emu.requests[-30:]]
    assert 5 < sum(f is not None for f in seen) < 25
    assert len({f for f in seen if f is not None}) > 1
    api.emu.faults = faults  # reinstalled: the same draws again
    for _ in range(30):
        await _list_tags(api)
    assert [r.fault for r in api.emu.requests[-30:]] == seen
    other = FaultPlan(Faults(rate=0.5, seed=43, kinds=faults.kinds))
    assert [other.draw().fault for _ in range(30)] != seen


def test_draws_do_not_depend_on_earlier_faults() -> None:
    # A scheduled fault replaces the random one at its index without shifting later draws.
    plain = FaultPlan(Faults(rate=0.3, seed=9))
    scheduled = FaultPlan(Faults(rate=0.3, seed=9, schedule={2: "reset"}))
    a = [plain.draw().fault for _ in range(50)]
    b = [scheduled.draw().fault for _ in range(50)]
    assert b[2] is FaultKind.RESET
    assert a[:2] + a[3:] == b[:2] + b[3:]


def test_fault_validation() -> None:
    with pytest.raises(ValueError, match="is not a valid FaultKind"):
        Faults(schedule=["418"])
    with pytest.raises(ValueError, match="rate"):
        Faults(rate=1.5)
    with pytest.raises(ValueError, match="latency"):
        Faults(latency=-1)
    with pytest.raises(ValueError, match="kind"):
        Faults(rate=0.1, kinds=[])


async def test_faults_at_construction() -> None:
    async with (
        Emulator("engagelab", contacts=3, faults=Faults(schedule=["503"])) as emu,
        aiohttp.ClientSession() as session,
    ):
        headers = {"Authorization": emu.authorization}
        async with session.get(f"{emu.base_url}{emu.prefix}/tags", headers=headers) as first:
            assert first.status == 503
        async with session.get(f"{emu.base_url}{emu.prefix}/tags", headers=headers) as second:
            assert second.status == 200


async def test_the_fault_counter_counts_every_request(api: Api) -> None:
    tag_id = await create_tag(api, "counted")
    api.emu.faults = Faults(schedule=[None, None, "500"])
    await api("GET", f"{api.p}/tags", auth=None)  # unauthenticated requests count too
    await api("GET", f"{api.p}/tags/{tag_id}/members")
    assert (await _list_tags(api))[0] == 500
