"""The shape of a conformance table, and the helpers both provider tables share.

A table is data: for each SDK operation, the exact request(s) it must put on
the wire, the scripted reply, and the value (or error) it must return. One
suite (`test_conformance.py`) runs every table, so both providers are held to
the same checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import mailseg

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# The providers' pages, verbatim, in the repository (docs/providers/index.md).
SEEDS = Path(__file__).resolve().parents[2] / "docs" / "providers" / "pages"

#: base64("api_user:api_key"): the token in both providers' examples.
SEED_TOKEN = "YXBpX3VzZXI6YXBpX2tleQ=="
API_KEY = "api_key"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"

#: China Standard Time, the zone both providers document.
CST = timezone(timedelta(hours=8))

Call = Callable[[mailseg.Client], Awaitable[Any]]
IdCall = Callable[[mailseg.Client, str], Awaitable[Any]]
ChunkCall = Callable[[mailseg.Client, Any], Awaitable[mailseg.BulkResult]]


def at(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
    """A provider time in UTC+8, as the SDK must return it."""
    return datetime(year, month, day, hour, minute, second, tzinfo=CST)


def fixture_bytes(provider: str, name: str) -> bytes:
    """A fixture file's bytes, exactly as copied from the seed."""
    return (FIXTURES / provider / f"{name}.json").read_bytes()


def fixture_json(provider: str, name: str) -> Any:
    """A fixture parsed, tolerating the trailing commas some seed examples carry.

    Only for building expectations and variant replies: the replies the SDK
    reads are always the raw bytes (`fixture_bytes`).
    """
    text = fixture_bytes(provider, name).decode("utf-8")
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", text))


async def collect(items: AsyncIterator[Any]) -> list[Any]:
    """Drain an async iterator (``iterate``/``iterate_members``) into a list."""
    return [item async for item in items]


@dataclass(frozen=True)
class Reply:
    """What the loopback server answers: a status and a body (bytes, str or JSON-able)."""

    status: int
    body: Any = b""


@dataclass(frozen=True)
class Expected:
    """One request as it must arrive.

    Attributes:
        method: the HTTP method.
        path: the raw path (percent-encoding as sent), without the query.
        query: the query pairs, decoded, in the order sent.
        body: the JSON body, parsed; None means no body and no Content-Type.
        seed_body: the fixture holding the seed's request example, which the
            body must also equal once parsed.
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: Any = None
    seed_body: str | None = None

    @property
    def raw_path(self) -> str:
        """Path and query as sent; query values percent-encoded as UTF-8."""
        if not self.query:
            return self.path
        pairs = "&".join(f"{key}={quote(value, safe='')}" for key, value in self.query)
        return f"{self.path}?{pairs}"


@dataclass(frozen=True)
class Exchange:
    """One request the operation must send, and the reply it gets."""

    expect: Expected
    reply: Reply


@dataclass(frozen=True)
class Row:
    """An operation: the call, its exchanges in order, and the value it must return."""

    id: str
    call: Call
    exchanges: tuple[Exchange, ...]
    result: Any


@dataclass(frozen=True)
class ErrorRow:
    """An operation answered with an error body: the exception it must raise."""

    id: str
    call: Call
    method: str
    path: str
    reply: Reply
    error: type[mailseg.APIError]
    code: int | None
    parameter: str | None
    message: str


@dataclass(frozen=True)
class IdRow:
    """An operation addressed by an id, to check how the id lands in the path.

    ``path`` holds ``{id}`` where the encoded id goes.
    """

    id: str
    call: IdCall
    method: str
    path: str
    reply: Reply


@dataclass(frozen=True)
class ChunkRow:
    """A member-id operation that must split its ids 1000 per request."""

    id: str
    call: ChunkCall
    method: str
    path: str
    ids_key: str
    count_key: str


@dataclass(frozen=True)
class Table:
    """One provider's conformance table."""

    provider: str
    authorization: str
    rows: tuple[Row, ...]
    errors: tuple[ErrorRow, ...]
    by_id: tuple[IdRow, ...]
    chunked: tuple[ChunkRow, ...]


def bulk(requested: int, succeeded: int, chunks: int = 1) -> mailseg.BulkResult:
    """The result of a bulk member operation in which every chunk succeeded."""
    return mailseg.BulkResult(requested=requested, chunks=chunks, succeeded=succeeded, failed=())


def one(row_id: str, call: Call, expect: Expected, reply: Reply, result: Any) -> Row:
    """A row with a single exchange."""
    return Row(row_id, call, (Exchange(expect, reply),), result)
