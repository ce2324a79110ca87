"""A provider written against the public contract only (tests/third_party/acme.py).

scripts/check.sh type-checks it with mypy --strict; here it must work through every
layer of the client
(validation, transport, retries, paging, bulk), and keep working when mailseg
adds operations to `Adapter` later.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mailseg
from mailseg import Tag, field, tag
from mailseg.adapter import Call
from tests.conftest import Wire
from tests.third_party.acme import AcmeAdapter

ACME = Path(__file__).parent / "third_party" / "acme.py"
PUBLIC = {"mailseg", "mailseg.adapter", "mailseg.models", "mailseg.errors", "mailseg.conditions"}


def test_acme_imports_only_the_public_api() -> None:
    tree = ast.parse(ACME.read_text(encoding="utf-8"))
    modules = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert {m for m in modules if m.startswith("mailseg")} <= PUBLIC


AGE = {"relation": "and", "items": [{"attribute": "Age", "op": ">=", "value": "18"}]}


async def test_a_segment_round_trip_speaks_acme(wire: Wire) -> None:
    segment = {"uid": "s1", "title": "adults", "type": 0, "size": 3, "condition": AGE}
    wire.reply(200, {"data": segment})
    wire.reply(200, {"data": [segment], "total": 1})
    wire.reply(200, {"data": [{"id": "m1", "email": "a@x.test", "labels": ["t1"]}], "total": 1})
    async with wire.client(AcmeAdapter) as client:
        created = await client.segments.create("adults", field("Age") >= 18)
        page = await client.segments.list(name="adults")
        members = await client.segments.members("s1", condition=tag("vip"))
    assert (created.id, created.name, created.member_total) == ("s1", "adults", 3)
    assert [s.id for s in page] == ["s1"]
    assert members.items[0].tag_ids == ("t1",)
    create, listing, reading = wire.requests
    assert (create.method, create.path) == ("POST", "/api/segments")
    assert create.json() == {
        "title": "adults",
        "type": 0,
        "condition": {
            "relation": "and",
            "items": [{"attribute": "Age", "op": ">=", "value": "18"}],
        },
    }
    assert create.headers["Authorization"].startswith("Token ")
    assert listing.query == (("offset", "0"), ("per_page", "10"), ("title", "adults"))
    assert (reading.method, reading.path) == ("POST", "/api/segments/s1/members")


async def test_tags_use_the_overridden_paths_and_aliases(wire: Wire) -> None:
    wire.reply(200, {"data": [{"uid": "t1", "label": "vip", "size": 2}], "total": 1})
    wire.reply(200, {"changed": 2})
    async with wire.client(AcmeAdapter) as client:
        tags = await client.tags.list()
        result = await client.tags.add_members("t1", ["m1", "m2"])
    assert [(t.id, t.name, t.member_count) for t in tags] == [("t1", "vip", 2)]
    assert result.succeeded == 2
    add = wire.requests[1]
    assert (add.method, add.path) == ("POST", "/api/tags/t1/members/add")
    assert add.json() == {"ids": ["m1", "m2"]}


async def test_acme_errors_are_classed_by_its_codes(wire: Wire) -> None:
    wire.reply(400, {"error": {"code": "duplicate", "message": "title taken", "field": "title"}})
    async with wire.client(AcmeAdapter) as client:
        with pytest.raises(mailseg.ConflictError) as caught:
            await client.tags.create("vip")
    assert (caught.value.status, caught.value.parameter) == (400, "title")
    assert caught.value.provider == "acme"


async def test_a_tag_member_change_is_retried_but_a_create_is_not(wire: Wire) -> None:
    wire.reply(500, {"error": {"message": "boom"}})
    wire.reply(200, {"changed": 1})
    wire.reply(500, {"error": {"message": "boom"}})
    async with wire.client(AcmeAdapter, max_retries=1) as client:
        await client.tags.add_members("t1", ["m1"])  # repeatable: the 500 is retried
        with pytest.raises(mailseg.ServerError):
            await client.tags.create("vip")  # a create may have taken effect: not retried
    assert [r.path for r in wire.requests] == [
        "/api/tags/t1/members/add",
        "/api/tags/t1/members/add",
        "/api/tags",
    ]


class AcmeWithoutTagListing(AcmeAdapter):
    """An Acme account whose plan has no tag listing: the adapter says so."""

    def list_tags(self, *, name: str | None, offset: int, limit: int) -> Call[mailseg.Page[Tag]]:
        raise self.unsupported("list_tags")


async def test_an_unsupported_operation_names_the_provider_and_the_operation(wire: Wire) -> None:
    async with wire.client(AcmeWithoutTagListing) as client:
        with pytest.raises(mailseg.UnsupportedOperationError) as caught:
            await client.tags.list()
    assert (caught.value.provider, caught.value.operation) == ("acme", "list_tags")
    assert str(caught.value) == "the 'acme' adapter does not support list_tags"
    assert isinstance(caught.value, NotImplementedError)
    assert wire.requests == []  # refused before anything was sent
