"""EngageLab's conformance table.

Every reply the SDK reads here is a seed example (`tests/fixtures/engagelab/*`,
verbatim), except the variants that exercise the spellings the spec's decisions
say to accept (``status_desc``, ``name``, ``tags`` with values) and the paging
replies, which reassemble seed items.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import attrs

import mailseg
from mailseg import (
    APIError,
    AuthenticationError,
    BadRequestError,
    Condition,
    ConditionItem,
    ConflictError,
    Member,
    NotFoundError,
    Op,
    Page,
    Progress,
    Relation,
    Segment,
    SegmentStatus,
    SegmentType,
    Tag,
    all_of,
    campaign,
    field,
    tag,
)

from .rows import (
    SEED_TOKEN,
    ChunkRow,
    ErrorRow,
    Exchange,
    Expected,
    IdRow,
    Reply,
    Row,
    Table,
    at,
    bulk,
    collect,
    fixture_bytes,
    fixture_json,
    one,
)

P = "engagelab"
SEGMENTS = "/v1/marketing/lists/segments"
TAGS = "/v1/marketing/lists/tags"


def seed(name: str) -> bytes:
    return fixture_bytes(P, name)


DONE = Progress(percent=100, complete=True, description="segmentation completed")

CREATED = Segment(
    id="6566f6392c16e71300b1b1e9",
    name="MyCustomField",
    type=SegmentType.BY_FIELD,
    condition=Condition(relation=Relation.AND, items=(ConditionItem("Name", Op.CONTAIN, "李磊"),)),
    status=SegmentStatus.COMPLETED,
    member_total=1,
    list_id=96112,
    user_id=104201,
    created_at=at(2023, 11, 29, 16, 28, 41),
    updated_at=at(2023, 11, 29, 16, 33, 58),
    progress=DONE,
)

UPDATED = Segment(
    id="6566f91fceac8f702f24dbba",
    name="年齡介於13與45之間",
    type=SegmentType.BY_FIELD,
    condition=Condition(
        relation=Relation.AND,
        items=(ConditionItem("Age", Op.GE, "13"), ConditionItem("Age", Op.LE, "45")),
    ),
    status=SegmentStatus.COMPLETED,
    member_total=10,
    list_id=96112,
    user_id=104201,
    created_at=at(2023, 11, 29, 16, 41, 3),
    updated_at=at(2023, 11, 29, 17, 8, 43),
    progress=DONE,
)

DETAIL = attrs.evolve(
    CREATED,
    condition=Condition(
        relation=Relation.AND, items=(ConditionItem("CustomField", Op.CONTAIN, "CustomField"),)
    ),
)

# The list's items carry no user_id.
LISTED_1 = attrs.evolve(DETAIL, user_id=None)
LISTED_2 = Segment(
    id="6566f2dd1e9adc15e3efd47e",
    name="Age>=20用户组",
    type=SegmentType.BY_FIELD,
    condition=Condition(relation=Relation.AND, items=(ConditionItem("Age", Op.GE, "20"),)),
    status=SegmentStatus.COMPLETED,
    member_total=10,
    list_id=96112,
    user_id=None,
    created_at=at(2023, 11, 29, 16, 14, 21),
    updated_at=at(2023, 11, 29, 16, 14, 23),
    progress=DONE,
)

SEGMENTING = Progress(
    percent=68,
    complete=False,
    description="is being segmented, please do not use this segment to send mail",
)

SHANSHAN = Member(
    id="629d6650490f33c5eef1caa6",
    email="paulchen0518@yahoo.com.tw",
    phone=None,
    name="shanshan",
    fields={"Gender": "女"},
    tag_ids=None,  # the seed spells it "tags": null
    tag_names=(),
    list_id=63486,
    user_id=None,
    created_at=at(2022, 6, 6, 10, 28, 32),
    updated_at=at(2022, 6, 6, 10, 28, 32),
    unsubscribed_at=None,
)

Q510518 = Member(
    id="629d665a490f33c5eef2932f",
    email="q510518@yahoo.com.tw",
    phone=None,
    name="",
    fields={"Gender": ""},
    tag_ids=None,  # "tag_ids": null
    tag_names=(),
    list_id=63486,
    user_id=None,
    created_at=at(2022, 6, 6, 10, 28, 42),
    updated_at=at(2022, 6, 6, 10, 28, 42),
    unsubscribed_at=None,
)

XJMFC = Member(
    id="6565c12a3b4e0d83d3f58ea0",  # "member_id" in tag listings
    email="xjmfc@126.com",
    phone=None,
    name=None,
    fields={"Birthday": "03/30", "Age": "12"},
    tag_ids=("646f28a7cac6587565ad6918",),
    tag_names=("test",),
    list_id=95964,
    user_id=None,
    created_at=at(2023, 11, 28, 18, 30, 2),
    updated_at=at(2023, 11, 30, 16, 42, 11),
    unsubscribed_at=None,
)

EDUCATION_CREATED = Tag(
    id="62732d3ddd017d22ccd118e4",
    name="教育",
    member_count=None,
    created_at=at(2023, 11, 28, 11, 14, 48),
    updated_at=at(2023, 11, 28, 11, 14, 48),
)
EDUCATION = Tag(
    id="617a71ac672b2823a1a82c13",
    name="教育",
    member_count=1,
    created_at=at(2023, 11, 28, 11, 14, 48),
    updated_at=at(2023, 11, 28, 11, 14, 48),
)

SEED_SEGMENT_ITEMS = fixture_json(P, "segment_list")["result"]
SEED_MEMBERS = fixture_json(P, "segment_members")["result"]
SEED_TAG_ITEM = fixture_json(P, "tag_list")["result"][0]
SEED_TAG_MEMBER = fixture_json(P, "tag_members")["result"][0]


def listed(segment_id: str) -> tuple[dict[str, Any], Segment]:
    return {**SEED_SEGMENT_ITEMS[1], "segment_id": segment_id}, attrs.evolve(
        LISTED_2, id=segment_id
    )


def as_member(member_id: str) -> tuple[dict[str, Any], Member]:
    return {**SEED_MEMBERS[1], "id": member_id}, attrs.evolve(Q510518, id=member_id)


def as_tag(tag_id: str) -> tuple[dict[str, Any], Tag]:
    return {**SEED_TAG_ITEM, "tag_id": tag_id}, attrs.evolve(EDUCATION, id=tag_id)


def as_tag_member(member_id: str) -> tuple[dict[str, Any], Member]:
    return {**SEED_TAG_MEMBER, "member_id": member_id}, attrs.evolve(XJMFC, id=member_id)


VIP_FILTER = {"relation": "and", "items": [{"field_name": "tag", "op": "==", "value": "vip"}]}


def _paging_rows() -> list[Row]:
    s1, e1 = listed("seg-1")
    s2, e2 = listed("seg-2")
    s3, e3 = listed("seg-3")
    m1, f1 = as_member("mem-1")
    m2, f2 = as_member("mem-2")
    m3, f3 = as_member("mem-3")
    t1, g1 = as_tag("tag-1")
    t2, g2 = as_tag("tag-2")
    t3, g3 = as_tag("tag-3")
    u1, h1 = as_tag_member("mem-1")
    u2, h2 = as_tag_member("mem-2")
    u3, h3 = as_tag_member("mem-3")
    page = ("offset", "0"), ("limit", "2")
    page2 = ("offset", "2"), ("limit", "2")
    page3 = ("offset", "4"), ("limit", "2")
    members = f"{SEGMENTS}/seg-1/members"
    tag_members = f"{TAGS}/tag-1/members"

    def listing(items: list[dict[str, Any]], total: int | None = 3) -> dict[str, Any]:
        body: dict[str, Any] = {"result": items, "count": len(items)}
        if total is not None:
            body["total"] = total
        return body

    return [
        Row(
            "segments.iterate",
            lambda c: collect(
                c.segments.iterate(name="Age", type=SegmentType.BY_FIELD, page_size=2)
            ),
            (
                Exchange(
                    Expected("GET", SEGMENTS, (*page, ("segment_name", "Age"), ("type", "0"))),
                    Reply(200, listing([s1, s2])),
                ),
                Exchange(
                    Expected("GET", SEGMENTS, (*page2, ("segment_name", "Age"), ("type", "0"))),
                    Reply(200, listing([s3])),
                ),
            ),
            [e1, e2, e3],
        ),
        Row(
            "segments.iterate-no-total",
            lambda c: collect(c.segments.iterate(page_size=2)),
            (
                Exchange(Expected("GET", SEGMENTS, page), Reply(200, listing([s1, s2], None))),
                Exchange(Expected("GET", SEGMENTS, page2), Reply(200, listing([s3, s1], None))),
                Exchange(Expected("GET", SEGMENTS, page3), Reply(200, listing([], None))),
            ),
            [e1, e2, e3, e1],
        ),
        Row(
            "segments.iterate_members",
            lambda c: collect(
                c.segments.iterate_members("seg-1", condition=tag("vip"), page_size=2)
            ),
            (
                Exchange(
                    Expected("POST", members, page, {"condition": VIP_FILTER}),
                    Reply(200, listing([m1, m2])),
                ),
                Exchange(
                    Expected("POST", members, page2, {"condition": VIP_FILTER}),
                    Reply(200, listing([m3])),
                ),
            ),
            [f1, f2, f3],
        ),
        Row(
            "tags.iterate",
            lambda c: collect(c.tags.iterate(name="教育", page_size=2)),
            (
                Exchange(
                    Expected("GET", TAGS, (*page, ("name", "教育"))), Reply(200, listing([t1, t2]))
                ),
                Exchange(
                    Expected("GET", TAGS, (*page2, ("name", "教育"))), Reply(200, listing([t3]))
                ),
            ),
            [g1, g2, g3],
        ),
        Row(
            "tags.iterate_members",
            lambda c: collect(c.tags.iterate_members("tag-1", page_size=2)),
            (
                Exchange(Expected("GET", tag_members, page), Reply(200, listing([u1, u2], 4))),
                Exchange(Expected("GET", tag_members, page2), Reply(200, listing([u3, u1], 4))),
            ),
            [h1, h2, h3, h1],
        ),
    ]


SEGMENT_ROWS = [
    one(
        "segments.create",
        lambda c: c.segments.create("湖北用户", field("Name").contains("李磊")),
        Expected(
            "POST",
            SEGMENTS,
            body={
                "segment_name": "湖北用户",
                "type": 0,
                "condition": {
                    "relation": "and",
                    "items": [{"field_name": "Name", "op": "contain", "value": "李磊"}],
                },
            },
            seed_body="request_segment_create",
        ),
        Reply(200, seed("segment_create")),
        CREATED,
    ),
    one(
        "segments.create-by-campaign",
        lambda c: c.segments.create("打开过邮件", campaign(42).opened()),
        Expected(
            "POST",
            SEGMENTS,
            body={
                "segment_name": "打开过邮件",
                "type": 1,
                "condition": {
                    "relation": "and",
                    "items": [
                        {"field_name": "campaign", "op": "==", "value": "open", "campaign_id": 42}
                    ],
                },
            },
        ),
        Reply(200, seed("segment_create")),
        CREATED,
    ),
    one(
        "segments.get",
        lambda c: c.segments.get("62849dc690d79d4947dd033d"),
        Expected("GET", f"{SEGMENTS}/62849dc690d79d4947dd033d"),
        Reply(200, seed("segment_detail")),
        DETAIL,
    ),
    # A failed by-campaign segment, with a time that carries no offset (read as UTC+8).
    one(
        "segments.get-failed-no-offset",
        lambda c: c.segments.get("6566f6392c16e71300b1b1e9"),
        Expected("GET", f"{SEGMENTS}/6566f6392c16e71300b1b1e9"),
        Reply(
            200,
            {
                "result": {
                    **fixture_json(P, "segment_detail")["result"],
                    "type": 1,
                    "status": "-1",
                    "create_time": "2023-11-29 16:28:41",
                    "condition": {
                        "relation": "and",
                        "items": [
                            {
                                "campaign_id": 42,
                                "field_name": "campaign",
                                "op": "==",
                                "value": "unopen",
                            }
                        ],
                    },
                    "process": {"statusDesc": "failed", "complete": True, "percent": 0},
                }
            },
        ),
        attrs.evolve(
            DETAIL,
            type=SegmentType.BY_CAMPAIGN,
            status=SegmentStatus.FAILED,
            condition=Condition(items=(ConditionItem("campaign", Op.EQ, "unopen", 42),)),
            progress=Progress(percent=0, complete=True, description="failed"),
        ),
    ),
    one(
        "segments.update",
        lambda c: c.segments.update(
            "62849dc690d79d4947dd033d",
            name="年龄介于13与45之间",
            condition=all_of(field("Age") >= 13, field("Age") <= 45),
        ),
        Expected(
            "PUT",
            f"{SEGMENTS}/62849dc690d79d4947dd033d",
            body={
                "segment_name": "年龄介于13与45之间",
                "type": 0,
                "condition": {
                    "relation": "and",
                    "items": [
                        {"field_name": "Age", "op": ">=", "value": "13"},
                        {"field_name": "Age", "op": "<=", "value": "45"},
                    ],
                },
            },
            seed_body="request_segment_update",
        ),
        Reply(200, seed("segment_update")),
        UPDATED,
    ),
    one(
        "segments.update-keep-name",
        lambda c: c.segments.update(
            "6566f91fceac8f702f24dbba", condition=all_of(field("Age") >= 13, field("Age") <= 45)
        ),
        Expected(
            "PUT",
            f"{SEGMENTS}/6566f91fceac8f702f24dbba",
            body={
                "type": 0,
                "condition": {
                    "relation": "and",
                    "items": [
                        {"field_name": "Age", "op": ">=", "value": "13"},
                        {"field_name": "Age", "op": "<=", "value": "45"},
                    ],
                },
            },
        ),
        Reply(200, seed("segment_update")),
        UPDATED,
    ),
    one(
        "segments.delete",
        lambda c: c.segments.delete("6566f12d1e9adc15e3efd4"),
        Expected("DELETE", f"{SEGMENTS}/6566f12d1e9adc15e3efd4"),
        Reply(200, seed("segment_delete")),
        None,
    ),
    one(
        "segments.list",
        lambda c: c.segments.list(name="abc_by_name", type=SegmentType.BY_FIELD),
        # The seed's query with its slip corrected: segment_name, not segmentName.
        Expected(
            "GET",
            SEGMENTS,
            (("offset", "0"), ("limit", "10"), ("segment_name", "abc_by_name"), ("type", "0")),
        ),
        Reply(200, seed("segment_list")),
        Page(items=(LISTED_1, LISTED_2), total=4, offset=0, limit=10),
    ),
    one(
        "segments.list-window",
        lambda c: c.segments.list(type=SegmentType.BY_CAMPAIGN, offset=10, limit=1),
        Expected("GET", SEGMENTS, (("offset", "10"), ("limit", "1"), ("type", "1"))),
        Reply(200, {"result": [], "total": 4, "count": 0}),
        Page(items=(), total=4, offset=10, limit=1),
    ),
    one(
        "segments.progress",
        lambda c: c.segments.progress("62849dc690d79d4947dd033d"),
        Expected("GET", f"{SEGMENTS}/62849dc690d79d4947dd033d/process"),
        Reply(200, seed("segment_progress")),
        SEGMENTING,
    ),
    # The table's spelling, status_desc, read as well as the examples' statusDesc.
    one(
        "segments.progress-status_desc",
        lambda c: c.segments.progress("62849dc690d79d4947dd033d"),
        Expected("GET", f"{SEGMENTS}/62849dc690d79d4947dd033d/process"),
        Reply(200, {"result": {"percent": 100, "complete": True, "status_desc": "done"}}),
        Progress(percent=100, complete=True, description="done"),
    ),
    one(
        "segments.members",
        lambda c: c.segments.members(
            "62908150eb5e955d6d214da6", condition=field("Email").contains("tw")
        ),
        Expected(
            "POST",
            f"{SEGMENTS}/62908150eb5e955d6d214da6/members",
            (("offset", "0"), ("limit", "10")),
            body={
                "condition": {
                    "relation": "and",
                    "items": [{"field_name": "Email", "op": "contain", "value": "tw"}],
                }
            },
            seed_body="request_segment_members",
        ),
        Reply(200, seed("segment_members")),
        Page(items=(SHANSHAN, Q510518), total=2, offset=0, limit=10),
    ),
    # "tags" (one example) and "tag_ids" (the table) both carry the tag ids.
    one(
        "segments.members-tags-spellings",
        lambda c: c.segments.members("62908150eb5e955d6d214da6", offset=2, limit=2),
        Expected(
            "POST",
            f"{SEGMENTS}/62908150eb5e955d6d214da6/members",
            (("offset", "2"), ("limit", "2")),
            body={},
        ),
        Reply(
            200,
            {
                "result": [
                    {**SEED_MEMBERS[0], "tags": ["646f28a7cac6587565ad6918"], "tag_names": ["vip"]},
                    {**SEED_MEMBERS[1], "tag_ids": ["646f28a7cac6587565ad6919"]},
                ],
                "total": 4,
            },
        ),
        Page(
            items=(
                attrs.evolve(SHANSHAN, tag_ids=("646f28a7cac6587565ad6918",), tag_names=("vip",)),
                attrs.evolve(Q510518, tag_ids=("646f28a7cac6587565ad6919",)),
            ),
            total=4,
            offset=2,
            limit=2,
        ),
    ),
    one(
        "segments.remove_members",
        lambda c: c.segments.remove_members(
            "62849dc690d79d4947dd033d", ["asdfsdf2211212aa", "2sadfs288332223s"]
        ),
        Expected(
            "DELETE",
            f"{SEGMENTS}/62849dc690d79d4947dd033d/members",
            body={"member_ids": ["asdfsdf2211212aa", "2sadfs288332223s"]},
            seed_body="request_segment_remove_members",
        ),
        Reply(200, seed("segment_remove_members")),
        bulk(2, 100),
    ),
]

TAG_ROWS = [
    one(
        "tags.create",
        lambda c: c.tags.create("myCustomTag"),
        Expected("POST", TAGS, body={"name": "myCustomTag"}, seed_body="request_tag_create"),
        Reply(200, seed("tag_create")),  # trailing comma and all
        EDUCATION_CREATED,
    ),
    one(
        "tags.update",
        lambda c: c.tags.update("61c2be010d2b4e6a3836ab1f", name="myCustomTag"),
        # The seed's URL (SendCloud host, two ids) is a slip: one id, EngageLab's path.
        Expected(
            "PUT",
            f"{TAGS}/61c2be010d2b4e6a3836ab1f",
            body={"name": "myCustomTag"},
            seed_body="request_tag_update",
        ),
        Reply(200, seed("tag_update")),
        None,
    ),
    one(
        "tags.delete",
        lambda c: c.tags.delete("61c2be010d2b4e6a3836ab1f"),
        Expected("DELETE", f"{TAGS}/61c2be010d2b4e6a3836ab1f"),
        Reply(200, seed("tag_delete")),
        None,
    ),
    one(
        "tags.list",
        lambda c: c.tags.list(name="教育"),
        Expected("GET", TAGS, (("offset", "0"), ("limit", "10"), ("name", "教育"))),
        Reply(200, seed("tag_list")),  # "tag_name", trailing comma
        Page(items=(EDUCATION,), total=1, offset=0, limit=10),
    ),
    # The table's spelling, "name", read as well as the example's "tag_name".
    one(
        "tags.list-name-key",
        lambda c: c.tags.list(),
        Expected("GET", TAGS, (("offset", "0"), ("limit", "10"))),
        Reply(
            200,
            {
                "result": [
                    {k: v for k, v in SEED_TAG_ITEM.items() if k != "tag_name"} | {"name": "教育"}
                ],
                "count": 1,
                "total": 1,
            },
        ),
        Page(items=(EDUCATION,), total=1, offset=0, limit=10),
    ),
    one(
        "tags.add_members",
        lambda c: c.tags.add_members(
            "61c2be010d2b4e6a3836ab1f", ["61c2be010d2b4e6a3836ab1f", "61c2be010d2b4e6a3836ab1d"]
        ),
        Expected(
            "POST",
            f"{TAGS}/61c2be010d2b4e6a3836ab1f/add",
            body={"member_ids": ["61c2be010d2b4e6a3836ab1f", "61c2be010d2b4e6a3836ab1d"]},
            seed_body="request_tag_add_members",
        ),
        Reply(200, seed("tag_add_members")),
        bulk(2, 2),
    ),
    one(
        "tags.remove_members",
        lambda c: c.tags.remove_members(
            "616683a13a7b531b0336108d", ["61c2be010d2b4e6a3836ab1f", "61c2be010d2b4e6a3836ab1d"]
        ),
        # The seed's body says memberIds; the table (and the decision) say member_ids.
        # test_engagelab_tag_remove_corrects_the_seed checks the difference.
        Expected(
            "POST",
            f"{TAGS}/616683a13a7b531b0336108d/remove",
            body={"member_ids": ["61c2be010d2b4e6a3836ab1f", "61c2be010d2b4e6a3836ab1d"]},
        ),
        Reply(200, seed("tag_remove_members")),
        bulk(2, 1),
    ),
    one(
        "tags.members",
        lambda c: c.tags.members("616683a13a7b531b0336108d"),
        Expected(
            "GET", f"{TAGS}/616683a13a7b531b0336108d/members", (("offset", "0"), ("limit", "10"))
        ),
        Reply(200, seed("tag_members")),
        Page(items=(XJMFC,), total=2, offset=0, limit=10),
    ),
]


def _errors() -> list[ErrorRow]:
    sid = "62849dc690d79d4947dd033d"
    tid = "61c2be010d2b4e6a3836ab1f"
    special = "[segment_name]:Special characters such as ^, ?, +, ., \\, [, ], (, ), cannot be used"
    bad_type = "type only be 0 (by field) or 1 (by campaign)"
    bad_tag = "Tag name only consists of a-z, A-z, 0-9, _,chinese character, up to 64 characters"
    auth = "Authentication failed"

    def row(
        row_id: str,
        call: Any,
        method: str,
        path: str,
        status: int,
        name: str,
        error: type[APIError],
        code: int,
        message: str,
    ) -> ErrorRow:
        return ErrorRow(
            row_id, call, method, path, Reply(status, seed(name)), error, code, None, message
        )

    def create(client: mailseg.Client) -> Awaitable[Segment]:
        return client.segments.create("a_b", field("x") == "y")

    def members(client: mailseg.Client) -> Awaitable[Page[Member]]:
        return client.segments.members(sid)

    def get(client: mailseg.Client) -> Awaitable[Segment]:
        return client.segments.get(sid)

    duplicate = b'{"code": 32603, "message": "tag name already exists"}'
    return [
        row(
            "segments.create",
            create,
            "POST",
            SEGMENTS,
            400,
            "error_segment_create",
            BadRequestError,
            30035,
            special,
        ),
        row(
            "segments.delete",
            lambda c: c.segments.delete(sid),
            "DELETE",
            f"{SEGMENTS}/{sid}",
            404,
            "error_segment_delete",
            NotFoundError,
            30036,
            "not found",
        ),
        row(
            "segments.update",
            lambda c: c.segments.update(sid, condition=field("x") == "y"),
            "PUT",
            f"{SEGMENTS}/{sid}",
            404,
            "error_segment_update",
            NotFoundError,
            30036,
            "not found",
        ),
        row(
            "segments.get",
            get,
            "GET",
            f"{SEGMENTS}/{sid}",
            404,
            "error_segment_detail",
            NotFoundError,
            30036,
            "not found",
        ),
        row(
            "segments.list",
            lambda c: c.segments.list(),
            "GET",
            SEGMENTS,
            400,
            "error_segment_list",
            BadRequestError,
            30035,
            bad_type,
        ),
        row(
            "segments.progress",
            lambda c: c.segments.progress(sid),
            "GET",
            f"{SEGMENTS}/{sid}/process",
            404,
            "error_segment_progress",
            NotFoundError,
            30036,
            "not found",
        ),
        row(
            "segments.members",
            members,
            "POST",
            f"{SEGMENTS}/{sid}/members",
            401,
            "error_segment_members",
            AuthenticationError,
            30000,
            auth,
        ),
        row(
            "segments.remove_members",
            lambda c: c.segments.remove_members(sid, ["m1"]),
            "DELETE",
            f"{SEGMENTS}/{sid}/members",
            401,
            "error_segment_remove_members",
            AuthenticationError,
            30000,
            auth,
        ),
        row(
            "tags.create",
            lambda c: c.tags.create("vip"),
            "POST",
            TAGS,
            401,
            "error_tag_create",
            AuthenticationError,
            30000,
            auth,
        ),
        row(
            "tags.delete",
            lambda c: c.tags.delete(tid),
            "DELETE",
            f"{TAGS}/{tid}",
            404,
            "error_tag_delete",
            NotFoundError,
            30036,
            "resource not found",
        ),
        row(
            "tags.update",
            lambda c: c.tags.update(tid, name="vip"),
            "PUT",
            f"{TAGS}/{tid}",
            400,
            "error_tag_update",
            BadRequestError,
            30035,
            bad_tag,
        ),
        row(
            "tags.list",
            lambda c: c.tags.list(),
            "GET",
            TAGS,
            401,
            "error_tag_list",
            AuthenticationError,
            30000,
            auth,
        ),
        row(
            "tags.add_members",
            lambda c: c.tags.add_members(tid, ["m1"]),
            "POST",
            f"{TAGS}/{tid}/add",
            401,
            "error_tag_add_members",
            AuthenticationError,
            30000,
            auth,
        ),
        row(
            "tags.remove_members",
            lambda c: c.tags.remove_members(tid, ["m1"]),
            "POST",
            f"{TAGS}/{tid}/remove",
            401,
            "error_tag_remove_members",
            AuthenticationError,
            30000,
            auth,
        ),
        row(
            "tags.members",
            lambda c: c.tags.members(tid),
            "GET",
            f"{TAGS}/{tid}/members",
            401,
            "error_tag_members",
            AuthenticationError,
            30000,
            auth,
        ),
        # A 2xx body carrying an error code is an error: the code decides.
        row(
            "segments.members-http200",
            members,
            "POST",
            f"{SEGMENTS}/{sid}/members",
            200,
            "error_segment_members",
            AuthenticationError,
            30000,
            auth,
        ),
        row(
            "segments.get-http200",
            get,
            "GET",
            f"{SEGMENTS}/{sid}",
            200,
            "error_segment_detail",
            NotFoundError,
            30036,
            "not found",
        ),
        row(
            "segments.create-http200",
            create,
            "POST",
            SEGMENTS,
            200,
            "error_segment_create",
            BadRequestError,
            30035,
            special,
        ),
        # The code decides before the status: a duplicate name shown with 401 is a conflict.
        ErrorRow(
            "tags.create-32603-http401",
            lambda c: c.tags.create("vip"),
            "POST",
            TAGS,
            Reply(401, duplicate),
            ConflictError,
            32603,
            None,
            "tag name already exists",
        ),
        ErrorRow(
            "tags.update-32603-http200",
            lambda c: c.tags.update(tid, name="vip"),
            "PUT",
            f"{TAGS}/{tid}",
            Reply(200, duplicate),
            ConflictError,
            32603,
            None,
            "tag name already exists",
        ),
        # ...and an authentication code wins over a 400.
        row(
            "tags.list-30000-http400",
            lambda c: c.tags.list(),
            "GET",
            TAGS,
            400,
            "error_tag_list",
            AuthenticationError,
            30000,
            auth,
        ),
    ]


BY_ID = [
    IdRow(
        "segments.get",
        lambda c, i: c.segments.get(i),
        "GET",
        f"{SEGMENTS}/{{id}}",
        Reply(200, seed("segment_detail")),
    ),
    IdRow(
        "segments.update",
        lambda c, i: c.segments.update(i, condition=field("Age") < 50),
        "PUT",
        f"{SEGMENTS}/{{id}}",
        Reply(200, seed("segment_update")),
    ),
    IdRow(
        "segments.delete",
        lambda c, i: c.segments.delete(i),
        "DELETE",
        f"{SEGMENTS}/{{id}}",
        Reply(200, seed("segment_delete")),
    ),
    IdRow(
        "segments.progress",
        lambda c, i: c.segments.progress(i),
        "GET",
        f"{SEGMENTS}/{{id}}/process",
        Reply(200, seed("segment_progress")),
    ),
    IdRow(
        "segments.members",
        lambda c, i: c.segments.members(i),
        "POST",
        f"{SEGMENTS}/{{id}}/members",
        Reply(200, seed("segment_members")),
    ),
    IdRow(
        "segments.remove_members",
        lambda c, i: c.segments.remove_members(i, ["m1"]),
        "DELETE",
        f"{SEGMENTS}/{{id}}/members",
        Reply(200, seed("segment_remove_members")),
    ),
    IdRow(
        "tags.update",
        lambda c, i: c.tags.update(i, name="vip"),
        "PUT",
        f"{TAGS}/{{id}}",
        Reply(200, seed("tag_update")),
    ),
    IdRow(
        "tags.delete",
        lambda c, i: c.tags.delete(i),
        "DELETE",
        f"{TAGS}/{{id}}",
        Reply(200, seed("tag_delete")),
    ),
    IdRow(
        "tags.add_members",
        lambda c, i: c.tags.add_members(i, ["m1"]),
        "POST",
        f"{TAGS}/{{id}}/add",
        Reply(200, seed("tag_add_members")),
    ),
    IdRow(
        "tags.remove_members",
        lambda c, i: c.tags.remove_members(i, ["m1"]),
        "POST",
        f"{TAGS}/{{id}}/remove",
        Reply(200, seed("tag_remove_members")),
    ),
    IdRow(
        "tags.members",
        lambda c, i: c.tags.members(i),
        "GET",
        f"{TAGS}/{{id}}/members",
        Reply(200, seed("tag_members")),
    ),
]

CHUNKED = [
    ChunkRow(
        "segments.remove_members",
        lambda c, ids: c.segments.remove_members("seg-1", ids),
        "DELETE",
        f"{SEGMENTS}/seg-1/members",
        "member_ids",
        "count",
    ),
    ChunkRow(
        "tags.add_members",
        lambda c, ids: c.tags.add_members("tag-1", ids),
        "POST",
        f"{TAGS}/tag-1/add",
        "member_ids",
        "count",
    ),
    ChunkRow(
        "tags.remove_members",
        lambda c, ids: c.tags.remove_members("tag-1", ids),
        "POST",
        f"{TAGS}/tag-1/remove",
        "member_ids",
        "count",
    ),
]

TABLE = Table(
    provider=P,
    authorization=f"Basic {SEED_TOKEN}",
    rows=(*SEGMENT_ROWS, *TAG_ROWS, *_paging_rows()),
    errors=tuple(_errors()),
    by_id=tuple(BY_ID),
    chunked=tuple(CHUNKED),
)
