"""Redis commands issued close together, sent as one pipeline on one connection.

A worker running 16 chunks at once issues, per chunk, a claim, an outcome and an
acknowledgement; a submitter enqueues up to 50 chunks at a time. Sent one by one through
redis-py's client, each is a round trip plus the pool's bookkeeping (a lock, a health
check, its observability hooks), and on a small machine that Python work, not Redis, is
what a chunk costs. Queued here instead, the commands issued while the previous batch
was on the wire (or during the same turn of the event loop) go out together: one write,
their replies read in order, on a connection this batch keeps. Each caller still awaits
its own reply, or its own error; commands run in the order they were issued, and nothing
waits for a batch to fill.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.exceptions import ResponseError

_Queued = tuple[tuple[Any, ...], "asyncio.Future[Any]"]


class RedisBatch:
    """Commands for one redis-py client, sent in batches, one batch in flight at a time.

    The client's retry settings apply to each batch: after a dropped connection the batch
    is sent again whole, so every command sent through it must be safe to repeat (the
    ledger's transitions are: a chunk is claimed by one attempt and counted once; a
    repeated enqueue or acknowledgement is harmless, see `mailseg.jobs.taskiq`).
    """

    #: The most commands in one batch (a resume enqueues every chunk left over).
    LIMIT = 512

    def __init__(self, client: Any) -> None:
        self._pool = client.connection_pool
        self._connection: Any = None
        self._queued: list[_Queued] = []
        self._sender: asyncio.Task[None] | None = None

    def call(self, *args: Any) -> asyncio.Future[Any]:
        """Queue one command (``"EVAL", source, 2, key1, key2, arg``); its reply's future."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queued.append((args, future))
        if self._sender is None:
            # Started at the next turn of the loop: what this turn issues goes along.
            self._sender = asyncio.ensure_future(self._send_all())
        return future

    async def _send_all(self) -> None:
        try:
            while self._queued:
                batch = self._queued[: self.LIMIT]
                del self._queued[: self.LIMIT]
                await self._send(batch)
        finally:
            self._sender = None

    async def _send(self, batch: list[_Queued]) -> None:
        try:
            replies = await self._exchange([args for args, _ in batch])
        except Exception as exc:  # the connection failed past its retries: all hear it
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:  # cancelled (the loop is closing): so are the callers
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), reply in zip(batch, replies, strict=True):
            if future.done():  # its caller was cancelled
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    async def _exchange(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        if self._connection is None:
            self._connection = await self._pool.get_connection()
        connection = self._connection

        async def attempt() -> list[Any]:
            try:
                await connection.send_packed_command(
                    connection.pack_commands(commands), check_health=False
                )
                replies: list[Any] = []
                for _ in commands:
                    try:
                        replies.append(await connection.read_response())
                    except ResponseError as exc:  # this command's error; the rest read on
                        replies.append(exc)
                return replies
            except BaseException:
                # Replies may be left unread: the connection is out of step, drop it (the
                # next attempt connects again).
                await connection.disconnect()
                raise

        async def dropped(_: BaseException) -> None:
            await connection.disconnect()

        replies: list[Any] = await connection.retry.call_with_retry(attempt, dropped)
        return replies

    async def aclose(self) -> None:
        """Wait for the batches under way, then give the connection back to the pool."""
        while self._sender is not None:
            await asyncio.gather(self._sender, return_exceptions=True)
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await self._pool.release(connection)
