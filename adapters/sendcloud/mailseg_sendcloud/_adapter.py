"""SendCloud's dialect: how it differs from the JSON REST base, and nothing more."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mailseg import APIError, Condition, Segment, SegmentType, Tag
from mailseg.adapter import (
    Response,
    RestAdapter,
    Spelling,
    dialect_converter,
    error_class,
    read_object,
)

#: camelCase keys; the tag item is inferred (SendCloud's camelCase applied to
#: EngageLab's tag item): the id is read from "tagId" or "id" (create documents
#: "id"), the name from "tagName" or "name", the count from "count" or "memberCount".
SPELLING = Spelling(
    condition_item={"field": "fieldName", "campaign_id": "campaignId"},
    segment={
        "id": "segmentId",
        "name": "segmentName",
        "member_total": "memberTotal",
        "list_id": "listId",
        "user_id": "userId",
        "created_at": "createTime",
        "updated_at": "updateTime",
        "progress": "process",
    },
    member={
        "tag_ids": "tags",
        "tag_names": "tagNames",
        "list_id": "listId",
        "user_id": "userId",
        "created_at": "createTime",
        "updated_at": "updateTime",
        "unsubscribed_at": "unsubscribeTime",
    },
    tag={
        "id": "tagId",
        "name": "tagName",
        "member_count": "count",
        "created_at": "createTime",
        "updated_at": "updateTime",
    },
    progress={"description": "statusDesc"},
    aliases={Tag: {"tagId": ("id",), "tagName": ("name",), "count": ("memberCount",)}},
    # SendCloud flattens the condition: "relation" and "conditions" sit beside
    # the segment's own keys.
    flat_condition=("relation", "conditions"),
)


class SendCloudAdapter(RestAdapter):
    """SendCloud (``https://api2.sendcloud.net/marketing/...``).

    Paths and key names are class attributes; those marked *inferred* are not
    in SendCloud's pages and may be corrected in a subclass.
    """

    name = "sendcloud"
    default_base_url = "https://api2.sendcloud.net"
    spelling = SPELLING
    converter = dialect_converter(SPELLING)
    # The documented token is base64("api_user:api_key"), sent as Bearer.
    auth_scheme = "Bearer"
    update_method = "PATCH"
    page_size_key = "count"
    items_key = "list"

    segments_path = "/marketing/lists/segments"
    tags_path = "/marketing/lists/tags"
    segment_name_key = "segmentName"
    member_ids_key = "memberIds"
    segment_count_keys = ("successCount", "count")
    tag_name_key = "tagName"
    #: Inferred: EngageLab's documented paths, without the ``/v1``.
    tag_list_path = "/marketing/lists/tags"
    tag_add_path = "/marketing/lists/tags/{tag_id}/add"
    tag_remove_path = "/marketing/lists/tags/{tag_id}/remove"
    tag_members_path = "/marketing/lists/tags/{tag_id}/members"
    #: Inferred: the tag-name filter of the tag list (create documents ``tagName``).
    tag_name_query = "tagName"
    #: Inferred for tags (documented for segment member removal).
    tag_member_ids_key = "memberIds"
    #: Inferred: the count in a tag add/remove answer; the first key present wins.
    tag_count_keys = ("successCount", "count")

    #: A 2xx is an error only when it carries an ``error`` object (see `error`).
    error_keys: ClassVar[Mapping[str, object]] = {"error": None}

    def error(self, response: Response) -> APIError | None:
        if 200 <= response.status < 300:
            # An error envelope on a 2xx is still an error, classed by the
            # status inside it; any other 2xx body is for the parser to judge.
            if not response.body.strip():
                return None
            body = response.json()
            detail = _error_detail(body)
            if detail is None:
                return None
            inner = body.get("status")
            kind = error_class(inner) if isinstance(inner, int) and inner >= 400 else APIError
            return response.api_error(detail["message"], parameter=_parameter(detail), kind=kind)
        detail = _error_detail(read_object(response))
        if detail is None:
            raise response.unexpected("no error.message in an error response")
        return response.api_error(detail["message"], parameter=_parameter(detail))

    def created_segment(
        self, response: Response, name: str, type: SegmentType, condition: Condition
    ) -> Segment:
        # 201 {"segmentId": "..."}: the rest is what was sent.
        segment_id = read_object(response).get("segmentId")
        if not isinstance(segment_id, str) or not segment_id:
            raise response.unexpected("no segmentId in the create answer")
        return Segment(id=segment_id, name=name, type=type, condition=condition)

    def created_tag(self, response: Response, name: str) -> Tag:
        # 201 {"id": "..."} (documented); the name is the one sent.
        data = read_object(response)
        tag_id = data.get("id", data.get("tagId"))
        if not isinstance(tag_id, str) or not tag_id:
            raise response.unexpected("no id in the create answer")
        return Tag(id=tag_id, name=name)


def _error_detail(body: Any) -> dict[str, Any] | None:
    """The ``error`` object of an error envelope, if ``body`` is one."""
    detail = body.get("error") if isinstance(body, dict) else None
    if isinstance(detail, dict) and isinstance(detail.get("message"), str):
        return detail
    return None


def _parameter(detail: dict[str, Any]) -> str | None:
    parameter = detail.get("parameter")
    return parameter if isinstance(parameter, str) and parameter else None
