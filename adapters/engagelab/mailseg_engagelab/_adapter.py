"""EngageLab's requests and responses, one small method per operation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import cattrs

from mailseg import (
    APIError,
    AuthenticationError,
    BadRequestError,
    Condition,
    ConflictError,
    Member,
    NotFoundError,
    Page,
    Progress,
    Segment,
    SegmentType,
    Tag,
)
from mailseg.adapter import (
    Adapter,
    Call,
    Credentials,
    Request,
    Response,
    quote_id,
    read_count,
    read_object,
    read_page,
)
from mailseg_engagelab._converter import make_converter

#: EngageLab's codes, which decide an error's kind before the HTTP status does.
ERROR_CODES: dict[int, type[APIError]] = {
    30000: AuthenticationError,
    30035: BadRequestError,
    30036: NotFoundError,
    32603: ConflictError,
}


class EngageLabAdapter(Adapter):
    """EngageLab (``https://email.api.engagelab.cc/v1/marketing/...``).

    For the second region pass ``base_url="https://emailapi-tr.engagelab.com"``.
    """

    name: ClassVar[str] = "engagelab"
    default_base_url: ClassVar[str] = "https://email.api.engagelab.cc"
    converter: ClassVar[cattrs.Converter] = make_converter()

    segments_path: ClassVar[str] = "/v1/marketing/lists/segments"
    tags_path: ClassVar[str] = "/v1/marketing/lists/tags"

    def authorization(self, credentials: Credentials) -> str:
        return f"Basic {credentials.basic_token()}"

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

    # Segments

    def create_segment(self, name: str, type: SegmentType, condition: Condition) -> Call[Segment]:
        body = {"segment_name": name, "type": int(type), "condition": self._condition(condition)}
        return Call(Request("POST", self.segments_path, json=body), self._parse_segment)

    def get_segment(self, segment_id: str) -> Call[Segment]:
        return Call(Request("GET", self._segment(segment_id)), self._parse_segment)

    def update_segment(
        self, segment_id: str, *, name: str | None, type: SegmentType, condition: Condition
    ) -> Call[Segment]:
        body: dict[str, Any] = {}
        if name is not None:
            body["segment_name"] = name
        body["type"] = int(type)
        body["condition"] = self._condition(condition)
        return Call(Request("PUT", self._segment(segment_id), json=body), self._parse_segment)

    def delete_segment(self, segment_id: str) -> Call[None]:
        return Call(Request("DELETE", self._segment(segment_id)), _nothing)

    def list_segments(
        self, *, name: str | None, type: SegmentType | None, offset: int, limit: int
    ) -> Call[Page[Segment]]:
        query = [("offset", str(offset)), ("limit", str(limit))]
        if name is not None:
            # The table says segment_name; the example's segmentName is a slip.
            query.append(("segment_name", name))
        if type is not None:
            query.append(("type", str(int(type))))
        request = Request("GET", self.segments_path, query=tuple(query))
        return Call(request, self._page_parser(Segment, offset, limit))

    def segment_progress(self, segment_id: str) -> Call[Progress]:
        def parse(response: Response) -> Progress:
            return self.converter.structure(self._result(response), Progress)

        return Call(Request("GET", f"{self._segment(segment_id)}/process"), parse)

    def segment_members(
        self, segment_id: str, *, condition: Condition | None, offset: int, limit: int
    ) -> Call[Page[Member]]:
        body = {} if condition is None else {"condition": self._condition(condition)}
        request = Request(
            "POST",
            f"{self._segment(segment_id)}/members",
            query=(("offset", str(offset)), ("limit", str(limit))),
            json=body,
        )
        return Call(request, self._page_parser(Member, offset, limit))

    def remove_segment_members(self, segment_id: str, member_ids: Sequence[str]) -> Call[int]:
        request = Request(
            "DELETE", f"{self._segment(segment_id)}/members", json={"member_ids": list(member_ids)}
        )
        return Call(request, _count)

    # Tags

    def create_tag(self, name: str) -> Call[Tag]:
        def parse(response: Response) -> Tag:
            return self.converter.structure(self._result(response), Tag)

        return Call(Request("POST", self.tags_path, json={"name": name}), parse)

    def update_tag(self, tag_id: str, *, name: str) -> Call[None]:
        return Call(Request("PUT", self._tag(tag_id), json={"name": name}), _nothing)

    def delete_tag(self, tag_id: str) -> Call[None]:
        return Call(Request("DELETE", self._tag(tag_id)), _nothing)

    def list_tags(self, *, name: str | None, offset: int, limit: int) -> Call[Page[Tag]]:
        query = [("offset", str(offset)), ("limit", str(limit))]
        if name is not None:
            query.append(("name", name))
        request = Request("GET", self.tags_path, query=tuple(query))
        return Call(request, self._page_parser(Tag, offset, limit))

    def add_tag_members(self, tag_id: str, member_ids: Sequence[str]) -> Call[int]:
        request = Request("POST", f"{self._tag(tag_id)}/add", json={"member_ids": list(member_ids)})
        return Call(request, _count)

    def remove_tag_members(self, tag_id: str, member_ids: Sequence[str]) -> Call[int]:
        # The example shows Bearer and memberIds; the table (which wins) says
        # Basic and member_ids.
        request = Request(
            "POST", f"{self._tag(tag_id)}/remove", json={"member_ids": list(member_ids)}
        )
        return Call(request, _count)

    def tag_members(self, tag_id: str, *, offset: int, limit: int) -> Call[Page[Member]]:
        request = Request(
            "GET",
            f"{self._tag(tag_id)}/members",
            query=(("offset", str(offset)), ("limit", str(limit))),
        )
        return Call(request, self._page_parser(Member, offset, limit))

    # Pieces

    def _segment(self, segment_id: str) -> str:
        return f"{self.segments_path}/{quote_id(segment_id)}"

    def _tag(self, tag_id: str) -> str:
        return f"{self.tags_path}/{quote_id(tag_id)}"

    def _condition(self, condition: Condition) -> dict[str, Any]:
        result: dict[str, Any] = self.converter.unstructure(condition)
        return result

    @staticmethod
    def _result(response: Response) -> Any:
        body = read_object(response)
        if "result" not in body:
            raise response.unexpected("no 'result' in the answer")
        return body["result"]

    def _parse_segment(self, response: Response) -> Segment:
        return self.converter.structure(read_object(response, self._result(response)), Segment)

    def _page_parser(self, cls: type[Any], offset: int, limit: int) -> Any:
        structure = self.converter.get_structure_hook(cls)

        def parse(response: Response) -> Page[Any]:
            data = read_object(response)
            return read_page(response, data, "result", structure, cls, offset=offset, limit=limit)

        return parse


def _nothing(response: Response) -> None:
    return None


def _count(response: Response) -> int:
    return read_count(response, read_object(response), "count")
