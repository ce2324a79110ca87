"""Segmentation takes a few polls: status "1" with a rising percent, then "2"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.emulator.emulator_wire import create_segment, items_of, segment_body

if TYPE_CHECKING:
    from tests.emulator.conftest import Api

PROCESSING = "is being segmented, please do not use this segment to send mail"
DONE = {"statusDesc": "segmentation completed", "complete": True, "percent": 100}


def _segment(api: Api, body: Any) -> dict[str, Any]:
    # The segment object of a detail/update answer, or of a create answer on EngageLab.
    return dict(body if api.emu.provider == "sendcloud" else body["result"])


def _total(api: Api, segment: dict[str, Any]) -> int:
    return int(segment["memberTotal" if api.emu.provider == "sendcloud" else "member_total"])


async def _progress(api: Api, segment_id: str) -> dict[str, Any]:
    answer = await api("GET", f"{api.p}/segments/{segment_id}/process")
    assert answer.status == 200
    return dict(answer.body if api.emu.provider == "sendcloud" else answer.body["result"])


@pytest.mark.emu(processing_polls=3)
async def test_progress_rises_then_completes(api: Api) -> None:
    segment_id = await create_segment(api, segment_body(api))
    total = api.emu.segments[segment_id].member_total
    assert total > 0
    reads = [await _progress(api, segment_id) for _ in range(5)]
    assert [r["percent"] for r in reads] == [25, 50, 75, 100, 100]
    assert [r["complete"] for r in reads] == [False, False, False, True, True]
    assert reads[0]["statusDesc"] == PROCESSING
    assert reads[3] == DONE
    detail = _segment(api, (await api("GET", f"{api.p}/segments/{segment_id}")).body)
    assert detail["status"] == "2"
    assert _total(api, detail) == total


@pytest.mark.emu(processing_polls=2)
async def test_detail_reads_count_as_polls(api: Api) -> None:
    segment_id = await create_segment(api, segment_body(api))
    total = api.emu.segments[segment_id].member_total
    statuses, percents, totals = [], [], []
    for _ in range(3):
        segment = _segment(api, (await api("GET", f"{api.p}/segments/{segment_id}")).body)
        statuses.append(segment["status"])
        percents.append(segment["process"]["percent"])
        totals.append(_total(api, segment))
    assert statuses == ["1", "1", "2"]  # a string, as on the providers
    assert percents == [33, 66, 100]
    # The member total shown rises with the percent, reaching the true total at the end.
    assert totals == [total * 33 // 100, total * 66 // 100, total]


@pytest.mark.emu(processing_polls=2)
async def test_create_and_listing_do_not_advance_processing(api: Api) -> None:
    answer = await api("POST", f"{api.p}/segments", segment_body(api))
    segment_id = next(iter(api.emu.segments))
    if api.emu.provider == "engagelab":
        created = answer.body["result"]
        assert (created["status"], created["process"]["percent"]) == ("1", 0)
        assert created["process"]["complete"] is False
    for _ in range(3):
        listed = items_of(api, (await api("GET", f"{api.p}/segments")).body)
        assert listed[0]["status"] == "1"
        assert listed[0]["process"]["percent"] == 0
    assert (await _progress(api, segment_id))["percent"] == 33


@pytest.mark.emu(processing_polls=1)
async def test_an_update_processes_again(api: Api) -> None:
    segment_id = await create_segment(api, segment_body(api))
    assert (await _progress(api, segment_id))["complete"] is False
    assert (await _progress(api, segment_id))["complete"] is True
    answer = await api(api.emu.update_method, f"{api.p}/segments/{segment_id}", segment_body(api))
    updated = _segment(api, answer.body)
    assert updated["status"] == "1"
    assert updated["process"]["complete"] is False
    assert (await _progress(api, segment_id))["percent"] == 50
    assert await _progress(api, segment_id) == DONE


@pytest.mark.emu(processing_polls=2)
async def test_a_failed_segment_reports_minus_one_until_updated(api: Api) -> None:
    segment_id = await create_segment(api, segment_body(api))
    api.emu.fail_segment(segment_id)
    detail = _segment(api, (await api("GET", f"{api.p}/segments/{segment_id}")).body)
    assert detail["status"] == "-1"
    assert detail["process"]["complete"] is False
    assert (await _progress(api, segment_id))["complete"] is False
    await api(api.emu.update_method, f"{api.p}/segments/{segment_id}", segment_body(api))
    detail = _segment(api, (await api("GET", f"{api.p}/segments/{segment_id}")).body)
    assert detail["status"] == "1"


@pytest.mark.emu(processing_polls=0)
async def test_zero_polls_is_instant(api: Api) -> None:
    segment_id = await create_segment(api, segment_body(api))
    assert await _progress(api, segment_id) == DONE


@pytest.mark.emu(processing_polls=3)
async def test_members_can_be_read_while_processing(api: Api) -> None:
    segment_id = await create_segment(api, segment_body(api))
    answer = await api("POST", f"{api.p}/segments/{segment_id}/members")
    assert answer.status == 200
    assert answer.body["total"] == api.emu.segments[segment_id].member_total
