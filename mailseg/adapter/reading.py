"""Reading the parts of a decoded body that every dialect has: objects, counts, pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from mailseg.adapter.contract import UNDECODED, Response
from mailseg.models import Page

T = TypeVar("T")


def read_object(response: Response, data: Any = UNDECODED) -> dict[str, Any]:
    """The body (or ``data``, a part of it) as a JSON object, else `UnexpectedResponseError`."""
    value = response.json() if data is UNDECODED else data
    if not isinstance(value, dict):
        raise response.unexpected(f"expected a JSON object, got {type(value).__name__}")
    return value


def read_count(response: Response, data: dict[str, Any], *keys: str) -> int:
    """The first of ``keys`` present in ``data``, as a non-negative integer."""
    for key in keys:
        if key in data:
            value = data[key]
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return value
            raise response.unexpected(f"{key!r} is not a count: {value!r:.40}")
    raise response.unexpected(f"no {' or '.join(map(repr, keys))} in the body")


def read_page(
    response: Response,
    data: dict[str, Any],
    items_key: str,
    structure: Callable[[Any, type[T]], T],
    cls: type[T],
    *,
    offset: int,
    limit: int,
) -> Page[T]:
    """A `Page` from ``data[items_key]`` (a list, or null for none) and ``data["total"]``.

    A missing items key is an error, not an empty page: an envelope of another
    shape must not read as "no more items".
    """
    if items_key not in data:
        raise response.unexpected(f"no {items_key!r} in the listing")
    raw_items = data[items_key]
    if raw_items is None:
        raw_items = []
    elif not isinstance(raw_items, list):
        raise response.unexpected(f"{items_key!r} is not a list")
    total = data.get("total")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise response.unexpected(f"'total' is not a count: {total!r:.40}")
    items = tuple([structure(item, cls) for item in raw_items])
    return Page(items=items, total=total, offset=offset, limit=limit)


def nothing(response: Response) -> None:
    """The parser of an answer with nothing to read: no body, or any JSON.

    An HTML page from a proxy is not a success, whatever its status says.
    """
    if response.body.strip():
        response.json()
