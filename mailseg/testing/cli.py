"""The command line of ``python -m mailseg.testing``: serve an emulator until interrupted.

It prints the base URL and the credentials to use. That banner is the one place the
emulator ever prints credentials, and they are its own fake ones.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from mailseg._version import __version__
from mailseg.testing.contacts import ContactsSource
from mailseg.testing.emulator import DEFAULT_API_KEY, DEFAULT_API_USER, Emulator
from mailseg.testing.faults import FaultKind, Faults


def _contacts(value: str) -> ContactsSource:
    if value.isdigit():
        return int(value)
    path = Path(value)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{value!r} is neither a number nor a file")
    return path


def _kinds(value: str) -> tuple[FaultKind, ...]:
    try:
        return tuple(FaultKind(part.strip()) for part in value.split(",") if part.strip())
    except ValueError:
        known = ", ".join(kind.value for kind in FaultKind)
        raise argparse.ArgumentTypeError(f"fault kinds are among: {known}") from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and for ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="python -m mailseg.testing",
        description="Serve a local emulator of SendCloud's or EngageLab's segment and tag API.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s (mailseg {__version__})")
    parser.add_argument("--provider", choices=("sendcloud", "engagelab"), default="sendcloud")
    parser.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1 (loopback)")
    parser.add_argument("--port", type=int, default=8025, help="default: 8025; 0 picks one")
    parser.add_argument(
        "--contacts",
        type=_contacts,
        default=1000,
        help="how many contacts to generate, or a .csv/.jsonl file of contacts (default 1000)",
    )
    parser.add_argument("--seed", type=int, default=7, help="seeds contacts and ids (default 7)")
    parser.add_argument(
        "--processing-polls",
        type=int,
        default=3,
        help="progress reads a new segment stays in status 1 (default 3; 0 = instant)",
    )
    parser.add_argument("--api-user", default=DEFAULT_API_USER)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    faults = parser.add_argument_group("fault injection")
    faults.add_argument("--latency", type=float, default=0.0, help="seconds added to answers")
    faults.add_argument("--jitter", type=float, default=0.0, help="up to this many seconds more")
    faults.add_argument("--fault-rate", type=float, default=0.0, help="probability, 0..1")
    faults.add_argument(
        "--fault-kinds",
        type=_kinds,
        default=None,
        help="comma-separated: " + ", ".join(kind.value for kind in FaultKind),
    )
    faults.add_argument("--fault-seed", type=int, default=0)
    faults.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds")
    return parser


def emulator_from_args(args: argparse.Namespace, progress: TextIO | None = None) -> Emulator:
    """The emulator the parsed arguments describe (not started).

    With ``progress`` (the command line passes stderr), building many contacts reports how
    far it got, since 200,000 take seconds.
    """
    faults = Faults(
        latency=args.latency,
        jitter=args.jitter,
        rate=args.fault_rate,
        seed=args.fault_seed,
        retry_after=args.retry_after,
        **({"kinds": args.fault_kinds} if args.fault_kinds else {}),
    )
    return Emulator(
        args.provider,
        contacts=args.contacts,
        seed=args.seed,
        api_user=args.api_user,
        api_key=args.api_key,
        processing_polls=args.processing_polls,
        faults=faults,
        host=args.host,
        port=args.port,
        on_progress=_progress_to(progress, args.seed) if progress is not None else None,
    )


#: Below this many contacts building takes well under a second: nothing to report.
_REPORT_FROM = 50_000


def _progress_to(out: TextIO, seed: int) -> Callable[[int, int], None]:
    started = time.perf_counter()

    def report(done: int, total: int) -> None:
        if total < _REPORT_FROM:
            return
        seconds = time.perf_counter() - started
        end = "; indexing them" if done == total else ""
        print(
            f"generating contacts (seed {seed}): {done:,} of {total:,}, {seconds:.1f} s{end}",
            file=out,
            flush=True,
        )

    return report


def banner(emulator: Emulator) -> str:
    """What the command prints once serving: where, and the credentials to use."""
    url = f"{emulator.base_url}{emulator.prefix}"
    credentials = emulator.credentials
    return "\n".join(
        [
            f"mailseg emulator ({emulator.provider}) serving at {emulator.base_url}",
            f"  endpoints:     {url}/segments, {url}/tags, ...",
            f"  contacts:      {len(emulator.contacts)} (seed {emulator.seed})",
            f"  api_user:      {credentials['api_user']}",
            f"  api_key:       {credentials['api_key']}",
            f"  Authorization: {emulator.authorization}",
            f"  try:           curl -H 'Authorization: {emulator.authorization}' '{url}/tags'",
            "These are the emulator's own fake credentials. Press Ctrl+C to stop.",
        ]
    )


async def serve(emulator: Emulator, out: TextIO = sys.stdout) -> None:
    """Serve until SIGINT or SIGTERM, after printing the banner."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        # Windows event loops have no signal handlers; Ctrl+C then ends asyncio.run instead.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        async with emulator:
            print(banner(emulator), file=out, flush=True)
            await stop.wait()
    finally:
        for signum in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, serve, and return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        emulator = emulator_from_args(args, progress=sys.stderr)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(emulator))
    return 0
