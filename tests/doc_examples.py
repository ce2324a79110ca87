"""Collects the code blocks of README.md and docs/, so tests can run every one as written.

A block is a fenced code block. What happens to it depends on its language and on an
optional marker, an HTML comment on the line just before the opening fence (invisible
on GitHub and in the documentation site)::

    <!-- example: KIND -->
    <!-- example: skip: why this block cannot run here -->

- ``python`` without a marker: run as written, in a fresh namespace; top-level ``await``
  is allowed (the block then runs as the asyncio REPL, ``python -m asyncio``, would run
  it). ``tests/test_doc_examples.py``.
- ``pytest`` (a Python block): a test module, run by pytest in a fresh project, in
  pytest-asyncio's strict and auto modes. ``tests/test_doc_examples.py``.
- ``server`` (a shell or console block): a command that serves until interrupted. It
  is started with ``--port 0`` appended (so parallel runs never collide), waited for
  until it says "Press Ctrl+C to stop", and stopped with SIGINT; it must exit 0. A
  console block's output lines must match what the command prints, with the real port
  read as the documented one. ``tests/test_doc_examples.py``.
- ``install`` (a shell block): run line by line by ``tests/test_install.py`` in a copy
  of the checkout, with a fresh venv's ``bin`` first on ``PATH``.
- ``skip: REASON``: not run; the reason says why (a real account, PyPI, the test
  command itself) and where the same thing is tested, if it is.

A shell block (``sh``, ``bash``, ``console``, ``shell``) must carry a marker: shell
commands are not run by accident. Blocks of data (``json``, ``text``, ``toml``...) are
not programs and are not run. Any other language fails the collection, so a new kind of
block is a decision, not a silent skip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

PYTHON = {"python", "py"}
SHELL = {"sh", "bash", "console", "shell"}
DATA = {"json", "text", "toml", "yaml", "http", ""}
KINDS = {"run", "pytest", "server", "install", "skip"}

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
_MARKER = re.compile(r"^\s*<!--\s*example:\s*(?P<kind>[\w-]+)\s*(?::\s*(?P<reason>.*?))?\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a document."""

    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    kind: str  # one of KINDS, or "data"
    reason: str | None
    source: str

    @property
    def id(self) -> str:
        """``README.md:61``: where the block starts, relative to the repository."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """Every fenced block of one Markdown file, with its kind decided."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            body.append(lines[end][indent:])
            end += 1
        if end == len(lines):
            raise ValueError(f"{path.name}:{index + 1}: a code block is never closed")
        marker = _MARKER.match(lines[index - 1]) if index else None
        found.append(_block(path, index + 1, opening["lang"].lower(), marker, body))
        index = end + 1
    return found


def _block(
    path: Path, line: int, language: str, marker: re.Match[str] | None, body: list[str]
) -> Block:
    where = f"{path.relative_to(ROOT)}:{line}"
    kind = marker["kind"] if marker else None
    reason = marker["reason"] if marker else None
    if kind is not None and kind not in KINDS - {"run"}:
        raise ValueError(f"{where}: unknown example marker {kind!r}")
    if kind == "skip" and not reason:
        raise ValueError(f"{where}: a skipped example must say why (example: skip: REASON)")
    if language in PYTHON:
        kind = kind or "run"
        if kind in {"server", "install"}:
            raise ValueError(f"{where}: {kind!r} marks shell blocks, not Python")
    elif language in SHELL:
        if kind is None:
            raise ValueError(
                f"{where}: a shell block must be marked server, install or skip: REASON"
            )
        if kind == "pytest":
            raise ValueError(f"{where}: 'pytest' marks Python blocks")
    elif language in DATA:
        kind = "data"
    else:
        raise ValueError(f"{where}: no rule for code blocks in {language!r}")
    return Block(path, line, language, kind, reason, "\n".join(body) + "\n")


def all_blocks() -> list[Block]:
    """The blocks of README.md and of every page under docs/."""
    return [block for path in DOCUMENTS for block in blocks(path)]


def of_kind(kind: str) -> list[Block]:
    """The blocks of one kind, in document order."""
    return [block for block in all_blocks() if block.kind == kind]
