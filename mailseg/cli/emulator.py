"""``mailseg emulator ...``: the built-in emulator, as ``python -m mailseg.testing`` serves it."""

from __future__ import annotations

__all__ = ["emulator"]

import argparse
import asyncio
import contextlib

import click

from mailseg.testing.cli import build_parser, emulator_from_args, serve

_EXAMPLES = """Examples:
  mailseg emulator --provider engagelab --port 8025 --contacts 10000
  mailseg emulator --provider sendcloud --fault-rate 0.1 --fault-kinds 429,503,reset
"""


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    add_help_option=False,
)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def emulator(arguments: tuple[str, ...]) -> None:
    """Serve a local emulator of SendCloud or EngageLab until Ctrl+C (--help for options).

    The same program as `python -m mailseg.testing`; it prints its base URL and
    its own fake credentials.

    \b
    Example:
      mailseg emulator --provider engagelab --port 8025 --contacts 10000
    """
    parser = build_parser()
    parser.prog = "mailseg emulator"
    parser.epilog = _EXAMPLES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    # argparse prints --help and usage errors itself and exits 0 or 2, as click would.
    args = parser.parse_args(list(arguments))
    try:
        server = emulator_from_args(args)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(server))
