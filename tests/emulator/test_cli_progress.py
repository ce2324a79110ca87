"""What the command line tells its user: its version, and how far a long build got."""

from __future__ import annotations

import re
import subprocess
import sys

import attrs
import pytest

from mailseg import __version__
from mailseg.testing.contacts import generate_contacts
from mailseg.testing.ids import IdFactory
from tests.standalone import standalone_emulator


def test_version_prints_the_mailseg_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mailseg.testing", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"python -m mailseg.testing (mailseg {__version__})\n"


def test_generation_reports_each_step_and_the_end() -> None:
    seen: list[tuple[int, int]] = []
    contacts = generate_contacts(
        25_000, 7, IdFactory(7), on_progress=lambda d, t: seen.append((d, t))
    )
    assert len(contacts) == 25_000
    assert seen == [(10_000, 25_000), (20_000, 25_000), (25_000, 25_000)]


def test_generation_without_a_callback_makes_the_same_contacts() -> None:
    with_calls = generate_contacts(300, 7, IdFactory(7), on_progress=lambda d, t: None)
    without = generate_contacts(300, 7, IdFactory(7))
    assert [attrs.asdict(c.contact) for c in with_calls] == [
        attrs.asdict(c.contact) for c in without
    ]


@pytest.mark.slow
def test_a_long_build_shows_progress_on_stderr_and_a_short_one_nothing() -> None:
    with standalone_emulator(["--port", "0", "--contacts", "50000"]) as served:
        assert served.banner[0].startswith("mailseg emulator (sendcloud) serving at")
    lines = served.stderr.splitlines()
    pattern = re.compile(r"generating contacts \(seed 7\): ([\d,]+) of 50,000, \d+\.\d s")
    steps = [pattern.match(line) for line in lines]
    assert all(steps), lines
    assert [m[1] for m in steps if m] == [f"{n:,}" for n in range(10_000, 50_001, 10_000)]
    assert lines[-1].endswith("; indexing them")
    with standalone_emulator(["--port", "0", "--contacts", "1000"]) as served:
        pass
    assert served.stderr == ""
