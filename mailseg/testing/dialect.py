"""What a provider dialect is: its paths, auth scheme, spelling, and the shape of every answer.

The handlers in :mod:`mailseg.testing.app` are provider-neutral; they ask the dialect for
each answer. :mod:`mailseg.testing.sendcloud` and :mod:`mailseg.testing.engagelab` implement
it, each following its provider's pages in ``seeds/``.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import attrs

from mailseg.testing.contacts import Contact
from mailseg.testing.errors import ApiError
from mailseg.testing.naming import Naming
from mailseg.testing.parsing import Reader
from mailseg.testing.store import Progress, Store, StoredSegment, StoredTag

JSON = Any


@attrs.frozen
class Reply:
    """An answer to send: status, JSON body (None: no body at all) and extra headers."""

    status: int
    body: JSON = None
    headers: Mapping[str, str] = attrs.field(factory=dict)


class Dialect(abc.ABC):
    """One provider's wire dialect, bound to the account state it renders."""

    provider: ClassVar[str]
    #: Path prefix of every endpoint ("/marketing/lists" or "/v1/marketing/lists").
    prefix: ClassVar[str]
    #: The ``Authorization`` scheme the provider takes ("Bearer" or "Basic").
    auth_scheme: ClassVar[str]
    #: The verb of an update ("PATCH" or "PUT").
    update_method: ClassVar[str]

    def __init__(self, store: Store, *, user_id: int, list_id: int) -> None:
        self.store = store
        self.user_id = user_id
        self.list_id = list_id
        self.naming = Naming(self.provider)
        self.reader = Reader(self.naming)

    def tag_names_of(self, contact: Contact) -> list[str]:
        """The names of the contact's tags, in the order they were added."""
        names = self.store.tag_names
        return [names[t] for t in contact.tag_ids if t in names]

    @abc.abstractmethod
    def error(self, error: ApiError) -> Reply:
        """The provider's error answer."""

    @abc.abstractmethod
    def segment_created(self, segment: StoredSegment, progress: Progress) -> Reply: ...

    @abc.abstractmethod
    def segment_deleted(self) -> Reply: ...

    @abc.abstractmethod
    def segment_updated(self, segment: StoredSegment, progress: Progress) -> Reply: ...

    @abc.abstractmethod
    def segment_detail(self, segment: StoredSegment, progress: Progress) -> Reply: ...

    @abc.abstractmethod
    def segment_list(self, page: Sequence[tuple[StoredSegment, Progress]], total: int) -> Reply: ...

    @abc.abstractmethod
    def segment_progress(self, progress: Progress) -> Reply: ...

    @abc.abstractmethod
    def segment_members(self, page: Sequence[Contact], total: int) -> Reply: ...

    @abc.abstractmethod
    def segment_members_removed(self, count: int) -> Reply: ...

    @abc.abstractmethod
    def tag_created(self, tag: StoredTag) -> Reply: ...

    @abc.abstractmethod
    def tag_deleted(self) -> Reply: ...

    @abc.abstractmethod
    def tag_updated(self, tag: StoredTag) -> Reply: ...

    @abc.abstractmethod
    def tag_list(self, page: Sequence[StoredTag], total: int) -> Reply: ...

    @abc.abstractmethod
    def tag_applied(self, count: int) -> Reply:
        """The answer to a tag add or remove."""

    @abc.abstractmethod
    def tag_members(self, page: Sequence[Contact], total: int) -> Reply: ...

    @abc.abstractmethod
    def status_body(self, status: int, message: str) -> JSON:
        """The JSON body the provider would send with an HTTP status of its own (429, 5xx)."""
