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

from mailseg.jobs.taskiq import DEFAULT_LEASE, REDIS_URL_ENV, make_broker

logger = logging.getLogger("mailseg.jobs")

#: The first wait before listening again after the broker failed, and the longest.
RECONNECT_BASE = 0.5
RECONNECT_CAP = 10.0
#: How long a stopping worker waits for its chunks in flight.
SHUTDOWN_TIMEOUT = 60.0

try:
    from taskiq.acks import AcknowledgeType
    from taskiq.receiver import Receiver
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    from mailseg.errors import ConfigurationError

    raise ConfigurationError(
        "workers need the jobs-redis extra: pip install 'mailseg[jobs-redis]'"
    ) from exc


def __getattr__(name: str) -> Any:
    # ``taskiq worker mailseg.jobs.worker:broker`` reads this attribute; made on first
    # use so that importing the module for its command line needs no environment.
    if name == "broker":
        url = os.environ.get(REDIS_URL_ENV)
        if not url:
            from mailseg.errors import ConfigurationError

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
    parser.add_argument("--log-level", default="WARNING")
    return parser


async def serve(redis_url: str, *, concurrency: int, lease: float) -> None:
    """Run chunks until SIGINT or SIGTERM (the chunks in flight finish first).

    While Redis cannot be reached the worker waits and tries again, backing off up to
    `RECONNECT_CAP` seconds, rather than spin: a worker outlives a Redis restart.
    """
    broker = make_broker(redis_url, lease=lease, concurrency=concurrency)
    broker.is_worker_process = True
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    delay = RECONNECT_BASE
    try:
        with ThreadPoolExecutor(max_workers=1) as executor:
            while not stop.is_set():
                receiver = Receiver(
                    broker=broker,
                    executor=executor,
                    run_startup=True,
                    max_async_tasks=concurrency,
                    ack_type=AcknowledgeType.WHEN_EXECUTED,
                )
                listening = asyncio.ensure_future(receiver.listen(stop))
                stopping = asyncio.ensure_future(stop.wait())
                started = loop.time()
                await asyncio.wait({listening, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if stop.is_set():
                    # The receiver watches the same event: it stops taking deliveries and
                    # lets the chunks in flight finish (their deliveries then acknowledged).
                    with contextlib.suppress(BaseException):
                        await asyncio.wait_for(listening, timeout=SHUTDOWN_TIMEOUT)
                    break
                error = listening.exception() if not listening.cancelled() else None
                if loop.time() - started > 30:
                    delay = RECONNECT_BASE  # it had been working: start the backoff afresh
                logger.warning(
                    "mailseg worker: the broker stopped (%s); listening again in %.1f s",
                    type(error).__name__ if error else "no error",
                    delay,
                )
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                delay = min(delay * 2, RECONNECT_CAP)
    finally:
        with contextlib.suppress(Exception):
            await broker.shutdown()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and serve; the exit status."""
    args = build_parser().parse_args(argv)
    if not args.redis:
        print(f"error: give --redis or set {REDIS_URL_ENV}", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    asyncio.run(serve(args.redis, concurrency=args.concurrency, lease=args.lease))
    return 0


if __name__ == "__main__":
    sys.exit(main())
