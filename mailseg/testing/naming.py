"""How each provider spells the request keys the emulator reads.

Handlers speak of neutral keys (``segment_name``, ``page_size``...); this table gives each
provider's spelling, and lets the emulator recognise a key spelled the other provider's way
(``segmentName`` sent to EngageLab) and say which key it expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

#: neutral key -> (SendCloud spelling, EngageLab spelling)
_KEYS: Final[Mapping[str, tuple[str, str]]] = {
    "segment_id": ("segmentId", "segment_id"),
    "segment_name": ("segmentName", "segment_name"),
    "type": ("type", "type"),
    "condition": ("condition", "condition"),
    "relation": ("relation", "relation"),
    "items": ("items", "items"),
    "field_name": ("fieldName", "field_name"),
    "op": ("op", "op"),
    "value": ("value", "value"),
    "campaign_id": ("campaignId", "campaign_id"),
    "member_ids": ("memberIds", "member_ids"),
    # The tag's name in bodies and in the tag list's query: SendCloud "tagName" (documented
    # for create/update, inferred for the list), EngageLab "name".
    "tag_name": ("tagName", "name"),
    "offset": ("offset", "offset"),
    "page_size": ("count", "limit"),
}

_PROVIDERS: Final = ("sendcloud", "engagelab")


class Naming:
    """One provider's spellings."""

    def __init__(self, provider: str) -> None:
        slot = _PROVIDERS.index(provider)
        self._wire = {neutral: pair[slot] for neutral, pair in _KEYS.items()}
        self._neutral = {wire: neutral for neutral, wire in self._wire.items()}
        # The other provider's spelling -> ours, for keys spelled differently.
        self._foreign = {
            pair[1 - slot]: pair[slot] for pair in _KEYS.values() if pair[0] != pair[1]
        }

    def __call__(self, neutral: str) -> str:
        """This provider's spelling of a neutral key (unknown keys pass through)."""
        return self._wire.get(neutral, neutral)

    def neutral(self, wire_key: str) -> str:
        """The neutral key this provider spells ``wire_key`` (unknown keys pass through)."""
        return self._neutral.get(wire_key, wire_key)

    def expected_for(self, wire_key: str) -> str | None:
        """If ``wire_key`` is the other provider's spelling of a key, ours; else None."""
        return self._foreign.get(wire_key)
