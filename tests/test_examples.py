"""The examples run for real against the emulator, so the README's demo cannot rot."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import mailseg
from mailseg.testing import DEFAULT_API_KEY, DEFAULT_API_USER, Emulator, Faults
from tests.standalone import standalone_emulator

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_quickstart_runs_the_main_job_on_both_emulators(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = await load("quickstart").against_emulators(contacts=1500)
    assert [row["provider"] for row in rows] == ["sendcloud", "engagelab"]
    for row in rows:
        assert row["contacts"] == 1500
        assert row["tagged"] == 1500
        assert row["tag requests"] == 2
        assert row["by tag"] == 1500
        assert isinstance(row["opened campaign"], int)
        assert 0 < row["opened campaign"] < 1500
        assert row["paged"] == 1500
        assert row["removed"] == 5
        assert row["left in segment"] == 1495
    out = capsys.readouterr().out
    assert "[####################] 100%" in out
    assert out.count("cleaned up") == 2


async def test_bulk_example_resumes_from_the_failed_ids(capsys: pytest.CaptureFixture[str]) -> None:
    result = await load("bulk_progress").main(contacts=5000, fault_rate=0.3)
    out = capsys.readouterr().out
    assert "ids to send again" in out
    assert result.ok
    assert "tagged in the emulator: 5000 of 5000" in out


def run_example(name: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``examples/NAME.py`` as a user would, in its own process; return its output."""
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def emulator_env(base_url: str, provider: str) -> dict[str, str]:
    """The MAILSEG_* settings README gives for the standalone emulator."""
    return {
        "MAILSEG_PROVIDER": provider,
        "MAILSEG_BASE_URL": base_url,
        "MAILSEG_API_USER": DEFAULT_API_USER,
        "MAILSEG_API_KEY": DEFAULT_API_KEY,
    }


async def names_left(base_url: str, provider: str) -> tuple[list[str], list[str]]:
    """The tag and segment names an emulator holds, read through the SDK."""
    async with mailseg.Client.from_env(emulator_env(base_url, provider)) as client:
        tags = sorted([t.name async for t in client.tags.iterate()])
        segments = sorted([s.name async for s in client.segments.iterate()])
    return tags, segments


SEEDED_TAGS = sorted(["vip", "newsletter", "教育", "beta_tester", "inactive"])


@pytest.mark.slow
@pytest.mark.parametrize("provider", ["sendcloud", "engagelab"])
async def test_env_examples_run_against_the_standalone_emulator(provider: str) -> None:
    with standalone_emulator(
        ["--provider", provider, "--port", "0", "--processing-polls", "0"]
    ) as served:
        env = emulator_env(served.base_url, provider)
        for _ in range(2):  # twice: a second run collides with nothing the first left
            out = run_example("gather", env=env)
            assert "tags: early_" in out
            assert "not found: " in out
            assert out.rstrip().endswith("cleaned up")
        out = run_example("switch_provider", env=env)
        assert f"{provider}: 5 tags" in out
        assert await names_left(served.base_url, provider) == (SEEDED_TAGS, [])


async def test_gather_cleans_up_when_a_step_fails() -> None:
    async with Emulator("sendcloud", contacts=200, processing_polls=0) as emu:
        # Requests 0-2 create the tags, 3-4 the segments; the second segment's fails.
        emu.faults = Faults(schedule={4: "500"})
        async with emu.client(max_retries=0) as client:
            with pytest.raises(mailseg.ServerError):
                await load("gather").main(client, poll_interval=0.01)
        assert sorted(t.name for t in emu.tags.values()) == SEEDED_TAGS
        assert dict(emu.segments) == {}
        assert [r.method for r in emu.requests].count("DELETE") == 4  # 3 tags, 1 segment


def test_quickstart_help_prints_help_and_runs_nothing() -> None:
    out = run_example("quickstart", "--help")
    assert out.startswith("usage: python examples/quickstart.py")
    assert "--contacts" in out
    assert "emulator at" not in out
