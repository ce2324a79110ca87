"""What every benchmark shares: results, statistics, the machine, server processes, /proc."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: Distributions whose versions the report names.
PACKAGES = (
    "mailseg",
    "mailseg-engagelab",
    "mailseg-sendcloud",
    "aiohttp",
    "yarl",
    "multidict",
    "attrs",
    "cattrs",
    "pydantic",
    "pydantic-core",
)


# -- results ----------------------------------------------------------------------------------


@dataclass
class Target:
    """One goal of a benchmark and whether this run met it."""

    name: str
    goal: str
    measured: str
    met: bool


@dataclass
class Result:
    """What one benchmark measured: a table, its targets, notes, and raw figures."""

    key: str
    title: str
    setup: str
    columns: Sequence[str]
    rows: list[Sequence[str]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Extra text blocks (profiles), rendered as preformatted text.
    details: list[tuple[str, str]] = field(default_factory=list)
    #: Raw numbers, for --json.
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


# -- statistics -------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


def s(seconds: float) -> str:
    return f"{seconds:,.2f} s"


def mib(kib: float) -> str:
    return f"{kib / 1024:,.1f} MiB"


# -- the machine ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """The facts a reader needs to weigh the figures."""
    model = "unknown"
    mhz = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "unknown":
                model = value.strip()
            if key.strip() == "cpu MHz" and not mhz:
                mhz = value.strip()
    memory = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = mib(float(line.split()[1]))
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    try:
        uvloop = metadata.version("uvloop")
    except metadata.PackageNotFoundError:
        uvloop = None
    return {
        "cpu": model,
        "cpu_mhz": mhz,
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory": memory,
        "kernel": platform.release(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "event_loop": "asyncio (default loop)"
        + ("" if uvloop is None else "; uvloop installed, unused"),
        "packages": versions,
        "loadavg": loadavg(),
        "source": source(),
    }


def source() -> str:
    """The commit measured, and whether the SDK's files differ from it (read-only git)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (git from PATH, read-only)
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "mailseg", "adapters"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    if not dirty:
        return f"commit {commit}, SDK files unmodified"
    return f"commit {commit}, {len(dirty)} SDK file(s) modified or untracked"


def loadavg() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "unknown"


# -- /proc ------------------------------------------------------------------------------------


def status_kib(field_name: str, pid: int | str = "self") -> int:
    """A ``kB`` line of /proc/<pid>/status (VmRSS, VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise KeyError(field_name)


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU seconds of a process, from /proc/<pid>/stat."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


# -- server processes -------------------------------------------------------------------------


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
