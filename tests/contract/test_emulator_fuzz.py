"""Fuzz the emulator's wire with schemathesis, driven by the written contract.

For every operation of both providers' OpenAPI descriptions, schemathesis generates requests
that follow the description (positive) and requests that break it (negative), and sends
them over HTTP. Every answer must be:

- never a 5xx, and JSON in the provider's format (a body, unless SendCloud's 204);
- a status the description lists, with a body that conforms to it;
- a 4xx for a request that breaks the description (the emulator accepts nothing the pages
  forbid), and a 401 when the credentials are left out;
- a 405 with ``Allow`` for a method the path does not take.

Half the cases address a segment or tag that exists (the rest an id the generator made up,
which must be a 404), so the handlers behind the lookups are reached too. Bounded and
derandomized: the same examples on every run.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import requests
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from tests.contract.conftest import ServedEmulator
from tests.contract.contract import PROVIDERS, contract, operations

EXAMPLES = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
    unsupported_method,
]
# Path parameter -> how to make a live one.
_LIVE = {"segmentId": "segment", "segment_id": "segment", "tagId": "tag", "tag_id": "tag"}

CASES = [
    pytest.param(provider, path, method, id=f"{provider} {method} {path}")
    for provider in PROVIDERS
    for path, method in operations(provider)
]


def _live_id(server: ServedEmulator, session: requests.Session, kind: str) -> str:
    """The id of a segment or tag that exists now (made through the API when none does)."""
    emu = server.emu
    existing = emu.segments if kind == "segment" else emu.tags
    if existing:
        return next(iter(existing))
    prefix = emu.base_url + emu.prefix
    headers = {"Authorization": emu.authorization}
    if kind == "tag":
        key = "tagName" if emu.provider == "sendcloud" else "name"
        answer = session.post(f"{prefix}/tags", json={key: "fuzzed"}, headers=headers, timeout=5)
    else:
        field, name = (
            ("fieldName", "segmentName")
            if emu.provider == "sendcloud"
            else ("field_name", "segment_name")
        )
        body = {
            name: "fuzzed",
            "type": 0,
            "condition": {
                "relation": "and",
                "items": [{field: "Email", "op": "contain", "value": "@"}],
            },
        }
        answer = session.post(f"{prefix}/segments", json=body, headers=headers, timeout=5)
    assert answer.status_code in (200, 201), answer.text
    existing = emu.segments if kind == "segment" else emu.tags
    return next(iter(existing))


@pytest.mark.slow
@pytest.mark.parametrize(("provider", "path", "method"), CASES)
def test_the_emulator_keeps_the_written_contract(
    served: dict[str, ServedEmulator], provider: str, path: str, method: str
) -> None:
    server = served[provider]
    operation = contract(provider)[path][method]
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    auth = {"Authorization": server.emu.authorization}

    with requests.Session() as session:

        @hypothesis.settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        @hypothesis.given(case=cases, live=st.booleans())
        def run(case: Any, live: bool) -> None:
            if live:
                for name in case.path_parameters or {}:
                    case.path_parameters[name] = _live_id(server, session, _LIVE[name])
            response = case.call(
                base_url=server.emu.base_url, headers=auth, session=session, timeout=10
            )
            assert response.status_code < 500, response.text
            if response.status_code != 204:
                # schemathesis' Response: lower-case names, a list of values each.
                content_type = response.headers.get("content-type", [""])[0]
                assert content_type.startswith("application/json"), response.text
            case.validate_response(response, checks=CHECKS, headers=auth)

        run()
