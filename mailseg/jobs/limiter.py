"""A job's rate limit shared by every worker: a moving window kept in Redis by ``limits``.

Each request attempt (retries included) takes one hit in the job's window before it
goes out, whichever worker sends it, so N workers together keep the job's rate.
"""

from __future__ import annotations

import asyncio
import time
from fractions import Fraction

try:
    from limits import RateLimitItem, RateLimitItemPerSecond
    from limits.aio.storage import RedisStorage
    from limits.aio.strategies import MovingWindowRateLimiter
    from redis.exceptions import RedisError
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    from mailseg.errors import ConfigurationError

    raise ConfigurationError(
        "the shared rate limit needs the jobs-redis extra: pip install 'mailseg[jobs-redis]'"
    ) from exc

#: How long a request waits for Redis (to take its hit) before it gives up.
REDIS_PATIENCE = 30.0


def rate_item(rate: float) -> RateLimitItem:
    """``rate`` requests per second as a window ``limits`` can keep: a whole number of
    requests per a whole number of seconds (2.5/s is 5 per 2 s), within a minute."""
    fraction = Fraction(rate).limit_denominator(60)
    amount = max(1, fraction.numerator)
    return RateLimitItemPerSecond(amount, fraction.denominator)


def storage_uri(redis_url: str) -> str:
    """``limits``' name for a Redis URL."""
    if redis_url.startswith("unix://"):
        return "async+redis+unix://" + redis_url[len("unix://") :]
    return "async+" + redis_url


class SharedRateLimit:
    """Waits, before each request of a job, for a slot in the job's window in Redis."""

    def __init__(self, redis_url: str) -> None:
        storage = RedisStorage(storage_uri(redis_url), implementation="redispy")
        self._limiter = MovingWindowRateLimiter(storage)

    async def wait(self, job_id: str, rate: float) -> None:
        item = rate_item(rate)
        deadline = time.monotonic() + REDIS_PATIENCE
        while True:
            try:
                if await self._limiter.hit(item, "mailseg-job", job_id):
                    return
                stats = await self._limiter.get_window_stats(item, "mailseg-job", job_id)
                delay = stats.reset_time - time.time()
            except RedisError:
                # Redis restarting: the request waits rather than break the limit.
                if time.monotonic() > deadline:
                    raise
                delay = 0.2
            await asyncio.sleep(min(1.0, max(0.002, delay)))
