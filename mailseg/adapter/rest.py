"""A base for providers that speak JSON over REST: an adapter states only its differences.

Both built-in adapters are `RestAdapter` subclasses. What differs between
SendCloud and EngageLab is data (paths, the update verb, the page-size key,
key names, the listing's items key, the count keys, the auth scheme, the
converter's `Spelling`) and three small methods: `RestAdapter.unwrap` (the
success envelope), `RestAdapter.error` (the error format and codes) and, where
a create answers with less than the whole object, `RestAdapter.created_segment`
/ `RestAdapter.created_tag`. Everything else is written once, here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import cattrs

from mailseg.adapter.compiled import CompiledDialect, constructor
from mailseg.adapter.contract import (
    IDEMPOTENT_METHODS,
    Adapter,
    Call,
    Credentials,
    Operation,
    Request,
    Response,
    quote_id,
)
from mailseg.adapter.convert import Spelling
from mailseg.adapter.reading import nothing, read_count, read_object, read_page
from mailseg.models import Condition, Member, Page, Progress, Segment, SegmentType, Tag

T = TypeVar("T")

# The values every read makes, built without their __init__'s frozen stores
# (`constructor`): ``_request(method, path, query, json)``,
# ``_call(request, parse, repeatable, operation, fast_parse)``.
_request = constructor(Request)
_call = constructor(Call)


class RestAdapter(Adapter):
    """A JSON REST dialect described by class attributes. Subclass and fill them in.

    Tag paths are format strings: ``{tags}`` is `tags_path` and ``{tag_id}``
    the quoted tag id. A subclass still implements `Adapter.error`.
    """

    #: The converter that reads and writes the models (`mailseg.adapter.convert`).
    converter: ClassVar[cattrs.Converter]
    #: The `Spelling` `converter` was built from, declared in the same class as
    #: it. When set, the frequent answers are first read by compiled readers
    #: generated from it (`mailseg.adapter.compiled`); a body they decline is
    #: read by `error` and `converter`, as when it is None.
    spelling: ClassVar[Spelling | None] = None
    #: Where `unwrap` finds a success's object (None: the body itself),
    #: declared in the same class as `unwrap`.
    result_key: ClassVar[str | None] = None
    #: The top-level keys that can make `error` see an error in a 2xx, each with
    #: the value that means none (absent is none too); declared in the same
    #: class as `error`.
    error_keys: ClassVar[Mapping[str, object]] = {}
    #: ``Bearer`` or ``Basic``: the scheme in front of `Credentials.basic_token`.
    auth_scheme: ClassVar[str]
    #: The verb that replaces a segment or renames a tag (``PATCH``, ``PUT``).
    update_method: ClassVar[str]
    #: The query parameter of a page's size.
    page_size_key: ClassVar[str]
    #: The key of a listing's items (beside ``"total"``).
    items_key: ClassVar[str]

    segments_path: ClassVar[str]
    tags_path: ClassVar[str]
    tag_list_path: ClassVar[str] = "{tags}"
    tag_add_path: ClassVar[str] = "{tags}/{tag_id}/add"
    tag_remove_path: ClassVar[str] = "{tags}/{tag_id}/remove"
    tag_members_path: ClassVar[str] = "{tags}/{tag_id}/members"

    #: The segment's name in a body and in the list's query.
    segment_name_key: ClassVar[str]
    #: The member ids of a segment member removal.
    member_ids_key: ClassVar[str]
    #: The count of a segment member removal; the first key present wins.
    segment_count_keys: ClassVar[tuple[str, ...]] = ("count",)
    #: The tag's name in a body.
    tag_name_key: ClassVar[str]
    #: The tag-name filter of the tag list.
    tag_name_query: ClassVar[str]
    #: The member ids of a tag add or remove.
    tag_member_ids_key: ClassVar[str]
    #: The count of a tag add or remove; the first key present wins.
    tag_count_keys: ClassVar[tuple[str, ...]] = ("count",)

    def authorization(self, credentials: Credentials) -> str:
        return f"{self.auth_scheme} {credentials.basic_token()}"

    def unwrap(self, response: Response) -> Any:
        """The object a success carries, out of its envelope (by default the body itself)."""
        return read_object(response)

    def created_segment(
        self, response: Response, name: str, type: SegmentType, condition: Condition
    ) -> Segment:
        """The segment a create answered with (by default the answer is the whole segment)."""
        return self.read_segment(response)

    def created_tag(self, response: Response, name: str) -> Tag:
        """The tag a create answered with (by default the answer is the whole tag)."""
        return self.converter.structure(self.unwrap(response), Tag)

    def read_segment(self, response: Response) -> Segment:
        """A segment answer."""
        return self.converter.structure(read_object(response, self.unwrap(response)), Segment)

    # Segments

    def create_segment(self, name: str, type: SegmentType, condition: Condition) -> Call[Segment]:
        body = {self.segment_name_key: name, "type": int(type), "condition": self._out(condition)}

        def parse(response: Response) -> Segment:
            return self.created_segment(response, name, type, condition)

        operation = Operation("segments.create", self.segments_path)
        return Call(Request("POST", self.segments_path, json=body), parse, operation=operation)

    def get_segment(self, segment_id: str) -> Call[Segment]:
        call: Call[Segment] | None = self._calls().get(("segments.get", segment_id))
        if call is None:
            call = self._remember(("segments.get", segment_id), self._get_segment(segment_id))
        return call

    def _get_segment(self, segment_id: str) -> Call[Segment]:
        request = _request("GET", self._segment(segment_id), (), None)
        operation = _segment_operation(self.segments_path, "segments.get", "", None)
        result: Call[Segment] = _call(
            request, self.read_segment, True, operation, self._fast_segment()
        )
        return result

    def update_segment(
        self, segment_id: str, *, name: str | None, type: SegmentType, condition: Condition
    ) -> Call[Segment]:
        body: dict[str, Any] = {}
        if name is not None:
            body[self.segment_name_key] = name
        body["type"] = int(type)
        body["condition"] = self._out(condition)
        request = Request(self.update_method, self._segment(segment_id), json=body)
        operation = self._on_segment("segments.update")
        return Call(
            request, self.read_segment, operation=operation, fast_parse=self._fast_segment()
        )

    def delete_segment(self, segment_id: str) -> Call[None]:
        request = Request("DELETE", self._segment(segment_id))
        return Call(request, nothing, operation=self._on_segment("segments.delete"))

    def list_segments(
        self, *, name: str | None, type: SegmentType | None, offset: int, limit: int
    ) -> Call[Page[Segment]]:
        key = ("segments.list", name, type, offset, limit)
        call: Call[Page[Segment]] | None = self._calls().get(key)
        if call is None:
            call = self._remember(key, self._list_segments(name, type, offset, limit))
        return call

    def _list_segments(
        self, name: str | None, type: SegmentType | None, offset: int, limit: int
    ) -> Call[Page[Segment]]:
        query = self._paging(offset, limit)
        if name is not None:
            query.append((self.segment_name_key, name))
        if type is not None:
            query.append(("type", str(int(type))))
        request = _request("GET", self.segments_path, tuple(query), None)
        operation = _operation("segments.list", self.segments_path, None, limit)
        return self._page_call(request, Segment, offset, limit, operation)

    def segment_progress(self, segment_id: str) -> Call[Progress]:
        def parse(response: Response) -> Progress:
            return self.converter.structure(self.unwrap(response), Progress)

        compiled = self._compiled()
        fast = None if compiled is None else compiled.object_reader(Progress)
        request = _request("GET", f"{self._segment(segment_id)}/process", (), None)
        operation = _segment_operation(self.segments_path, "segments.progress", "/process", None)
        result: Call[Progress] = _call(request, parse, True, operation, fast)
        return result

    def segment_members(
        self, segment_id: str, *, condition: Condition | None, offset: int, limit: int
    ) -> Call[Page[Member]]:
        body = {} if condition is None else {"condition": self._out(condition)}
        request = _request(
            "POST",
            f"{self._segment(segment_id)}/members",
            tuple(self._paging(offset, limit)),
            body,
        )
        operation = _segment_operation(self.segments_path, "segments.members", "/members", limit)
        # A POST only because it carries a filter: reading it twice is harmless.
        return self._page_call(request, Member, offset, limit, operation, repeatable=True)

    def remove_segment_members(self, segment_id: str, member_ids: Sequence[str]) -> Call[int]:
        path = f"{self._segment(segment_id)}/members"
        request = Request("DELETE", path, json={self.member_ids_key: list(member_ids)})
        operation = self._on_segment(
            "segments.remove_members", "/members", chunk_size=len(member_ids)
        )
        keys = self.segment_count_keys
        fast = self._fast_count(keys)
        return Call(request, self._count(keys), operation=operation, fast_parse=fast)

    # Tags

    def create_tag(self, name: str) -> Call[Tag]:
        def parse(response: Response) -> Tag:
            return self.created_tag(response, name)

        request = Request("POST", self.tags_path, json={self.tag_name_key: name})
        return Call(request, parse, operation=Operation("tags.create", self.tags_path))

    def update_tag(self, tag_id: str, *, name: str) -> Call[None]:
        request = Request(self.update_method, self._tag(tag_id), json={self.tag_name_key: name})
        return Call(request, nothing, operation=self._on_tag("tags.update", "{tags}/{tag_id}"))

    def delete_tag(self, tag_id: str) -> Call[None]:
        request = Request("DELETE", self._tag(tag_id))
        return Call(request, nothing, operation=self._on_tag("tags.delete", "{tags}/{tag_id}"))

    def list_tags(self, *, name: str | None, offset: int, limit: int) -> Call[Page[Tag]]:
        key = ("tags.list", name, offset, limit)
        call: Call[Page[Tag]] | None = self._calls().get(key)
        if call is None:
            call = self._remember(key, self._list_tags(name, offset, limit))
        return call

    def _list_tags(self, name: str | None, offset: int, limit: int) -> Call[Page[Tag]]:
        query = self._paging(offset, limit)
        if name is not None:
            query.append((self.tag_name_query, name))
        path = self._tag_path(self.tag_list_path)
        request = _request("GET", path, tuple(query), None)
        operation = _operation("tags.list", path, None, limit)
        return self._page_call(request, Tag, offset, limit, operation)

    def add_tag_members(self, tag_id: str, member_ids: Sequence[str]) -> Call[int]:
        return self._tag_members_change("tags.add_members", self.tag_add_path, tag_id, member_ids)

    def remove_tag_members(self, tag_id: str, member_ids: Sequence[str]) -> Call[int]:
        return self._tag_members_change(
            "tags.remove_members", self.tag_remove_path, tag_id, member_ids
        )

    def tag_members(self, tag_id: str, *, offset: int, limit: int) -> Call[Page[Member]]:
        request = _request(
            "GET",
            self._tag_path(self.tag_members_path, tag_id),
            tuple(self._paging(offset, limit)),
            None,
        )
        operation = self._on_tag("tags.members", self.tag_members_path, page_size=limit)
        return self._page_call(request, Member, offset, limit, operation)

    # Pieces

    #: The most reading calls an adapter keeps made (see `_calls`).
    remembered_calls: ClassVar[int] = 256

    def _calls(self) -> dict[tuple[Any, ...], Call[Any]]:
        """The reading calls made already, by operation and arguments.

        The same detail or page is read again and again (a dashboard polling a
        segment, a tag picker's first page): its `Call`, a frozen value that only
        describes the request and how to read the answer, is made once and sent as
        often as asked. Only calls without a body are kept; at `remembered_calls`
        the table starts afresh.
        """
        calls: dict[tuple[Any, ...], Call[Any]] | None = self.__dict__.get("_made_calls")
        if calls is None:
            calls = self.__dict__["_made_calls"] = {}
        return calls

    def _remember(self, key: tuple[Any, ...], call: Call[T]) -> Call[T]:
        calls = self._calls()
        if len(calls) >= self.remembered_calls:
            calls.clear()
        calls[key] = call
        return call

    def _segment(self, segment_id: str) -> str:
        return f"{self.segments_path}/{quote_id(segment_id)}"

    def _tag(self, tag_id: str) -> str:
        return f"{self.tags_path}/{quote_id(tag_id)}"

    def _tag_path(self, template: str, tag_id: str = "") -> str:
        return _tag_path(template, self.tags_path, tag_id)

    def _on_segment(
        self,
        name: str,
        tail: str = "",
        *,
        page_size: int | None = None,
        chunk_size: int | None = None,
    ) -> Operation:
        template = _segment_template(self.segments_path, tail)
        return _operation(name, template, "segment_id", page_size, chunk_size)

    def _on_tag(
        self,
        name: str,
        template: str,
        *,
        page_size: int | None = None,
        chunk_size: int | None = None,
    ) -> Operation:
        path = _tag_path(template, self.tags_path, "{tag_id}", quoted=False)
        return _operation(name, path, "tag_id", page_size, chunk_size)

    def _paging(self, offset: int, limit: int) -> list[tuple[str, str]]:
        return [("offset", str(offset)), (self.page_size_key, str(limit))]

    def _out(self, condition: Condition) -> dict[str, Any]:
        result: dict[str, Any] = self.converter.unstructure(condition)
        return result

    def _page(self, cls: type[T], offset: int, limit: int) -> Callable[[Response], Page[T]]:
        converter, items_key = self.converter, self.items_key

        def parse(response: Response) -> Page[T]:
            # The hook is looked up here, not per call: with compiled readers
            # this runs only for the pages they decline.
            structure = converter.get_structure_hook(cls)
            data = read_object(response)
            return read_page(response, data, items_key, structure, cls, offset=offset, limit=limit)

        return parse

    def _count(self, keys: tuple[str, ...]) -> Callable[[Response], int]:
        def parse(response: Response) -> int:
            return read_count(response, read_object(response), *keys)

        return parse

    def _tag_members_change(
        self, name: str, template: str, tag_id: str, member_ids: Sequence[str]
    ) -> Call[int]:
        request = Request(
            "POST",
            self._tag_path(template, tag_id),
            json={self.tag_member_ids_key: list(member_ids)},
        )
        operation = self._on_tag(name, template, chunk_size=len(member_ids))
        keys = self.tag_count_keys
        # Adding a tag a contact has, or removing one it lacks, changes nothing.
        return Call(
            request,
            self._count(keys),
            repeatable=True,
            operation=operation,
            fast_parse=self._fast_count(keys),
        )

    # Compiled readers

    @classmethod
    def _compiled(cls) -> CompiledDialect | None:
        """This class's compiled readers, or None when they cannot stand in for its methods."""
        found = cls.__dict__.get("_compiled_dialect", _UNBUILT)
        if found is _UNBUILT:
            found = _compile(cls)
            cls._compiled_dialect = found  # type: ignore[attr-defined]
        return found  # type: ignore[no-any-return]

    def _fast_segment(self) -> Callable[[bytes], Segment] | None:
        # Looked up on every segments.get: kept in the class, beside its readers.
        cls = type(self)
        found = cls.__dict__.get("_compiled_segment_reader", _UNBUILT)
        if found is _UNBUILT:
            compiled = self._compiled()
            found = None if compiled is None else compiled.object_reader(Segment)
            cls._compiled_segment_reader = found  # type: ignore[attr-defined]
        return found  # type: ignore[no-any-return]

    def _fast_page(self, cls: type[T]) -> Callable[[int, int, bytes], Page[T]] | None:
        # Looked up for every page: kept in the class, beside its readers.
        readers = type(self).__dict__.get("_compiled_page_readers")
        if readers is None:
            readers = {}
            type(self)._compiled_page_readers = readers  # type: ignore[attr-defined]
        found = readers.get(cls, _UNBUILT)
        if found is _UNBUILT:
            compiled = self._compiled()
            found = readers[cls] = None if compiled is None else compiled.page_reader(cls)
        return found  # type: ignore[no-any-return]

    def _fast_count(self, keys: tuple[str, ...]) -> Callable[[bytes], int] | None:
        compiled = self._compiled()
        if compiled is None:
            return None
        try:
            return compiled.count_reader(keys)
        except ValueError:
            return None

    def _page_call(
        self,
        request: Request,
        cls: type[T],
        offset: int,
        limit: int,
        operation: Operation,
        *,
        repeatable: bool | None = None,
    ) -> Call[Page[T]]:
        parse = self._page(cls, offset, limit)
        read = self._fast_page(cls)
        fast = None if read is None else functools.partial(read, offset, limit)
        if repeatable is None:
            repeatable = request.method in IDEMPOTENT_METHODS  # Call's default
        result: Call[Page[T]] = _call(request, parse, repeatable, operation, fast)
        return result


_UNBUILT = object()


@functools.lru_cache(maxsize=1024)
def _tag_path(template: str, tags_path: str, tag_id: str, *, quoted: bool = True) -> str:
    return template.format(tags=tags_path, tag_id=quote_id(tag_id) if quoted else tag_id)


@functools.lru_cache(maxsize=64)
def _segment_template(segments_path: str, tail: str) -> str:
    return f"{segments_path}/{{segment_id}}{tail}"


@functools.lru_cache(maxsize=256)
def _segment_operation(
    segments_path: str, name: str, tail: str, page_size: int | None
) -> Operation:
    """`RestAdapter._on_segment` in one cached step, for the calls made most often."""
    return _operation(name, _segment_template(segments_path, tail), "segment_id", page_size)


@functools.lru_cache(maxsize=1024)
def _operation(
    name: str,
    template: str,
    id_kind: str | None = None,
    page_size: int | None = None,
    chunk_size: int | None = None,
) -> Operation:
    # Frozen values, made per call: the few distinct ones are built once.
    return Operation(name, template, id_kind, page_size, chunk_size)


#: The methods the compiled readers stand in for, each with the attribute
#: that must be declared in the same class for them to agree.
_DECLARED_TOGETHER = (("converter", "spelling"), ("unwrap", "result_key"), ("error", "error_keys"))
#: Methods whose readable reading the compiled readers copy from `RestAdapter`.
_READING_METHODS = ("read_segment", "segment_progress", "_page", "_count")


def _declaring(cls: type, name: str) -> type | None:
    return next((klass for klass in cls.__mro__ if name in vars(klass)), None)


def _compile(cls: type[RestAdapter]) -> CompiledDialect | None:
    """Compiled readers for ``cls``, unless a subclass changed what they stand in for.

    A subclass that overrides `RestAdapter.error` without `RestAdapter.error_keys`
    (or `unwrap` without `result_key`, `converter` without `spelling`, or any
    reading method) is read by its own methods only: the readers cannot know
    what the override does.
    """
    if cls.spelling is None:
        return None
    for method, declaration in _DECLARED_TOGETHER:
        if _declaring(cls, method) is not _declaring(cls, declaration):
            return None
    if any(_declaring(cls, name) is not RestAdapter for name in _READING_METHODS):
        return None
    try:
        return CompiledDialect(
            cls.spelling,
            result_key=cls.result_key,
            items_key=cls.items_key,
            error_keys=cls.error_keys,
        )
    except ValueError:
        return None
