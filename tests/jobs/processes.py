"""Real processes for the distributed tests: redis-server, the standalone emulator, workers.

Each starts on a free loopback port with its own temporary directory and is stopped by
the fixture that started it. Nothing here is a mock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A real ``redis-server`` with append-only persistence, in ``folder``."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:  # scripts/check.sh installs it; say so rather than skip
            pytest.fail("redis-server is not installed (apt-get install -y redis-server)")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with (self.folder / "redis.log").open("ab") as log:  # the child keeps its own copy
            self.process = self._spawn(log)
        self._wait_ready()

    def _spawn(self, log: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603 - Debian's redis-server, fixed arguments
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.folder),
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--save", "",
                "--protected-mode", "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def stop(self) -> None:
        """SIGTERM: Redis flushes its append-only file and exits."""
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
            self.process = None


class EmulatorProcess:
    """`tests.jobs.emulator_process` in its own process."""

    def __init__(self, provider: str, contacts: int, latency: float) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "tests.jobs.emulator_process", provider, str(contacts),
             str(latency)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            pytest.fail("the emulator process did not start")
        self.info: dict[str, Any] = json.loads(line)
        self.provider = provider

    @property
    def contacts(self) -> list[str]:
        return list(self.info["contacts"])

    def env(self) -> dict[str, str]:
        """A worker's environment: the provider and credentials, as a user would set them."""
        return {
            **os.environ,
            "MAILSEG_PROVIDER": self.provider,
            "MAILSEG_API_USER": self.info["api_user"],
            "MAILSEG_API_KEY": self.info["api_key"],
            "MAILSEG_BASE_URL": self.info["base_url"],
            "MAILSEG_MAX_RETRIES": "4",
        }

    def admin(self, path: str) -> Any:
        url = self.info["admin_url"] + path
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback
            return json.load(answer)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        assert self.process.stdout is not None
        self.process.stdout.close()


class Workers:
    """Worker processes (``python -m mailseg.jobs.worker``, ``mailseg jobs worker`` or
    ``taskiq worker``), each leading its own session, so that `stop` ends every process
    a worker started; the fixture that makes a `Workers` calls `stop` however the test
    ends. A worker whose Redis is gone also exits by itself (``--give-up-after``)."""

    #: Seconds a test's worker waits for a vanished Redis before it exits on its own.
    GIVE_UP_AFTER = 30.0

    def __init__(self, folder: Path, redis_url: str, env: dict[str, str]) -> None:
        self.folder = folder
        self.redis_url = redis_url
        self.env = env
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(
        self,
        count: int,
        *,
        concurrency: int = 4,
        lease: float = 2.0,
        cli: bool = False,
        give_up_after: float = GIVE_UP_AFTER,
    ) -> None:
        """``count`` workers; ``cli``: through ``mailseg jobs worker`` rather than the module."""
        program = ["mailseg", "jobs", "worker"] if cli else ["mailseg.jobs.worker"]
        command = [
            sys.executable, "-m", *program, "--redis", self.redis_url,
            "--concurrency", str(concurrency), "--lease", str(lease),
            "--give-up-after", str(give_up_after), "--log-level", "INFO",
        ]  # fmt: skip
        for _ in range(count):
            self._spawn(command, self.env)

    def log(self, index: int) -> str:
        return (self.folder / f"worker-{index}.log").read_text(encoding="utf-8", errors="replace")

    def _spawn(self, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        with (self.folder / f"worker-{len(self.processes)}.log").open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command,
                cwd=ROOT,
                env=env,
                stdout=log,  # the child keeps its own copy of the file
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stop() ends its children too
            )
        self.processes.append(process)
        return process

    def start_taskiq(self) -> None:
        """One worker through taskiq's own command, as the docs show it."""
        env = {**self.env, "MAILSEG_JOBS_REDIS_URL": self.redis_url}
        self._spawn(
            [
                sys.executable, "-m", "taskiq", "worker", "mailseg.jobs.worker:broker",
                "--workers", "1", "--max-async-tasks", "4", "--no-configure-logging",
                "--shutdown-timeout", "1",
            ],
            env,
        )  # fmt: skip

    def name(self, index: int) -> str:
        return f"{socket.gethostname()}:{self.processes[index].pid}"

    async def listening(self, timeout: float = 60.0) -> None:
        """Wait until every worker has started (its startup line is in its log).

        A job submitted before then may be done before a slow starter takes a chunk.
        """
        deadline = time.monotonic() + timeout
        waiting = set(range(len(self.processes)))
        while waiting:
            for index in list(waiting):
                log = self.folder / f"worker-{index}.log"
                if f"mailseg worker {self.name(index)}:" in log.read_text(errors="replace"):
                    waiting.discard(index)
            if waiting and time.monotonic() > deadline:
                raise AssertionError(f"workers {sorted(waiting)} not started after {timeout} s")
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        """SIGINT to every worker's group, then SIGKILL to whatever is left of it."""
        for process in self.processes:
            if process.poll() is None:
                self._signal(process, signal.SIGINT)  # what taskiq's workers stop on
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                # taskiq's manager takes several seconds to stop; the test is over by now.
                process.wait(timeout=3)
            # The leader may be gone and a child of its group still running.
            self._signal(process, signal.SIGKILL)
            process.wait()

    @staticmethod
    def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)
