"""EngageLab's dialect: how it differs from the JSON REST base, and nothing more."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mailseg import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    Member,
    NotFoundError,
    Progress,
    Tag,
)
from mailseg.adapter import Response, RestAdapter, Spelling, dialect_converter, read_object

#: EngageLab's codes, which decide an error's kind before the HTTP status does.
ERROR_CODES: dict[int, type[APIError]] = {
    30000: AuthenticationError,
    30035: BadRequestError,
    30036: NotFoundError,
    32603: ConflictError,
}

#: snake_case keys, mostly the models' own; the pages spell a few two ways.
SPELLING = Spelling(
    condition_item={"field": "field_name"},
    segment={
        "id": "segment_id",
        "name": "segment_name",
        "created_at": "create_time",
        "updated_at": "update_time",
        "progress": "process",
    },
    member={
        "created_at": "create_time",
        "updated_at": "update_time",
        "unsubscribed_at": "unsubscribe_time",
    },
    tag={
        "id": "tag_id",
        "name": "tag_name",
        "member_count": "count",
        "created_at": "create_time",
        "updated_at": "update_time",
    },
    progress={"description": "statusDesc"},
    aliases={
        # Segment members carry "id", tag members "member_id"; one example
        # says "tags" where the table says "tag_ids".
        Member: {"id": ("member_id",), "tag_ids": ("tags",)},
        # The tag list's table says "name", its example "tag_name".
        Tag: {"tag_name": ("name",)},
        # Every example says statusDesc, the table status_desc.
        Progress: {"statusDesc": ("status_desc",)},
    },
)


class EngageLabAdapter(RestAdapter):
    """EngageLab (``https://email.api.engagelab.cc/v1/marketing/...``).

    For the second region pass ``base_url="https://emailapi-tr.engagelab.com"``.
    """

    name = "engagelab"
    default_base_url = "https://email.api.engagelab.cc"
    spelling = SPELLING
    converter = dialect_converter(SPELLING)
    auth_scheme = "Basic"
    update_method = "PUT"
    page_size_key = "limit"
    items_key = "result"

    segments_path = "/v1/marketing/lists/segments"
    tags_path = "/v1/marketing/lists/tags"
    # The list's table says segment_name; its example's segmentName is a slip.
    segment_name_key = "segment_name"
    member_ids_key = "member_ids"
    tag_name_key = "name"
    tag_name_query = "name"
    # The removal example shows Bearer and memberIds; the table (which wins)
    # says Basic and member_ids.
    tag_member_ids_key = "member_ids"

    result_key = "result"

    def unwrap(self, response: Response) -> Any:
        body = read_object(response)
        if "result" not in body:
            raise response.unexpected("no 'result' in the answer")
        return body["result"]

    #: A 2xx is an error only when its ``code`` is a number other than 0 (see `error`).
    error_keys: ClassVar[Mapping[str, object]] = {"code": 0}

    def error(self, response: Response) -> APIError | None:
        success = 200 <= response.status < 300
        if success and not response.body.strip():
            return None
        body = read_object(response)
        code = body.get("code")
        message = body.get("message")
        if isinstance(code, int) and not isinstance(code, bool) and code != 0:
            kind = ERROR_CODES.get(code)
            if kind is None and success:
                kind = APIError  # an unknown code on a 2xx: an error all the same
            text = message if isinstance(message, str) else f"error code {code}"
            return response.api_error(text, code=code, kind=kind)
        if success:
            return None
        if isinstance(message, str):
            return response.api_error(message)
        raise response.unexpected("no code or message in an error response")
