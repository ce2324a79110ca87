"""Time as the providers report it: wall clock in UTC+8 (China Standard Time)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

#: Both providers report times in UTC+8, with or without saying so.
PROVIDER_TZ = timezone(timedelta(hours=8))


def now() -> datetime:
    """The current time in UTC+8, to the second (the providers never show fractions)."""
    return datetime.now(PROVIDER_TZ).replace(microsecond=0)


def provider_time(value: datetime | None, fmt: str) -> str | None:
    """``value`` in UTC+8, written with ``fmt`` (each dialect has its own); None stays None."""
    if value is None:
        return None
    return value.astimezone(PROVIDER_TZ).strftime(fmt)
