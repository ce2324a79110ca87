"""The standalone emulator (``python -m mailseg.testing``) as a real process, for tests."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The banner's last words: the emulator is serving once it has printed them.
READY = "Press Ctrl+C to stop."


@dataclass
class Served:
    """A running standalone emulator: its banner and its address."""

    process: subprocess.Popen[bytes]
    banner: list[str]
    base_url: str
    stderr: str = field(default="")


@contextmanager
def standalone_emulator(args: Sequence[str]) -> Iterator[Served]:
    """Run ``python -m mailseg.testing ARGS`` until the block ends, then stop it with SIGINT.

    On leaving, the process must have exited 0 without a traceback; ``served.stderr`` then
    holds what it wrote there.
    """
    process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "mailseg.testing", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,  # unbuffered: select() then sees every byte the banner wrote
        cwd=ROOT,
    )
    try:
        banner = _read_until_ready(process)
        url = re.search(r"http://127\.0\.0\.1:\d+", banner[0])
        assert url is not None, banner
        served = Served(process, banner, url[0])
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    served.stderr = err.decode("utf-8")
    assert process.returncode == 0, served.stderr
    assert "Traceback" not in served.stderr, served.stderr


def _read_until_ready(process: subprocess.Popen[bytes]) -> list[str]:
    assert process.stdout is not None
    fd = process.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + 120
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=1.0):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            seen += chunk
            text = seen.decode("utf-8", errors="replace")
            if text.rstrip().endswith(READY):
                return text.rstrip("\n").splitlines()
    raise AssertionError(f"the emulator never said it was ready: {seen!r}")
