"""EngageLab's dialect: snake_case, ``{"result": ...}``, Basic, PUT, ``limit``.

Shapes follow EngageLab's segment page (``seeds/001_...``) and tag page (``seeds/004_...``),
with the contradictions settled as ``spec/providers.md`` decides. Where the pages show more
than one spelling the emulator sends one: ``tag_name`` in tag items (as the examples),
``tag_ids`` in members (as the table), ``statusDesc`` in ``process`` (as the examples).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mailseg.testing.clock import provider_time
from mailseg.testing.contacts import Contact
from mailseg.testing.dialect import JSON, Dialect, Reply
from mailseg.testing.errors import ApiError, ErrorKind
from mailseg.testing.store import Progress, StoredSegment, StoredTag

#: kind -> (HTTP status, EngageLab code). The pages show 30000, 30035, 30036 and 32603; the
#: pages show 32603 with HTTP 401, but a duplicate name is no authentication failure: 400.
_CODES = {
    ErrorKind.UNAUTHORIZED: (401, 30000),
    ErrorKind.INVALID: (400, 30035),
    ErrorKind.NOT_FOUND: (404, 30036),
    ErrorKind.DUPLICATE: (400, 32603),
    ErrorKind.METHOD_NOT_ALLOWED: (405, 30035),
    ErrorKind.TOO_LARGE: (413, 30035),
    ErrorKind.SERVER_ERROR: (500, 500),  # undocumented: the code repeats the status
}


def _segment_time(value: datetime | None) -> str | None:
    # Segments: "2023-11-29 16:28:41+0800".
    return provider_time(value, "%Y-%m-%d %H:%M:%S%z")


def _time(value: datetime | None) -> str | None:
    # Tags and members: "2023-11-28T11:14:48+0800".
    return provider_time(value, "%Y-%m-%dT%H:%M:%S%z")


class EngageLabDialect(Dialect):
    """EngageLab's wire dialect."""

    provider = "engagelab"
    prefix = "/v1/marketing/lists"
    auth_scheme = "Basic"
    update_method = "PUT"

    def error(self, error: ApiError) -> Reply:
        status, code = _CODES[error.kind]
        if error.kind is ErrorKind.UNAUTHORIZED:
            message = "Authentication failed"
        else:
            key = self.naming(error.parameter) if error.parameter else ""
            message = error.message.replace("{key}", key)
            # EngageLab's body has no "parameter": the message must name the key, as its own
            # do ("[segment_name]:Special characters ...").
            if key and key not in message:
                message = f"[{key}]:{message}"
        return Reply(status, {"code": code, "message": message})

    def status_body(self, status: int, message: str) -> JSON:
        # No 429/5xx body is documented: the code repeats the status, so a client that reads
        # the code first still lands on the status.
        return {"code": status, "message": message}

    # -- shapes -------------------------------------------------------------------------------

    def _process(self, progress: Progress) -> dict[str, Any]:
        return {
            "statusDesc": progress.status_desc,
            "complete": progress.complete,
            "percent": progress.percent,
        }

    def _segment(self, segment: StoredSegment, progress: Progress) -> dict[str, Any]:
        return {
            "segment_id": segment.id,
            "user_id": self.user_id,
            "segment_name": segment.name,
            "type": segment.type,
            "list_id": self.list_id,
            "status": progress.status,
            "create_time": _segment_time(segment.create_time),
            "update_time": _segment_time(segment.update_time),
            "member_total": segment.visible_total(progress),
            "condition": {
                "relation": segment.condition.relation,
                "items": [
                    {
                        "campaign_id": item.campaign_id,
                        "field_name": item.field_name,
                        "op": item.op,
                        "value": item.value,
                    }
                    for item in segment.condition.items
                ],
            },
            "process": self._process(progress),
        }

    def _member(self, contact: Contact, id_key: str) -> dict[str, Any]:
        return {
            id_key: contact.id,
            "list_id": self.list_id,
            "email": contact.email,
            "phone": contact.phone,
            "name": contact.name,
            "create_time": _time(contact.create_time),
            "update_time": _time(contact.update_time),
            "unsubscribe_time": _time(contact.unsubscribe_time),
            "fields": dict(contact.fields),
            # As in the example: null, not [], for a contact without tags.
            "tag_ids": list(contact.tag_ids) or None,
            "tag_names": self.tag_names_of(contact),
        }

    def _tag(self, tag: StoredTag) -> dict[str, Any]:
        return {
            "tag_id": tag.id,
            "tag_name": tag.name,
            "create_time": _time(tag.create_time),
            "update_time": _time(tag.update_time),
        }

    # -- answers ------------------------------------------------------------------------------

    def segment_created(self, segment: StoredSegment, progress: Progress) -> Reply:
        return Reply(200, {"result": self._segment(segment, progress)})

    def segment_deleted(self) -> Reply:
        return Reply(200, {"count": 1})

    def segment_updated(self, segment: StoredSegment, progress: Progress) -> Reply:
        return Reply(200, {"result": self._segment(segment, progress)})

    def segment_detail(self, segment: StoredSegment, progress: Progress) -> Reply:
        # The detail example (alone among the segment answers, and not in its table) repeats
        # the condition's relation at the top level; the emulator shows it where the page
        # does, so a client that reads the documented condition.relation is tested with it.
        shown = self._segment(segment, progress)
        shown = {
            "segment_id": shown.pop("segment_id"),
            "user_id": shown.pop("user_id"),
            "segment_name": shown.pop("segment_name"),
            "relation": segment.condition.relation,
            **shown,
        }
        return Reply(200, {"result": shown})

    def segment_list(self, page: Sequence[tuple[StoredSegment, Progress]], total: int) -> Reply:
        items = [self._segment(s, p) for s, p in page]
        return Reply(200, {"result": items, "total": total, "count": len(items)})

    def segment_progress(self, progress: Progress) -> Reply:
        return Reply(200, {"result": self._process(progress)})

    def segment_members(self, page: Sequence[Contact], total: int) -> Reply:
        # The page shows no "count" here, unlike the other lists.
        return Reply(200, {"result": [self._member(c, "id") for c in page], "total": total})

    def segment_members_removed(self, count: int) -> Reply:
        return Reply(200, {"count": count})

    def tag_created(self, tag: StoredTag) -> Reply:
        return Reply(200, {"result": self._tag(tag)})

    def tag_deleted(self) -> Reply:
        return Reply(200, {"count": 1})

    def tag_updated(self, tag: StoredTag) -> Reply:
        return Reply(200, {"count": 1})

    def tag_list(self, page: Sequence[StoredTag], total: int) -> Reply:
        items = [{**self._tag(t), "count": t.member_count} for t in page]
        return Reply(200, {"result": items, "count": len(items), "total": total})

    def tag_applied(self, count: int) -> Reply:
        return Reply(200, {"count": count})

    def tag_members(self, page: Sequence[Contact], total: int) -> Reply:
        items = [self._member(c, "member_id") for c in page]
        return Reply(200, {"result": items, "total": total, "count": len(items)})
