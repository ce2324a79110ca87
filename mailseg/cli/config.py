"""``mailseg config ...``: the profile file, and the settings a command would use."""

from __future__ import annotations

__all__ = ["config"]

import sys
from typing import Any

import click

from mailseg.cli.options import output_option
from mailseg.cli.output import Columns, Output
from mailseg.cli.profiles import (
    DEFAULT_PROFILE,
    PROFILE_KEYS,
    SECRET_KEYS,
    SETTING_KEYS,
    config_path,
    load_profiles,
    write_profile,
)
from mailseg.cli.runtime import Runtime, warn
from mailseg.errors import ValidationError

MASK = "********"


@click.group()
def config() -> None:
    """Profiles and settings.

    Each setting comes from its flag, else its MAILSEG_* variable, else the
    profile (--profile, else MAILSEG_PROFILE, else "default").

    \b
    Examples:
      mailseg config set --profile sc provider=sendcloud api_user=me api_key_env=SC_KEY
      mailseg config set --profile sc api_key        # prompts, hidden
      mailseg --profile sc config show
    """


@config.command()
def path() -> None:
    """Print the profile file's path (MAILSEG_CONFIG_FILE, else the platform's config dir).

    \b
    Example:
      mailseg config path
    """
    click.echo(str(config_path()))


@config.command()
@output_option
@click.pass_obj
def show(runtime: Runtime, output: str | None) -> None:
    """Print the settings a command would run with, and where each comes from.

    Secrets (api_key, token) are masked: no command ever prints one.

    \b
    Examples:
      mailseg config show
      MAILSEG_TIMEOUT=5 mailseg --profile el config show --output json
    """
    resolved = runtime.resolved()
    settings: dict[str, dict[str, Any]] = {}
    for key in SETTING_KEYS:
        setting = resolved.settings.get(key)
        if setting is None:
            settings[key] = {"value": None, "source": None}
        else:
            value = MASK if key in SECRET_KEYS else setting.value
            settings[key] = {"value": value, "source": setting.source}
    out = Output(output)
    if out.format == "table":
        rows = [
            {
                "setting": key,
                "value": "" if v["value"] is None else v["value"],
                "from": v["source"] or "not set",
            }
            for key, v in settings.items()
        ]
        out.page(
            rows, _SHOW_COLUMNS, title=f"profile {resolved.profile or '(none)'}: {resolved.path}"
        )
        return
    out.one({"profile": resolved.profile, "file": str(resolved.path), "settings": settings})


_SHOW_COLUMNS = Columns.of(("setting", "setting"), ("value", "value"), ("from", "from"))


@config.command()
@output_option
def profiles(output: str | None) -> None:
    """List the profiles of the profile file.

    \b
    Example:
      mailseg config profiles
    """
    path = config_path()
    found = load_profiles(path, warn)
    rows = [
        {"profile": name, "provider": values.get("provider"), "api_user": values.get("api_user")}
        for name, values in sorted(found.items())
    ]
    out = Output(output)
    if out.format == "json":
        out.one({"file": str(path), "profiles": rows})
    else:
        out.page(rows, _PROFILE_COLUMNS, title=str(path))


_PROFILE_COLUMNS = Columns.of(
    ("profile", "profile"), ("provider", "provider"), ("api_user", "api_user")
)


@config.command("set")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.option(
    "--profile",
    "profile_name",
    default=None,
    help="The profile to change (default: --profile, else 'default').",
)
@click.pass_obj
def set_(runtime: Runtime, assignments: tuple[str, ...], profile_name: str | None) -> None:
    """Set keys of a profile (KEY= removes one); the file is written with mode 0600.

    Keys: provider, api_user, api_key, token, base_url, timeout, max_retries,
    max_concurrency, rate_limit, and api_key_env / token_env (the name of a
    variable holding the secret, so that none is written to disk). A secret
    is never taken from the command line, where other users could see it in
    `ps`: give `api_key` alone to be prompted (hidden), or `api_key=-` to
    read it from standard input.

    \b
    Examples:
      mailseg config set --profile sc provider=sendcloud api_user=me api_key_env=SC_KEY
      mailseg config set --profile el provider=engagelab api_user=me api_key
      printf %s "$KEY" | mailseg config set --profile el api_key=-
      mailseg config set --profile el timeout=10 rate_limit=
    """
    name = profile_name or runtime.profile or DEFAULT_PROFILE
    updates: dict[str, str | None] = {}
    for assignment in assignments:
        key, has_value, value = assignment.partition("=")
        key = key.strip()
        if key not in PROFILE_KEYS:
            raise ValidationError(
                key or "KEY", f"unknown key; expected one of {', '.join(PROFILE_KEYS)}"
            )
        if key in SECRET_KEYS:
            updates[key] = _secret(key, has_value == "=", value)
            continue
        if not has_value:
            raise ValidationError(key, "give KEY=VALUE (KEY= removes the key)")
        updates[key] = value or None
    path = config_path()
    write_profile(path, name, updates)
    click.echo(f"profile {name!r} updated in {path}", err=True)


def _secret(key: str, has_value: bool, value: str) -> str | None:
    if not has_value:
        secret: str = click.prompt(key, hide_input=True, err=True)
        return secret.strip() or None
    if value == "-":
        return sys.stdin.readline().strip() or None
    if value == "":
        return None
    raise ValidationError(
        key,
        f"a secret on the command line is visible to other users; give '{key}' alone to be"
        f" prompted, or '{key}=-' to read it from standard input",
    )
