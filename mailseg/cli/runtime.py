"""What every command shares: the settings flags, the profile, and running async work.

Exit codes (documented in README and ``mailseg --help``):

====  ==========================================================
0     success
1     the provider or the transport failed (an API error, a timeout,
      a malformed answer, a segment that failed or did not finish)
2     usage or validation error (bad arguments, bad configuration),
      raised before any request
3     a bulk job finished with failed or unapplied ids
130   interrupted (Ctrl+C)
====  ==========================================================
"""

from __future__ import annotations

__all__ = [
    "EXIT_FAILED_IDS",
    "EXIT_INTERRUPTED",
    "EXIT_PROVIDER",
    "EXIT_USAGE",
    "Runtime",
    "exit_code",
    "run_async",
]

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import attrs
import click

from mailseg import Client, Settings
from mailseg.cli.profiles import Resolved, resolve
from mailseg.errors import ConfigurationError, MailsegError, ValidationError
from mailseg.jobs import JobNotFoundError, SourceError

T = TypeVar("T")

EXIT_OK = 0
EXIT_PROVIDER = 1
EXIT_USAGE = 2
EXIT_FAILED_IDS = 3
EXIT_INTERRUPTED = 130


def exit_code(error: MailsegError) -> int:
    """The exit status an error means: 2 for what the caller can fix before sending, else 1.

    A bad argument, a bad setting, an unreadable ids file and an unknown job id
    are the caller's to fix (2); the provider, the network and the ledger are not (1).
    """
    if isinstance(error, (ValidationError, ConfigurationError, SourceError, JobNotFoundError)):
        return EXIT_USAGE
    return EXIT_PROVIDER


def warn(message: str) -> None:
    """A warning on standard error (never standard output, which carries data)."""
    click.echo(f"warning: {message}", err=True)


@attrs.define
class Runtime:
    """The root command's options, shared with every subcommand through ``ctx.obj``."""

    profile: str | None
    flags: dict[str, str | int | float | None]
    _resolved: Resolved | None = None

    def resolved(self) -> Resolved:
        """The settings (resolved once per command)."""
        if self._resolved is None:
            self._resolved = resolve(self.flags, profile=self.profile, warn=warn)
        return self._resolved

    def client(self) -> Client:
        """A client from the resolved settings."""
        return self.resolved().client()

    def call(self, operation: Callable[[Client], Awaitable[T]]) -> T:
        """Run one client operation (``lambda client: client.tags.get(...)``) and return
        its result, the client closed after it."""

        async def main() -> T:
            async with self.client() as client:
                return await operation(client)

        return run_async(main)

    def client_for(self, profile: str) -> Client:
        """A client from one named profile alone (``migrate --from/--to``).

        The ``MAILSEG_*`` settings variables and the flags naming an account are
        left out: with two accounts in one command, a variable meant for one
        must not silently apply to both. The tuning flags (``--timeout``...) apply.
        """
        account = {"provider", "api_user", "api_key", "token", "base_url"}
        flags = {k: v for k, v in self.flags.items() if k not in account}
        ignored = {variable for _, variable, _ in Settings.describe() if variable}
        ignored.add("MAILSEG_PROFILE")
        environ = {key: value for key, value in os.environ.items() if key not in ignored}
        try:
            return resolve(flags, profile=profile, environ=environ, warn=warn).client()
        except ConfigurationError as error:
            raise ConfigurationError(f"profile {profile!r}: {error}") from None


def run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run one command's coroutine on a fresh event loop.

    Ctrl+C cancels the coroutine (its ``finally`` blocks and the client's
    cleanup run) and surfaces here as KeyboardInterrupt, which the root command
    turns into exit status 130.
    """
    return asyncio.run(factory())


def stderr_is_terminal() -> bool:
    """Whether progress may be drawn (on standard error, so data stays clean)."""
    return sys.stderr.isatty()
