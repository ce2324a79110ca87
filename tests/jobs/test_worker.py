"""A worker process's own life: it exits, with a clear error, when it cannot work.

Real processes on a real ``redis-server``: a worker whose Redis goes away for good
gives up after ``--give-up-after`` seconds with status 1 (it neither spins nor waits
forever), and one whose environment makes no client stops at once with status 2.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.jobs.processes import RedisServer, Workers

pytestmark = pytest.mark.slow

ACCOUNT = {
    "MAILSEG_PROVIDER": "engagelab",
    "MAILSEG_API_USER": "emulator_user",
    "MAILSEG_API_KEY": "emulator-test-key-not-a-secret",
    "MAILSEG_BASE_URL": "http://127.0.0.1:9",
}


@pytest.fixture
def workers(tmp_path: Path, redis_server: RedisServer) -> Iterator[Workers]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILSEG_")}
    group = Workers(tmp_path, redis_server.url, env)
    yield group
    group.stop()


def _wait_for_log(workers: Workers, index: int, text: str) -> None:
    # A guard against a hang, not a measure of speed.
    deadline = time.monotonic() + 60
    while text not in workers.log(index):
        if workers.processes[index].poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the worker never logged {text!r}:\n{workers.log(index)}")
        time.sleep(0.1)


@pytest.mark.parametrize("cli", [False, True], ids=["module", "mailseg-jobs-worker"])
def test_a_worker_whose_redis_is_gone_for_good_exits_1_naming_it(
    workers: Workers, redis_server: RedisServer, cli: bool
) -> None:
    workers.env.update(ACCOUNT)
    workers.start(1, cli=cli, give_up_after=2)
    _wait_for_log(workers, 0, "Listening started.")
    redis_server.stop()
    assert workers.processes[0].wait(timeout=120) == 1
    log = workers.log(0)
    assert f"Redis {redis_server.url} has not answered for" in log
    assert f"error: ledger {redis_server.url}: did not answer for 2 s: the worker gives up" in log
    assert "Traceback" not in log


def test_a_worker_without_an_account_exits_2_at_once(
    workers: Workers, redis_server: RedisServer
) -> None:
    workers.start(1, give_up_after=0)  # it would otherwise wait for Redis forever
    assert workers.processes[0].wait(timeout=60) == 2
    log = workers.log(0)
    assert "error: MAILSEG_PROVIDER is required" in log
    assert "listening again" not in log  # no retry: nothing would change


def test_a_negative_give_up_after_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from mailseg.jobs.worker import main

    assert main(["--redis", "redis://127.0.0.1:9/0", "--give-up-after", "-1"]) == 2
    assert capsys.readouterr().err == "error: --give-up-after must be >= 0 (0: never)\n"
