"""Every code block of README.md and docs/ runs as written (see tests/doc_examples.py).

Python blocks run in this process, each in a fresh namespace, against the emulator they
start themselves; pytest blocks run in a fresh project; server blocks are started and
stopped. A block that cannot run here says why in its marker.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.doc_examples import ROOT, Block, all_blocks, of_kind
from tests.standalone import standalone_emulator

STRICT_AND_AUTO = ("strict", "auto")


def _ids(blocks: list[Block]) -> list[str]:
    return [block.id for block in blocks]


def test_every_block_is_collected_and_decided() -> None:
    blocks = all_blocks()  # raises on an unmarked shell block or an unknown language
    kinds = {block.kind for block in blocks}
    assert {"run", "pytest", "server", "install", "skip"} <= kinds
    ran = [block for block in blocks if block.kind not in {"skip", "data"}]
    # The README's own Quickstart is among the blocks that run.
    quickstart = next(b for b in blocks if "async def tour(" in b.source)
    assert quickstart in ran
    for block in blocks:
        if block.kind == "skip":
            assert block.reason is not None, block.id
            assert len(block.reason) > 10, block.id


RUN = of_kind("run")


@pytest.mark.parametrize("block", RUN, ids=_ids(RUN))
def test_python_block_runs(block: Block, capsys: pytest.CaptureFixture[str]) -> None:
    code = compile(block.source, block.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace: dict[str, object] = {"__name__": "__main__"}
    if code.co_flags & inspect.CO_COROUTINE:
        # Top-level await: what `python -m asyncio` does with the same lines.
        asyncio.run(eval(code, namespace))  # noqa: S307 - the repository's own documentation
    else:
        exec(code, namespace)  # noqa: S102 - the repository's own documentation
    capsys.readouterr()


def test_quickstart_prints_what_the_readme_says(capsys: pytest.CaptureFixture[str]) -> None:
    quickstart = next(b for b in RUN if "async def tour(" in b.source)
    exec(compile(quickstart.source, quickstart.id, "exec"), {"__name__": "__main__"})  # noqa: S102
    out = capsys.readouterr().out.splitlines()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first, second = out[0], out[1]
    assert f"It prints `{first}`, `{second}`" in readme
    assert len(out) == 2 + 20  # the 20 tagged adults, each with its tags
    assert all("early_access" in line for line in out[2:])


PYTEST = of_kind("pytest")
# pytest-asyncio (0.24 and later) warns, from its own pytest_configure, in every project that
# has not chosen this setting: with or without mailseg, with or without an async test. pytest
# has no public way for one plugin to give another's option a default, and mailseg's plugin,
# loaded in every project of the environment, does not choose it for the user's project
# (docs/emulator.md, "With pytest").
LOOP_SCOPE_NOTICE = 'The configuration option "asyncio_default_fixture_loop_scope" is unset'
# Every warning an error, except that notice, which is still shown ("default": printed once),
# so the tests below see it and check it is the only one.
ERRORS_BUT_THE_NOTICE = (
    "-W",
    "error",
    "-W",
    f"default:{LOOP_SCOPE_NOTICE}:pytest.PytestDeprecationWarning",
)


def warning_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The ``...Warning: ...`` lines a pytest run printed, wherever they went."""
    return [
        line.strip()
        for line in (result.stdout + result.stderr).splitlines()
        if "Warning:" in line or "warnings summary" in line
    ]


@pytest.mark.slow
@pytest.mark.parametrize("mode", STRICT_AND_AUTO)
@pytest.mark.parametrize("block", PYTEST, ids=_ids(PYTEST))
def test_pytest_block_passes_in_a_fresh_project(block: Block, mode: str, tmp_path: Path) -> None:
    # No configuration file at all: only the documented test module.
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_example.py").write_text(block.source, encoding="utf-8")
    result = run_pytest(project, "-o", f"asyncio_mode={mode}", *ERRORS_BUT_THE_NOTICE)
    assert result.returncode == 0, result.stdout + result.stderr
    # Once per provider: the mailseg_emulator fixture is parametrized.
    assert result.stdout.strip().splitlines()[-1].startswith("2 passed in "), result.stdout
    # The one warning is pytest-asyncio's notice, raised by pytest-asyncio itself ...
    (notice,) = warning_lines(result)
    assert "pytest_asyncio" in notice, notice
    assert f"PytestDeprecationWarning: {LOOP_SCOPE_NOTICE}." in notice, notice
    # ... and a project without mailseg, with no async test at all, gets the same one.
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "test_plain.py").write_text("def test_plain():\n    pass\n", encoding="utf-8")
    control = run_pytest(
        bare, "-p", "no:mailseg", "-o", f"asyncio_mode={mode}", *ERRORS_BUT_THE_NOTICE
    )
    assert control.returncode == 0, control.stdout + control.stderr
    assert warning_lines(control) == [notice]


@pytest.mark.slow
@pytest.mark.parametrize("mode", STRICT_AND_AUTO)
def test_readme_pytest_example_runs_without_any_warning(mode: str, tmp_path: Path) -> None:
    (readme_example,) = [b for b in PYTEST if b.path.name == "README.md"]
    (tmp_path / "test_example.py").write_text(readme_example.source, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(
        f"[pytest]\nasyncio_mode = {mode}\nasyncio_default_fixture_loop_scope = function\n",
        encoding="utf-8",
    )
    result = run_pytest(tmp_path, "-W", "error")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout, result.stdout
    assert "warning" not in result.stdout.lower(), result.stdout


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in ``project`` as its own user would run it: no rootdir, conftest or ini of ours.

    Plugins load as in any project where mailseg is installed: through entry points.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--rootdir", ".", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


SERVER = of_kind("server")


@pytest.mark.slow
@pytest.mark.parametrize("block", SERVER, ids=_ids(SERVER))
def test_server_block_serves_and_stops(block: Block) -> None:
    command, expected = _command_and_output(block)
    argv = command.split()
    assert argv[:3] == ["python", "-m", "mailseg.testing"], block.id
    documented_port = argv[argv.index("--port") + 1] if "--port" in argv else "8025"
    with standalone_emulator([*argv[3:], "--port", "0"]) as served:
        port = served.base_url.rsplit(":", 1)[1]
    shown = [line.replace(f":{port}", f":{documented_port}") for line in served.banner]
    if expected is not None:
        assert shown == expected


def _command_and_output(block: Block) -> tuple[str, list[str] | None]:
    lines = block.source.rstrip("\n").splitlines()
    if block.language != "console":
        assert len(lines) == 1, f"{block.id}: a server block is one command"
        return lines[0], None
    assert lines[0].startswith("$ "), f"{block.id}: a console block starts with '$ '"
    return lines[0][2:], lines[1:]
