"""Named profiles and where each setting of a command comes from.

The profile file is TOML, by default ``config.toml`` in the platform's config
directory (platformdirs: ``~/.config/mailseg`` on Linux, ``~/Library/Application
Support/mailseg`` on macOS, ``%LOCALAPPDATA%\\mailseg`` on Windows), or the
file ``MAILSEG_CONFIG_FILE`` names::

    [profiles.default]
    provider = "sendcloud"
    api_user = "me"
    api_key_env = "SC_KEY"      # the key is read from $SC_KEY: no secret on disk

    [profiles.el]
    provider = "engagelab"
    api_user = "me"
    api_key = "..."             # allowed; then the file must be private (0600)

Each setting is resolved on its own: a command-line flag, else a ``MAILSEG_*``
variable, else the profile. The profile is ``--profile``, else
``MAILSEG_PROFILE``, else ``default`` when the file has one. Secrets
(``api_key``, ``token``) have no flag, so that they never sit in a shell's
history or in ``ps``: they come from the environment or the profile.
"""

from __future__ import annotations

__all__ = [
    "PROFILE_KEYS",
    "SECRET_KEYS",
    "SETTING_KEYS",
    "Resolved",
    "Setting",
    "config_path",
    "load_profiles",
    "resolve",
    "write_profile",
]

import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import platformdirs
import tomli_w

from mailseg import Client, Settings
from mailseg.errors import ConfigurationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

# The options that can be written as text (a flag, a variable, a TOML value):
# those of `mailseg.Settings` that have an environment variable.
SETTING_KEYS = tuple(name for name, variable, _ in Settings.describe() if variable)
_VARIABLES = {name: variable for name, variable, _ in Settings.describe() if variable}
SECRET_KEYS = frozenset({"api_key", "token"})
# A profile may name the environment variable that holds a secret instead of the secret.
_SECRET_ENV_KEYS = {"api_key_env": "api_key", "token_env": "token"}
PROFILE_KEYS = (*SETTING_KEYS, *_SECRET_ENV_KEYS)
_NUMBERS = {"timeout": float, "max_retries": int, "max_concurrency": int, "rate_limit": float}
_PROFILE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
DEFAULT_PROFILE = "default"

Warn = Callable[[str], None]


@attrs.frozen
class Setting:
    """One resolved setting: its value and where it came from (for ``config show``)."""

    value: str | int | float
    source: str


@attrs.frozen
class Resolved:
    """The settings a command runs with.

    Attributes:
        profile: the profile used, or None.
        path: the profile file consulted (it may not exist).
        settings: every setting that has a value, by key.
    """

    profile: str | None
    path: Path
    settings: Mapping[str, Setting]

    def config(self) -> dict[str, Any]:
        """The mapping `mailseg.Settings.from_config` takes."""
        return {key: setting.value for key, setting in self.settings.items()}

    def client(self) -> Client:
        """A client from these settings (through `mailseg.Settings`, as every client is).

        Raises:
            ConfigurationError: no provider, no credentials, or a bad value.
        """
        # Said in the command line's terms: which flag, variable or profile key to set.
        if "provider" not in self.settings:
            raise ConfigurationError(
                "no provider: give --provider, set MAILSEG_PROVIDER, or use a profile"
                " (mailseg config set provider=sendcloud)"
            )
        if "token" not in self.settings and not {"api_user", "api_key"} <= set(self.settings):
            missing = [k for k in ("api_user", "api_key") if k not in self.settings]
            raise ConfigurationError(
                f"credentials are missing ({', '.join(missing)}): set MAILSEG_API_USER and"
                " MAILSEG_API_KEY (or MAILSEG_TOKEN), or a profile's api_user and"
                " api_key_env"
            )
        return Client(Settings.from_config(self.config()))

    def __repr__(self) -> str:
        # Never show a secret, even in a debugger or a traceback.
        keys = sorted(self.settings)
        return f"Resolved(profile={self.profile!r}, path={str(self.path)!r}, keys={keys})"


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The profile file: ``MAILSEG_CONFIG_FILE``, else ``config.toml`` in the config dir."""
    env = os.environ if environ is None else environ
    named = env.get("MAILSEG_CONFIG_FILE")
    if named:
        return Path(named).expanduser()
    return platformdirs.user_config_path("mailseg", appauthor=False) / "config.toml"


def load_profiles(path: Path, warn: Warn | None = None) -> dict[str, dict[str, Any]]:
    """The profiles of the file at *path* (none when it does not exist).

    Warns (through *warn*) when the file holds a secret and others may read it.

    Raises:
        ConfigurationError: the file is not valid TOML, or a profile holds an
            unknown key or a value of the wrong type.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigurationError(f"cannot read {path}: {error.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"{path} is not valid TOML: {error}") from None
    profiles = data.get("profiles", {})
    unknown_tables = sorted(set(data) - {"profiles"})
    if unknown_tables or not isinstance(profiles, dict):
        raise ConfigurationError(
            f"{path}: expected only [profiles.NAME] tables, found {unknown_tables or ['profiles']}"
        )
    for name, profile in profiles.items():
        _check_profile(path, name, profile)
    if warn is not None and any(SECRET_KEYS & set(p) for p in profiles.values()):
        _warn_if_readable(path, warn)
    return profiles


def _check_profile(path: Path, name: str, profile: Any) -> None:
    where = f"{path}: profile {name!r}"
    if not isinstance(profile, dict):
        raise ConfigurationError(f"{where} must be a table of settings")
    unknown = sorted(set(profile) - set(PROFILE_KEYS))
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown keys {unknown}; expected some of {PROFILE_KEYS}"
        )
    for key, value in profile.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ConfigurationError(f"{where}: {key} must be a string or a number")
        if key not in _NUMBERS and not isinstance(value, str):
            raise ConfigurationError(f"{where}: {key} must be a string")
    for env_key, secret in _SECRET_ENV_KEYS.items():
        if env_key in profile and secret in profile:
            raise ConfigurationError(f"{where} sets both {secret} and {env_key}; keep one")


def _warn_if_readable(path: Path, warn: Warn) -> None:
    if os.name != "posix":
        return  # Windows has ACLs, not mode bits; the user's profile dir is private there
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        warn(
            f"{path} holds a key and is readable by others (mode {mode:04o}); run: chmod 600 {path}"
        )


def resolve(
    flags: Mapping[str, str | int | float | None],
    *,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
    path: Path | None = None,
    warn: Warn | None = None,
) -> Resolved:
    """Resolve every setting: flag, else ``MAILSEG_*`` variable, else the profile.

    Args:
        flags: values given on the command line (None for a flag not given).
        profile: ``--profile``; else ``MAILSEG_PROFILE``; else ``default`` if it exists.
        environ: the environment (``os.environ`` by default).
        path: the profile file (`config_path` by default).
        warn: called with a warning (a readable file holding a key).

    Raises:
        ConfigurationError: an unknown profile, a bad file, or a profile naming
            an unset variable for its key.
    """
    env = os.environ if environ is None else environ
    path = config_path(env) if path is None else path
    profiles = load_profiles(path, warn)
    name = profile or env.get("MAILSEG_PROFILE") or None
    if name is not None and name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigurationError(f"no profile {name!r} in {path} (profiles: {known})")
    if name is None and DEFAULT_PROFILE in profiles:
        name = DEFAULT_PROFILE
    chosen = profiles.get(name, {}) if name else {}

    settings: dict[str, Setting] = {}
    for key in SETTING_KEYS:
        flag = flags.get(key)
        variable = _VARIABLES[key]
        if flag is not None:
            settings[key] = Setting(flag, f"--{key.replace('_', '-')}")
        elif env.get(variable):
            settings[key] = Setting(env[variable], f"env {variable}")
        elif key in chosen:
            settings[key] = Setting(chosen[key], f"profile {name!r}")
    for env_key, secret in _SECRET_ENV_KEYS.items():
        if secret in settings or env_key not in chosen:
            continue
        variable = chosen[env_key]
        if not env.get(variable):
            raise ConfigurationError(
                f"profile {name!r} reads {secret} from ${variable} ({env_key}), which is not set"
            )
        settings[secret] = Setting(env[variable], f"env {variable} ({env_key} of profile {name!r})")
    return Resolved(profile=name, path=path, settings=settings)


def check_profile_name(name: str) -> str:
    """A profile name: letters, digits, ``_`` and ``-``."""
    if not _PROFILE_NAME.fullmatch(name):
        raise ConfigurationError(
            f"profile name {name!r} may hold only letters, digits, _ and - (1 to 64)"
        )
    return name


def write_profile(path: Path, name: str, updates: Mapping[str, str | int | float | None]) -> None:
    """Set (or, with None, remove) keys of one profile, keeping the rest of the file.

    The file is replaced atomically and is always private (mode 0600, its
    directory 0700 when created), whether or not it holds a key.

    Raises:
        ConfigurationError: a bad profile name, an unknown key, a bad number.
    """
    check_profile_name(name)
    profiles = load_profiles(path)
    profile = dict(profiles.get(name, {}))
    for key, value in updates.items():
        if key not in PROFILE_KEYS:
            raise ConfigurationError(f"unknown key {key!r}; expected one of {PROFILE_KEYS}")
        if value is None:
            profile.pop(key, None)
            continue
        if key in _NUMBERS and isinstance(value, str):
            try:
                value = _NUMBERS[key](value)
            except ValueError:
                raise ConfigurationError(f"{key} must be a number, got {value!r}") from None
        profile[key] = value
    _check_profile(path, name, profile)
    profiles[name] = profile
    if not profile:
        del profiles[name]
    text = tomli_w.dumps({"profiles": profiles})
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Written next to the target and renamed over it, so a crash leaves the old
    # file or the new one, and the secret is never in a file others may read.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
