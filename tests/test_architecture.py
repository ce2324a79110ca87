"""The import rules that keep the core and the adapters apart.

The core never imports an adapter package; an adapter uses only mailseg's
public API; inside the core, imports run one way, from the client down to the
models.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "mailseg"
ADAPTERS = sorted((ROOT / "adapters").glob("*/mailseg_*"))
PUBLIC = {"mailseg", "mailseg.models", "mailseg.errors", "mailseg.conditions"} | {
    ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for p in (CORE / "adapter").glob("*.py")
}

MODULES = {".".join(p.relative_to(ROOT).with_suffix("").parts) for p in CORE.rglob("*.py")} | {
    p.name for p in ADAPTERS
}

# Lower layers first: a module may import only from layers before its own. A
# name that is a package stands for its whole room (mailseg.testing): modules
# inside one room import each other freely, and the room obeys the layers.
LAYERS = [
    {"mailseg._version", "mailseg.errors"},
    {"mailseg.models"},
    {"mailseg.conditions", "mailseg._validation", "mailseg.adapter.json", "mailseg.adapter.status"},
    {"mailseg.adapter.contract", "mailseg.adapter.convert"},
    {"mailseg.adapter.reading", "mailseg.adapter.compiled"},
    {"mailseg.adapter.rest"},
    {"mailseg.adapter"},
    {"mailseg._registry", "mailseg._paging", "mailseg._retry", "mailseg._hooks", "mailseg._raw"},
    {"mailseg._settings", "mailseg._transport"},
    {"mailseg._bulk"},
    {"mailseg._segments", "mailseg._tags"},
    {"mailseg._client"},
    {"mailseg"},
    # Above the client, through its public surface: the blocking facade, the
    # OpenTelemetry observer (the client reaches it only through mailseg._hooks), and
    # durable bulk jobs (mailseg.jobs, a room: the client never imports it).
    {"mailseg.tracing", "mailseg.jobs"},
    # The blocking facade, over the client and over jobs (mailseg.sync.jobs).
    {"mailseg.sync"},
    {"mailseg.testing"},
    # The command line sits above everything (it may use jobs, the client and the
    # emulator); nothing imports it but `python -m mailseg`.
    {"mailseg.cli"},
    {"mailseg.__main__"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def room(module: str) -> str | None:
    """The entry of LAYERS a module belongs to: itself, or the package room holding it."""
    while module:
        if module in RANK:
            return module
        module = module.rpartition(".")[0]
    return None


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (TYPE_CHECKING blocks excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_core_never_imports_an_adapter() -> None:
    for path in CORE.rglob("*.py"):
        for name in imports(path):
            assert not name.startswith(("mailseg_sendcloud", "mailseg_engagelab")), (path, name)


@pytest.mark.parametrize("package", ADAPTERS, ids=lambda p: p.name)
def test_adapters_use_only_the_public_api(package: Path) -> None:
    assert list(package.glob("*.py")), package
    for path in package.glob("*.py"):
        for name in imports(path):
            top = name.split(".")[0]
            if top != "mailseg":
                continue
            module = name if name in PUBLIC else name.rsplit(".", 1)[0]
            assert module in PUBLIC, f"{path.name} imports {name}"


def test_core_imports_run_one_way() -> None:
    for path in CORE.rglob("*.py"):
        here = module_name(path)
        home = room(here)
        assert home is not None, f"{here} has no layer in LAYERS"
        for name in imports(path):
            target = room(name) if name.startswith("mailseg") else None
            if target is None or target == home:
                continue
            assert RANK[target] < RANK[home], f"{here} imports {name}, which is not below it"


def test_every_module_has_a_room() -> None:
    # The walk above covers subpackages: a new one must be placed in LAYERS.
    walked = {module_name(path) for path in CORE.rglob("*.py")}
    assert {"mailseg.testing.emulator", "mailseg.adapter.contract"} <= walked
    assert all(room(name) is not None for name in walked)


def test_jobs_sit_above_the_client_on_its_public_api() -> None:
    jobs = CORE / "jobs"
    assert list(jobs.glob("*.py")), jobs
    for path in jobs.rglob("*.py"):
        for name in imports(path):
            if name.split(".")[0] != "mailseg" or name.startswith("mailseg.jobs"):
                continue
            module = name if name in PUBLIC else name.rsplit(".", 1)[0]
            assert module in PUBLIC, f"jobs/{path.name} imports {name}, not the public API"


def test_import_mailseg_stays_light() -> None:
    # The optional extras are imported only inside the package that needs them.
    code = (
        "import sys, mailseg, mailseg.testing; "
        "heavy = {'click', 'rich', 'platformdirs', 'tomli_w', 'mailseg.cli'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)  # noqa: S603 - fixed
