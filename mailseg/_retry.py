"""When a failed request is sent again, and after how long: `RetryPolicy`, a value.

A request is *repeatable* when sending it twice does no harm (reads, deletes,
updates, tag add/remove, member removal; never a create). The adapter says so
on each `Call` (`mailseg.adapter.Call.repeatable`); the policy decides the rest:

- a status in `RetryPolicy.retry_statuses` (429, 503) or a failure to connect
  (nothing reached the provider) is retried for every request, creates included;
- a status in `RetryPolicy.retry_statuses_if_repeatable` (500, 502, 504), a
  reset or a timeout after the request went out may have taken effect, so it
  is retried for repeatable requests only;
- nothing else is retried: another 4xx, a TLS failure, a malformed request.

Delays are exponential with full jitter, unless the provider sent
``Retry-After``, which is honoured up to `RetryPolicy.retry_after_cap`
seconds; past that the client gives up at once rather than hang a caller.
"""

from __future__ import annotations

__all__ = ["Failure", "RetryPolicy"]

import enum
import random

import attrs

from mailseg.errors import ConfigurationError


class Failure(enum.Enum):
    """What a failed exchange says about whether the provider acted."""

    NOT_SENT = "not sent"
    """Nothing reached the provider (the connection was refused): always safe to retry."""
    MAYBE_APPLIED = "maybe applied"
    """The request went out and the answer was lost (a reset, a timeout)."""
    FINAL = "final"
    """Trying again cannot help (TLS failed, the request cannot be built)."""


def _non_negative_int(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"{attribute.name} must be an integer >= 0")


def _non_negative_number(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigurationError(f"{attribute.name} must be a number of seconds >= 0")


def _statuses(value: object) -> frozenset[int]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ConfigurationError("retry statuses must be a set of HTTP status codes")
    statuses = frozenset(value)
    if not all(isinstance(s, int) and not isinstance(s, bool) and 400 <= s < 600 for s in statuses):
        raise ConfigurationError("retry statuses must be HTTP error codes (400 to 599)")
    return statuses


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How the client retries. Pass one as ``mailseg.connect(..., retry=RetryPolicy(...))``.

    Attributes:
        max_retries: retries after the first attempt (2 means at most 3 attempts).
        backoff_base: the first delay's upper bound, in seconds; it doubles per retry.
        backoff_cap: the largest delay, in seconds.
        jitter: full jitter (a delay drawn from zero to the bound), which spreads
            a burst of clients; False waits the bound itself.
        retry_statuses: statuses retried for every request.
        retry_statuses_if_repeatable: statuses retried only for repeatable requests.
        retry_after_cap: the longest ``Retry-After`` honoured, in seconds; a longer
            one ends the call at once with its error (`RateLimitError` or
            `ServerError`, carrying ``retry_after``).
    """

    max_retries: int = attrs.field(default=2, validator=_non_negative_int)
    backoff_base: float = attrs.field(default=0.5, validator=_non_negative_number)
    backoff_cap: float = attrs.field(default=8.0, validator=_non_negative_number)
    jitter: bool = True
    retry_statuses: frozenset[int] = attrs.field(default=frozenset({429, 503}), converter=_statuses)
    retry_statuses_if_repeatable: frozenset[int] = attrs.field(
        default=frozenset({500, 502, 504}), converter=_statuses
    )
    retry_after_cap: float = attrs.field(default=60.0, validator=_non_negative_number)

    @property
    def attempts(self) -> int:
        """Attempts in all: the first one and the retries."""
        return self.max_retries + 1

    def retries_status(self, status: int, *, repeatable: bool) -> bool:
        """Whether an answer with this status is worth another attempt."""
        return status in self.retry_statuses or (
            repeatable and status in self.retry_statuses_if_repeatable
        )

    def retries_failure(self, failure: Failure, *, repeatable: bool) -> bool:
        """Whether a failed exchange is worth another attempt."""
        return failure is Failure.NOT_SENT or (repeatable and failure is Failure.MAYBE_APPLIED)

    def backoff(self, attempt: int) -> float:
        """The delay after failed attempt number ``attempt`` (1 for the first)."""
        bound = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return random.uniform(0.0, bound) if self.jitter else bound

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds before the next attempt, or None to give up now.

        ``retry_after`` is the provider's ``Retry-After``, when it sent one.
        """
        if retry_after is None:
            return self.backoff(attempt)
        return None if retry_after > self.retry_after_cap else retry_after
