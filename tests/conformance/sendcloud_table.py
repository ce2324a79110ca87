"""SendCloud's conformance table.

Segments follow the seed page (`tests/fixtures/sendcloud/*`, verbatim). Tag
create/update/delete are documented on SendCloud's site but not seeded; tag
list, add, remove and members are *inferred* (spec: SendCloud's conventions on
EngageLab's paths), so their replies are built here from the spec page.
"""

from __future__ import annotations

from typing import Any

import attrs

from mailseg import (
    AuthenticationError,
    BadRequestError,
    Condition,
    ConditionItem,
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

P = "sendcloud"
SEGMENTS = "/marketing/lists/segments"
TAGS = "/marketing/lists/tags"


def seed(name: str) -> bytes:
    return fixture_bytes(P, name)


DONE = Progress(percent=100, complete=True, description="segmentation completed")

UPDATED = Segment(
    id="60854a804b72410e5a456d69",
    name="年龄介于13与45之间",
    type=SegmentType.BY_FIELD,
    condition=Condition(
        relation=Relation.AND,
        items=(ConditionItem("age", Op.GE, "13"), ConditionItem("age", Op.LE, "45")),
    ),
    status=SegmentStatus.COMPLETED,
    member_total=143,
    list_id=63877,
    user_id=100249,
    created_at=at(2021, 4, 25, 18, 54, 56),
    updated_at=at(2022, 5, 6, 15, 36, 2),
    progress=DONE,
)

DETAIL = Segment(
    id="6274ea51b05b2648606523ad",
    name="test_by_field_tag_update",
    type=SegmentType.BY_FIELD,
    condition=Condition(relation=Relation.AND, items=(ConditionItem("Age", Op.LT, "50"),)),
    status=SegmentStatus.COMPLETED,
    member_total=691,
    list_id=63877,
    user_id=100249,
    created_at=at(2022, 5, 6, 17, 28, 49),
    updated_at=at(2022, 6, 2, 15, 17, 5),
    progress=DONE,
)

LISTED = Segment(
    id="62a162293724120da6f61af8",
    name="abc_by_name",
    type=SegmentType.BY_FIELD,
    condition=Condition(
        relation=Relation.AND, items=(ConditionItem("0517", Op.CONTAIN, "campaign-2022"),)
    ),
    status=SegmentStatus.COMPLETED,
    member_total=0,
    list_id=63486,
    user_id=99229,
    created_at=at(2022, 6, 9, 10, 59, 53),
    updated_at=at(2022, 6, 9, 10, 59, 53),
    progress=DONE,
)

SHANSHAN = Member(
    id="629d6650490f33c5eef1caa6",
    email="paulchen0518@yahoo.com.tw",
    phone=None,
    name="shanshan",
    fields={"Gender": "女"},
    tag_ids=None,
    tag_names=(),
    list_id=63486,
    user_id=99229,
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
    tag_ids=None,
    tag_names=(),
    list_id=63486,
    user_id=99229,
    created_at=at(2022, 6, 6, 10, 28, 42),
    updated_at=at(2022, 6, 6, 10, 28, 42),
    unsubscribed_at=None,
)

# Inferred tag item: tagId/tagName/count, and the alternative id/name/memberCount.
TAG_ITEM_CAMEL = {
    "tagId": "617a71ac672b2823a1a82c13",
    "tagName": "教育",
    "count": 1,
    "createTime": "2023-11-28 11:14:48",
    "updateTime": "2023-11-29 09:30:00",
}
TAG_ITEM_PLAIN = {
    "id": "617a71ac672b2823a1a82c14",
    "name": "vip_2024",
    "memberCount": 0,
    "createTime": "2024-01-02 03:04:05",
    "updateTime": "2024-01-02 03:04:05",
}
EDUCATION = Tag(
    id="617a71ac672b2823a1a82c13",
    name="教育",
    member_count=1,
    created_at=at(2023, 11, 28, 11, 14, 48),
    updated_at=at(2023, 11, 29, 9, 30, 0),
)
VIP = Tag(
    id="617a71ac672b2823a1a82c14",
    name="vip_2024",
    member_count=0,
    created_at=at(2024, 1, 2, 3, 4, 5),
    updated_at=at(2024, 1, 2, 3, 4, 5),
)

# A tag member as the inferred endpoint would send it: the segment member's shape,
# here carrying tags so that "tags" -> tag_ids is exercised with values.
TAGGED_MEMBER = {
    "id": "6565c12a3b4e0d83d3f58ea0",
    "listId": 95964,
    "userId": 99229,
    "email": "xjmfc@126.com",
    "phone": "13800000000",
    "name": None,
    "createTime": "2023-11-28 18:30:02",
    "updateTime": "2023-11-30 16:42:11",
    "unsubscribeTime": "2023-12-01 08:00:00",
    "fields": {"Birthday": "03/30", "Age": "12"},
    "tags": ["617a71ac672b2823a1a82c13"],
    "tagNames": ["教育"],
    "createTimeFmt": None,
    "updateTimeFmt": None,
    "unsubscribeTimeFmt": None,
}
TAGGED = Member(
    id="6565c12a3b4e0d83d3f58ea0",
    email="xjmfc@126.com",
    phone="13800000000",
    name=None,
    fields={"Birthday": "03/30", "Age": "12"},
    tag_ids=("617a71ac672b2823a1a82c13",),
    tag_names=("教育",),
    list_id=95964,
    user_id=99229,
    created_at=at(2023, 11, 28, 18, 30, 2),
    updated_at=at(2023, 11, 30, 16, 42, 11),
    unsubscribed_at=at(2023, 12, 1, 8, 0, 0),
)

SEED_MEMBERS = fixture_json(P, "segment_members")["list"]
SEED_LIST_ITEM = fixture_json(P, "segment_list")["list"][0]


def listed(segment_id: str) -> tuple[dict[str, Any], Segment]:
    """The seed's list item under another id, and the Segment it must parse to."""
    return {**SEED_LIST_ITEM, "segmentId": segment_id}, attrs.evolve(LISTED, id=segment_id)


def as_member(member_id: str) -> tuple[dict[str, Any], Member]:
    return {**SEED_MEMBERS[0], "id": member_id}, attrs.evolve(SHANSHAN, id=member_id)


def as_tag(tag_id: str) -> tuple[dict[str, Any], Tag]:
    return {**TAG_ITEM_CAMEL, "tagId": tag_id}, attrs.evolve(EDUCATION, id=tag_id)


VIP_FILTER = {"relation": "and", "items": [{"fieldName": "tag", "op": "==", "value": "vip"}]}


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
    page = ("offset", "0"), ("count", "2")
    page2 = ("offset", "2"), ("count", "2")
    page3 = ("offset", "4"), ("count", "2")
    members = f"{SEGMENTS}/seg-1/members"
    tag_members = f"{TAGS}/tag-1/members"
    return [
        Row(
            "segments.iterate",
            lambda c: collect(c.segments.iterate(name="abc_by_name", page_size=2)),
            (
                Exchange(
                    Expected("GET", SEGMENTS, (*page, ("segmentName", "abc_by_name"))),
                    Reply(200, {"list": [s1, s2], "total": 3}),
                ),
                Exchange(
                    Expected("GET", SEGMENTS, (*page2, ("segmentName", "abc_by_name"))),
                    Reply(200, {"list": [s3], "total": 3}),
                ),
            ),
            [e1, e2, e3],
        ),
        # No total: the walk only stops at a short (here empty) page.
        Row(
            "segments.iterate-no-total",
            lambda c: collect(c.segments.iterate(page_size=2)),
            (
                Exchange(Expected("GET", SEGMENTS, page), Reply(200, {"list": [s1, s2]})),
                Exchange(Expected("GET", SEGMENTS, page2), Reply(200, {"list": [s3, s1]})),
                Exchange(Expected("GET", SEGMENTS, page3), Reply(200, {"list": []})),
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
                    Reply(200, {"list": [m1, m2], "total": 3}),
                ),
                Exchange(
                    Expected("POST", members, page2, {"condition": VIP_FILTER}),
                    Reply(200, {"list": [m3], "total": 3}),
                ),
            ),
            [f1, f2, f3],
        ),
        Row(
            "tags.iterate",
            lambda c: collect(c.tags.iterate(page_size=2)),
            (
                Exchange(Expected("GET", TAGS, page), Reply(200, {"list": [t1, t2], "total": 3})),
                Exchange(Expected("GET", TAGS, page2), Reply(200, {"list": [t3], "total": 3})),
            ),
            [g1, g2, g3],
        ),
        # A full last page and a total that says it is the last: no third request.
        Row(
            "tags.iterate_members",
            lambda c: collect(c.tags.iterate_members("tag-1", page_size=2)),
            (
                Exchange(
                    Expected("GET", tag_members, page), Reply(200, {"list": [m1, m2], "total": 4})
                ),
                Exchange(
                    Expected("GET", tag_members, page2), Reply(200, {"list": [m3, m1], "total": 4})
                ),
            ),
            [f1, f2, f3, f1],
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
                "segmentName": "湖北用户",
                "type": 0,
                "condition": {
                    "relation": "and",
                    "items": [{"fieldName": "Name", "op": "contain", "value": "李磊"}],
                },
            },
            seed_body="request_segment_create",
        ),
        Reply(201, seed("segment_create")),
        # SendCloud answers with the id only: the rest is what was sent.
        Segment(
            id="asfd4561361q5574",
            name="湖北用户",
            type=SegmentType.BY_FIELD,
            condition=Condition(items=(ConditionItem("Name", Op.CONTAIN, "李磊"),)),
        ),
    ),
    one(
        "segments.create-by-campaign",
        lambda c: c.segments.create("打开过邮件", campaign(42).opened()),
        Expected(
            "POST",
            SEGMENTS,
            body={
                "segmentName": "打开过邮件",
                "type": 1,
                "condition": {
                    "relation": "and",
                    "items": [
                        {"fieldName": "campaign", "op": "==", "value": "open", "campaignId": 42}
                    ],
                },
            },
        ),
        Reply(201, b'{"segmentId":"6274ea51b05b2648606523ae"}'),
        Segment(
            id="6274ea51b05b2648606523ae",
            name="打开过邮件",
            type=SegmentType.BY_CAMPAIGN,
            condition=Condition(items=(ConditionItem("campaign", Op.EQ, "open", 42),)),
        ),
    ),
    one(
        "segments.get",
        lambda c: c.segments.get("62849dc690d79d4947dd033d"),
        Expected("GET", f"{SEGMENTS}/62849dc690d79d4947dd033d"),
        Reply(200, seed("segment_detail")),
        DETAIL,
    ),
    # A by-campaign segment still processing: campaignId, type 1, status "1".
    one(
        "segments.get-by-campaign-updating",
        lambda c: c.segments.get("6274ea51b05b2648606523ae"),
        Expected("GET", f"{SEGMENTS}/6274ea51b05b2648606523ae"),
        Reply(
            200,
            {
                **fixture_json(P, "segment_detail"),
                "segmentId": "6274ea51b05b2648606523ae",
                "type": 1,
                "status": "1",
                "relation": "or",
                "memberTotal": 0,
                "conditions": [
                    {"campaignId": 42, "fieldName": "campaign", "op": "==", "value": "open"},
                    {"campaignId": 43, "fieldName": "campaign", "op": "==", "value": "click"},
                ],
                "process": {"statusDesc": "segmenting", "complete": False, "percent": 30},
            },
        ),
        attrs.evolve(
            DETAIL,
            id="6274ea51b05b2648606523ae",
            type=SegmentType.BY_CAMPAIGN,
            status=SegmentStatus.UPDATING,
            member_total=0,
            condition=Condition(
                relation=Relation.OR,
                items=(
                    ConditionItem("campaign", Op.EQ, "open", 42),
                    ConditionItem("campaign", Op.EQ, "click", 43),
                ),
            ),
            progress=Progress(percent=30, complete=False, description="segmenting"),
        ),
    ),
    one(
        "segments.update",
        lambda c: c.segments.update(
            "62849dc690d79d4947dd033d",
            name="湖北用户",
            condition=field("Name").contains("leonwang"),
        ),
        Expected(
            "PATCH",
            f"{SEGMENTS}/62849dc690d79d4947dd033d",
            body={
                "segmentName": "湖北用户",
                "type": 0,
                "condition": {
                    "relation": "and",
                    "items": [{"fieldName": "Name", "op": "contain", "value": "leonwang"}],
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
            "60854a804b72410e5a456d69",
            condition=all_of(field("age") >= 13, field("age") <= 45),
        ),
        Expected(
            "PATCH",
            f"{SEGMENTS}/60854a804b72410e5a456d69",
            body={
                "type": 0,
                "condition": {
                    "relation": "and",
                    "items": [
                        {"fieldName": "age", "op": ">=", "value": "13"},
                        {"fieldName": "age", "op": "<=", "value": "45"},
                    ],
                },
            },
        ),
        Reply(200, seed("segment_update")),
        UPDATED,
    ),
    one(
        "segments.delete",
        lambda c: c.segments.delete("asfd4561361q5574"),
        Expected("DELETE", f"{SEGMENTS}/asfd4561361q5574"),
        Reply(204, seed("segment_delete")),  # the seed's "{}" under 204
        None,
    ),
    one(
        "segments.delete-204-empty",
        lambda c: c.segments.delete("asfd4561361q5574"),
        Expected("DELETE", f"{SEGMENTS}/asfd4561361q5574"),
        Reply(204, b""),
        None,
    ),
    # aiohttp drops a 204's body on the wire, so "{}" is also sent under 200
    # to make sure the adapter reads it (the sans-I/O test covers 204 + "{}").
    one(
        "segments.delete-200-braces",
        lambda c: c.segments.delete("asfd4561361q5574"),
        Expected("DELETE", f"{SEGMENTS}/asfd4561361q5574"),
        Reply(200, seed("segment_delete")),
        None,
    ),
    one(
        "segments.list",
        lambda c: c.segments.list(name="abc_by_name", type=SegmentType.BY_FIELD),
        # The seed's own query, in its order.
        Expected(
            "GET",
            SEGMENTS,
            (("offset", "0"), ("count", "10"), ("segmentName", "abc_by_name"), ("type", "0")),
        ),
        Reply(200, seed("segment_list")),
        Page(items=(LISTED,), total=1, offset=0, limit=10),
    ),
    one(
        "segments.list-window",
        lambda c: c.segments.list(offset=30, limit=100),
        Expected("GET", SEGMENTS, (("offset", "30"), ("count", "100"))),
        Reply(200, {"list": [], "total": 30}),
        Page(items=(), total=30, offset=30, limit=100),
    ),
    one(
        "segments.progress",
        lambda c: c.segments.progress("62849dc690d79d4947dd033d"),
        Expected("GET", f"{SEGMENTS}/62849dc690d79d4947dd033d/process"),
        Reply(200, seed("segment_progress")),
        DONE,
    ),
    one(
        "segments.members",
        lambda c: c.segments.members(
            "62908150eb5e955d6d214da6", condition=field("Email").contains("tw")
        ),
        Expected(
            "POST",
            f"{SEGMENTS}/62908150eb5e955d6d214da6/members",
            (("offset", "0"), ("count", "10")),
            body={
                "condition": {
                    "relation": "and",
                    "items": [{"fieldName": "Email", "op": "contain", "value": "tw"}],
                }
            },
            seed_body="request_segment_members",
        ),
        Reply(200, seed("segment_members")),
        Page(items=(SHANSHAN, Q510518), total=2, offset=0, limit=10),
    ),
    one(
        "segments.members-no-filter",
        lambda c: c.segments.members("62908150eb5e955d6d214da6", offset=20, limit=50),
        Expected(
            "POST",
            f"{SEGMENTS}/62908150eb5e955d6d214da6/members",
            (("offset", "20"), ("count", "50")),
            body={},
        ),
        Reply(200, seed("segment_members")),
        Page(items=(SHANSHAN, Q510518), total=2, offset=20, limit=50),
    ),
    one(
        "segments.remove_members",
        lambda c: c.segments.remove_members(
            "62849dc690d79d4947dd033d", ["asdfsdf2211212aa", "2sadfs288332223s"]
        ),
        Expected(
            "DELETE",
            f"{SEGMENTS}/62849dc690d79d4947dd033d/members",
            body={"memberIds": ["asdfsdf2211212aa", "2sadfs288332223s"]},
            seed_body="request_segment_remove_members",
        ),
        Reply(200, seed("segment_remove_members")),
        bulk(2, 100),
    ),
]

TAG_ROWS = [
    one(
        "tags.create",
        lambda c: c.tags.create("教育"),
        Expected("POST", TAGS, body={"tagName": "教育"}),
        Reply(201, {"id": "617a71ac672b2823a1a82c13"}),
        Tag(id="617a71ac672b2823a1a82c13", name="教育"),
    ),
    one(
        "tags.update",
        lambda c: c.tags.update("617a71ac672b2823a1a82c13", name="myCustomTag"),
        Expected("PATCH", f"{TAGS}/617a71ac672b2823a1a82c13", body={"tagName": "myCustomTag"}),
        Reply(200, b""),
        None,
    ),
    # The update's answer is undocumented: any 2xx, empty or JSON, is success.
    one(
        "tags.update-json-answer",
        lambda c: c.tags.update("617a71ac672b2823a1a82c13", name="myCustomTag"),
        Expected("PATCH", f"{TAGS}/617a71ac672b2823a1a82c13", body={"tagName": "myCustomTag"}),
        Reply(200, {"tagId": "617a71ac672b2823a1a82c13", "tagName": "myCustomTag"}),
        None,
    ),
    one(
        "tags.update-204",
        lambda c: c.tags.update("617a71ac672b2823a1a82c13", name="myCustomTag"),
        Expected("PATCH", f"{TAGS}/617a71ac672b2823a1a82c13", body={"tagName": "myCustomTag"}),
        Reply(204, b""),
        None,
    ),
    one(
        "tags.delete",
        lambda c: c.tags.delete("617a71ac672b2823a1a82c13"),
        Expected("DELETE", f"{TAGS}/617a71ac672b2823a1a82c13"),
        Reply(204, b""),
        None,
    ),
    one(
        "tags.delete-200-braces",
        lambda c: c.tags.delete("617a71ac672b2823a1a82c13"),
        Expected("DELETE", f"{TAGS}/617a71ac672b2823a1a82c13"),
        Reply(200, b"{}"),
        None,
    ),
    one(
        "tags.list",
        lambda c: c.tags.list(name="教育"),
        Expected("GET", TAGS, (("offset", "0"), ("count", "10"), ("tagName", "教育"))),
        Reply(200, {"list": [TAG_ITEM_CAMEL, TAG_ITEM_PLAIN], "total": 2}),
        Page(items=(EDUCATION, VIP), total=2, offset=0, limit=10),
    ),
    one(
        "tags.add_members",
        lambda c: c.tags.add_members(
            "617a71ac672b2823a1a82c13", ["61c2be010d2b4e6a3836ab1f", "61c2be010d2b4e6a3836ab1d"]
        ),
        Expected(
            "POST",
            f"{TAGS}/617a71ac672b2823a1a82c13/add",
            body={"memberIds": ["61c2be010d2b4e6a3836ab1f", "61c2be010d2b4e6a3836ab1d"]},
        ),
        Reply(200, {"successCount": 2}),
        bulk(2, 2),
    ),
    one(
        "tags.add_members-count-key",
        lambda c: c.tags.add_members("617a71ac672b2823a1a82c13", ["61c2be010d2b4e6a3836ab1f"]),
        Expected(
            "POST",
            f"{TAGS}/617a71ac672b2823a1a82c13/add",
            body={"memberIds": ["61c2be010d2b4e6a3836ab1f"]},
        ),
        Reply(200, {"count": 1}),
        bulk(1, 1),
    ),
    one(
        "tags.remove_members",
        lambda c: c.tags.remove_members(
            "617a71ac672b2823a1a82c13", ["61c2be010d2b4e6a3836ab1f", "61c2be010d2b4e6a3836ab1d"]
        ),
        Expected(
            "POST",
            f"{TAGS}/617a71ac672b2823a1a82c13/remove",
            body={"memberIds": ["61c2be010d2b4e6a3836ab1f", "61c2be010d2b4e6a3836ab1d"]},
        ),
        Reply(200, {"count": 1}),
        bulk(2, 1),
    ),
    one(
        "tags.remove_members-successcount-key",
        lambda c: c.tags.remove_members("617a71ac672b2823a1a82c13", ["61c2be010d2b4e6a3836ab1f"]),
        Expected(
            "POST",
            f"{TAGS}/617a71ac672b2823a1a82c13/remove",
            body={"memberIds": ["61c2be010d2b4e6a3836ab1f"]},
        ),
        Reply(200, {"successCount": 1}),
        bulk(1, 1),
    ),
    one(
        "tags.members",
        lambda c: c.tags.members("617a71ac672b2823a1a82c13", offset=0, limit=10),
        Expected(
            "GET", f"{TAGS}/617a71ac672b2823a1a82c13/members", (("offset", "0"), ("count", "10"))
        ),
        Reply(200, {"list": [TAGGED_MEMBER, SEED_MEMBERS[1]], "total": 2}),
        Page(items=(TAGGED, Q510518), total=2, offset=0, limit=10),
    ),
]


def _errors() -> list[ErrorRow]:
    create_400 = Reply(400, seed("error_segment_create"))
    update_400 = Reply(400, seed("error_segment_update"))
    not_found = Reply(404, seed("error_segment_delete"))
    unauthorized = Reply(401, seed("error_segment_detail"))
    undefined = "[asge] is not defined, please define it first"
    sid = "62849dc690d79d4947dd033d"
    tid = "617a71ac672b2823a1a82c13"

    def bad(row_id: str, call: Any, method: str, path: str, reply: Reply) -> ErrorRow:
        return ErrorRow(
            row_id, call, method, path, reply, BadRequestError, None, "fieldName", undefined
        )

    def missing(row_id: str, call: Any, method: str, path: str) -> ErrorRow:
        return ErrorRow(
            row_id, call, method, path, not_found, NotFoundError, None, None, "resource not found"
        )

    def refused(row_id: str, call: Any, method: str, path: str, name: str) -> ErrorRow:
        reply = Reply(401, seed(name)) if name else unauthorized
        return ErrorRow(
            row_id, call, method, path, reply, AuthenticationError, None, None, "Unauthorized"
        )

    return [
        bad(
            "segments.create",
            lambda c: c.segments.create("湖北用户", field("asge") > 1),
            "POST",
            SEGMENTS,
            create_400,
        ),
        missing("segments.delete", lambda c: c.segments.delete(sid), "DELETE", f"{SEGMENTS}/{sid}"),
        bad(
            "segments.update",
            lambda c: c.segments.update(sid, condition=field("asge") > 1),
            "PATCH",
            f"{SEGMENTS}/{sid}",
            update_400,
        ),
        refused(
            "segments.get",
            lambda c: c.segments.get(sid),
            "GET",
            f"{SEGMENTS}/{sid}",
            "error_segment_detail",
        ),
        refused(
            "segments.list", lambda c: c.segments.list(), "GET", SEGMENTS, "error_segment_list"
        ),
        refused(
            "segments.progress",
            lambda c: c.segments.progress(sid),
            "GET",
            f"{SEGMENTS}/{sid}/process",
            "error_segment_progress",
        ),
        refused(
            "segments.members",
            lambda c: c.segments.members(sid),
            "POST",
            f"{SEGMENTS}/{sid}/members",
            "error_segment_members",
        ),
        refused(
            "segments.remove_members",
            lambda c: c.segments.remove_members(sid, ["asdfsdf2211212aa"]),
            "DELETE",
            f"{SEGMENTS}/{sid}/members",
            "error_segment_remove_members",
        ),
        # Tags: no seed, but SendCloud's error body is the same everywhere.
        refused("tags.create", lambda c: c.tags.create("vip"), "POST", TAGS, ""),
        missing("tags.update", lambda c: c.tags.update(tid, name="vip"), "PATCH", f"{TAGS}/{tid}"),
        missing("tags.delete", lambda c: c.tags.delete(tid), "DELETE", f"{TAGS}/{tid}"),
        refused("tags.list", lambda c: c.tags.list(), "GET", TAGS, ""),
        missing(
            "tags.add_members",
            lambda c: c.tags.add_members(tid, ["m1"]),
            "POST",
            f"{TAGS}/{tid}/add",
        ),
        refused(
            "tags.remove_members",
            lambda c: c.tags.remove_members(tid, ["m1"]),
            "POST",
            f"{TAGS}/{tid}/remove",
            "",
        ),
        missing("tags.members", lambda c: c.tags.members(tid), "GET", f"{TAGS}/{tid}/members"),
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
        "PATCH",
        f"{SEGMENTS}/{{id}}",
        Reply(200, seed("segment_update")),
    ),
    IdRow(
        "segments.delete",
        lambda c, i: c.segments.delete(i),
        "DELETE",
        f"{SEGMENTS}/{{id}}",
        Reply(204),
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
        "PATCH",
        f"{TAGS}/{{id}}",
        Reply(200),
    ),
    IdRow("tags.delete", lambda c, i: c.tags.delete(i), "DELETE", f"{TAGS}/{{id}}", Reply(204)),
    IdRow(
        "tags.add_members",
        lambda c, i: c.tags.add_members(i, ["m1"]),
        "POST",
        f"{TAGS}/{{id}}/add",
        Reply(200, {"successCount": 1}),
    ),
    IdRow(
        "tags.remove_members",
        lambda c, i: c.tags.remove_members(i, ["m1"]),
        "POST",
        f"{TAGS}/{{id}}/remove",
        Reply(200, {"successCount": 1}),
    ),
    IdRow(
        "tags.members",
        lambda c, i: c.tags.members(i),
        "GET",
        f"{TAGS}/{{id}}/members",
        Reply(200, {"list": [], "total": 0}),
    ),
]

CHUNKED = [
    ChunkRow(
        "segments.remove_members",
        lambda c, ids: c.segments.remove_members("seg-1", ids),
        "DELETE",
        f"{SEGMENTS}/seg-1/members",
        "memberIds",
        "successCount",
    ),
    ChunkRow(
        "tags.add_members",
        lambda c, ids: c.tags.add_members("tag-1", ids),
        "POST",
        f"{TAGS}/tag-1/add",
        "memberIds",
        "successCount",
    ),
    ChunkRow(
        "tags.remove_members",
        lambda c, ids: c.tags.remove_members("tag-1", ids),
        "POST",
        f"{TAGS}/tag-1/remove",
        "memberIds",
        "count",
    ),
]

TABLE = Table(
    provider=P,
    authorization=f"Bearer {SEED_TOKEN}",
    rows=(*SEGMENT_ROWS, *TAG_ROWS, *_paging_rows()),
    errors=tuple(_errors()),
    by_id=tuple(BY_ID),
    chunked=tuple(CHUNKED),
)
