"""The fixed answers of the cheap servers: segment details, tag lists, member pages.

Shapes as the providers' pages show them (the EngageLab segment detail is its docs
example; the SendCloud one its ``segment_detail`` example; tags and members as the
emulator writes them). Member pages come in `MEMBER_PAGES` distinct variants with
distinct ids and times, cycled by offset, so that nothing a client caches per value
(mailseg caches parsed timestamps, 4096 of them) is reused within a cycle.
"""

from __future__ import annotations

import json
from typing import Any

#: A segment as EngageLab's detail answer shows it (docs example, strict JSON).
SEGMENT_DETAIL = {
    "result": {
        "segment_id": "6566f6392c16e71300b1b1e9",
        "user_id": 104201,
        "segment_name": "MyCustomField",
        "relation": "and",
        "type": 0,
        "list_id": 96112,
        "status": "2",
        "create_time": "2023-11-29 16:28:41+0800",
        "update_time": "2023-11-29 16:33:58+0800",
        "member_total": 1,
        "condition": {
            "relation": "and",
            "items": [
                {
                    "campaign_id": None,
                    "field_name": "CustomField",
                    "op": "contain",
                    "value": "CustomField",
                }
            ],
        },
        "process": {"statusDesc": "segmentation completed", "complete": True, "percent": 100},
    }
}
SEGMENT_BODY = json.dumps(SEGMENT_DETAIL, separators=(",", ":")).encode()
SEGMENT_ID = "6566f6392c16e71300b1b1e9"  # the detail's segment_id

#: SendCloud's segment detail example: the condition flattened into the segment.
SENDCLOUD_SEGMENT = {
    "segmentId": SEGMENT_ID,
    "userId": 100249,
    "segmentName": "test_by_field_tag_update",
    "type": 0,
    "listId": 63877,
    "status": "2",
    "createTime": "2022-05-06 17:28:49",
    "updateTime": "2022-06-02 15:17:05",
    "memberTotal": 691,
    "relation": "and",
    "conditions": [{"campaignId": None, "fieldName": "Age", "op": "<", "value": "50"}],
    "process": {"statusDesc": "segmentation completed", "complete": True, "percent": 100},
}
SENDCLOUD_SEGMENT_BODY = json.dumps(SENDCLOUD_SEGMENT, separators=(",", ":")).encode()

TAGS = 10  # tags.list's default page


def _tags(engagelab: bool) -> bytes:
    items = []
    for index in range(TAGS):
        when = f"2023-11-28T11:{14 + index:02d}:48+0800"
        if engagelab:
            items.append(
                {
                    "tag_id": f"617a71ac672b2823a1a82c{index:02x}",
                    "tag_name": f"教育{index}",
                    "create_time": when,
                    "update_time": when,
                    "count": 10 * index + 1,
                }
            )
        else:
            items.append(
                {
                    "tagId": f"617a71ac672b2823a1a82c{index:02x}",
                    "tagName": f"教育{index}",
                    "createTime": when,
                    "updateTime": when,
                    "count": 10 * index + 1,
                }
            )
    key = "result" if engagelab else "list"
    body: dict[str, Any] = {key: items, "total": 42}
    if engagelab:
        body["count"] = len(items)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


ENGAGELAB_TAGS_BODY = _tags(engagelab=True)
SENDCLOUD_TAGS_BODY = _tags(engagelab=False)

PAGE_SIZE = 100
MEMBER_PAGES = 20  # 2,000 members, 6,000 distinct times per cycle
MEMBER_TOTAL = 200_000


def _member(number: int) -> dict[str, Any]:
    day, second = divmod(number, 86_400 // 2)
    created = f"2023-{1 + day % 12:02d}-{1 + day % 28:02d} {second // 3600 % 24:02d}:" + (
        f"{second // 60 % 60:02d}:{second % 60:02d}"
    )
    return {
        "id": f"6566f6392c16e7{number:010x}",
        "list_id": 96112,
        "email": f"member{number}@example.com",
        "phone": f"138{number:08d}",
        "name": f"member {number}",
        "create_time": created,
        "update_time": created.replace("2023", "2024", 1),
        "unsubscribe_time": None if number % 3 else created.replace("2023", "2025", 1),
        "fields": {"Age": str(20 + number % 50), "City": "杭州"},
        "tag_ids": ["617a71ac672b2823a1a82c13"] if number % 2 else None,
        "tag_names": ["教育"] if number % 2 else None,
    }


def member_page(variant: int) -> bytes:
    """One EngageLab segment-member page of `PAGE_SIZE` members (variant picks which)."""
    start = variant * PAGE_SIZE
    items = [_member(start + index) for index in range(PAGE_SIZE)]
    return json.dumps(
        {"result": items, "total": MEMBER_TOTAL}, ensure_ascii=False, separators=(",", ":")
    ).encode()


MEMBER_BODIES = [member_page(variant) for variant in range(MEMBER_PAGES)]


def answer_for(target: str) -> bytes:
    """The body for a request target (path and query) on the fixed server."""
    path, _, query = target.partition("?")
    if path.endswith("/members"):
        offset = 0
        for part in query.split("&"):
            name, _, value = part.partition("=")
            if name == "offset" and value.isdigit():
                offset = int(value)
        return MEMBER_BODIES[offset // PAGE_SIZE % MEMBER_PAGES]
    engagelab = path.startswith("/v1/")
    if path.endswith("/lists/tags"):
        return ENGAGELAB_TAGS_BODY if engagelab else SENDCLOUD_TAGS_BODY
    return SEGMENT_BODY if engagelab else SENDCLOUD_SEGMENT_BODY
