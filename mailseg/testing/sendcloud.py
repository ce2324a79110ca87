"""SendCloud's dialect: camelCase, bare JSON, ``{"list", "total"}``, Bearer, PATCH.

Shapes follow SendCloud's segment pages (``seeds/000_...``). Its tag endpoints are only
partly documented; where ``spec/providers.md`` marks them inferred, the emulator applies
SendCloud's conventions to EngageLab's documented shapes: a tag item is
``{"tagId", "tagName", "createTime", "updateTime", "count"}``, tagging answers
``{"successCount": N}``, a tag's members are SendCloud members.
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

_STATUS = {
    ErrorKind.UNAUTHORIZED: 401,
    ErrorKind.INVALID: 400,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.DUPLICATE: 409,
    ErrorKind.METHOD_NOT_ALLOWED: 405,
    ErrorKind.TOO_LARGE: 413,
    ErrorKind.SERVER_ERROR: 500,
}


def _time(value: datetime | None) -> str | None:
    # "2021-04-25 18:54:56": UTC+8 without saying so.
    return provider_time(value, "%Y-%m-%d %H:%M:%S")


class SendCloudDialect(Dialect):
    """SendCloud's wire dialect."""

    provider = "sendcloud"
    prefix = "/marketing/lists"
    auth_scheme = "Bearer"
    update_method = "PATCH"

    def error(self, error: ApiError) -> Reply:
        status = _STATUS[error.kind]
        key = self.naming(error.parameter) if error.parameter else ""
        if error.kind is ErrorKind.UNAUTHORIZED:
            message = "Unauthorized"
        elif error.kind is ErrorKind.NOT_FOUND:
            message = "resource not found"
        else:
            message = error.message.replace("{key}", key)
        return Reply(status, {"status": status, "error": {"parameter": key, "message": message}})

    def status_body(self, status: int, message: str) -> JSON:
        return {"status": status, "error": {"parameter": "", "message": message}}

    # -- shapes -------------------------------------------------------------------------------

    def _process(self, progress: Progress) -> dict[str, Any]:
        return {
            "statusDesc": progress.status_desc,
            "complete": progress.complete,
            "percent": progress.percent,
        }

    def _segment(self, segment: StoredSegment, progress: Progress) -> dict[str, Any]:
        return {
            "segmentId": segment.id,
            "userId": self.user_id,
            "segmentName": segment.name,
            "listId": self.list_id,
            "status": progress.status,
            "createTime": _time(segment.create_time),
            "updateTime": _time(segment.update_time),
            "memberTotal": segment.visible_total(progress),
            "type": segment.type,
            "relation": segment.condition.relation,
            "conditions": [
                {
                    "campaignId": item.campaign_id,
                    "fieldName": item.field_name,
                    "op": item.op,
                    "value": item.value,
                }
                for item in segment.condition.items
            ],
            "process": self._process(progress),
        }

    def _member(self, contact: Contact) -> dict[str, Any]:
        created = _time(contact.create_time)
        updated = _time(contact.update_time)
        unsubscribed = _time(contact.unsubscribe_time)
        return {
            "id": contact.id,
            "listId": self.list_id,
            "userId": self.user_id,
            "email": contact.email,
            "phone": contact.phone,
            "name": contact.name,
            "createTime": created,
            "updateTime": updated,
            "unsubscribeTime": unsubscribed,
            "fields": dict(contact.fields),
            # SendCloud sends null, not [], for a contact without tags.
            "tags": list(contact.tag_ids) or None,
            "tagNames": self.tag_names_of(contact),
            # "in the account's time zone": the emulated account is set to UTC+8.
            "createTimeFmt": created,
            "updateTimeFmt": updated,
            "unsubscribeTimeFmt": unsubscribed,
        }

    def _tag(self, tag: StoredTag) -> dict[str, Any]:
        return {
            "tagId": tag.id,
            "tagName": tag.name,
            "createTime": _time(tag.create_time),
            "updateTime": _time(tag.update_time),
            "count": tag.member_count,
        }

    # -- answers ------------------------------------------------------------------------------

    def segment_created(self, segment: StoredSegment, progress: Progress) -> Reply:
        return Reply(201, {"segmentId": segment.id})

    def segment_deleted(self) -> Reply:
        return Reply(204)

    def segment_updated(self, segment: StoredSegment, progress: Progress) -> Reply:
        return Reply(200, self._segment(segment, progress))

    def segment_detail(self, segment: StoredSegment, progress: Progress) -> Reply:
        return Reply(200, self._segment(segment, progress))

    def segment_list(self, page: Sequence[tuple[StoredSegment, Progress]], total: int) -> Reply:
        return Reply(200, {"list": [self._segment(s, p) for s, p in page], "total": total})

    def segment_progress(self, progress: Progress) -> Reply:
        return Reply(200, self._process(progress))

    def segment_members(self, page: Sequence[Contact], total: int) -> Reply:
        return Reply(200, {"list": [self._member(c) for c in page], "total": total})

    def segment_members_removed(self, count: int) -> Reply:
        return Reply(200, {"successCount": count})

    def tag_created(self, tag: StoredTag) -> Reply:
        return Reply(201, {"id": tag.id})

    def tag_deleted(self) -> Reply:
        return Reply(204)

    def tag_updated(self, tag: StoredTag) -> Reply:
        # Undocumented body; an empty object is the least a client must cope with.
        return Reply(200, {})

    def tag_list(self, page: Sequence[StoredTag], total: int) -> Reply:
        return Reply(200, {"list": [self._tag(t) for t in page], "total": total})

    def tag_applied(self, count: int) -> Reply:
        return Reply(200, {"successCount": count})

    def tag_members(self, page: Sequence[Contact], total: int) -> Reply:
        return Reply(200, {"list": [self._member(c) for c in page], "total": total})
