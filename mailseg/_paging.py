"""Walking a listing page by page, holding one page in memory at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from mailseg.models import Page

T = TypeVar("T")


async def walk(fetch: Callable[[int, int], Awaitable[Page[T]]], page_size: int) -> AsyncIterator[T]:
    """Yield every item of a listing, fetching ``page_size`` at a time.

    Stops at the first short or empty page, or once ``total`` items were seen:
    a provider whose ``total`` is wrong cannot make it loop forever.
    """
    offset = 0
    while True:
        page = await fetch(offset, page_size)
        for item in page.items:
            yield item
        offset += len(page.items)
        if len(page.items) < page_size or (page.total is not None and offset >= page.total):
            return
