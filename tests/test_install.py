"""Installing from a checkout without editable mode, exactly as README documents it.

The README's ``install`` block runs line by line in a copy of the checkout, with a fresh
venv's ``bin`` first on ``PATH`` (so ``python3`` is that venv's). Then, from outside the
checkout, the installed wheels must find both adapters through their entry points.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.doc_examples import ROOT, of_kind

CHECK = """
import importlib.metadata as md, mailseg, mailseg_engagelab, mailseg_sendcloud
adapters = sorted(ep.name for ep in md.entry_points(group="mailseg.adapters"))
plugins = [ep.value for ep in md.entry_points(group="pytest11") if ep.name == "mailseg"]
client = mailseg.connect("engagelab", api_user="u", api_key="k")
print(adapters, plugins, client.provider)
for module in (mailseg, mailseg_engagelab, mailseg_sendcloud):
    print(module.__file__)
"""


def _copy_checkout(into: Path) -> Path:
    # The tracked files only (plus this branch's uncommitted ones): no .venv, no dist/.
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return into


@pytest.mark.slow
def test_the_three_wheels_install_and_find_both_adapters(tmp_path: Path) -> None:
    (block,) = of_kind("install")
    checkout = _copy_checkout(tmp_path / "checkout")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))},
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    outputs = []
    for line in block.source.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        result = subprocess.run(  # noqa: S602 - the README's own documented commands
            line, shell=True, cwd=checkout, env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        outputs.append(result.stdout)
    wheels = sorted(p.name.split("-")[0] for p in (checkout / "dist").glob("*.whl"))
    assert wheels == ["mailseg", "mailseg_engagelab", "mailseg_sendcloud"]
    assert outputs[-1].strip() == "['engagelab', 'sendcloud']"

    check = subprocess.run(  # noqa: S603 - the fresh venv's interpreter, fixed arguments
        [str(bin_dir / "python"), "-I", "-c", CHECK],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    first, *files = check.stdout.splitlines()
    assert first == "['engagelab', 'sendcloud'] ['mailseg.testing.pytest_plugin'] engagelab"
    # Installed copies, not the checkout nor this suite's editable install.
    for file in files:
        assert Path(file).is_relative_to(env_dir), file
    assert sys.prefix != str(env_dir)
