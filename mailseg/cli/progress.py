"""Progress of long work, on standard error: a Rich bar on a terminal, plain lines otherwise.

A terminal gets a live bar (ids done, ids/s, ETA, failed and unapplied ids,
chunks in flight) that Rich redraws in place. Anything else (a log file, CI)
gets one plain line at most every ``interval`` seconds and a last one at the
end, so logs stay readable. ``--quiet`` shows nothing.
"""

from __future__ import annotations

__all__ = ["PercentReporter", "Reporter", "percent_reporter", "reporter"]

import sys
import time
from types import TracebackType
from typing import TextIO

import attrs
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@attrs.define
class Counts:
    """What a progress line shows."""

    done: int = 0
    total: int | None = None
    failed: int = 0
    unapplied: int = 0
    in_flight: int = 0


class Reporter:
    """Shows progress; a context manager. The base class shows nothing (``--quiet``)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.counts = Counts()
        self.started = time.monotonic()

    def update(
        self,
        done: int,
        total: int | None = None,
        *,
        failed: int = 0,
        unapplied: int = 0,
        in_flight: int = 0,
    ) -> None:
        self.counts = Counts(done, total, failed, unapplied, in_flight)
        self.show()

    def show(self, final: bool = False) -> None:
        """Draw the current counts (nothing here)."""

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.counts.done / elapsed if elapsed > 0 else 0.0

    def __enter__(self) -> Reporter:
        self.started = time.monotonic()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.show(final=True)


class LineReporter(Reporter):
    """Plain lines, at most one every *interval* seconds, and a last one."""

    def __init__(self, label: str, stream: TextIO, interval: float = 2.0) -> None:
        super().__init__(label)
        self.stream = stream
        self.interval = interval
        self.last = 0.0

    def show(self, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < self.interval:
            return
        self.last = now
        counts = self.counts
        total = f"/{counts.total}" if counts.total is not None else ""
        parts = [f"{self.label}: {counts.done}{total} ids", f"{self.rate():.0f} ids/s"]
        if counts.failed:
            parts.append(f"{counts.failed} failed")
        if counts.unapplied:
            parts.append(f"{counts.unapplied} unapplied")
        if counts.in_flight:
            parts.append(f"{counts.in_flight} chunks in flight")
        if final:
            parts.append(
                "done" if counts.total is None or counts.done >= counts.total else "stopped"
            )
        self.stream.write(", ".join(parts) + "\n")
        self.stream.flush()


class BarReporter(Reporter):
    """A Rich progress bar, redrawn in place on the terminal."""

    def __init__(self, label: str, console: Console) -> None:
        super().__init__(label)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("ids"),
            TextColumn("{task.fields[rate]} ids/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[extra]}"),
            console=console,
            transient=False,
            refresh_per_second=8,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> Reporter:
        super().__enter__()
        self.progress.start()
        self.task = self.progress.add_task(self.label, total=None, rate="0", extra="")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, tb)
        self.progress.stop()

    def show(self, final: bool = False) -> None:
        if self.task is None:
            return
        counts = self.counts
        extra = [f"{counts.failed} failed", f"{counts.unapplied} unapplied"]
        extra.append(f"{counts.in_flight} in flight")
        self.progress.update(
            self.task,
            completed=counts.done,
            total=counts.total,
            rate=f"{self.rate():.0f}",
            extra=", ".join(extra),
        )
        if final:
            self.progress.refresh()


def reporter(label: str, *, quiet: bool, stream: TextIO | None = None) -> Reporter:
    """The reporter for this run: nothing when quiet, a bar on a terminal, else lines."""
    stream = sys.stderr if stream is None else stream
    if quiet:
        return Reporter(label)
    if stream.isatty():
        return BarReporter(label, Console(file=stream))
    return LineReporter(label, stream)


class PercentReporter:
    """A provider's own percent (``segments wait``): a bar on a terminal, a line per change
    otherwise, nothing when quiet."""

    def __init__(self, label: str, *, quiet: bool, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.quiet = quiet
        self.last: int | None = None
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> PercentReporter:
        if not self.quiet and self.stream.isatty():
            self.progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
            )
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=100)
        return self

    def update(self, percent: int) -> None:
        if self.quiet or percent == self.last:
            return
        self.last = percent
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=percent)
        else:
            self.stream.write(f"{self.label}: {percent}%\n")
            self.stream.flush()

    def __exit__(self, *exc_info: object) -> None:
        if self.progress is not None:
            self.progress.stop()


def percent_reporter(label: str, *, quiet: bool) -> PercentReporter:
    """The display of a percent the provider reports."""
    return PercentReporter(label, quiet=quiet)
