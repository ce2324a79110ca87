"""mailseg.sync: the blocking client, against the emulator on both providers.

The emulator serves from its own thread (`ThreadedEmulator`): a blocking call
holds the calling thread, so the server cannot live on that thread's loop.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import mailseg
import mailseg.sync
from mailseg import _segments, _tags
from tests.conftest import ThreadedEmulator


@pytest.fixture
def client(threaded_emulator: ThreadedEmulator) -> Iterator[mailseg.sync.Client]:
    emu = threaded_emulator.emulator
    with mailseg.sync.connect(
        emu.provider, base_url=emu.base_url, max_retries=0, **emu.credentials
    ) as client:
        yield client


def _open_connections(emu: ThreadedEmulator) -> int:
    runner = emu.emulator._runner
    assert runner is not None
    assert runner.server is not None
    return len(runner.server.connections)


def test_the_main_job_runs_blocking_with_the_same_models(
    client: mailseg.sync.Client, threaded_emulator: ThreadedEmulator
) -> None:
    emu = threaded_emulator.emulator
    tag = client.tags.create("synctag")
    assert isinstance(tag, mailseg.Tag)
    ids = [c.id for c in emu.contacts[:120]]
    result = client.tags.add_members(tag.id, iter(ids))  # a generator, read lazily
    assert result == mailseg.BulkResult(requested=120, chunks=1, succeeded=120, failed=())
    assert set(emu.tag_member_ids(tag.id)) == set(ids)

    members = client.tags.iterate_members(tag.id, page_size=50)
    assert isinstance(members, Iterator)
    assert sorted(m.id for m in members) == sorted(ids)

    segment = client.segments.create("tagged", mailseg.tag("synctag"))
    done = client.segments.wait_until_complete(segment.id, poll_interval=0.01)
    assert isinstance(done, mailseg.Segment)
    assert done.status is mailseg.SegmentStatus.COMPLETED
    assert done.member_total == 120 == len(emu.member_ids(segment.id))
    page = client.segments.members(segment.id, limit=7)
    assert isinstance(page, mailseg.Page)
    assert len(page) == 7
    assert page.total == 120
    assert [s.id for s in client.segments.iterate(page_size=1)] == [segment.id]

    removed = client.segments.remove_members(segment.id, ids[:10])
    assert removed.requested == 10
    assert removed.failed == ()
    client.segments.delete(segment.id)
    client.tags.delete(tag.id)
    assert segment.id not in emu.segments
    assert tag.id not in emu.tags


def test_errors_are_the_async_clients(client: mailseg.sync.Client) -> None:
    with pytest.raises(mailseg.NotFoundError) as caught:
        client.segments.get("0" * 24)
    assert caught.value.status in (200, 404)
    assert caught.value.headers["Content-Type"].startswith("application/json")
    with pytest.raises(mailseg.ValidationError, match="segment_id"):
        client.segments.get("")
    with pytest.raises(mailseg.ValidationError, match="page_size"):
        client.tags.iterate(page_size=0)  # checked at once, as the async method does


def test_calls_from_a_thread_pool_share_one_loop_and_pool(
    client: mailseg.sync.Client, threaded_emulator: ThreadedEmulator
) -> None:
    tags = [client.tags.create(f"t{i}") for i in range(4)]
    before = threading.active_count()
    with ThreadPoolExecutor(8) as pool:
        pages = list(pool.map(lambda i: client.tags.list(limit=100), range(32)))
    assert all({t.id for t in page} >= {t.id for t in tags} for page in pages)
    assert threading.active_count() == before  # the pool's threads are gone, no new loop


def test_it_works_inside_a_running_loop(
    client: mailseg.sync.Client, threaded_emulator: ThreadedEmulator
) -> None:
    # What a notebook cell does: a blocking call while a loop runs in this thread.
    async def cell() -> mailseg.Page[mailseg.Tag]:
        client.tags.create("in_loop")
        return client.tags.list(name="in_loop")

    page = asyncio.run(cell())
    assert [t.name for t in page] == ["in_loop"]


def test_it_works_from_an_async_apps_executor_thread(
    client: mailseg.sync.Client, threaded_emulator: ThreadedEmulator
) -> None:
    async def handler() -> mailseg.Tag:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, client.tags.create, "from_executor")

    tag = asyncio.run(handler())
    assert threaded_emulator.emulator.tags[tag.id].name == "from_executor"


def test_close_leaves_no_thread_loop_or_connection(threaded_emulator: ThreadedEmulator) -> None:
    emu = threaded_emulator.emulator
    threads_before = set(threading.enumerate())
    with mailseg.sync.connect(emu.provider, base_url=emu.base_url, **emu.credentials) as client:
        client.tags.create("x")
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: client.tags.list(), range(8)))
        loop = client._portal._loop
        session = client._client._transport.pool._session
        assert loop is not None
        assert loop.is_running()
        assert session is not None
        assert set(threading.enumerate()) - threads_before  # the client's loop thread
        assert _open_connections(threaded_emulator) >= 1
    assert client.closed
    assert set(threading.enumerate()) == threads_before
    assert loop.is_closed()
    assert session.closed
    deadline = time.monotonic() + 2
    while _open_connections(threaded_emulator) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _open_connections(threaded_emulator) == 0  # the server saw every connection close
    with pytest.raises(mailseg.ConfigurationError, match="closed"):
        client.tags.list()


def test_close_of_a_client_never_used_starts_nothing(threaded_emulator: ThreadedEmulator) -> None:
    emu = threaded_emulator.emulator
    before = set(threading.enumerate())
    client = mailseg.sync.connect(emu.provider, base_url=emu.base_url, **emu.credentials)
    assert set(threading.enumerate()) == before  # the loop thread starts on first use
    client.close()
    client.close()  # twice is fine
    assert set(threading.enumerate()) == before


def test_an_iterator_left_early_is_closed_on_the_loop(
    client: mailseg.sync.Client, threaded_emulator: ThreadedEmulator
) -> None:
    emu = threaded_emulator.emulator
    tag = client.tags.create("many")
    client.tags.add_members(tag.id, [c.id for c in emu.contacts[:30]])
    emu.clear_requests()
    for index, _ in enumerate(client.tags.iterate_members(tag.id, page_size=10)):
        if index == 12:
            break
    assert len(emu.requests) == 2  # two pages read, the third never asked for
    loop = client._portal._loop
    assert loop is not None
    leftover = asyncio.run_coroutine_threadsafe(_other_tasks(), loop).result()
    assert leftover == 0


async def _other_tasks() -> int:
    return len(asyncio.all_tasks() - {asyncio.current_task()})


def test_a_callback_calling_the_client_is_refused_not_deadlocked(
    client: mailseg.sync.Client, threaded_emulator: ThreadedEmulator
) -> None:
    emu = threaded_emulator.emulator
    tag = client.tags.create("cb")
    caught: list[BaseException] = []

    def on_progress(done: int, total: int | None) -> None:
        try:
            client.tags.list()
        except mailseg.MailsegError as exc:
            caught.append(exc)

    client.tags.add_members(tag.id, [emu.contacts[0].id], on_progress=on_progress)
    assert len(caught) == 1
    assert "its own thread" in str(caught[0])


def test_with_options_shares_the_thread_and_pool(
    client: mailseg.sync.Client, threaded_emulator: ThreadedEmulator
) -> None:
    from mailseg.testing import Faults

    emu = threaded_emulator.emulator
    patient = client.with_options(max_retries=2, retry=mailseg.RetryPolicy(backoff_base=0.0))
    emu.faults = Faults(schedule=["503", "503"])
    emu.clear_requests()
    assert patient.tags.list().total == len(emu.tags)  # two 503s retried
    assert len(emu.requests) == 3
    emu.faults = Faults(schedule=["503"])
    with pytest.raises(mailseg.ServerError):
        client.tags.list()  # the original still does not retry
    assert patient._portal is client._portal
    assert patient._client._transport.pool is client._client._transport.pool
    patient.close()  # the copy closes nothing
    assert not client.closed
    assert client.tags.list().total == len(emu.tags)


def test_with_raw_response_returns_the_answer_behind_a_result(
    client: mailseg.sync.Client,
) -> None:
    raw = client.with_raw_response(client.tags.create, "raw")
    assert isinstance(raw.parsed, mailseg.Tag)
    assert raw.parsed.name == "raw"
    assert raw.status in (200, 201)
    assert raw.headers["Content-Type"].startswith("application/json")
    assert raw.last.method == "POST"
    plain = client.tags.list()  # outside it, nothing is collected and types are plain
    assert isinstance(plain, mailseg.Page)


def test_from_env_and_from_config(threaded_emulator: ThreadedEmulator) -> None:
    emu = threaded_emulator.emulator
    config: dict[str, Any] = {"provider": emu.provider, "base_url": emu.base_url}
    config.update(emu.credentials)
    with mailseg.sync.Client.from_config(config) as client:
        assert client.tags.list().total == len(emu.tags)
    environ = {f"MAILSEG_{k.upper()}": v for k, v in config.items()}
    with mailseg.sync.Client.from_env(environ) as client:
        assert client.provider == emu.provider
        assert client.tags.list().total == len(emu.tags)
    with pytest.raises(mailseg.ConfigurationError, match="unknown configuration keys"):
        mailseg.sync.Client.from_config({**config, "time_out": 3})


@pytest.mark.parametrize(
    ("async_class", "sync_class"),
    [(_segments.Segments, mailseg.sync.Segments), (_tags.Tags, mailseg.sync.Tags)],
)
def test_every_async_method_has_a_sync_twin_with_its_signature(
    async_class: type, sync_class: type
) -> None:
    public = {name for name in vars(async_class) if not name.startswith("_")}
    declared = {name for name in vars(sync_class) if not name.startswith("_")}
    assert declared == public
    resource = sync_class(object.__new__(async_class), None)
    for name in public:
        async_sig = inspect.signature(getattr(async_class, name))
        params = list(async_sig.parameters.values())[1:]  # without self
        assert list(inspect.signature(getattr(resource, name)).parameters.values()) == params
        assert getattr(sync_class, name).__doc__ == getattr(async_class, name).__doc__


def test_connect_takes_the_settings_parameters() -> None:
    assert inspect.signature(mailseg.sync.connect) == inspect.signature(mailseg.connect)
    assert "api_key" in (mailseg.sync.connect.__doc__ or "")
