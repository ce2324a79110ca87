"""The examples run for real against the emulator, so the README's demo cannot rot."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

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
