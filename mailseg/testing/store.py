"""The emulated account's state: contacts, tags, segments, and the operations on them.

Provider-neutral: the dialects turn requests into calls here and results into their wire
shapes. Built for size: 200,000 contacts and more. A segment's membership is computed once,
when the segment is created or updated, and kept as a list of contact indices, so a members
page is a slice; tagging looks ids up in a dict, so a request of n ids costs O(n).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final, Literal

import attrs

from mailseg.testing import clock
from mailseg.testing.conditions import StoredCondition, select
from mailseg.testing.contacts import STANDARD_ATTRIBUTES, Contact, SeedContact
from mailseg.testing.errors import ApiError, ErrorKind, not_found
from mailseg.testing.ids import IdFactory

SegmentStatus = Literal["-1", "1", "2"]

#: The providers' own wording for a segment's processing state.
DESC_PROCESSING: Final = "is being segmented, please do not use this segment to send mail"
DESC_COMPLETED: Final = "segmentation completed"

# A members page with a filter condition is computed once per (segment, condition, state)
# and reused for the following pages; a few entries cover a paginating client or two.
_FILTER_CACHE_SIZE: Final = 16


@attrs.define(eq=False)
class StoredTag:
    """A tag of the account.

    Attributes:
        id: 24 hex digits.
        name: unique within the account.
        members: indices (into the emulator's contacts) of the contacts carrying the tag,
            in tagging order; a dict used as an ordered set.
    """

    id: str
    name: str
    create_time: datetime
    update_time: datetime
    members: dict[int, None] = attrs.field(factory=dict, repr=False)

    @property
    def member_count(self) -> int:
        """How many contacts carry the tag."""
        return len(self.members)


@attrs.frozen
class Progress:
    """A segment's processing state as one read reports it."""

    status: SegmentStatus
    percent: int
    complete: bool
    status_desc: str


@attrs.define(eq=False)
class StoredSegment:
    """A segment: a named condition and the contacts it selected when last evaluated.

    Membership is a snapshot, as on the providers: it is computed when the segment is created
    or updated; tagging a contact afterwards does not change it, and members removed through
    the API stay removed until the segment is updated (which evaluates it afresh).

    Attributes:
        members: indices (into the emulator's contacts) of the members, in contact order.
        polls_left: progress reads that will still report "processing"; 0 once done.
        polls_total: the emulator's ``processing_polls`` when the segment was (re)evaluated.
    """

    id: str
    name: str
    type: int
    condition: StoredCondition
    create_time: datetime
    update_time: datetime
    members: list[int] = attrs.field(repr=False)
    polls_total: int
    polls_left: int
    #: Set through ``Emulator.fail_segment``: status "-1" until the next update.
    failed: bool = False
    # Bumped whenever ``members`` changes, so cached filter results keyed on it go stale.
    revision: int = 0

    @property
    def member_total(self) -> int:
        """The number of members once processing completes."""
        return len(self.members)

    def progress(self, *, advance: bool) -> Progress:
        """The processing state; ``advance`` counts this as one of the reads it takes.

        With ``polls_total`` = N, reads 1..N report status "1" and percent 100*k/(N+1), the
        next read reports status "2" at 100. Reads that do not advance (a listing, the body
        of a create or update answer) repeat the last reported percent.
        """
        if self.failed:
            return Progress("-1", 0, False, "segmentation failed")
        if self.polls_left <= 0:
            return Progress("2", 100, True, DESC_COMPLETED)
        done = self.polls_total - self.polls_left
        if advance:
            done += 1
            self.polls_left -= 1
        percent = 100 * done // (self.polls_total + 1)
        return Progress("1", percent, False, DESC_PROCESSING)

    def visible_total(self, progress: Progress) -> int:
        """The member total a read shows: rising with the percent while processing."""
        return self.member_total * progress.percent // 100


class Store:
    """All state of one emulated account, and the operations the API offers on it."""

    def __init__(
        self,
        seeds: Sequence[SeedContact],
        ids: IdFactory,
        *,
        campaign_ids: Iterable[int],
        processing_polls: int,
    ) -> None:
        if processing_polls < 0:
            raise ValueError("processing_polls must be >= 0")
        self.ids = ids
        self.processing_polls = processing_polls
        self.contacts: list[Contact] = [seed.contact for seed in seeds]
        self.index: dict[str, int] = {c.id: i for i, c in enumerate(self.contacts)}
        self.tags: dict[str, StoredTag] = {}
        self.tag_ids_by_name: dict[str, str] = {}
        self.tag_names: dict[str, str] = {}  # tag id -> name, what conditions evaluate
        self.segments: dict[str, StoredSegment] = {}
        self.campaigns: set[int] = set(campaign_ids)
        # lower-cased field name -> spellings present in the data; decides "is not defined".
        self.field_keys: dict[str, list[str]] = {}
        # Bumped by every change a filter condition could see (tags, contacts).
        self.version = 0
        self._filter_cache: OrderedDict[tuple[object, ...], list[int]] = OrderedDict()
        self._tag_members_cache: dict[str, tuple[int, list[int]]] = {}
        created = clock.now()
        for i, seed in enumerate(seeds):
            contact = seed.contact
            for key in contact.fields:
                spellings = self.field_keys.setdefault(key.lower(), [])
                if key not in spellings:
                    spellings.append(key)
            self.campaigns.update(contact.campaigns)
            for name in seed.tag_names:
                tag_id = self.tag_ids_by_name.get(name)
                if tag_id is None:
                    tag_id = self.create_tag(name, now=created).id
                self.tags[tag_id].members[i] = None
                contact.tag_ids[tag_id] = None

    # -- lookups ------------------------------------------------------------------------------

    def knows_field(self, name: str) -> bool:
        """Whether a condition may name this field (standard attribute, custom field or tag)."""
        folded = name.lower()
        return folded in STANDARD_ATTRIBUTES or folded == "tag" or folded in self.field_keys

    def segment(self, segment_id: str) -> StoredSegment:
        """The segment with this id, or a 404."""
        segment = self.segments.get(segment_id)
        if segment is None:
            raise not_found("not found")
        return segment

    def tag(self, tag_id: str) -> StoredTag:
        """The tag with this id, or a 404."""
        tag = self.tags.get(tag_id)
        if tag is None:
            raise not_found("resource not found")
        return tag

    # -- segments -----------------------------------------------------------------------------

    def _evaluate(self, condition: StoredCondition) -> list[int]:
        return select(
            condition, self.contacts, range(len(self.contacts)), self.field_keys, self.tag_names
        )

    def create_segment(self, name: str, type_: int, condition: StoredCondition) -> StoredSegment:
        """Create a segment and evaluate it; it then reports processing for a few reads."""
        now = clock.now()
        segment = StoredSegment(
            id=self.ids.next(),
            name=name,
            type=type_,
            condition=condition,
            create_time=now,
            update_time=now,
            members=self._evaluate(condition),
            polls_total=self.processing_polls,
            polls_left=self.processing_polls,
        )
        self.segments[segment.id] = segment
        return segment

    def update_segment(
        self, segment_id: str, name: str | None, type_: int, condition: StoredCondition
    ) -> StoredSegment:
        """Replace a segment's condition (and name, if given) and evaluate it afresh."""
        segment = self.segment(segment_id)
        if name is not None:
            segment.name = name
        segment.type = type_
        segment.condition = condition
        segment.members = self._evaluate(condition)
        segment.revision += 1
        segment.update_time = clock.now()
        segment.polls_total = segment.polls_left = self.processing_polls
        segment.failed = False
        return segment

    def delete_segment(self, segment_id: str) -> None:
        """Delete a segment (its contacts stay in the list)."""
        self.segment(segment_id)
        del self.segments[segment_id]

    def list_segments(self, name: str | None, type_: int | None) -> list[StoredSegment]:
        """Segments whose name contains ``name`` and of type ``type_``, newest first."""
        found = [
            s
            for s in self.segments.values()
            if (name is None or name in s.name) and (type_ is None or s.type == type_)
        ]
        found.reverse()
        return found

    def segment_members(
        self, segment: StoredSegment, condition: StoredCondition | None
    ) -> list[int]:
        """The segment's members, narrowed by ``condition`` when given (cached for paging)."""
        if condition is None:
            return segment.members
        key = (segment.id, segment.revision, self.version, condition)
        cached = self._filter_cache.get(key)
        if cached is None:
            cached = select(
                condition, self.contacts, segment.members, self.field_keys, self.tag_names
            )
            self._filter_cache[key] = cached
            if len(self._filter_cache) > _FILTER_CACHE_SIZE:
                self._filter_cache.popitem(last=False)
        else:
            self._filter_cache.move_to_end(key)
        return cached

    def remove_segment_members(self, segment: StoredSegment, member_ids: Iterable[str]) -> int:
        """Drop contacts from a segment's membership; returns how many were members."""
        drop = {self.index[m] for m in member_ids if m in self.index}
        if not drop:
            return 0
        before = len(segment.members)
        segment.members = [i for i in segment.members if i not in drop]
        segment.revision += 1
        return before - len(segment.members)

    # -- tags ---------------------------------------------------------------------------------

    def _check_unique(self, name: str, tag_id: str | None = None) -> None:
        owner = self.tag_ids_by_name.get(name)
        if owner is not None and owner != tag_id:
            raise ApiError(ErrorKind.DUPLICATE, f"tag name [{name}] already exists", "tag_name")

    def create_tag(self, name: str, now: datetime | None = None) -> StoredTag:
        """Create a tag; names are unique."""
        self._check_unique(name)
        now = now or clock.now()
        tag = StoredTag(id=self.ids.next(), name=name, create_time=now, update_time=now)
        self.tags[tag.id] = tag
        self.tag_ids_by_name[name] = tag.id
        self.tag_names[tag.id] = name
        self.version += 1
        return tag

    def rename_tag(self, tag_id: str, name: str) -> StoredTag:
        """Rename a tag; segments by tag name see the new name when next evaluated."""
        tag = self.tag(tag_id)
        self._check_unique(name, tag_id)
        del self.tag_ids_by_name[tag.name]
        tag.name = name
        tag.update_time = clock.now()
        self.tag_ids_by_name[name] = tag_id
        self.tag_names[tag_id] = name
        self.version += 1
        return tag

    def delete_tag(self, tag_id: str) -> None:
        """Delete a tag and take it off every contact carrying it."""
        tag = self.tag(tag_id)
        contacts = self.contacts
        for i in tag.members:
            contacts[i].tag_ids.pop(tag_id, None)
        del self.tags[tag_id]
        del self.tag_ids_by_name[tag.name]
        del self.tag_names[tag_id]
        self._tag_members_cache.pop(tag_id, None)
        self.version += 1

    def list_tags(self, name: str | None) -> list[StoredTag]:
        """Tags whose name contains ``name``, newest first."""
        found = [t for t in self.tags.values() if name is None or name in t.name]
        found.reverse()
        return found

    def tag_contacts(self, tag_id: str, member_ids: Iterable[str], *, add: bool) -> int:
        """Add the tag to (or remove it from) contacts; O(len(member_ids)).

        Returns the number of distinct ids that name a contact: after the call each of them
        carries (or lacks) the tag, whether or not it did before. Unknown ids are ignored.
        """
        tag = self.tag(tag_id)
        contacts = self.contacts
        members = tag.members
        # map() and comprehensions over dicts: this runs for every id of a bulk
        # benchmark, and must not be what the benchmark measures.
        found = [i for i in map(self.index.get, dict.fromkeys(member_ids)) if i is not None]
        touched = len(found)
        if add:
            changed = [i for i in found if i not in members]
            members.update(dict.fromkeys(changed))
            for i in changed:
                contacts[i].tag_ids[tag_id] = None
        else:
            changed = [i for i in found if i in members]
            for i in changed:
                del members[i]
                contacts[i].tag_ids.pop(tag_id, None)
        if touched:
            self.version += 1
        return touched

    def tag_members(self, tag: StoredTag) -> list[int]:
        """The contacts carrying the tag, in contact order (stable across pages)."""
        cached = self._tag_members_cache.get(tag.id)
        if cached is None or cached[0] != self.version:
            cached = (self.version, sorted(tag.members))
            self._tag_members_cache[tag.id] = cached
        return cached[1]
