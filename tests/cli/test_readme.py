"""README's "Command line" examples, run as they are written, against two emulators."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.harness import Served

README = Path(__file__).resolve().parents[2] / "README.md"


def command_line_blocks() -> list[str]:
    """The ```sh blocks of README's "Command line" section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


def test_the_section_has_examples() -> None:
    blocks = command_line_blocks()
    assert len(blocks) >= 4
    assert any("mailseg jobs run" in block for block in blocks)
    assert any("mailseg migrate" in block for block in blocks)


@pytest.mark.slow
def test_readme_command_line_examples_run(serve: Callable[..., Served], tmp_path: Path) -> None:
    engagelab = serve("engagelab", processing_polls=0)
    sendcloud = serve("sendcloud", processing_polls=1)
    script = "\n".join(command_line_blocks())
    script = script.replace("http://127.0.0.1:8025", engagelab.emulator.base_url)
    script = script.replace("http://127.0.0.1:8026", sendcloud.emulator.base_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILSEG_")}
    env |= {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "MAILSEG_CONFIG_FILE": str(tmp_path / "config.toml"),
        "XDG_DATA_HOME": str(tmp_path / "data"),  # where the default ledger goes
        "COLUMNS": "160",
    }
    result = subprocess.run(  # noqa: S603 - bash on the README's own text
        ["bash", "-euo", "pipefail", "-c", script],  # noqa: S607 - bash from PATH
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "data" / "mailseg" / "jobs.sqlite").exists()
    assert (tmp_path / "retry.txt").read_text() == ""
    # The migration carried the definitions to the SendCloud account.
    assert sendcloud.call(lambda: sendcloud.emulator.tag_named("vip_cli")) is not None
    names = {s.name for s in sendcloud.call(lambda: sendcloud.emulator.segments).values()}
    assert {"adults_cli", "openers_cli"} <= names
