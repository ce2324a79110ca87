"""Benchmark servers and measurements run in child processes of our own interpreter."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench import ROOT
from bench._procfs import cpu_seconds


@dataclass
class Server:
    """A server running in a child process."""

    process: subprocess.Popen[str]
    info: dict[str, Any]

    @property
    def base_url(self) -> str:
        return str(self.info["base_url"])

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(ROOT), env.get("PYTHONPATH", "")) if part
    )
    env.setdefault("PYTHONHASHSEED", "0")
    return env


@contextlib.contextmanager
def server_process(*args: str, startup_timeout: float = 120.0) -> Iterator[Server]:
    """Run ``python -m bench._server ARGS`` and yield it once it printed where it listens.

    The child stops when its stdin closes, so it never outlives this process.
    """
    # Our own interpreter running our own module: no untrusted input.
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench._server", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=str(ROOT),
        env=child_env(),
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + startup_timeout
        line = ""
        while not line and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
        if not line:
            raise RuntimeError(f"server {args} did not start (exit {process.poll()})")
        yield Server(process, json.loads(line))
    finally:
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()


def run_child(module: str, *args: str, timeout: float = 600.0) -> dict[str, Any]:
    """Run ``python -m MODULE ARGS`` in a fresh interpreter; its last stdout line is JSON."""
    completed = subprocess.run(  # noqa: S603 (our interpreter, our module)
        [sys.executable, "-m", module, *args],
        cwd=str(ROOT),
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"{module} {' '.join(args)} failed ({completed.returncode}):\n"
            + completed.stderr[-3000:]
        )
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    return dict(json.loads(lines[-1]))
