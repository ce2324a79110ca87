"""A hand-written reader of EngageLab's segment detail, for benchmark 1's comparison.

It builds the same ``mailseg.Segment`` (attrs models, enums, aware datetimes) from the
decoded body as the EngageLab adapter's cattrs converter does, with the same type checks
(strict strings, integers or digit strings, a non-empty id, known enum values, a boolean
``complete``, either progress description key; only an empty progress object, which the
adapter refuses, is let through), but with no converter and no per-field dispatch: what
building the typed models costs when nothing generic is in the way.
Benchmark 1 checks its result equal to mailseg's before timing it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mailseg import (
    Condition,
    ConditionItem,
    Progress,
    Relation,
    Segment,
    SegmentStatus,
    SegmentType,
)
from mailseg.adapter import parse_timestamp

_STATUS: dict[object, SegmentStatus] = {}
for _status in SegmentStatus:
    _STATUS[_status.value] = _STATUS[str(_status.value)] = _status
_TYPE: dict[object, SegmentType] = {}
for _type in SegmentType:
    _TYPE[_type.value] = _TYPE[str(_type.value)] = _type


def _int(value: Any) -> int | None:
    if value is None or type(value) is int:
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise TypeError(f"expected an integer, got {value!r:.40}")


def _str(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if type(value) is not str:
        raise TypeError(f"expected a time string, got {type(value).__name__}")
    return parse_timestamp(value)


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _progress(value: Any) -> Progress | None:
    if value is None:
        return None
    data = _dict(value)
    complete = data.get("complete")
    if complete is not None and type(complete) is not bool:
        raise TypeError(f"expected a boolean, got {complete!r:.40}")
    description = data["statusDesc"] if "statusDesc" in data else data.get("status_desc")
    return Progress(_int(data.get("percent")), complete, _str(description))


def _member(table: dict[object, Any], value: Any, name: str) -> Any:
    member = table.get(value) if type(value) in (int, str) else None
    if member is None:
        raise ValueError(f"{value!r:.40} is not a valid {name}")
    return member


def _item(value: Any) -> ConditionItem:
    data = _dict(value)
    field = data["field_name"]
    if type(field) is not str:
        raise TypeError(f"expected a string, got {type(field).__name__}")
    # ConditionItem's own converters check op and value, as they do under cattrs.
    return ConditionItem(field, data["op"], data["value"], _int(data.get("campaign_id")))


def segment_answer(data: Any) -> Segment:
    """The ``Segment`` of a decoded EngageLab segment detail (error code checked)."""
    body = _dict(data)
    code = body.get("code")
    if isinstance(code, int) and not isinstance(code, bool) and code != 0:
        raise RuntimeError(f"error code {code}")
    result = _dict(body["result"])
    segment_id = result["segment_id"]
    if type(segment_id) is not str or not segment_id:
        raise TypeError(f"expected a non-empty string id, got {segment_id!r:.40}")
    condition = _dict(result["condition"])
    items = condition["items"]
    if not isinstance(items, list):
        raise TypeError(f"expected a list, got {type(items).__name__}")
    status = result.get("status")
    return Segment(
        segment_id,
        _str(result.get("segment_name")),
        _member(_TYPE, result["type"], "SegmentType"),
        Condition(
            relation=condition.get("relation", Relation.AND),
            items=tuple([_item(item) for item in items]),
        ),
        None if status is None else _member(_STATUS, status, "SegmentStatus"),
        _int(result.get("member_total")),
        _int(result.get("list_id")),
        _int(result.get("user_id")),
        _time(result.get("create_time")),
        _time(result.get("update_time")),
        _progress(result.get("process")),
    )
