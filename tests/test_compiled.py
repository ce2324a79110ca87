"""The compiled readers never say more than the readable path: differential tests.

A compiled reader (`mailseg.adapter.compiled`, set as ``Call.fast_parse`` by the
built-in adapters) may only *decline* a body or return exactly what
``adapter.error`` then ``call.parse`` return for it. Every success example of the
providers' pages, and thousands of generated mutations of them (a value replaced
by another JSON value, a key removed, a key added), are read both ways: whenever
the compiled reader accepts, the readable path accepts too and builds an equal
model, field by field. A subclass that changes what the readers stand in for
gets none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailseg import APIError, Condition, ConditionItem, Segment, SegmentType
from mailseg.adapter import PROVIDER_ZONE, Call, Response, parse_timestamp
from mailseg.adapter.json import decode_json
from mailseg.adapter.rest import RestAdapter
from mailseg_engagelab import EngageLabAdapter
from mailseg_sendcloud import SendCloudAdapter

FIXTURES = Path(__file__).parent / "fixtures"
ADAPTERS: dict[str, RestAdapter] = {
    "sendcloud": SendCloudAdapter(),
    "engagelab": EngageLabAdapter(),
}


def _calls(adapter: RestAdapter) -> dict[str, Call[Any]]:
    return {
        "segment_detail": adapter.get_segment("s1"),
        "segment_update": adapter.update_segment(
            "s1",
            name="n",
            type=SegmentType.BY_FIELD,
            condition=_condition(),
        ),
        "segment_list": adapter.list_segments(name=None, type=None, offset=0, limit=10),
        "segment_progress": adapter.segment_progress("s1"),
        "segment_members": adapter.segment_members("s1", condition=None, offset=0, limit=10),
        "segment_remove_members": adapter.remove_segment_members("s1", ["m1"]),
        "tag_list": adapter.list_tags(name=None, offset=0, limit=10),
        "tag_members": adapter.tag_members("t1", offset=0, limit=10),
        "tag_add_members": adapter.add_tag_members("t1", ["m1"]),
        "tag_remove_members": adapter.remove_tag_members("t1", ["m1"]),
    }


def _condition() -> Condition:
    return Condition(items=(ConditionItem("Age", ">", "18"),))


def _examples() -> list[tuple[str, str, Any]]:
    """(provider, operation, decoded body) for every success example there is a call for."""
    found = []
    for provider, adapter in ADAPTERS.items():
        for operation in _calls(adapter):
            path = FIXTURES / provider / f"{operation}.json"
            if path.exists():
                found.append((provider, operation, decode_json(path.read_bytes())))
    return found


EXAMPLES = _examples()
DECLINED = object()


def _readable(call: Call[Any], adapter: RestAdapter, body: bytes) -> Any:
    response = Response(200, {}, body, call.request, adapter.name)
    try:
        error = adapter.error(response)
        if error is not None:
            return error
        return call.parse(response)
    except Exception as exc:  # what the transport turns into UnexpectedResponseError
        return exc


def _compiled(call: Call[Any], body: bytes) -> Any:
    assert call.fast_parse is not None
    try:
        return call.fast_parse(body)
    except Exception:
        return DECLINED


def _agree(provider: str, operation: str, body: bytes) -> bool:
    """True when the compiled reader accepted (and agreed); raises when it disagreed."""
    adapter = ADAPTERS[provider]
    call = _calls(adapter)[operation]
    fast = _compiled(call, body)
    if fast is DECLINED:
        return False
    slow = _readable(call, adapter, body)
    assert not isinstance(slow, (Exception, APIError)), (
        f"{provider} {operation}: compiled reader accepted what the readable path refuses "
        f"({slow!r:.200}): {body[:300]!r}"
    )
    assert fast == slow, f"{provider} {operation}: {fast!r:.300} != {slow!r:.300}"
    assert repr(fast) == repr(slow)  # the same types all the way down (enums, zones)
    return True


def test_every_operation_that_needs_it_has_a_compiled_reader() -> None:
    for adapter in ADAPTERS.values():
        for operation, call in _calls(adapter).items():
            assert call.fast_parse is not None, f"{adapter.name} {operation}"


@pytest.mark.parametrize(
    ("provider", "operation", "data"),
    EXAMPLES,
    ids=[f"{provider}-{operation}" for provider, operation, _ in EXAMPLES],
)
def test_the_providers_examples_read_the_same_both_ways(
    provider: str, operation: str, data: Any
) -> None:
    body = json.dumps(data, ensure_ascii=False).encode()
    accepted = _agree(provider, operation, body)
    # The documented examples are what real answers look like: the compiled
    # path must take them (a reader that declines everything is no reader).
    assert accepted, f"{provider} {operation}: the compiled reader declined its own example"


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.integers(min_value=-2, max_value=3)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "0", "2", "-1", " 7", "abc", "and", "or", "==", "contain", "²"])
    | st.sampled_from(["2023-11-29 16:28:41+0800", "2023-01-01", "2022-06-06T10:28:32", "x"])
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _mutate(data: Any, path: tuple[Any, ...], how: str, new: Any, key: str) -> Any:
    """A copy of ``data`` with the value at ``path`` replaced, removed, or given a new key."""
    copy = json.loads(json.dumps(data))
    if not path:
        return new if how == "replace" else copy
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "replace":
        parent[last] = new
    elif how == "remove":
        del parent[last]
    elif isinstance(parent[last], dict):
        parent[last][key] = new
    return copy


KEYS = st.sampled_from(
    [
        *("id", "member_id", "tags", "name", "tag_name", "tagId", "tagName", "memberCount"),
        *("code", "error", "total", "result", "list", "count", "successCount", "status_desc"),
        *("relation", "conditions", "condition", "items", "segmentId", "segment_id", "process"),
    ]
)


@pytest.mark.parametrize(
    ("provider", "operation", "decoded"),
    EXAMPLES,
    ids=[f"{provider}-{operation}" for provider, operation, _ in EXAMPLES],
)
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_a_mutated_answer_is_declined_or_read_the_same_both_ways(
    provider: str, operation: str, decoded: Any, data: st.DataObject
) -> None:
    body = decoded
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        path = data.draw(st.sampled_from(_paths(body)), label="path")
        how = data.draw(st.sampled_from(["replace", "remove", "add"]), label="how")
        new = data.draw(JSON_VALUES, label="value")
        key = data.draw(KEYS | st.text(max_size=5), label="key")
        body = _mutate(body, path, how, new, key)
    _agree(provider, operation, json.dumps(body, ensure_ascii=False).encode())


@pytest.mark.parametrize(
    "raw",
    [
        b'{"result": {"segment_id": "s1"}, "code": 0}',
        b'{"count": 3, "code": 30036, "message": "gone"}',
        b'{"count": 3, "code": false}',
        b'{"count": 3, "error": {"message": "no"}}',
        b'{"count": 3, "error": null}',
        b'{"count": "3"}',
        b'{"count": -1}',
        b'{"count": 3, "x": "\xff"}',
        b'{"count": 3,}',
        b'{"result": [], "total": true}',
        b'{"result": null, "list": null, "total": null}',
    ],
)
def test_bodies_near_an_error_are_declined_or_read_the_same(raw: bytes) -> None:
    for provider in ADAPTERS:
        for operation in ("tag_add_members", "segment_detail", "segment_list"):
            _agree(provider, operation, raw)


# Who may use the compiled readers


def test_a_subclass_that_overrides_error_alone_is_read_by_its_own_methods() -> None:
    class Strict(EngageLabAdapter):
        def error(self, response: Response) -> APIError | None:
            return response.api_error("always")

    assert Strict().get_segment("s1").fast_parse is None
    assert Strict().add_tag_members("t", ["m"]).fast_parse is None


def test_a_subclass_that_declares_error_keys_with_its_error_keeps_them() -> None:
    class Coded(EngageLabAdapter):
        error_keys: ClassVar[Mapping[str, object]] = {"code": 0, "errcode": 0}

        def error(self, response: Response) -> APIError | None:
            return super().error(response)

    call = Coded().add_tag_members("t", ["m"])
    assert call.fast_parse is not None
    with pytest.raises(Exception):  # noqa: B017, PT011 (declined: any exception)
        call.fast_parse(b'{"count": 1, "errcode": 7}')
    assert call.fast_parse(b'{"count": 1, "errcode": 0}') == 1


@pytest.mark.parametrize(
    ("name", "override"),
    [
        ("unwrap", lambda self, response: {"segment_id": "x"}),
        ("read_segment", lambda self, response: Segment("x", None, SegmentType.BY_FIELD, None)),
        ("converter", SendCloudAdapter.converter),
    ],
)
def test_a_subclass_that_overrides_a_reading_piece_gets_no_compiled_readers(
    name: str, override: Callable[..., Any]
) -> None:
    subclass = type("Custom", (EngageLabAdapter,), {name: override})
    assert subclass().get_segment("s1").fast_parse is None


def test_a_subclass_that_changes_data_only_is_compiled_with_its_data() -> None:
    class Listed(SendCloudAdapter):
        items_key = "rows"

    page = Listed().list_tags(name=None, offset=0, limit=10).fast_parse
    assert page is not None
    assert len(page(b'{"rows": [{"tagId": "t1"}], "total": 1}')) == 1
    with pytest.raises(Exception):  # noqa: B017, PT011
        page(b'{"list": [{"tagId": "t1"}], "total": 1}')


# Timestamps: the cheap way to attach the zone gives what replace() gives


@settings(max_examples=300, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
    separator=st.sampled_from([" ", "T", "+", "-", "x"]),
    spec=st.sampled_from(["hours", "minutes", "seconds", "milliseconds", "microseconds"]),
)
def test_a_time_without_offset_reads_as_utc_plus_8(
    when: datetime, separator: str, spec: str
) -> None:
    text = when.isoformat(sep=separator, timespec=spec)
    expected = datetime.fromisoformat(text).replace(tzinfo=PROVIDER_ZONE)
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert (parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute) == (
        expected.year,
        expected.month,
        expected.day,
        expected.hour,
        expected.minute,
    )
    assert parsed.utcoffset() == timedelta(hours=8)
    assert parse_timestamp(when.date().isoformat()) == datetime.fromisoformat(
        when.date().isoformat()
    ).replace(tzinfo=PROVIDER_ZONE)
