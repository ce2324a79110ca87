"""The root ``mailseg`` command: settings flags, error handling and exit codes, subcommands."""

from __future__ import annotations

__all__ = ["cli", "run"]

import errno
import os
import sys
from collections.abc import Sequence
from typing import Any

import click
from click.shell_completion import get_completion_class

from mailseg import __version__
from mailseg.cli.config import config
from mailseg.cli.emulator import emulator
from mailseg.cli.jobs import jobs
from mailseg.cli.migrate import migrate
from mailseg.cli.runtime import EXIT_INTERRUPTED, EXIT_USAGE, Runtime, exit_code
from mailseg.cli.segments import segments
from mailseg.cli.tags import tags
from mailseg.errors import MailsegError

EPILOG = """\b
Exit codes: 0 success; 1 provider or transport error; 2 usage or validation
error (nothing was sent); 3 a bulk job finished with failed or unapplied ids;
130 interrupted.

\b
Examples:
  mailseg config set --profile sc provider=sendcloud api_user=me api_key_env=SC_KEY
  mailseg --profile sc tags list --all
  mailseg segments create adults --where "Age >= 18 and tag = vip"
  mailseg jobs run tags.add TAG_ID --ids ids.csv --column contact_id
  mailseg migrate --from sc --to el --dry-run
"""


class MailsegGroup(click.Group):
    """The root group: turns every mailseg error into a message on stderr and an exit code.

    A traceback is never shown for a mailseg error (its message says what to
    fix), and no message carries a credential: mailseg's errors hold none.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MailsegError as error:
            click.echo(f"error: {error}", err=True)
            raise click.exceptions.Exit(exit_code(error)) from None
        except (KeyboardInterrupt, click.Abort):
            click.echo("interrupted", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, as Unix tools do.
            _silence_stdout()
            raise click.exceptions.Exit(0) from None
        except OSError as error:
            if error.errno != errno.EPIPE:
                raise
            _silence_stdout()
            raise click.exceptions.Exit(0) from None


def _silence_stdout() -> None:
    # Python flushes stdout at exit; pointing it at /dev/null avoids a second
    # BrokenPipeError there.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


_SETTINGS_HELP = "Overrides MAILSEG_{} and the profile."


@click.group(
    cls=MailsegGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(
    __version__, "-V", "--version", prog_name="mailseg", message="%(prog)s %(version)s"
)
@click.option(
    "--profile", default=None, help="The profile to use (default: MAILSEG_PROFILE, else 'default')."
)
@click.option(
    "--provider", default=None, help="sendcloud or engagelab. " + _SETTINGS_HELP.format("PROVIDER")
)
@click.option("--api-user", default=None, help="The API user. " + _SETTINGS_HELP.format("API_USER"))
@click.option(
    "--base-url", default=None, help="The provider's base URL. " + _SETTINGS_HELP.format("BASE_URL")
)
@click.option(
    "--timeout",
    type=float,
    default=None,
    help="Seconds per request. " + _SETTINGS_HELP.format("TIMEOUT"),
)
@click.option(
    "--max-retries",
    type=int,
    default=None,
    help="Retries per request. " + _SETTINGS_HELP.format("MAX_RETRIES"),
)
@click.option(
    "--max-concurrency",
    type=int,
    default=None,
    help="Requests in flight in bulk work. " + _SETTINGS_HELP.format("MAX_CONCURRENCY"),
)
@click.option(
    "--rate-limit",
    type=float,
    default=None,
    help="Requests per second. " + _SETTINGS_HELP.format("RATE_LIMIT"),
)
@click.pass_context
def cli(
    ctx: click.Context,
    profile: str | None,
    provider: str | None,
    api_user: str | None,
    base_url: str | None,
    timeout: float | None,
    max_retries: int | None,
    max_concurrency: int | None,
    rate_limit: float | None,
) -> None:
    """mailseg: the segments and tags of SendCloud and EngageLab, from the command line.

    Every operation of both providers, bulk jobs with progress, profiles, and
    migration between accounts. Data goes to stdout (a table on a terminal,
    else JSON; choose with --output), messages and progress to stderr.

    The API key and token are never flags (they would show in `ps` and in
    shell history): set MAILSEG_API_KEY / MAILSEG_TOKEN, or a profile.
    """
    ctx.obj = Runtime(
        profile=profile,
        flags={
            "provider": provider,
            "api_user": api_user,
            "base_url": base_url,
            "timeout": timeout,
            "max_retries": max_retries,
            "max_concurrency": max_concurrency,
            "rate_limit": rate_limit,
        },
    )


@cli.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish.

    \b
    Examples:
      eval "$(mailseg completion bash)"          # in ~/.bashrc
      mailseg completion fish > ~/.config/fish/completions/mailseg.fish
    """
    completer = get_completion_class(shell)
    if completer is None:  # pragma: no cover - the choice above is what click ships
        raise click.UsageError(f"no completion for {shell}")
    click.echo(completer(cli, {}, "mailseg", "_MAILSEG_COMPLETE").source())


cli.add_command(segments)
cli.add_command(tags)
cli.add_command(config)
cli.add_command(migrate)
cli.add_command(emulator)
cli.add_command(jobs)
cli.add_command(completion)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line on *argv* (``sys.argv[1:]`` by default); return the exit status."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="mailseg")
    except SystemExit as stop:
        code = stop.code
        if code is None:
            return 0
        return code if isinstance(code, int) else EXIT_USAGE
    return 0
