"""Writing one test for both providers: their key spellings and envelopes, restated here.

Restated rather than read from the emulator, so a wrong spelling in the emulator fails the
tests instead of agreeing with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.emulator.conftest import Api

SPELLING = {
    "sendcloud": {
        "segment_name": "segmentName",
        "field_name": "fieldName",
        "campaign_id": "campaignId",
        "member_ids": "memberIds",
        "tag_name": "tagName",
        "page_size": "count",
    },
    "engagelab": {
        "segment_name": "segment_name",
        "field_name": "field_name",
        "campaign_id": "campaign_id",
        "member_ids": "member_ids",
        "tag_name": "name",
        "page_size": "limit",
    },
}


def k(api: Api, key: str) -> str:
    """The provider's spelling of a neutral key."""
    return SPELLING[api.emu.provider][key]


def item(api: Api, field: str, op: str, value: Any, campaign: int | None = None) -> dict[str, Any]:
    """One condition item in the provider's spelling."""
    out = {k(api, "field_name"): field, "op": op, "value": value}
    if campaign is not None:
        out[k(api, "campaign_id")] = campaign
    return out


def segment_body(
    api: Api, *items: dict[str, Any], name: Any = "ok", type_: Any = 0, relation: str = "and"
) -> dict[str, Any]:
    """A segment create/update body; by default ``Age >= 30``."""
    chosen = list(items) or [item(api, "Age", ">=", "30")]
    return {
        k(api, "segment_name"): name,
        "type": type_,
        "condition": {"relation": relation, "items": chosen},
    }


def items_of(api: Api, body: Any) -> list[Any]:
    """The items of a list answer: ``list`` (SendCloud) or ``result`` (EngageLab)."""
    return list(body["list" if api.emu.provider == "sendcloud" else "result"])


def count_of(api: Api, body: Any) -> int:
    """The count of a removal or tagging answer."""
    return int(body["successCount" if api.emu.provider == "sendcloud" else "count"])


def member_id(api: Api, member: Any) -> str:
    return str(member["id"] if "id" in member else member["member_id"])


async def create_segment(api: Api, body: dict[str, Any]) -> str:
    """Create a segment; its id."""
    answer = await api("POST", f"{api.p}/segments", body)
    assert answer.status in (200, 201), answer.raw
    if api.emu.provider == "sendcloud":
        return str(answer.body["segmentId"])
    return str(answer.body["result"]["segment_id"])


async def create_tag(api: Api, name: str = "t1") -> str:
    """Create a tag; its id."""
    answer = await api("POST", f"{api.p}/tags", {k(api, "tag_name"): name})
    assert answer.status in (200, 201), answer.raw
    if api.emu.provider == "sendcloud":
        return str(answer.body["id"])
    return str(answer.body["result"]["tag_id"])


async def all_members(api: Api, segment_id: str, body: Any = None, size: int = 100) -> list[str]:
    """Every member id of a segment, read page by page; checks ``total`` on each page."""
    ids: list[str] = []
    total = None
    while True:
        query = {"offset": str(len(ids)), k(api, "page_size"): str(size)}
        path = f"{api.p}/segments/{segment_id}/members"
        answer = await (
            api("POST", path, body, query=query) if body else api("POST", path, query=query)
        )
        assert answer.status == 200, answer.raw
        page = items_of(api, answer.body)
        assert total in (None, answer.body["total"])
        total = answer.body["total"]
        ids.extend(member_id(api, m) for m in page)
        if len(page) < size:
            break
    assert len(ids) == total
    return ids


async def all_tag_members(api: Api, tag_id: str, size: int = 100) -> list[str]:
    """Every contact id carrying a tag, read page by page."""
    ids: list[str] = []
    while True:
        query = {"offset": str(len(ids)), k(api, "page_size"): str(size)}
        answer = await api("GET", f"{api.p}/tags/{tag_id}/members", query=query)
        assert answer.status == 200, answer.raw
        page = items_of(api, answer.body)
        ids.extend(member_id(api, m) for m in page)
        if len(page) < size:
            assert len(ids) == answer.body["total"]
            return ids
