"""``client.segments``: the segment operations, validated and paged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable

from mailseg import _validation as check
from mailseg._bulk import ProgressCallback, bulk_call
from mailseg._paging import walk
from mailseg._transport import Transport
from mailseg.errors import SegmentFailedError, ValidationError, WaitTimeoutError
from mailseg.models import (
    BulkResult,
    Condition,
    ConditionItem,
    Member,
    Page,
    Progress,
    Segment,
    SegmentStatus,
    SegmentType,
)


class Segments:
    """Segments of the contact list. Reached as ``client.segments``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._adapter = transport.adapter

    async def create(
        self,
        name: str,
        condition: Condition | ConditionItem,
        *,
        type: SegmentType | None = None,
    ) -> Segment:
        """Create a segment; the provider then computes its members (see `wait_until_complete`).

        Args:
            name: 1 to 48 characters, none of ``^ ? + . * \\ [ ] ( )``.
            condition: 1 to 10 items; a single `ConditionItem` is accepted.
            type: by field or by campaign; inferred from the condition when None.

        Returns:
            EngageLab answers with the whole segment. SendCloud answers with the
            id only, so the segment holds that id plus the name, type and
            condition sent, with status, counts and times None.

        A create is never retried after a 5xx or a reset: it may have taken effect.
        """
        name = check.segment_name(name)
        condition = check.as_condition(condition)
        kind = check.infer_type(condition) if type is None else check.segment_type(type)
        condition = check.segment_condition(condition, kind)
        call = self._adapter.create_segment(name, kind, condition)
        return await self._transport.send(call)

    async def get(self, segment_id: str) -> Segment:
        """Read one segment, with its status, member total and progress."""
        segment_id = check.resource_id(segment_id, "segment_id")
        return await self._transport.send(self._adapter.get_segment(segment_id))

    async def update(
        self,
        segment_id: str,
        *,
        condition: Condition | ConditionItem,
        name: str | None = None,
        type: SegmentType | None = None,
    ) -> Segment:
        """Replace a segment's condition, and its name when given; processing starts again."""
        segment_id = check.resource_id(segment_id, "segment_id")
        if name is not None:
            name = check.segment_name(name)
        condition = check.as_condition(condition)
        kind = check.infer_type(condition) if type is None else check.segment_type(type)
        condition = check.segment_condition(condition, kind)
        call = self._adapter.update_segment(segment_id, name=name, type=kind, condition=condition)
        return await self._transport.send(call)

    async def delete(self, segment_id: str) -> None:
        """Delete a segment (its contacts stay in the list)."""
        segment_id = check.resource_id(segment_id, "segment_id")
        await self._transport.send(self._adapter.delete_segment(segment_id))

    async def list(
        self,
        *,
        name: str | None = None,
        type: SegmentType | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> Page[Segment]:
        """One page of segments, optionally filtered by name (fuzzy match) and type.

        ``limit`` is 1 to 100; SendCloud calls it ``count`` on the wire.
        """
        name = check.optional_filter(name, "name")
        kind = None if type is None else check.segment_type(type)
        offset, limit = check.page_window(offset, limit)
        call = self._adapter.list_segments(name=name, type=kind, offset=offset, limit=limit)
        return await self._transport.send(call)

    def iterate(
        self, *, name: str | None = None, type: SegmentType | None = None, page_size: int = 100
    ) -> AsyncIterator[Segment]:
        """Every segment, fetched ``page_size`` at a time (arguments checked at once)."""
        name = check.optional_filter(name, "name")
        kind = None if type is None else check.segment_type(type)
        check.page_window(0, page_size, "page_size")

        async def fetch(offset: int, limit: int) -> Page[Segment]:
            call = self._adapter.list_segments(name=name, type=kind, offset=offset, limit=limit)
            return await self._transport.send(call)

        return walk(fetch, page_size)

    async def progress(self, segment_id: str) -> Progress:
        """How far the provider is in computing the segment's members."""
        segment_id = check.resource_id(segment_id, "segment_id")
        call = self._adapter.segment_progress(segment_id)
        return await self._transport.send(call)

    async def wait_until_complete(
        self,
        segment_id: str,
        *,
        timeout: float = 300.0,
        poll_interval: float = 2.0,
        on_progress: Callable[[Segment], object] | None = None,
    ) -> Segment:
        """Poll the segment until the provider finished computing it.

        Args:
            timeout: seconds to wait in all.
            poll_interval: seconds between two reads.
            on_progress: called with the segment after every read (its
                ``progress`` holds the percent), to show progress.

        Raises:
            WaitTimeoutError: still processing after ``timeout`` seconds.
            SegmentFailedError: the provider reports status -1 (failed).
        """
        segment_id = check.resource_id(segment_id, "segment_id")
        for value, parameter in ((timeout, "timeout"), (poll_interval, "poll_interval")):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValidationError(parameter, "must be a number of seconds > 0")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            segment = await self.get(segment_id)
            if on_progress is not None:
                on_progress(segment)
            if segment.status is SegmentStatus.FAILED:
                raise SegmentFailedError(segment)
            if _is_complete(segment):
                return segment
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise WaitTimeoutError(f"segment {segment_id!r} still processing after {timeout} s")
            await asyncio.sleep(min(poll_interval, remaining))

    async def members(
        self,
        segment_id: str,
        *,
        condition: Condition | ConditionItem | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> Page[Member]:
        """One page of the segment's members, optionally filtered by a further condition.

        The filter tests attributes and tags only (no ``campaign``).
        """
        segment_id = check.resource_id(segment_id, "segment_id")
        if condition is not None:
            condition = check.segment_condition(condition, None)
        offset, limit = check.page_window(offset, limit)
        call = self._adapter.segment_members(
            segment_id, condition=condition, offset=offset, limit=limit
        )
        return await self._transport.send(call)

    def iterate_members(
        self,
        segment_id: str,
        *,
        condition: Condition | ConditionItem | None = None,
        page_size: int = 100,
    ) -> AsyncIterator[Member]:
        """Every member of the segment, one page in memory at a time."""
        segment_id = check.resource_id(segment_id, "segment_id")
        filter_ = None if condition is None else check.segment_condition(condition, None)
        check.page_window(0, page_size, "page_size")

        async def fetch(offset: int, limit: int) -> Page[Member]:
            call = self._adapter.segment_members(
                segment_id, condition=filter_, offset=offset, limit=limit
            )
            return await self._transport.send(call)

        return walk(fetch, page_size)

    async def remove_members(
        self,
        segment_id: str,
        member_ids: Iterable[str] | AsyncIterable[str],
        *,
        max_concurrency: int | None = None,
        on_progress: ProgressCallback | None = None,
        raise_on_error: bool = True,
    ) -> BulkResult:
        """Remove contacts from the segment (not from the list), 1000 per request.

        Arguments and result as for `Tags.add_members` (several requests at
        once, a `BulkResult`, `BulkError` when a chunk failed).
        """
        segment_id = check.resource_id(segment_id, "segment_id")
        return await bulk_call(
            self._transport,
            lambda chunk: self._adapter.remove_segment_members(segment_id, chunk),
            member_ids,
            max_concurrency=max_concurrency,
            on_progress=on_progress,
            raise_on_error=raise_on_error,
        )


def _is_complete(segment: Segment) -> bool:
    if segment.status is not None:
        return segment.status is SegmentStatus.COMPLETED
    return segment.progress is not None and segment.progress.complete is True
