"""Member-id operations of any size, split into requests the provider accepts."""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Sequence

from mailseg import _validation as check

#: Both providers take at most 1000 member ids per request.
CHUNK_SIZE = 1000


async def run_chunks(
    ids: Iterable[object],
    send: Callable[[Sequence[str]], Awaitable[int]],
    parameter: str = "member_ids",
) -> int:
    """Send ``ids`` in chunks of at most `CHUNK_SIZE` and sum the provider's counts.

    Every id is checked before the first request, so a bad id costs nothing.
    """
    source = check.member_id_source(ids, parameter)
    if isinstance(source, AsyncIterable):
        source = [value async for value in source]
    checked = [check.member_id(value, f"{parameter}[{i}]") for i, value in enumerate(source)]
    total = 0
    for start in range(0, len(checked), CHUNK_SIZE):
        total += await send(checked[start : start + CHUNK_SIZE])
    return total
