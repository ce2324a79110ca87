"""The web examples, driven by each framework's own test client against the emulator.

Each test checks the endpoints (a page of segments, a bulk job started and
finished, errors mapped to statuses) and that shutdown closes the pool.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient as AiohttpTestClient
from aiohttp.test_utils import TestServer
from fastapi.testclient import TestClient

import mailseg
import mailseg.sync
from mailseg.testing import Emulator, Faults
from tests.conftest import ThreadedEmulator
from tests.test_examples import load


def _settings(emu: Emulator) -> mailseg.Settings:
    return mailseg.Settings(emu.provider, base_url=emu.base_url, **emu.credentials)


def _open_connections(emu: Emulator) -> int:
    runner = emu._runner
    assert runner is not None
    assert runner.server is not None
    return len(runner.server.connections)


def _wait_for_no_connections(emu: Emulator) -> int:
    deadline = time.monotonic() + 2
    while _open_connections(emu) and time.monotonic() < deadline:
        time.sleep(0.01)
    return _open_connections(emu)


def test_fastapi_app_lists_segments_runs_a_bulk_job_and_closes_the_pool(
    threaded_emulator: ThreadedEmulator,
) -> None:
    emu = threaded_emulator.emulator
    settings = _settings(emu)
    with mailseg.sync.Client(settings) as seed:
        segment = seed.segments.create("web_adults", mailseg.field("Age") >= 18)
        tag = seed.tags.create("web_tag")
    ids = [c.id for c in emu.contacts[:250]]

    app = load("fastapi_app").create_app(settings)
    with TestClient(app) as http:
        client: mailseg.Client = app.state.mailseg
        answer = http.get("/segments", params={"name": "web_adults"})
        assert answer.status_code == 200
        body = answer.json()
        assert body["total"] == 1
        assert [(s["id"], s["name"]) for s in body["segments"]] == [(segment.id, "web_adults")]

        started = http.post(f"/tags/{tag.id}/members", json={"member_ids": ids})
        assert started.status_code == 202
        job_id = started.json()["job_id"]
        state = _poll(lambda: http.get(f"/jobs/{job_id}").json())
        assert state == {
            "state": "done",
            "requested": 250,
            "succeeded": 250,
            "failed_ids": [],
        }
        assert sorted(emu.tag_member_ids(tag.id)) == sorted(ids)

        bad = http.get("/segments", params={"limit": 0})
        assert bad.status_code == 422
        assert bad.json()["parameter"] == "limit"
        assert http.get("/jobs/nope").status_code == 404
        session = client._transport.pool._session
        assert session is not None
        assert not client.closed
    assert client.closed
    assert session.closed
    assert _wait_for_no_connections(emu) == 0


def test_fastapi_shutdown_cancels_a_running_job_and_closes_the_pool(
    threaded_emulator: ThreadedEmulator,
) -> None:
    emu = threaded_emulator.emulator
    settings = _settings(emu)
    with mailseg.sync.Client(settings) as seed:
        tag = seed.tags.create("slow_tag")
    app = load("fastapi_app").create_app(settings)
    emu.faults = Faults(latency=0.5)
    with TestClient(app) as http:
        client: mailseg.Client = app.state.mailseg
        job_id = http.post(f"/tags/{tag.id}/members", json={"member_ids": ["a" * 24]}).json()[
            "job_id"
        ]
        time.sleep(0.1)  # the job's request is in flight now
        task = app.state.jobs.tasks[job_id]
        assert not task.done()
    assert task.cancelled()
    assert client.closed
    emu.faults = None
    assert _wait_for_no_connections(emu) == 0


def _poll(read: Any) -> Any:
    deadline = time.monotonic() + 10
    while True:
        state = read()
        if state["state"] != "running" or time.monotonic() > deadline:
            return state
        time.sleep(0.02)


@pytest.mark.mailseg_emulator(contacts=300, seed=4, processing_polls=0)
async def test_aiohttp_app_lists_segments_runs_a_bulk_job_and_closes_the_pool(
    mailseg_emulator: Emulator,
) -> None:
    emu = mailseg_emulator
    settings = _settings(emu)
    async with mailseg.Client(settings) as seed:
        segment = await seed.segments.create("web_adults", mailseg.field("Age") >= 18)
        tag = await seed.tags.create("web_tag")
    ids = [c.id for c in emu.contacts[:250]]

    example = load("aiohttp_app")
    app = example.create_app(settings)
    async with AiohttpTestClient(TestServer(app)) as http:
        client: mailseg.Client = app[example.CLIENT]
        answer = await http.get("/segments", params={"name": "web_adults"})
        assert answer.status == 200
        body = await answer.json()
        assert [(s["id"], s["name"]) for s in body["segments"]] == [(segment.id, "web_adults")]

        started = await http.post(f"/tags/{tag.id}/members", json={"member_ids": ids})
        assert started.status == 202
        job_id = (await started.json())["job_id"]
        state = await _poll_async(http, job_id)
        assert state == {"state": "done", "requested": 250, "succeeded": 250, "failed_ids": []}
        assert sorted(emu.tag_member_ids(tag.id)) == sorted(ids)

        bad = await http.get("/segments", params={"limit": "0"})
        assert bad.status == 422
        assert (await bad.json())["parameter"] == "limit"
        # A tag that does not exist: the job ends with its ids to send again.
        missing = await http.post("/tags/0000/members", json={"member_ids": ids[:3]})
        failed = await _poll_async(http, (await missing.json())["job_id"])
        assert failed == {
            "state": "done with failures",
            "requested": 3,
            "succeeded": 0,
            "failed_ids": ids[:3],
        }
        session = client._transport.pool._session
        assert session is not None
        assert not client.closed
    assert client.closed
    assert session.closed
    for _ in range(200):
        if not _open_connections(emu):
            break
        await asyncio.sleep(0.01)
    assert _open_connections(emu) == 0


async def _poll_async(http: AiohttpTestClient[Any, Any], job_id: str) -> Any:
    for _ in range(1000):
        state = await (await http.get(f"/jobs/{job_id}")).json()
        if state["state"] != "running":
            break
        await asyncio.sleep(0.01)
    return state
