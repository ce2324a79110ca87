"""Whatever a provider (or a proxy in front of it) answers, the caller gets a mailseg error.

A corpus of bad answers (HTML pages, truncated or undecodable JSON, every field
kind with the wrong type, missing required keys, unknown envelopes, huge
numbers, nulls everywhere, wrong content types, invalid UTF-8, deep nesting,
error bodies without a message, EngageLab error codes on HTTP 200) is served by
the `wire` loopback server to every operation of both adapters through the real
client, retries off. Each must end as a `mailseg.MailsegError` of the class the
transport's policy names, never as a KeyError, TypeError, RecursionError, an
aiohttp or a cattrs exception, and never as a silent success.

What is *not* bad, by the spec: an operation that needs no data (delete, tag
update) accepts an empty (or blank) 2xx body or a JSON object (SendCloud's
delete is 204 with "{}" or nothing, EngageLab's answers {"count": 1});
SendCloud's no-data operations take any JSON (its tag update's answer is
"not documented: accept any 2xx, empty or JSON"); a body that is valid for
the operation is valid whatever its Content-Type says. `test_valid_answers_are_accepted` and
`test_answers_that_need_no_data_are_accepted` check those exceptions, so that
no corpus entry passes only because its base answer was already refused.

The corpus is parametrized over entries x providers; the operations an entry is
bad for run inside one test against one client, and every operation that fails
is named in the assertion. (A test per operation would be ~1,400 loopback
servers: too slow for a few seconds.)
"""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
import pytest

import mailseg
from mailseg import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from tests.conftest import Wire

PROVIDERS = ("sendcloud", "engagelab")
AGE = mailseg.field("Age") >= 13

Operation = Callable[[mailseg.Client], Awaitable[Any]]

OPERATIONS: dict[str, Operation] = {
    "segments.create": lambda c: c.segments.create("adults", AGE),
    "segments.get": lambda c: c.segments.get("s1"),
    "segments.update": lambda c: c.segments.update("s1", condition=AGE, name="adults"),
    "segments.delete": lambda c: c.segments.delete("s1"),
    "segments.list": lambda c: c.segments.list(),
    "segments.progress": lambda c: c.segments.progress("s1"),
    "segments.members": lambda c: c.segments.members("s1", condition=AGE),
    "segments.remove_members": lambda c: c.segments.remove_members("s1", ["m1"]),
    "tags.create": lambda c: c.tags.create("vip"),
    "tags.update": lambda c: c.tags.update("t1", name="vip2"),
    "tags.delete": lambda c: c.tags.delete("t1"),
    "tags.list": lambda c: c.tags.list(),
    "tags.add_members": lambda c: c.tags.add_members("t1", ["m1"]),
    "tags.remove_members": lambda c: c.tags.remove_members("t1", ["m1"]),
    "tags.members": lambda c: c.tags.members("t1"),
}
ALL = frozenset(OPERATIONS)
#: Operations whose answer carries nothing the SDK returns.
NO_DATA = frozenset({"segments.delete", "tags.delete", "tags.update"})
DATA = ALL - NO_DATA


def not_any_json(provider: str) -> frozenset[str]:
    """Bad where a JSON object is needed: SendCloud's no-data operations accept any JSON.

    The spec: SendCloud's tag update answer is "not documented: accept any 2xx,
    empty or JSON"; its deletes answer 204 with "{}" or nothing, and the adapter
    reads every no-data answer alike.
    """
    return DATA if provider == "sendcloud" else ALL


# ---------------------------------------------------------------------------
# Valid answers per provider and operation, and where each kind of object sits
# in them: the base every shape mutation starts from.


@attrs.frozen
class Answer:
    """A valid answer: status, JSON body (None for no body), and the objects it holds.

    ``kinds`` maps a kind of object (``segment``, ``member``, ``page``, ...) to
    its path inside ``body``.
    """

    status: int
    body: Any
    kinds: Mapping[str, tuple[Any, ...]] = attrs.field(factory=dict)


SC_TIME = "2022-05-06 17:28:49"
EL_TIME = "2023-11-29 16:28:41+0800"
EL_TIME_T = "2023-11-28T11:14:48+0800"

SC_SEGMENT = {
    "segmentId": "s1",
    "userId": 100249,
    "segmentName": "adults",
    "type": 0,
    "listId": 63877,
    "status": "2",
    "createTime": SC_TIME,
    "updateTime": SC_TIME,
    "memberTotal": 691,
    "relation": "and",
    "conditions": [{"campaignId": None, "fieldName": "Age", "op": ">=", "value": "13"}],
    "process": {"statusDesc": "segmentation completed", "complete": True, "percent": 100},
}
SC_MEMBER = {
    "id": "m1",
    "listId": 63486,
    "userId": 99229,
    "email": "a@example.com",
    "phone": None,
    "name": "shanshan",
    "createTime": SC_TIME,
    "updateTime": SC_TIME,
    "unsubscribeTime": None,
    "fields": {"Gender": "女"},
    "tags": ["t1"],
    "tagNames": ["vip"],
}
SC_TAG = {"tagId": "t1", "tagName": "vip", "createTime": SC_TIME, "updateTime": SC_TIME, "count": 3}
PROGRESS = {"percent": 68, "complete": False, "statusDesc": "is being segmented"}

EL_SEGMENT = {
    "segment_id": "s1",
    "user_id": 104201,
    "segment_name": "adults",
    "type": 0,
    "list_id": 96112,
    "status": "2",
    "create_time": EL_TIME,
    "update_time": EL_TIME,
    "member_total": 1,
    "condition": {
        "relation": "and",
        "items": [{"campaign_id": None, "field_name": "Age", "op": ">=", "value": "13"}],
    },
    "process": {"statusDesc": "segmentation completed", "complete": True, "percent": 100},
}
EL_MEMBER = {
    "id": "m1",
    "list_id": 95964,
    "email": "a@example.com",
    "phone": None,
    "name": None,
    "fields": {"Age": "12"},
    "tag_ids": ["t1"],
    "tag_names": ["vip"],
    "create_time": EL_TIME_T,
    "update_time": EL_TIME_T,
    "unsubscribe_time": None,
}
EL_TAG_MEMBER = {"member_id": "m1", **{k: v for k, v in EL_MEMBER.items() if k != "id"}}
EL_TAG = {"tag_id": "t1", "tag_name": "vip", "create_time": EL_TIME_T, "update_time": EL_TIME_T}


def _sc_page(item: Any, kind: str) -> Answer:
    return Answer(200, {"list": [item], "total": 1}, {kind: ("list", 0), "page": ()})


def _el_page(item: Any, kind: str) -> Answer:
    body = {"result": [item], "total": 1, "count": 1}
    return Answer(200, body, {kind: ("result", 0), "page": ()})


def _el_result(value: Any, kind: str) -> Answer:
    return Answer(200, {"result": value}, {kind: ("result",), "envelope": ()})


VALID: dict[str, dict[str, Answer]] = {
    "sendcloud": {
        "segments.create": Answer(201, {"segmentId": "s1"}, {"segment_id_only": ()}),
        "segments.get": Answer(200, SC_SEGMENT, {"segment": ()}),
        "segments.update": Answer(200, SC_SEGMENT, {"segment": ()}),
        "segments.delete": Answer(204, None),
        "segments.list": _sc_page(SC_SEGMENT, "segment"),
        "segments.progress": Answer(200, PROGRESS, {"progress": ()}),
        "segments.members": _sc_page(SC_MEMBER, "member"),
        "segments.remove_members": Answer(200, {"successCount": 1}, {"count": ()}),
        "tags.create": Answer(201, {"id": "t1"}, {"tag_id_only": ()}),
        "tags.update": Answer(200, None),
        "tags.delete": Answer(204, None),
        "tags.list": _sc_page(SC_TAG, "tag"),
        "tags.add_members": Answer(200, {"successCount": 1}, {"count": ()}),
        "tags.remove_members": Answer(200, {"successCount": 1}, {"count": ()}),
        "tags.members": _sc_page(SC_MEMBER, "member"),
    },
    "engagelab": {
        "segments.create": _el_result(EL_SEGMENT, "segment"),
        "segments.get": _el_result(EL_SEGMENT, "segment"),
        "segments.update": _el_result(EL_SEGMENT, "segment"),
        "segments.delete": Answer(200, {"count": 1}),
        "segments.list": _el_page(EL_SEGMENT, "segment"),
        "segments.progress": _el_result(PROGRESS, "progress"),
        "segments.members": _el_page(EL_MEMBER, "member"),
        "segments.remove_members": Answer(200, {"count": 1}, {"count": ()}),
        "tags.create": _el_result(EL_TAG, "tag"),
        "tags.update": Answer(200, {"count": 1}),
        "tags.delete": Answer(200, {"count": 1}),
        "tags.list": _el_page({**EL_TAG, "count": 1}, "tag"),
        "tags.add_members": Answer(200, {"count": 1}, {"count": ()}),
        "tags.remove_members": Answer(200, {"count": 1}, {"count": ()}),
        "tags.members": _el_page(EL_TAG_MEMBER, "tag_member"),
    },
}

_SC_CONDITION = {
    "relation": ("relation",),
    "items": ("conditions",),
    "item_field": ("conditions", 0, "fieldName"),
    "item_op": ("conditions", 0, "op"),
    "item_value": ("conditions", 0, "value"),
    "item_campaign_id": ("conditions", 0, "campaignId"),
}
_EL_CONDITION = {
    "condition": ("condition",),
    "relation": ("condition", "relation"),
    "items": ("condition", "items"),
    "item_field": ("condition", "items", 0, "field_name"),
    "item_op": ("condition", "items", 0, "op"),
    "item_value": ("condition", "items", 0, "value"),
    "item_campaign_id": ("condition", "items", 0, "campaign_id"),
}
_PROCESS = {
    "process": ("process",),
    "percent": ("process", "percent"),
    "complete": ("process", "complete"),
}
_EL_MEMBER_KEYS = {
    "id": ("id",),
    "email": ("email",),
    "fields": ("fields",),
    "tag_ids": ("tag_ids",),
    "tag_names": ("tag_names",),
    "list_id": ("list_id",),
    "created_at": ("create_time",),
    "updated_at": ("update_time",),
    "unsubscribed_at": ("unsubscribe_time",),
}

#: provider -> kind -> logical field -> path inside the object of that kind.
KEYS: dict[str, dict[str, dict[str, tuple[Any, ...]]]] = {
    "sendcloud": {
        "segment_id_only": {"id": ("segmentId",)},
        "tag_id_only": {"id": ("id",)},
        "segment": {
            "id": ("segmentId",),
            "name": ("segmentName",),
            "type": ("type",),
            "status": ("status",),
            "member_total": ("memberTotal",),
            "list_id": ("listId",),
            "user_id": ("userId",),
            "created_at": ("createTime",),
            "updated_at": ("updateTime",),
            **_SC_CONDITION,
            **_PROCESS,
        },
        "member": {
            "id": ("id",),
            "email": ("email",),
            "fields": ("fields",),
            "tag_ids": ("tags",),
            "tag_names": ("tagNames",),
            "list_id": ("listId",),
            "created_at": ("createTime",),
            "updated_at": ("updateTime",),
            "unsubscribed_at": ("unsubscribeTime",),
        },
        "tag": {
            "id": ("tagId",),
            "name": ("tagName",),
            "member_count": ("count",),
            "created_at": ("createTime",),
            "updated_at": ("updateTime",),
        },
        "progress": {
            "percent": ("percent",),
            "complete": ("complete",),
            "description": ("statusDesc",),
        },
        "page": {"items": ("list",), "total": ("total",)},
        "count": {"count": ("successCount",)},
    },
    "engagelab": {
        "envelope": {"result": ("result",)},
        "segment": {
            "id": ("segment_id",),
            "name": ("segment_name",),
            "type": ("type",),
            "status": ("status",),
            "member_total": ("member_total",),
            "list_id": ("list_id",),
            "user_id": ("user_id",),
            "created_at": ("create_time",),
            "updated_at": ("update_time",),
            **_EL_CONDITION,
            **_PROCESS,
        },
        "member": _EL_MEMBER_KEYS,
        "tag_member": {**_EL_MEMBER_KEYS, "id": ("member_id",)},
        "tag": {
            "id": ("tag_id",),
            "name": ("tag_name",),
            "member_count": ("count",),
            "created_at": ("create_time",),
            "updated_at": ("update_time",),
        },
        "progress": {
            "percent": ("percent",),
            "complete": ("complete",),
            "description": ("statusDesc",),
        },
        "page": {"items": ("result",), "total": ("total",)},
        "count": {"count": ("count",)},
    },
}


# ---------------------------------------------------------------------------
# Encoding: JSON literals json.dumps cannot write, and the mutations.

MISSING: Any = object()  # a mutation value: delete the key


@attrs.frozen
class Raw:
    """A JSON literal written as is (``1e400``, which json.dumps would write as Infinity)."""

    text: str


def encode(value: Any) -> bytes:
    """``value`` as JSON bytes, with every `Raw` written verbatim."""
    raws: list[Raw] = []

    def mark(item: Any) -> Any:
        if isinstance(item, Raw):
            raws.append(item)
            return f"\x00raw{len(raws) - 1}\x00"
        if isinstance(item, dict):
            return {key: mark(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [mark(inner) for inner in item]
        return item

    text = json.dumps(mark(value), ensure_ascii=False)
    for index, raw in enumerate(raws):
        text = text.replace(json.dumps(f"\x00raw{index}\x00"), raw.text)
    return text.encode()


def mutate(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A deep copy of ``body`` with the key at ``path`` set to ``value`` (or deleted)."""
    result = copy.deepcopy(body)
    *parents, last = path
    target = result
    for step in parents:
        target = target[step]
    if value is MISSING:
        del target[last]
    else:
        target[last] = value
    return result


def nulled(value: Any) -> Any:
    """Every key of every object null, keeping the objects and lists of objects."""
    if isinstance(value, dict):
        return {
            key: nulled(inner) if isinstance(inner, (dict, list)) else None
            for key, inner in value.items()
        }
    if isinstance(value, list):
        return [nulled(inner) for inner in value if isinstance(inner, dict)] or None
    return None


# ---------------------------------------------------------------------------
# The corpus.

Body = bytes | Callable[[str, str], "bytes | None"]
BadFor = frozenset[str] | Callable[[str], frozenset[str]]
Expected = type[Exception] | tuple[type[Exception], ...]


@attrs.frozen
class Bad:
    """One bad answer: what the server sends, and what the client must raise.

    Attributes:
        name: the test id.
        status: the HTTP status; None for the operation's success status.
        headers: response headers (Content-Type defaults to application/json).
        body: the bytes, or a function of (provider, operation) for answers
            derived from the operation's valid answer (None: not applicable).
        bad_for: the operations this answer is bad for (or a function of the provider).
        providers: the providers it applies to.
        error: the class the client must raise (exactly; a tuple: any of
            them or a subclass). By default the transport's policy: a 2xx
            raises UnexpectedResponseError, an error status whose body is not
            the provider's error format the class of its status. A mapping
            gives one per provider.
    """

    name: str
    status: int | None
    headers: Mapping[str, str]
    body: Body
    bad_for: BadFor = ALL
    providers: tuple[str, ...] = PROVIDERS
    error: Expected | Mapping[str, Expected] | None = None

    def operations(self, provider: str) -> list[str]:
        ops = self.bad_for(provider) if callable(self.bad_for) else self.bad_for
        return [op for op in OPERATIONS if op in ops and self.body_for(provider, op) is not None]

    def body_for(self, provider: str, op: str) -> bytes | None:
        return self.body if isinstance(self.body, bytes) else self.body(provider, op)

    def status_for(self, provider: str, op: str) -> int:
        if self.status is not None:
            return self.status
        # A 204 carries no body: a derived answer goes out as a 200.
        success = VALID[provider][op].status
        return 200 if success == 204 else success

    def expected(self, provider: str, status: int) -> Expected:
        if isinstance(self.error, Mapping):
            return self.error[provider]
        if self.error is not None:
            return self.error
        if 200 <= status < 300:
            return UnexpectedResponseError
        # An error status without the provider's error body is classed by its status.
        return ServerError if status >= 500 else STATUS_ERRORS.get(status, APIError)


STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitError,
}

HTML = {"Content-Type": "text/html; charset=utf-8"}
TEXT = {"Content-Type": "text/plain"}
PAGE = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
DEPTH = 100_000  # far past the interpreter's recursion limit

LITERAL: list[Bad] = [
    # HTML from a proxy or a login page, on success and error statuses.
    Bad("html-on-200", 200, HTML, PAGE),
    Bad("html-on-201", 201, HTML, PAGE),
    Bad("html-on-502", 502, HTML, PAGE),
    Bad("html-on-503", 503, HTML, PAGE),
    Bad("html-on-404", 404, HTML, PAGE),
    Bad("html-on-401", 401, HTML, b"<html><body>Please log in</body></html>"),
    Bad("html-on-429-junk-retry-after", 429, {**HTML, "Retry-After": "soon"}, PAGE),
    # Wrong content types.
    Bad("json-content-type-html-body", 200, {"Content-Type": "application/json"}, PAGE),
    Bad("text-plain-not-json", 200, TEXT, b"OK"),
    # Empty bodies where data is needed, and on error statuses.
    Bad("empty-on-200", 200, {}, b"", DATA),
    Bad("empty-on-201", 201, {}, b"", DATA),
    Bad("empty-on-204", 204, {}, b"", DATA),
    Bad("whitespace-on-200", 200, {}, b" \r\n\t ", DATA),
    Bad("empty-on-400", 400, {}, b""),
    Bad("empty-on-404", 404, {}, b""),
    Bad("empty-on-429", 429, {}, b""),
    Bad("empty-on-500", 500, {}, b""),
    Bad("empty-on-503", 503, {}, b""),
    # Broken JSON.
    Bad("trailing-garbage", 200, {}, b'{"segmentId": "s1", "count": 1} and more'),
    Bad("two-json-documents", 200, {}, b'{"count": 1}{"count": 1}'),
    Bad("unterminated-string", 200, {}, b'{"segmentId": "s1'),
    Bad("single-quoted-json", 200, {}, b"{'segmentId': 's1', 'count': 1}"),
    Bad("json-with-comment", 200, {}, b'{"count": 1 /* one */}'),
    # Encodings.
    Bad("invalid-utf8", 200, {}, b'{"segmentId": "s\xff\xfe1", "count": 1}'),
    Bad("utf16-json", 200, {}, '{"segmentId": "s1", "count": 1}'.encode("utf-16")),
    Bad("latin1-json", 200, {}, '{"segmentId": "é", "count": 1}'.encode("latin-1")),
    # JSON that is not an object where an object is expected.
    Bad("json-null", 200, {}, b"null", not_any_json),
    Bad("json-string", 200, {}, b'"OK"', not_any_json),
    Bad("json-number", 200, {}, b"42", not_any_json),
    Bad("json-true", 200, {}, b"true", not_any_json),
    Bad("json-empty-list", 200, {}, b"[]", not_any_json),
    Bad("huge-number-literal", 200, {}, b"1" + b"0" * 400, not_any_json),
    Bad("nan-literal", 200, {}, b"NaN", not_any_json),
    # Nesting no decoder should be asked to follow.
    Bad("deeply-nested-arrays", 200, {}, b"[" * DEPTH + b"]" * DEPTH, not_any_json),
    Bad("deeply-nested-objects", 200, {}, b'{"a":' * DEPTH + b"1" + b"}" * DEPTH, not_any_json),
    Bad(
        "deeply-nested-error-body",
        400,
        {},
        b'{"status": 400, "error": ' + b"[" * DEPTH + b"]" * DEPTH + b"}",
    ),
    # Error bodies without a usable message.
    Bad("error-without-message-400", 400, {}, b'{"status": 400, "error": {"parameter": "x"}}'),
    Bad("error-as-string-400", 400, {}, b'{"status": 400, "error": "bad request"}'),
    Bad(
        "error-message-not-string-400",
        400,
        {},
        b'{"status": 400, "error": {"message": 5}, "code": null, "message": 5}',
    ),
    Bad("error-without-message-500", 500, {}, b'{"status": 500, "error": {}}'),
    Bad("unknown-json-on-418", 418, {}, b'{"teapot": true}'),
    Bad("engagelab-code-without-message-400", 400, {}, b'{"code": 30035}'),
    Bad(
        "engagelab-conflict-code-on-401-no-message",
        401,
        {},
        b'{"code": 32603}',
        error={"engagelab": ConflictError, "sendcloud": AuthenticationError},
    ),
    Bad("engagelab-code-as-string-400", 400, {}, b'{"code": "30035"}'),
    # EngageLab: a 2xx carrying an error code is an error, message or not.
    Bad(
        "engagelab-code-on-200-no-message",
        200,
        {},
        b'{"code": 30036}',
        providers=("engagelab",),
        error=NotFoundError,
    ),
    Bad(
        "engagelab-auth-code-on-200-null-message",
        200,
        {},
        b'{"code": 30000, "message": null}',
        providers=("engagelab",),
        error=AuthenticationError,
    ),
    Bad(
        "engagelab-unknown-code-on-200",
        200,
        {},
        b'{"code": 40001, "result": {}}',
        providers=("engagelab",),
        error=APIError,
    ),
    Bad(
        "engagelab-huge-code-on-200",
        200,
        {},
        b'{"code": 1' + b"0" * 400 + b"}",
        providers=("engagelab",),
        error=APIError,
    ),
    # SendCloud's own error envelope under a 2xx says the call failed, a delete
    # included (documented as 204 with "{}" or nothing); only the tag update,
    # whose answer is undocumented, may take any JSON.
    Bad(
        "sendcloud-error-envelope-on-200",
        200,
        {},
        b'{"status": 404, "error": {"parameter": "segmentId", "message": "not found"}}',
        ALL - {"tags.update"},
        providers=("sendcloud",),
        error=(UnexpectedResponseError, APIError),
    ),
    # A body that cannot be decoded the way its headers announce.
    Bad(
        "gzip-encoding-on-plain-body",
        200,
        {"Content-Encoding": "gzip"},
        b'{"count": 1}',
        error=(TransportError, UnexpectedResponseError),
    ),
]


def _valid_json(provider: str, op: str) -> Any:
    return VALID[provider][op].body


def _truncated(provider: str, op: str) -> bytes:
    body = encode(_valid_json(provider, op) or {"count": 1})
    return body[: len(body) // 2]


def _wrapped_in_data(provider: str, op: str) -> bytes | None:
    valid = _valid_json(provider, op)
    return None if valid is None else encode({"code": 0, "data": valid})


def _in_a_list(provider: str, op: str) -> bytes:
    return encode([_valid_json(provider, op) or {}])


def _every_key_null(provider: str, op: str) -> bytes | None:
    valid = _valid_json(provider, op)
    return None if valid is None else encode(nulled(valid))


DERIVED: list[Bad] = [
    Bad("truncated-json", None, {}, _truncated),
    Bad("unknown-envelope-data", None, {}, _wrapped_in_data, DATA),
    Bad("answer-in-a-bare-list", None, {}, _in_a_list, not_any_json),
    # Every key null: a progress may hold nothing (all its fields are optional).
    Bad("every-key-null", None, {}, _every_key_null, DATA - {"segments.progress"}),
    Bad("text-plain-json-of-another-shape", None, TEXT, b'{"message": "success"}', DATA),
]


@attrs.frozen
class Mutation:
    """One wrong value (or missing key) for one logical field of some kinds of object."""

    name: str
    kinds: frozenset[str]
    field: str
    value: Any

    def body(self, provider: str, op: str) -> bytes | None:
        answer = VALID[provider][op]
        for kind in sorted(self.kinds):
            where = answer.kinds.get(kind)
            inner = KEYS[provider].get(kind, {}).get(self.field)
            if where is not None and inner is not None:
                return encode(mutate(answer.body, (*where, *inner), self.value))
        return None


IDS = frozenset({"segment", "member", "tag_member", "tag", "segment_id_only", "tag_id_only"})
SEGMENT = frozenset({"segment"})
MEMBER = frozenset({"member", "tag_member"})
TAG = frozenset({"tag"})
TIMED = SEGMENT | MEMBER | TAG
PROCESS = frozenset({"segment", "progress"})
PAGE_KIND = frozenset({"page"})
COUNT = frozenset({"count"})
HUGE = 10**400

MUTATIONS: list[Mutation] = [
    # Missing or mistyped ids (no id, no segmentId, no member_id).
    Mutation("id-missing", IDS, "id", MISSING),
    Mutation("id-null", IDS, "id", None),
    Mutation("id-as-number", IDS, "id", 5),
    Mutation("id-huge-number", IDS, "id", HUGE),
    Mutation("id-as-list", IDS, "id", ["s1"]),
    Mutation("id-as-object", IDS, "id", {"$oid": "s1"}),
    Mutation("id-empty-string", IDS, "id", ""),
    # EngageLab's envelope.
    Mutation("result-missing", frozenset({"envelope"}), "result", MISSING),
    Mutation("result-null", frozenset({"envelope"}), "result", None),
    Mutation("result-as-list", frozenset({"envelope"}), "result", []),
    Mutation("result-as-string", frozenset({"envelope"}), "result", "ok"),
    # Segments.
    Mutation("name-as-number", SEGMENT | TAG, "name", 7),
    Mutation("type-7", SEGMENT, "type", 7),
    Mutation("type-x", SEGMENT, "type", "x"),
    Mutation("type-true", SEGMENT, "type", True),
    Mutation("type-null", SEGMENT, "type", None),
    Mutation("type-missing", SEGMENT, "type", MISSING),
    Mutation("status-x", SEGMENT, "status", "x"),
    Mutation("status-5", SEGMENT, "status", "5"),
    Mutation("status-float", SEGMENT, "status", 2.0),
    Mutation("status-huge-number", SEGMENT, "status", HUGE),
    Mutation("member-total-many", SEGMENT, "member_total", "many"),
    Mutation("member-total-1e400", SEGMENT, "member_total", Raw("1e400")),
    Mutation("user-id-true", SEGMENT, "user_id", True),
    Mutation("list-id-abc", SEGMENT | MEMBER, "list_id", "abc"),
    Mutation("relation-xor", SEGMENT, "relation", "xor"),
    Mutation("condition-missing", SEGMENT, "condition", MISSING),
    Mutation("condition-items-object", SEGMENT, "items", {"fieldName": "Age"}),
    Mutation("condition-items-string", SEGMENT, "items", "Age>=13"),
    Mutation("condition-op-unknown", SEGMENT, "item_op", "~="),
    Mutation("condition-field-null", SEGMENT, "item_field", None),
    Mutation("condition-value-object", SEGMENT, "item_value", {"v": 13}),
    Mutation("condition-campaign-id-abc", SEGMENT, "item_campaign_id", "abc"),
    Mutation("process-as-string", SEGMENT, "process", "done"),
    Mutation("percent-as-string", PROCESS, "percent", "50%"),
    Mutation("percent-1e400", PROCESS, "percent", Raw("1e400")),
    Mutation("complete-yes", PROCESS, "complete", "yes"),
    Mutation("complete-1", PROCESS, "complete", 1),
    Mutation("status-desc-number", frozenset({"progress"}), "description", 5),
    # Times.
    Mutation("time-yesterday", TIMED, "created_at", "yesterday"),
    Mutation("time-123", TIMED, "created_at", 123),
    Mutation("time-2023-13-45", TIMED, "updated_at", "2023-13-45"),
    Mutation("time-bad-offset", TIMED, "updated_at", "2023-11-29 16:28:41+9999"),
    Mutation("time-never", MEMBER, "unsubscribed_at", "never"),
    # Members.
    Mutation("fields-as-list", MEMBER, "fields", ["Gender"]),
    Mutation("fields-as-string", MEMBER, "fields", "Gender=female"),
    Mutation("tag-ids-as-string", MEMBER, "tag_ids", "t1"),
    Mutation("tag-ids-hold-number", MEMBER, "tag_ids", [5]),
    Mutation("tag-names-as-string", MEMBER, "tag_names", "vip"),
    Mutation("email-as-number", MEMBER, "email", 5),
    # Tags.
    Mutation("tag-count-many", TAG, "member_count", "many"),
    # Pages (no list, no result).
    Mutation("items-missing", PAGE_KIND, "items", MISSING),
    Mutation("items-as-object", PAGE_KIND, "items", {"0": "s1"}),
    Mutation("items-as-string", PAGE_KIND, "items", "[]"),
    Mutation("items-hold-number", PAGE_KIND, "items", [5]),
    Mutation("items-hold-null", PAGE_KIND, "items", [None]),
    Mutation("items-nested-junk", PAGE_KIND, "items", [[[[["x"]]]]]),
    Mutation("total-negative", PAGE_KIND, "total", -1),
    Mutation("total-many", PAGE_KIND, "total", "many"),
    Mutation("total-1e400", PAGE_KIND, "total", Raw("1e400")),
    Mutation("total-true", PAGE_KIND, "total", True),
    Mutation("total-float", PAGE_KIND, "total", 1.5),
    # Counts of member operations.
    Mutation("count-missing", COUNT, "count", MISSING),
    Mutation("count-null", COUNT, "count", None),
    Mutation("count-negative", COUNT, "count", -1),
    Mutation("count-many", COUNT, "count", "many"),
    Mutation("count-1e400", COUNT, "count", Raw("1e400")),
    Mutation("count-true", COUNT, "count", True),
    Mutation("count-float", COUNT, "count", 1.5),
]

CORPUS: list[Bad] = [
    *LITERAL,
    *DERIVED,
    *(Bad(m.name, None, {}, m.body, DATA) for m in MUTATIONS),
]

CASES = [
    pytest.param(provider, bad, id=f"{provider}-{bad.name}")
    for bad in CORPUS
    for provider in bad.providers
    if bad.operations(provider)
]


# ---------------------------------------------------------------------------
# The tests.


async def outcome(run: Awaitable[Any]) -> tuple[BaseException | None, Any]:
    """The error an operation ended with (a bulk chunk's own error), or its result."""
    try:
        result = await run
    except mailseg.BulkError as exc:
        failed = exc.result.failed
        return (failed[0].error if len(failed) == 1 else exc), None
    except Exception as exc:
        return exc, None
    return None, result


def judge(
    error: BaseException | None,
    result: Any,
    expected: Expected,
    *,
    provider: str,
    status: int,
    body: bytes,
    sent: int,
) -> str | None:
    """What is wrong with how the client handled a bad answer, or None."""
    if error is None:
        return f"accepted, returned {result!r:.120}"
    name = f"{type(error).__module__}.{type(error).__qualname__}"
    if not isinstance(error, mailseg.MailsegError) or not type(error).__module__.startswith(
        "mailseg"
    ):
        return f"leaked {name}: {error!s:.160}"
    if isinstance(expected, tuple):
        if not isinstance(error, expected):
            return f"raised {name} ({error!s:.160}), expected one of {expected}"
    elif type(error) is not expected:
        return f"raised {name} ({error!s:.160}), expected {expected.__qualname__}"
    if sent != 1:
        return f"sent {sent} requests with max_retries=0"
    if isinstance(error, UnexpectedResponseError):
        if error.status != status or error.provider != provider:
            return f"UnexpectedResponseError names HTTP {error.status} of {error.provider!r}"
        if error.excerpt != body[:200].decode("utf-8", "replace"):
            return f"excerpt {error.excerpt!r:.60} is not the body's start"
    if isinstance(error, APIError) and (error.status != status or error.provider != provider):
        return f"{name} names HTTP {error.status} of {error.provider!r}"
    return None


@pytest.mark.parametrize(("provider", "bad"), CASES)
async def test_bad_answer_ends_as_a_mailseg_error(wire: Wire, provider: str, bad: Bad) -> None:
    problems = []
    async with wire.client(provider, max_retries=0) as client:
        for op in bad.operations(provider):
            body = bad.body_for(provider, op)
            assert body is not None
            status = bad.status_for(provider, op)
            wire.requests.clear()
            wire.reply(status, body, **bad.headers)
            error, result = await outcome(OPERATIONS[op](client))
            problem = judge(
                error,
                result,
                bad.expected(provider, status),
                provider=provider,
                status=status,
                body=body,
                sent=len(wire.requests),
            )
            if problem is not None:
                problems.append(f"{op}: {problem}")
    assert not problems, f"{provider} {bad.name}:\n  " + "\n  ".join(problems)


def test_the_corpus_is_large_and_covers_every_operation_of_both_providers() -> None:
    assert len(CORPUS) >= 50
    for provider in PROVIDERS:
        covered = {op for bad in CORPUS for op in bad.operations(provider)}
        assert covered == ALL, f"{provider}: no bad answer for {sorted(ALL - covered)}"
        for op, answer in VALID[provider].items():
            # Every object a mutation reaches into exists in the valid answer.
            for kind, where in answer.kinds.items():
                for inner in KEYS[provider].get(kind, {}).values():
                    mutate(answer.body, (*where, *inner), None)
            # A mutation that changes nothing would pass for the wrong reason.
            for mutation in MUTATIONS:
                body = mutation.body(provider, op)
                assert body is None or body != encode(answer.body), (mutation.name, op)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_valid_answers_are_accepted(wire: Wire, provider: str) -> None:
    """The base every mutation starts from is itself accepted (else a mutation proves nothing)."""
    async with wire.client(provider) as client:
        for op, answer in VALID[provider].items():
            body = b"" if answer.body is None else encode(answer.body)
            wire.reply(answer.status, body)
            error, _ = await outcome(OPERATIONS[op](client))
            assert error is None, f"{op}: the valid answer was refused: {error!r}"


def _no_data_answers(provider: str, op: str) -> list[tuple[int, bytes]]:
    answers = [(204, b""), (200, b""), (200, b"\n"), (200, b"{}"), (200, b'{"count": 1}')]
    if provider == "sendcloud" and op == "tags.update":
        # The spec: "response body not documented: accept any 2xx, empty or JSON".
        answers += [(200, body) for body in (b"true", b"[]", b'"ok"', b"1", b"null")]
    return answers


NO_DATA_CASES = [
    pytest.param(provider, op, status, body, id=f"{provider}-{op}-{status}-{body!r}")
    for provider in PROVIDERS
    for op in sorted(NO_DATA)
    for status, body in _no_data_answers(provider, op)
]


@pytest.mark.parametrize(("provider", "op", "status", "body"), NO_DATA_CASES)
async def test_answers_that_need_no_data_are_accepted(
    wire: Wire, provider: str, op: str, status: int, body: bytes
) -> None:
    """Delete and tag update read nothing: an empty (or blank) body and any object are success."""
    wire.reply(status, body)
    async with wire.client(provider) as client:
        error, result = await outcome(OPERATIONS[op](client))
    assert error is None, f"refused: {error!r}"
    assert result is None
