"""The machine a run measured: CPU, memory, load, package versions, the commit."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import ROOT
from bench._figures import mib

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
