"""A provider adapter written the way a third party would: the public contract only.

"Acme Mail" is made up: it wraps every answer as ``{"data": ...}``, reports
errors as ``{"error": {"code", "message", "field"}}``, authenticates with
``Token <base64(user:key)>``, pages with ``per_page`` and updates with PUT.
docs/adapters.md walks through this file; tests/test_third_party_adapter.py
runs it against a loopback server, and mypy --strict checks it.
"""

from __future__ import annotations

from typing import Any

from mailseg import APIError, ConflictError, NotFoundError, Tag
from mailseg.adapter import Response, RestAdapter, Spelling, dialect_converter, read_object

#: Acme's codes that mean more than the HTTP status says.
ERROR_CODES: dict[str, type[APIError]] = {"duplicate": ConflictError, "gone": NotFoundError}

SPELLING = Spelling(
    condition_item={"field": "attribute"},
    segment={"id": "uid", "name": "title", "member_total": "size"},
    member={"tag_ids": "labels"},
    tag={"id": "uid", "name": "title", "member_count": "size"},
    progress={"percent": "pct", "complete": "done", "description": "note"},
    # Older Acme answers spell a tag's title "label".
    aliases={Tag: {"title": ("label",)}},
)


class AcmeAdapter(RestAdapter):
    """Acme Mail's dialect: only the differences from the JSON REST base."""

    name = "acme"
    default_base_url = "https://api.acme.example"
    converter = dialect_converter(SPELLING)
    auth_scheme = "Token"
    update_method = "PUT"
    page_size_key = "per_page"
    items_key = "data"

    segments_path = "/api/segments"
    tags_path = "/api/tags"
    tag_add_path = "{tags}/{tag_id}/members/add"
    tag_remove_path = "{tags}/{tag_id}/members/remove"
    segment_name_key = "title"
    member_ids_key = "ids"
    tag_name_key = "title"
    tag_name_query = "title"
    tag_member_ids_key = "ids"
    tag_count_keys = ("changed",)
    segment_count_keys = ("changed",)

    def unwrap(self, response: Response) -> Any:
        body = read_object(response)
        if "data" not in body:
            raise response.unexpected("no 'data' in the answer")
        return body["data"]

    def error(self, response: Response) -> APIError | None:
        if 200 <= response.status < 300:
            return None  # Acme never puts an error in a 2xx: the parser judges the body
        detail = read_object(response).get("error")
        if not isinstance(detail, dict) or not isinstance(detail.get("message"), str):
            raise response.unexpected("no error.message in an error response")
        code = detail.get("code")
        field = detail.get("field")
        return response.api_error(
            detail["message"],
            parameter=field if isinstance(field, str) else None,
            kind=ERROR_CODES.get(code) if isinstance(code, str) else None,
        )
