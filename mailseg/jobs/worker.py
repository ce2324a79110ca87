"""A mailseg worker: ``python -m mailseg.jobs.worker --redis redis://host:6379/0``.

It runs the chunks that `mailseg.jobs.taskiq.submit` enqueues, with a client built
from this process's own ``MAILSEG_*`` environment (provider, credentials, base URL,
timeout, retries). One process, ``--concurrency`` chunks at a time; start as many
as you like, on as many machines. ``taskiq worker mailseg.jobs.worker:broker`` works
too, with the Redis URL in ``MAILSEG_JOBS_REDIS_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mailseg.errors import ConfigurationError, MailsegError
from mailseg.jobs.errors import LedgerError
from mailseg.jobs.redis import redacted
from mailseg.jobs.taskiq import DEFAULT_LEASE, REDIS_URL_ENV, make_broker

logger = logging.getLogger("mailseg.jobs")

#: The first wait before listening again after the broker failed, and the longest.
RECONNECT_BASE = 0.5
RECONNECT_CAP = 10.0
#: How long a stopping worker waits for its chunks in flight.
SHUTDOWN_TIMEOUT = 60.0
#: How long Redis may stay unreachable before the worker gives up (``--give-up-after``).
GIVE_UP_AFTER = 300.0
#: How often the worker PINGs its Redis, and how long one PING may take.
PROBE_INTERVAL = 2.0
#: How long closing the broker may take once Redis is gone.
CLOSE_TIMEOUT = 10.0

try:
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import RedisError
    from taskiq.acks import AcknowledgeType
    from taskiq.receiver import Receiver
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ConfigurationError(
        "workers need the jobs-redis extra: pip install 'mailseg[jobs-redis]'"
    ) from exc


def __getattr__(name: str) -> Any:
    # ``taskiq worker mailseg.jobs.worker:broker`` reads this attribute; made on first
    # use so that importing the module for its command line needs no environment.
    if name == "broker":
        url = os.environ.get(REDIS_URL_ENV)
        if not url:
            raise ConfigurationError(f"{REDIS_URL_ENV} must name the Redis of the jobs")
        broker = globals()["broker"] = make_broker(url)
        return broker
    raise AttributeError(name)


def build_parser() -> argparse.ArgumentParser:
    """The command line's arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m mailseg.jobs.worker",
        description="Run the chunks of mailseg jobs queued in Redis.",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get(REDIS_URL_ENV),
        help=f"the Redis URL (default: ${REDIS_URL_ENV})",
    )
    parser.add_argument("--concurrency", type=int, default=8, help="chunks at once (default 8)")
    parser.add_argument(
        "--lease",
        type=float,
        default=DEFAULT_LEASE,
        help=f"seconds a chunk is held before another may take it (default {DEFAULT_LEASE:g})",
    )
    parser.add_argument(
        "--give-up-after",
        type=float,
        default=GIVE_UP_AFTER,
        metavar="SECONDS",
        help="exit (status 1) once Redis has not answered for this long"
        f" (default {GIVE_UP_AFTER:g}; 0 waits for it forever)",
    )
    parser.add_argument("--log-level", default="WARNING")
    return parser


async def serve(
    redis_url: str, *, concurrency: int, lease: float, give_up_after: float = GIVE_UP_AFTER
) -> None:
    """Run chunks until SIGINT or SIGTERM (the chunks in flight finish first).

    While Redis cannot be reached the worker waits and tries again, backing off up to
    `RECONNECT_CAP` seconds, rather than spin: a worker outlives a Redis restart. A
    Redis that has not answered a PING for ``give_up_after`` seconds (0: never) is gone
    for good: the worker stops, its chunks in flight left to their lease.

    Raises:
        LedgerError: Redis did not answer for ``give_up_after`` seconds.
        ConfigurationError: this worker's environment cannot make a client.
    """
    broker = make_broker(redis_url, lease=lease, concurrency=concurrency)
    broker.is_worker_process = True
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    gone = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    # The broker's own retries take about a minute to report a Redis that went away,
    # and then it is started again: a PING of our own tells how long Redis is gone.
    watching = (
        asyncio.ensure_future(_watch(redis_url, give_up_after, gone)) if give_up_after else None
    )
    delay = RECONNECT_BASE
    try:
        with ThreadPoolExecutor(max_workers=1) as executor:
            while not stop.is_set() and not gone.is_set():
                receiver = Receiver(
                    broker=broker,
                    executor=executor,
                    run_startup=True,
                    max_async_tasks=concurrency,
                    ack_type=AcknowledgeType.WHEN_EXECUTED,
                )
                listening = asyncio.ensure_future(receiver.listen(stop))
                started = loop.time()
                await _first(stop, gone, also=listening)
                if gone.is_set():
                    # No chunk in flight can be recorded now: abandon them to their lease.
                    listening.cancel()
                    with contextlib.suppress(BaseException):
                        await asyncio.wait_for(listening, timeout=CLOSE_TIMEOUT)
                    break
                if stop.is_set():
                    # The receiver watches the same event: it stops taking deliveries and
                    # lets the chunks in flight finish (their deliveries then acknowledged).
                    with contextlib.suppress(BaseException):
                        await asyncio.wait_for(listening, timeout=SHUTDOWN_TIMEOUT)
                    break
                error = listening.exception() if not listening.cancelled() else None
                if isinstance(error, ConfigurationError):
                    raise error  # no credentials or provider here: trying again cannot help
                if loop.time() - started > 30:
                    delay = RECONNECT_BASE  # it had been working: start the backoff afresh
                logger.warning(
                    "mailseg worker: the broker stopped (%s); listening again in %.1f s",
                    type(error).__name__ if error else "no error",
                    delay,
                )
                await _first(stop, gone, timeout=delay)
                delay = min(delay * 2, RECONNECT_CAP)
    finally:
        if watching is not None:
            watching.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(broker.shutdown(), timeout=CLOSE_TIMEOUT)
    if gone.is_set() and not stop.is_set():
        raise LedgerError(
            redacted(redis_url), f"did not answer for {give_up_after:g} s: the worker gives up"
        )


async def _first(
    *events: asyncio.Event, also: asyncio.Future[None] | None = None, timeout: float | None = None
) -> None:
    """Wait until one of ``events`` is set, ``also`` is done, or ``timeout`` passed."""
    waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(e.wait()) for e in events]
    watched = waiters if also is None else [*waiters, also]
    try:
        await asyncio.wait(watched, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def _watch(redis_url: str, give_up_after: float, gone: asyncio.Event) -> None:
    """Set ``gone`` once Redis has not answered a PING for ``give_up_after`` seconds."""
    loop = asyncio.get_running_loop()
    probe = Redis.from_url(
        redis_url,
        socket_connect_timeout=PROBE_INTERVAL,
        socket_timeout=PROBE_INTERVAL,
        retry=Retry(NoBackoff(), 0),  # one PING is one try: the loop is the retry
    )
    answered = loop.time()
    try:
        while True:
            try:
                await probe.ping()
                answered = loop.time()
            except (RedisError, OSError):
                silent = loop.time() - answered
                if silent >= give_up_after:
                    logger.error(
                        "mailseg worker: Redis %s has not answered for %.0f s; giving up",
                        redacted(redis_url),
                        silent,
                    )
                    gone.set()
                    return
            await asyncio.sleep(PROBE_INTERVAL)
    finally:
        with contextlib.suppress(Exception):
            await probe.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and serve; the exit status (1: Redis gone for good, 2: bad setup)."""
    args = build_parser().parse_args(argv)
    if not args.redis:
        print(f"error: give --redis or set {REDIS_URL_ENV}", file=sys.stderr)
        return 2
    if args.give_up_after < 0:
        print("error: --give-up-after must be >= 0 (0: never)", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(
            serve(
                args.redis,
                concurrency=args.concurrency,
                lease=args.lease,
                give_up_after=args.give_up_after,
            )
        )
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except MailsegError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
