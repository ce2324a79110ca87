"""Identifiers shaped like the providers' own: 24 hex digits, as MongoDB ObjectIds."""

from __future__ import annotations

import random

# 2022-06-06 10:28:32 UTC+8, the creation time of the first contact in SendCloud's example:
# ids minted from it sort like the providers' and look plausible in a log.
_EPOCH = 1654482512


class IdFactory:
    """Mints unique, deterministic ObjectId-like ids: 4 bytes of time, 5 random, 3 of counter.

    The counter makes ids unique however the random part falls; the seed makes a run
    reproducible, which is what a test or a benchmark comparing two runs needs.
    """

    def __init__(self, seed: int, epoch: int = _EPOCH) -> None:
        self._bits = random.Random(seed).getrandbits
        self._epoch = epoch
        self._counter = 0

    def next(self) -> str:
        """Return a fresh id."""
        self._counter += 1
        counter = self._counter
        seconds = (self._epoch + counter) & 0xFFFFFFFF
        # One integer formatted once: twice as fast as three fields, which shows at 200k ids.
        return "%024x" % ((seconds << 64) | (self._bits(40) << 24) | (counter & 0xFFFFFF))
