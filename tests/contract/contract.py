"""The written contract: the OpenAPI descriptions in ``docs/providers``, loaded once.

Both sides are checked against the same files: the emulator's answers (``test_emulator_fuzz``)
and the SDK's requests (``test_sdk_requests``).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import schemathesis
import yaml
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema

PROVIDERS = ("sendcloud", "engagelab")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "providers"


def contract_path(provider: str) -> Path:
    """The OpenAPI description of one provider."""
    return DOCS / f"{provider}.openapi.yaml"


@functools.cache
def raw_contract(provider: str) -> dict[str, Any]:
    """The description as parsed YAML."""
    data: dict[str, Any] = yaml.safe_load(contract_path(provider).read_text(encoding="utf-8"))
    return data


# Unknown query keys are not a violation the providers refuse (the emulator ignores them, as
# servers do); the credentials are sent by the tests, right or deliberately wrong.
_CONFIG = {"generation": {"allow-extra-parameters": False, "with-security-parameters": False}}


@functools.cache
def contract(provider: str) -> BaseSchema:
    """The description loaded by schemathesis."""
    config = SchemathesisConfig.from_dict(_CONFIG)
    return schemathesis.openapi.from_dict(raw_contract(provider), config=config)


def operations(provider: str) -> list[tuple[str, str]]:
    """Every (path, METHOD) the description holds, in file order."""
    verbs = ("get", "post", "put", "patch", "delete")
    return [
        (path, verb.upper())
        for path, item in raw_contract(provider)["paths"].items()
        for verb in verbs
        if verb in item
    ]
