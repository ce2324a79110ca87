"""``client.tags``: the tag operations, validated, paged and chunked."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable

from mailseg import _validation as check
from mailseg._bulk import ProgressCallback, bulk_call
from mailseg._paging import walk
from mailseg._transport import Transport
from mailseg.models import BulkResult, Member, Page, Tag


class Tags:
    """Contact tags. Reached as ``client.tags``.

    SendCloud's tag list, add, remove and members endpoints are inferred, not
    documented: see the README for how to correct one.
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._adapter = transport.adapter

    async def create(self, name: str) -> Tag:
        """Create a tag: 1 to 64 characters of a-z, A-Z, 0-9, _ and Chinese characters.

        SendCloud answers with the id only: the tag then holds that id and the
        name sent. Never retried after a 5xx or a reset: it may have taken effect.
        """
        name = check.tag_name(name)
        return await self._transport.send(self._adapter.create_tag(name))

    async def update(self, tag_id: str, *, name: str) -> None:
        """Rename a tag."""
        tag_id = check.resource_id(tag_id, "tag_id")
        name = check.tag_name(name)
        await self._transport.send(self._adapter.update_tag(tag_id, name=name))

    async def delete(self, tag_id: str) -> None:
        """Delete a tag (the contacts stay, untagged)."""
        tag_id = check.resource_id(tag_id, "tag_id")
        await self._transport.send(self._adapter.delete_tag(tag_id))

    async def list(self, *, name: str | None = None, offset: int = 0, limit: int = 10) -> Page[Tag]:
        """One page of tags, optionally filtered by name (fuzzy match); ``limit`` 1 to 100."""
        name = check.optional_filter(name, "name")
        offset, limit = check.page_window(offset, limit)
        call = self._adapter.list_tags(name=name, offset=offset, limit=limit)
        return await self._transport.send(call)

    def iterate(self, *, name: str | None = None, page_size: int = 100) -> AsyncIterator[Tag]:
        """Every tag, fetched ``page_size`` at a time."""
        name = check.optional_filter(name, "name")
        check.page_window(0, page_size, "page_size")

        async def fetch(offset: int, limit: int) -> Page[Tag]:
            call = self._adapter.list_tags(name=name, offset=offset, limit=limit)
            return await self._transport.send(call)

        return walk(fetch, page_size)

    async def add_members(
        self,
        tag_id: str,
        member_ids: Iterable[str] | AsyncIterable[str],
        *,
        max_concurrency: int | None = None,
        on_progress: ProgressCallback | None = None,
        raise_on_error: bool = True,
    ) -> BulkResult:
        """Tag contacts, 1000 per request, several requests at once.

        Args:
            member_ids: any iterable or async iterable of ids (a generator over
                millions is read lazily); 1000 go out per request.
            max_concurrency: requests in flight at once; the client's
                ``max_concurrency`` when None.
            on_progress: called as ``on_progress(done_ids, total_ids)`` after
                every chunk; ``total_ids`` is None when the input has no length.
            raise_on_error: raise `BulkError` when a chunk failed (default);
                when False, return the result with its ``failed`` chunks.

        Returns:
            The `BulkResult`: ids taken, chunks sent, the provider's counts
            summed, and every failed chunk with its ids. An empty input sends
            nothing.
        """
        tag_id = check.resource_id(tag_id, "tag_id")
        return await bulk_call(
            self._transport,
            lambda chunk: self._adapter.add_tag_members(tag_id, chunk),
            member_ids,
            max_concurrency=max_concurrency,
            on_progress=on_progress,
            raise_on_error=raise_on_error,
        )

    async def remove_members(
        self,
        tag_id: str,
        member_ids: Iterable[str] | AsyncIterable[str],
        *,
        max_concurrency: int | None = None,
        on_progress: ProgressCallback | None = None,
        raise_on_error: bool = True,
    ) -> BulkResult:
        """Untag contacts, 1000 per request, several requests at once.

        Arguments and result as for `add_members`.
        """
        tag_id = check.resource_id(tag_id, "tag_id")
        return await bulk_call(
            self._transport,
            lambda chunk: self._adapter.remove_tag_members(tag_id, chunk),
            member_ids,
            max_concurrency=max_concurrency,
            on_progress=on_progress,
            raise_on_error=raise_on_error,
        )

    async def members(self, tag_id: str, *, offset: int = 0, limit: int = 10) -> Page[Member]:
        """One page of the tag's contacts."""
        tag_id = check.resource_id(tag_id, "tag_id")
        offset, limit = check.page_window(offset, limit)
        call = self._adapter.tag_members(tag_id, offset=offset, limit=limit)
        return await self._transport.send(call)

    def iterate_members(self, tag_id: str, *, page_size: int = 100) -> AsyncIterator[Member]:
        """Every contact of the tag, one page in memory at a time."""
        tag_id = check.resource_id(tag_id, "tag_id")
        check.page_window(0, page_size, "page_size")

        async def fetch(offset: int, limit: int) -> Page[Member]:
            call = self._adapter.tag_members(tag_id, offset=offset, limit=limit)
            return await self._transport.send(call)

        return walk(fetch, page_size)
