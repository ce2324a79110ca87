"""SendCloud's requests and responses, one small method per operation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import cattrs

from mailseg import (
    APIError,
    Condition,
    Member,
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
    error_class,
    quote_id,
    read_count,
    read_object,
    read_page,
)
from mailseg_sendcloud._converter import make_converter


class SendCloudAdapter(Adapter):
    """SendCloud (``https://api2.sendcloud.net/marketing/...``).

    Paths and key names are class attributes; those marked *inferred* are not
    in SendCloud's pages and may be corrected in a subclass.
    """

    name: ClassVar[str] = "sendcloud"
    default_base_url: ClassVar[str] = "https://api2.sendcloud.net"
    converter: ClassVar[cattrs.Converter] = make_converter()

    segments_path: ClassVar[str] = "/marketing/lists/segments"
    tags_path: ClassVar[str] = "/marketing/lists/tags"
    #: Inferred: EngageLab's documented paths, without the ``/v1``.
    tag_list_path: ClassVar[str] = "/marketing/lists/tags"
    tag_add_path: ClassVar[str] = "/marketing/lists/tags/{tag_id}/add"
    tag_remove_path: ClassVar[str] = "/marketing/lists/tags/{tag_id}/remove"
    tag_members_path: ClassVar[str] = "/marketing/lists/tags/{tag_id}/members"
    #: Inferred: the tag-name filter of the tag list (create documents ``tagName``).
    tag_name_query: ClassVar[str] = "tagName"
    #: Inferred for tags (documented for segment member removal).
    tag_member_ids_key: ClassVar[str] = "memberIds"
    #: Inferred: the count in a tag add/remove answer; the first key present wins.
    tag_count_keys: ClassVar[tuple[str, ...]] = ("successCount", "count")

    def authorization(self, credentials: Credentials) -> str:
        # The documented token is base64("api_user:api_key"), sent as Bearer.
        return f"Bearer {credentials.basic_token()}"

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

    # Segments

    def create_segment(self, name: str, type: SegmentType, condition: Condition) -> Call[Segment]:
        body = {"segmentName": name, "type": int(type), "condition": self._condition(condition)}

        def parse(response: Response) -> Segment:
            # 201 {"segmentId": "..."}: the rest is what was sent.
            segment_id = read_object(response).get("segmentId")
            if not isinstance(segment_id, str) or not segment_id:
                raise response.unexpected("no segmentId in the create answer")
            return Segment(id=segment_id, name=name, type=type, condition=condition)

        return Call(Request("POST", self.segments_path, json=body), parse)

    def get_segment(self, segment_id: str) -> Call[Segment]:
        return Call(Request("GET", self._segment(segment_id)), self._parse_segment)

    def update_segment(
        self, segment_id: str, *, name: str | None, type: SegmentType, condition: Condition
    ) -> Call[Segment]:
        body: dict[str, Any] = {}
        if name is not None:
            body["segmentName"] = name
        body["type"] = int(type)
        body["condition"] = self._condition(condition)
        return Call(Request("PATCH", self._segment(segment_id), json=body), self._parse_segment)

    def delete_segment(self, segment_id: str) -> Call[None]:
        # 204, with no body or "{}": nothing to read.
        return Call(Request("DELETE", self._segment(segment_id)), _nothing)

    def list_segments(
        self, *, name: str | None, type: SegmentType | None, offset: int, limit: int
    ) -> Call[Page[Segment]]:
        query = [("offset", str(offset)), ("count", str(limit))]
        if name is not None:
            query.append(("segmentName", name))
        if type is not None:
            query.append(("type", str(int(type))))
        request = Request("GET", self.segments_path, query=tuple(query))
        return Call(request, self._page_parser(Segment, offset, limit))

    def segment_progress(self, segment_id: str) -> Call[Progress]:
        def parse(response: Response) -> Progress:
            return self.converter.structure(read_object(response), Progress)

        return Call(Request("GET", f"{self._segment(segment_id)}/process"), parse)

    def segment_members(
        self, segment_id: str, *, condition: Condition | None, offset: int, limit: int
    ) -> Call[Page[Member]]:
        body = {} if condition is None else {"condition": self._condition(condition)}
        request = Request(
            "POST",
            f"{self._segment(segment_id)}/members",
            query=(("offset", str(offset)), ("count", str(limit))),
            json=body,
        )
        return Call(request, self._page_parser(Member, offset, limit))

    def remove_segment_members(self, segment_id: str, member_ids: Sequence[str]) -> Call[int]:
        request = Request(
            "DELETE", f"{self._segment(segment_id)}/members", json={"memberIds": list(member_ids)}
        )
        return Call(request, _count_parser("successCount", "count"))

    # Tags

    def create_tag(self, name: str) -> Call[Tag]:
        def parse(response: Response) -> Tag:
            # 201 {"id": "..."} (documented); the name is the one sent.
            data = read_object(response)
            tag_id = data.get("id", data.get("tagId"))
            if not isinstance(tag_id, str) or not tag_id:
                raise response.unexpected("no id in the create answer")
            return Tag(id=tag_id, name=name)

        return Call(Request("POST", self.tags_path, json={"tagName": name}), parse)

    def update_tag(self, tag_id: str, *, name: str) -> Call[None]:
        # The answer's body is not documented: any 2xx is success.
        return Call(Request("PATCH", self._tag(tag_id), json={"tagName": name}), _nothing)

    def delete_tag(self, tag_id: str) -> Call[None]:
        return Call(Request("DELETE", self._tag(tag_id)), _nothing)

    def list_tags(self, *, name: str | None, offset: int, limit: int) -> Call[Page[Tag]]:
        query = [("offset", str(offset)), ("count", str(limit))]
        if name is not None:
            query.append((self.tag_name_query, name))
        request = Request("GET", self.tag_list_path, query=tuple(query))
        return Call(request, self._page_parser(Tag, offset, limit))

    def add_tag_members(self, tag_id: str, member_ids: Sequence[str]) -> Call[int]:
        return self._tag_members_change(self.tag_add_path, tag_id, member_ids)

    def remove_tag_members(self, tag_id: str, member_ids: Sequence[str]) -> Call[int]:
        return self._tag_members_change(self.tag_remove_path, tag_id, member_ids)

    def tag_members(self, tag_id: str, *, offset: int, limit: int) -> Call[Page[Member]]:
        request = Request(
            "GET",
            self.tag_members_path.format(tag_id=quote_id(tag_id)),
            query=(("offset", str(offset)), ("count", str(limit))),
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

    def _parse_segment(self, response: Response) -> Segment:
        return self.converter.structure(read_object(response), Segment)

    def _page_parser(self, cls: type[Any], offset: int, limit: int) -> Any:
        structure = self.converter.get_structure_hook(cls)

        def parse(response: Response) -> Page[Any]:
            data = read_object(response)
            return read_page(response, data, "list", structure, cls, offset=offset, limit=limit)

        return parse

    def _tag_members_change(
        self, template: str, tag_id: str, member_ids: Sequence[str]
    ) -> Call[int]:
        request = Request(
            "POST",
            template.format(tag_id=quote_id(tag_id)),
            json={self.tag_member_ids_key: list(member_ids)},
        )
        return Call(request, _count_parser(*self.tag_count_keys))


def _error_detail(body: Any) -> dict[str, Any] | None:
    """The ``error`` object of an error envelope, if ``body`` is one."""
    detail = body.get("error") if isinstance(body, dict) else None
    if isinstance(detail, dict) and isinstance(detail.get("message"), str):
        return detail
    return None


def _parameter(detail: dict[str, Any]) -> str | None:
    parameter = detail.get("parameter")
    return parameter if isinstance(parameter, str) and parameter else None


def _nothing(response: Response) -> None:
    # No body, or any JSON ("{}" on a 204; the tag update's answer is not
    # documented): an HTML page from a proxy is not a success, whatever its
    # status says.
    if response.body.strip():
        response.json()


def _count_parser(*keys: str) -> Any:
    def parse(response: Response) -> int:
        return read_count(response, read_object(response), *keys)

    return parse
