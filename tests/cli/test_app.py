"""The command as a program: --version, help with examples everywhere, completion,
``python -m mailseg``, the emulator command, streaming into ``head``, Ctrl+C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest

from mailseg import __version__
from mailseg.cli.app import cli
from tests.cli.harness import Served, run, run_json

PYTHON = sys.executable


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_version() -> None:
    assert run(["--version"]).stdout == f"mailseg {__version__}\n"
    module = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [PYTHON, "-m", "mailseg", "--version"], capture_output=True, text=True, check=True
    )
    assert module.stdout == f"mailseg {__version__}\n"


def test_help_lists_everything_and_every_command_has_an_example() -> None:
    top = run(["--help"]).stdout
    for name in ("segments", "tags", "jobs", "config", "migrate", "emulator", "completion"):
        assert f"  {name} " in top
    assert "Exit codes: 0 success; 1 provider or transport error; 2 usage" in top
    commands = list(_commands(cli))
    assert ("segments", "remove-members") in commands
    assert ("tags", "sync") in commands
    assert ("jobs", "failed-ids") in commands
    for path in commands:
        shown = run([*path, "--help"]).stdout
        assert "Example" in shown, path
        assert "mailseg " in shown.split("Example", 1)[1], path


def test_emulator_help_is_the_emulators_own() -> None:
    shown = run(["emulator", "--help"]).stdout
    assert shown.startswith("usage: mailseg emulator")
    assert "--fault-kinds" in shown
    assert "mailseg emulator --provider engagelab" in shown


def test_shell_completion() -> None:
    script = run(["completion", "bash"]).stdout
    assert "_MAILSEG_COMPLETE=bash_complete" in script
    assert "complete -o nosort -F" in script
    env = {"_MAILSEG_COMPLETE": "bash_complete", "COMP_WORDS": "mailseg seg", "COMP_CWORD": "1"}
    completed = run([], env)
    assert "plain,segments" in completed.stdout.splitlines()
    env = {"_MAILSEG_COMPLETE": "bash_complete", "COMP_WORDS": "mailseg tags s", "COMP_CWORD": "2"}
    assert "plain,sync" in run([], env).stdout.splitlines()
    assert "fish" in run(["completion", "fish"]).stdout


def test_a_missing_extra_names_it() -> None:
    code = "import sys; sys.modules['click'] = None; from mailseg.cli import main; main()"
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [PYTHON, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "pip install 'mailseg[cli]'" in result.stderr


@pytest.mark.slow
def test_emulator_command_serves_until_ctrl_c() -> None:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [PYTHON, "-m", "mailseg", "emulator", "--provider", "engagelab", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("mailseg emulator (engagelab) serving at http://127.0.0.1:")
        url = first.rsplit(" ", 1)[1].strip()
        env = {"MAILSEG_PROVIDER": "engagelab", "MAILSEG_BASE_URL": url}
        env |= {
            "MAILSEG_API_USER": "emulator_user",
            "MAILSEG_API_KEY": "emulator-test-key-not-a-secret",
        }
        assert run_json(["tags", "list"], env)["total"] > 0
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.slow
def test_jsonl_members_stream_into_head_at_once(serve: Callable[..., Served]) -> None:
    # Latency per page makes a full read take seconds; head must return after one page.
    from mailseg.testing import Faults

    served = serve("sendcloud", contacts=3000, processing_polls=0)
    segment_id = run_json(["segments", "create", "all", "--where", "Age >= 0"], served.env)["id"]
    served.call(lambda: setattr(served.emulator, "faults", Faults(latency=0.3)))
    env = {**os.environ, **served.env}
    pipeline = f"'{PYTHON}' -m mailseg segments members {segment_id} --all -o jsonl | head -n 3"
    result = subprocess.run(  # noqa: S602 - a fixed pipeline, the point of the test
        pipeline, shell=True, capture_output=True, text=True, env=env, timeout=60, check=False
    )
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert all(line.startswith('{"id": ') for line in lines)
    assert "Traceback" not in result.stderr
    assert "BrokenPipe" not in result.stderr
    # Streaming: the broken pipe after the first page ends the command, which
    # does not read the other 29 pages first (the shell waited for it to exit).
    pages = served.call(lambda: sum(r.path.endswith("/members") for r in served.emulator.requests))
    assert 1 <= pages <= 2, pages


@pytest.mark.slow
def test_ctrl_c_on_any_command_exits_130(serve: Callable[..., Served], tmp_path: Path) -> None:
    served = serve("engagelab", processing_polls=10_000)
    segment_id = run_json(["segments", "create", "slow", "--where", "Age >= 1"], served.env)["id"]
    env = {**os.environ, **served.env}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [PYTHON, "-m", "mailseg", "segments", "wait", segment_id, "--poll-interval", "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    # Interrupt once it is polling (not while Python is still importing).
    deadline = time.monotonic() + 30
    path = f"/segments/{segment_id}"
    while not any(
        r.path.endswith(path) for r in served.call(lambda: list(served.emulator.requests))
    ):
        assert time.monotonic() < deadline, "the command never polled"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=15)
    assert process.returncode == 130
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
