"""Profiles and settings: precedence flag > env > profile, api_key_env, private files,
warnings, and ``mailseg config``."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mailseg.cli.profiles import load_profiles, resolve, write_profile
from mailseg.errors import ConfigurationError
from tests.cli.harness import Served, run, run_json


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_precedence_is_flag_then_env_then_profile(config_file: Path) -> None:
    write_profile(
        config_file,
        "work",
        {"provider": "sendcloud", "api_user": "u", "api_key_env": "WORK_KEY", "timeout": "7"},
    )
    env = {"WORK_KEY": "k", "MAILSEG_TIMEOUT": "9", "MAILSEG_MAX_RETRIES": "4"}
    shown = run_json(["--profile", "work", "--max-retries", "1", "config", "show"], env)
    settings = shown["settings"]
    assert shown["profile"] == "work"
    assert settings["provider"] == {"value": "sendcloud", "source": "profile 'work'"}
    assert settings["timeout"] == {"value": "9", "source": "env MAILSEG_TIMEOUT"}
    assert settings["max_retries"] == {"value": 1, "source": "--max-retries"}
    assert settings["api_key"] == {
        "value": "********",
        "source": "env WORK_KEY (api_key_env of profile 'work')",
    }
    assert settings["rate_limit"] == {"value": None, "source": None}
    # Without the variable, the profile's own value applies.
    assert run_json(["--profile", "work", "config", "show"], {"WORK_KEY": "k"})["settings"][
        "timeout"
    ] == {"value": 7.0, "source": "profile 'work'"}


def test_profile_selection_and_errors(config_file: Path) -> None:
    write_profile(config_file, "default", {"provider": "engagelab"})
    write_profile(config_file, "other", {"provider": "sendcloud"})
    assert run_json(["config", "show"])["profile"] == "default"
    assert run_json(["config", "show"], {"MAILSEG_PROFILE": "other"})["profile"] == "other"
    unknown = run(["--profile", "nope", "config", "show"], code=2)
    assert "no profile 'nope'" in unknown.stderr
    assert "default, other" in unknown.stderr
    listed = run_json(["config", "profiles"])
    assert [p["profile"] for p in listed["profiles"]] == ["default", "other"]
    assert run(["config", "path"]).stdout.strip() == str(config_file)

    write_profile(config_file, "keyless", {"provider": "sendcloud", "api_key_env": "UNSET_KEY"})
    missing = run(["--profile", "keyless", "tags", "list"], code=2)
    assert "reads api_key from $UNSET_KEY" in missing.stderr


def test_bad_files_are_configuration_errors(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text("[profiles.x]\nprovder = 'sendcloud'\n")
    with pytest.raises(ConfigurationError, match=r"unknown keys \['provder'\]"):
        load_profiles(config_file)
    config_file.write_text("not = [toml")
    assert "is not valid TOML" in run(["config", "show"], code=2).stderr
    config_file.write_text("[profiles.x]\napi_key = 'a'\napi_key_env = 'B'\n")
    with pytest.raises(ConfigurationError, match="sets both api_key and api_key_env"):
        resolve({}, profile="x", path=config_file, environ={})


def test_config_set_writes_a_private_file_and_never_takes_a_secret_from_argv(
    config_file: Path,
) -> None:
    run(["config", "set", "--profile", "sc", "provider=sendcloud", "api_user=me", "timeout=5"])
    assert _mode(config_file) == 0o600
    assert _mode(config_file.parent) == 0o700
    text = config_file.read_text()
    assert "[profiles.sc]" in text
    assert "timeout = 5.0" in text

    refused = run(["config", "set", "--profile", "sc", "api_key=s3cret-on-argv"], code=2)
    assert "visible to other users" in refused.stderr
    assert "s3cret-on-argv" not in refused.stderr
    assert "s3cret-on-argv" not in config_file.read_text()

    run(["config", "set", "--profile", "sc", "api_key=-"], input="from-stdin-key\n")
    assert load_profiles(config_file)["sc"]["api_key"] == "from-stdin-key"
    run(["config", "set", "--profile", "sc", "api_key"], input="prompted-key\n")
    assert load_profiles(config_file)["sc"]["api_key"] == "prompted-key"
    assert _mode(config_file) == 0o600
    run(["config", "set", "--profile", "sc", "api_key=", "timeout="])
    assert set(load_profiles(config_file)["sc"]) == {"provider", "api_user"}
    assert "unknown key" in run(["config", "set", "colour=red"], code=2).stderr


def test_a_readable_file_holding_a_key_is_warned_about(config_file: Path) -> None:
    write_profile(config_file, "default", {"provider": "sendcloud", "api_key_env": "K"})
    config_file.chmod(0o644)
    quiet = run(["config", "show"], {"K": "x"})
    assert "warning" not in quiet.stderr  # no key in the file: nothing to protect
    write_profile(config_file, "default", {"api_key_env": None, "api_key": "x"})
    config_file.chmod(0o644)
    warned = run(["config", "show"])
    assert f"{config_file} holds a key and is readable by others (mode 0644)" in warned.stderr
    assert f"chmod 600 {config_file}" in warned.stderr
    config_file.chmod(0o600)
    assert "warning" not in run(["config", "show"]).stderr


def test_a_profile_drives_real_commands(served: Served, config_file: Path) -> None:
    credentials = served.emulator.credentials
    write_profile(
        config_file,
        "emu",
        {
            "provider": served.provider,
            "api_user": credentials["api_user"],
            "api_key_env": "EMU_KEY",
            "base_url": served.emulator.base_url,
        },
    )
    listing = run_json(["--profile", "emu", "tags", "list"], {"EMU_KEY": credentials["api_key"]})
    assert listing["total"] == len(served.call(lambda: served.emulator.tags))
    # A flag beats the profile: a wrong base URL fails to connect (exit 1).
    run(
        ["--profile", "emu", "--base-url", "http://127.0.0.1:9", "tags", "list"],
        {"EMU_KEY": credentials["api_key"]},
        code=1,
    )
