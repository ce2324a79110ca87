"""What a benchmark returns: its table, its targets and whether each was met, its notes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Target:
    """One goal of a benchmark and whether this run met it."""

    name: str
    goal: str
    measured: str
    met: bool


@dataclass
class Result:
    """What one benchmark measured: a table, its targets, notes, and raw figures."""

    key: str
    title: str
    setup: str
    columns: Sequence[str]
    rows: list[Sequence[str]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Extra text blocks (profiles), rendered as preformatted text.
    details: list[tuple[str, str]] = field(default_factory=list)
    #: Raw numbers, for --json.
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
