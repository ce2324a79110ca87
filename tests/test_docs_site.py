"""The documentation site builds with every warning an error (mkdocs.yml, ``strict: true``).

A broken link, a missing include, a README section marker gone, or a docstring that
does not match its signature fails this test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_site_builds_strict_with_the_guide_and_the_reference(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    quickstart = (tmp_path / "quickstart" / "index.html").read_text(encoding="utf-8")
    assert "early_access" in quickstart  # the README's section, included
    reference = (tmp_path / "reference" / "client" / "index.html").read_text(encoding="utf-8")
    for name in ("wait_until_complete", "add_members", "iterate_members", "from_env"):
        assert name in reference, name
    for page in ("configuration", "errors", "bulk-jobs", "emulator", "adapters", "benchmarks"):
        assert (tmp_path / page / "index.html").is_file(), page
