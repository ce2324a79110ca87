"""Fault injection: latency, error statuses and broken answers, deterministic from a seed.

A :class:`Faults` value says what to inject; the emulator turns it into a :class:`FaultPlan`
that draws, request by request, the delay and the fault (if any). The draws depend only on
the seed and on the request's index since the faults were installed, so a run is
reproducible whatever the timing; under concurrency, which request gets which index is up to
arrival order.

Every kind but :attr:`FaultKind.APPLY_THEN_500` fires *instead of* the handler: the state
is untouched, so a client may safely repeat the request. ``APPLY_THEN_500`` runs the
handler and then answers 500 anyway, the case EngageLab's rules page warns about ("a 500
means it is unknown whether the request took effect").
"""

from __future__ import annotations

import enum
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import attrs

from mailseg.testing.dialect import Dialect, Reply


class FaultKind(str, enum.Enum):
    """A way for a request to fail. The values are accepted wherever a kind is."""

    #: 429 without ``Retry-After``.
    RATE_LIMITED = "429"
    #: 429 with ``Retry-After: <Faults.retry_after>``.
    RATE_LIMITED_RETRY_AFTER = "429_retry_after"
    #: 500 with the provider's error body, nothing done.
    SERVER_ERROR = "500"
    #: 502 with the provider's error body.
    BAD_GATEWAY = "502"
    #: 503 without ``Retry-After``.
    UNAVAILABLE = "503"
    #: 503 with ``Retry-After: <Faults.retry_after>``.
    UNAVAILABLE_RETRY_AFTER = "503_retry_after"
    #: The connection is reset (TCP RST) without any answer.
    RESET = "reset"
    #: 200 whose JSON body stops half-way.
    TRUNCATED_JSON = "truncated_json"
    #: 502 with a proxy's HTML page instead of JSON.
    HTML_ERROR = "html_error"
    #: 200 with ``Content-Type: application/json`` and no body at all.
    EMPTY_BODY = "empty_body"
    #: The request takes effect, then the answer is a 500 anyway.
    APPLY_THEN_500 = "apply_then_500"


#: The kinds a random ``rate`` draws from unless told otherwise: all that leave the state
#: alone, so a retrying client never sees a duplicate it could not have avoided.
SAFE_KINDS: Final = tuple(k for k in FaultKind if k is not FaultKind.APPLY_THEN_500)

FaultSchedule = Mapping[int, FaultKind | str] | Sequence[FaultKind | str | None]


def _kinds(value: Iterable[FaultKind | str]) -> tuple[FaultKind, ...]:
    return tuple(FaultKind(k) for k in value)


def _schedule(value: FaultSchedule) -> Mapping[int, FaultKind]:
    if isinstance(value, Mapping):
        return {int(i): FaultKind(k) for i, k in value.items()}
    return {i: FaultKind(k) for i, k in enumerate(value) if k is not None}


@attrs.frozen
class Faults:
    """What to inject into the emulator's answers.

    Attributes:
        latency: seconds added to every answer.
        jitter: up to this many more seconds, drawn uniformly per request.
        rate: probability that a request fails with one of ``kinds`` (drawn uniformly).
        kinds: the kinds ``rate`` draws from; by default all but ``APPLY_THEN_500``.
        schedule: explicit faults by request index, counted from 0 when these faults are
            installed: a list (``["503", None, "reset"]``: first request 503, second
            normal, third reset) or a mapping ``{index: kind}``. A scheduled fault wins over
            a random one.
        retry_after: the ``Retry-After`` seconds of the ``*_retry_after`` kinds.
        seed: seeds the draws of jitter and faults.

    Example::

        emu.faults = Faults(schedule=["429_retry_after", "reset"], retry_after=0)
    """

    latency: float = attrs.field(default=0.0, validator=attrs.validators.ge(0))
    jitter: float = attrs.field(default=0.0, validator=attrs.validators.ge(0))
    rate: float = attrs.field(
        default=0.0, validator=[attrs.validators.ge(0), attrs.validators.le(1)]
    )
    kinds: tuple[FaultKind, ...] = attrs.field(default=SAFE_KINDS, converter=_kinds)
    schedule: Mapping[int, FaultKind] = attrs.field(factory=dict, converter=_schedule)
    retry_after: int = attrs.field(default=1, validator=attrs.validators.ge(0))
    seed: int = 0

    def __attrs_post_init__(self) -> None:
        if self.rate and not self.kinds:
            raise ValueError("a fault rate needs at least one kind")


@attrs.frozen
class Draw:
    """What happens to one request: how long it waits, and which fault (None: none)."""

    index: int
    delay: float
    fault: FaultKind | None


class FaultPlan:
    """The running draw of a :class:`Faults`, one request at a time."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)
        self._index = 0

    def draw(self) -> Draw:
        """The next request's delay and fault."""
        faults = self.faults
        index = self._index
        self._index += 1
        delay = faults.latency
        # The same draws happen for every request, fault or not, so the sequence for a
        # given index never depends on what earlier requests drew.
        if faults.jitter:
            delay += self._rng.uniform(0.0, faults.jitter)
        fault = faults.schedule.get(index)
        if faults.rate:
            roll = self._rng.random()
            pick = self._rng.choice(faults.kinds)
            if fault is None and roll < faults.rate:
                fault = pick
        return Draw(index, delay, fault)


_HTML_PAGE: Final = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
# The start of a plausible page of members, cut inside a string.
_TRUNCATED: Final = b'{"total": 2, "list": [{"id": "629d6650490f33c5eef1caa6", "email": "paulch'


@attrs.frozen
class RawReply:
    """An answer that is not JSON: raw bytes and a content type."""

    status: int
    body: bytes
    content_type: str
    headers: Mapping[str, str] = attrs.field(factory=dict)


def fault_reply(kind: FaultKind, dialect: Dialect, retry_after: int) -> Reply | RawReply | None:
    """The answer a fault sends instead of the handler's; None for a reset (no answer)."""
    wait = {"Retry-After": str(retry_after)}
    if kind is FaultKind.RATE_LIMITED:
        return Reply(429, dialect.status_body(429, "Too Many Requests"))
    if kind is FaultKind.RATE_LIMITED_RETRY_AFTER:
        return Reply(429, dialect.status_body(429, "Too Many Requests"), wait)
    if kind in (FaultKind.SERVER_ERROR, FaultKind.APPLY_THEN_500):
        return Reply(500, dialect.status_body(500, "Internal Server Error"))
    if kind is FaultKind.BAD_GATEWAY:
        return Reply(502, dialect.status_body(502, "Bad Gateway"))
    if kind is FaultKind.UNAVAILABLE:
        return Reply(503, dialect.status_body(503, "Service Unavailable"))
    if kind is FaultKind.UNAVAILABLE_RETRY_AFTER:
        return Reply(503, dialect.status_body(503, "Service Unavailable"), wait)
    if kind is FaultKind.TRUNCATED_JSON:
        return RawReply(200, _TRUNCATED, "application/json")
    if kind is FaultKind.HTML_ERROR:
        return RawReply(502, _HTML_PAGE, "text/html")
    if kind is FaultKind.EMPTY_BODY:
        return RawReply(200, b"", "application/json")
    return None
