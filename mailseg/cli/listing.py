"""One listing command's body: a window, or ``--all`` streamed or gathered, then written."""

from __future__ import annotations

__all__ = ["show_listing"]

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from mailseg.cli.options import Paging
from mailseg.cli.output import Columns, Output
from mailseg.models import Page


async def show_listing(
    out: Output,
    columns: Columns,
    window: Paging,
    *,
    every: Callable[[], AsyncIterator[Any]],
    page: Callable[[int, int], Awaitable[Page[Any]]],
    title: str,
) -> None:
    """Write one page (``--limit/--offset``) or every item (``--all``).

    With ``--all``, the streaming formats (jsonl, csv, id) write items as pages
    arrive, one page in memory at a time; a table or a JSON document needs them
    all first.
    """
    if window.all_pages:
        if out.streams:
            await out.stream_rows(every(), columns)
            return
        items = [item async for item in every()]
        out.page(items, columns, total=len(items), title=title)
        return
    found = await page(window.offset, window.limit)
    out.page(
        found.items, columns, total=found.total, window=(found.offset, found.limit), title=title
    )
