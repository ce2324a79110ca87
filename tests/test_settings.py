"""The client options, defined once in `Settings`: connect, env, config and README agree."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import attrs
import pytest

import mailseg
from mailseg import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_connect_takes_exactly_the_settings_fields() -> None:
    parameters = inspect.signature(mailseg.connect).parameters
    assert list(parameters) == [field.name for field in attrs.fields(Settings)]
    for field in attrs.fields(Settings):
        if field.name != "provider":
            assert parameters[field.name].default == field.default, field.name
    for name, _, doc in Settings.describe():
        assert f"{name}: {doc}" in (mailseg.connect.__doc__ or "")


def test_readme_lists_every_option_with_its_variable_and_meaning() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`(\w+)`", cells[0]) if len(cells) == 3 else None
        if match:
            rows[match.group(1)] = (cells[1].strip("`") or None, cells[2])
    assert rows == {name: (env, doc) for name, env, doc in Settings.describe()}


def test_repr_names_the_credentials_set_never_their_values() -> None:
    settings = Settings("sendcloud", api_user="u-secret", api_key="k-secret", timeout=3)
    shown = repr(settings)
    assert "secret" not in shown
    assert shown == "Settings(provider='sendcloud', api_user=<set>, api_key=<set>, timeout=3)"
    client = mailseg.Client(settings)
    assert client.settings is settings


def test_from_env_reads_only_the_variables_settings_declares() -> None:
    settings = Settings.from_env(
        {"MAILSEG_PROVIDER": "sendcloud", "MAILSEG_TOKEN": "t", "MAILSEG_RETRY": "9"}
    )
    assert settings.retry == mailseg.RetryPolicy()  # no variable for a policy


def test_from_config_refuses_what_has_no_config_key() -> None:
    with pytest.raises(mailseg.ConfigurationError, match="session"):
        Settings.from_config({"provider": "sendcloud", "token": "t", "session": None})


def test_a_client_is_built_from_settings_only() -> None:
    with pytest.raises(mailseg.ConfigurationError, match=r"mailseg\.connect"):
        mailseg.Client("sendcloud")  # type: ignore[arg-type]
