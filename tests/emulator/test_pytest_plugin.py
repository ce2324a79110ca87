"""The pytest plugin, as a user's project would load it: in a separate pytest run.

The inner run disables plugin auto-loading and names its plugins, so it behaves the same
whether or not mailseg is pip-installed (which would also load the plugin through its
``pytest11`` entry point), and uses pytest-asyncio's strict mode, the default a user gets.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

USER_TESTS = """
import aiohttp
import pytest

pytestmark = pytest.mark.asyncio


async def test_sendcloud(sendcloud_emulator):
    assert sendcloud_emulator.provider == "sendcloud"
    assert sendcloud_emulator.base_url.startswith("http://127.0.0.1:")
    async with aiohttp.ClientSession() as session:
        url = sendcloud_emulator.base_url + "/marketing/lists/tags"
        headers = {"Authorization": sendcloud_emulator.authorization}
        async with session.get(url, headers=headers) as answer:
            assert answer.status == 200


async def test_engagelab(engagelab_emulator):
    assert engagelab_emulator.provider == "engagelab"
    assert len(engagelab_emulator.contacts) == 1000


async def test_each_provider(mailseg_emulator):
    assert mailseg_emulator.provider in ("sendcloud", "engagelab")


@pytest.mark.mailseg_emulator(contacts=7, seed=3, processing_polls=0)
async def test_marker(mailseg_emulator):
    assert len(mailseg_emulator.contacts) == 7
    assert mailseg_emulator.seed == 3
"""


def test_fixtures_in_a_users_project(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "pytest",
            "-v",
            "--strict-markers",
            "-p",
            "no:cacheprovider",
            "-p",
            "pytest_asyncio.plugin",
            "-p",
            "mailseg.testing.pytest_plugin",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for test in (
        "test_sendcloud",
        "test_engagelab",
        "test_each_provider[sendcloud]",
        "test_each_provider[engagelab]",
        "test_marker[sendcloud]",
        "test_marker[engagelab]",
    ):
        assert f"test_user.py::{test} PASSED" in result.stdout, result.stdout
