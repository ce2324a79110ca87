"""Every request the SDK sends conforms to the written contract the emulator is fuzzed against.

The conformance tables (``tests/conformance``) pin the exact request of every operation of
both adapters; here each of those requests is checked against the provider's OpenAPI
description: a documented path and method, only documented query keys with values of the
documented type and range, and a body that validates against the request schema. The
success answers the tables script (most copied verbatim from the pages' examples) are checked
against the response schemas too, so the description cannot drift from the pages either.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest

from tests.conformance import engagelab_table, sendcloud_table
from tests.conformance.rows import Expected, Reply, Table
from tests.contract.contract import raw_contract

TABLES = {table.provider: table for table in (sendcloud_table.TABLE, engagelab_table.TABLE)}
_INTEGER = re.compile(r"-?[0-9]+")


def _validator(provider: str, schema: dict[str, Any]) -> Any:
    """A JSON Schema validator for ``schema``, resolving ``$ref`` into the description."""
    return jsonschema_rs.validator_for(
        {**schema, "components": raw_contract(provider)["components"]}
    )


def _errors(provider: str, schema: dict[str, Any], instance: Any) -> list[str]:
    return [error.message for error in _validator(provider, schema).iter_errors(instance)]


def _operation(provider: str, method: str, path: str) -> tuple[dict[str, Any], list[Any]]:
    """The description's operation for a concrete path, and its parameters (path-level too)."""
    for template, item in raw_contract(provider)["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path) and method.lower() in item:
            operation = item[method.lower()]
            return operation, [*item.get("parameters", []), *operation.get("parameters", [])]
    raise AssertionError(f"{method} {path} is not in the {provider} description")


def _resolve(provider: str, node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = raw_contract(provider)
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _requests(table: Table) -> Iterator[Expected]:
    for row in table.rows:
        for exchange in row.exchanges:
            yield exchange.expect


def _seed_answers(table: Table) -> Iterator[tuple[Expected, Reply]]:
    """The success answers copied from the pages (fixture bytes; not the tables' variants)."""
    for row in table.rows:
        for exchange in row.exchanges:
            reply = exchange.reply
            if 200 <= reply.status < 300 and isinstance(reply.body, bytes) and len(reply.body) > 2:
                yield exchange.expect, reply


def _cases(which: Any) -> list[Any]:
    return [
        pytest.param(provider, item, id=f"{provider} {i} {_first(item).method} {_first(item).path}")
        for provider, table in TABLES.items()
        for i, item in enumerate(which(table))
    ]


def _first(item: Any) -> Expected:
    return item[0] if isinstance(item, tuple) else item


@pytest.mark.parametrize(("provider", "request_"), _cases(_requests))
def test_every_sdk_request_conforms(provider: str, request_: Expected) -> None:
    operation, parameters = _operation(provider, request_.method, request_.path)
    query_parameters = {
        p["name"]: p for p in (_resolve(provider, p) for p in parameters) if p["in"] == "query"
    }
    sent = [key for key, _ in request_.query]
    assert len(sent) == len(set(sent)), f"a query key sent twice: {sent}"
    for key, value in request_.query:
        assert key in query_parameters, f"{key} is not a documented query key"
        schema = query_parameters[key]["schema"]
        resolved = _resolve(provider, schema)
        if resolved.get("type") == "integer":
            assert _INTEGER.fullmatch(value), f"{key}={value!r} is not an integer"
            instance: Any = int(value)
        else:
            instance = value
        assert not _errors(provider, schema, instance), (key, value)
    body_spec = operation.get("requestBody")
    if request_.body is None:
        assert body_spec is None or not body_spec.get("required", False), "a body is required"
        return
    assert body_spec is not None, "this operation takes no body"
    schema = body_spec["content"]["application/json"]["schema"]
    assert not _errors(provider, schema, request_.body), request_.body


@pytest.mark.parametrize(("provider", "exchange"), _cases(_seed_answers))
def test_the_pages_examples_conform_to_the_description(
    provider: str, exchange: tuple[Expected, Reply]
) -> None:
    request_, reply = exchange
    operation, _ = _operation(provider, request_.method, request_.path)
    documented = operation["responses"]
    assert str(reply.status) in documented, f"{reply.status} is not a documented answer"
    content = _resolve(provider, documented[str(reply.status)]).get("content")
    assert content is not None, "a body where the description documents none"
    # Some of EngageLab's examples carry trailing commas; the SDK tolerates them.
    raw = json.loads(re.sub(r",(\s*[}\]])", r"\1", reply.body.decode()))
    schema = content["application/json"]["schema"]
    assert not _errors(provider, schema, raw), raw
