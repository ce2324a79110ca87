"""Compiled readers: a dialect's success answers decoded in one step by msgspec.

The hot path of reading an answer. `CompiledDialect` generates, from the same
`Spelling` the dialect's cattrs converter is built from, msgspec Struct types
for the answers of the frequent operations (a segment, a progress, a page of
segments, tags or members, a count), and plain functions that turn a decoded
Struct into the same frozen attrs models. msgspec decodes and type-checks the
body in C, straight into the Structs: no intermediate dicts, no per-field
dispatch.

A compiled reader only ever *declines*. It accepts a body only when the
readable path (``adapter.error`` then the cattrs converter) would accept it
and read the same values; for anything else (trailing commas, a digit string
where a number may stand, an error envelope on a 2xx, a missing key) it raises
and the client reads the body the readable way, so every error message is the
converter's ("required field missing @ body.id"). Where the readable path
accepts more than one shape (an integer or digit string, an enum's number or
string), the Struct accepts both and the same check as the converter's decides.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import attrs
import msgspec

from mailseg.adapter.convert import Spelling, parse_timestamp, strict_int
from mailseg.models import (
    Condition,
    ConditionItem,
    Member,
    Op,
    Page,
    Progress,
    Relation,
    Segment,
    SegmentStatus,
    SegmentType,
    Tag,
)

T = TypeVar("T")
_NONE = type(None)
_UNSET: Any = msgspec.UNSET


class Declined(Exception):
    """A compiled reader cannot vouch for this body: read it the readable way."""


_timestamp = parse_timestamp


def _time(value: str | None) -> datetime | None:
    return None if value is None else _timestamp(value)


def _int(value: int | str | None) -> int | None:
    # The converter's rule exactly: an integer, or a string of digits.
    return strict_int(value, int) if isinstance(value, str) else value


def _id(value: str) -> str:
    if not value:
        raise Declined("an empty id")
    return value


def _declined() -> Any:
    raise Declined("an empty id or a missing key")


#: The commonest conversions written into the generated code, not called:
#: a page of 100 members makes 600 of them.
# ``{first}`` is where the value is read first, ``{v}`` where it is read again: the
# same name for a field's own key, a name bound at ``{first}`` for an alias choice
# (so that the choice is made once).
_INLINE: dict[Callable[[Any], Any], str] = {
    _time: "(None if {first} is None else timestamp({v}))",
    _int: "({v} if type({first}) is not str else strict_int({v}))",
    _id: "({first} or declined())",
}


def _lookup(cls: type[enum.Enum]) -> Callable[[Any], Any]:
    # The converter's enum hook: the value, or its string ("2" for 2).
    members: dict[Any, Any] = {}
    for member in cls:
        members[member.value] = members[str(member.value)] = member

    def read(value: Any) -> Any:
        if value is None:
            return None
        member = members.get(value)
        if member is None:
            raise Declined(f"not a {cls.__name__}")
        return member

    return read


_ENUMS: dict[Any, Callable[[Any], Any]] = {
    cls: _lookup(cls) for cls in (SegmentType, SegmentStatus, Op, Relation)
}


def _members(cls: type[enum.Enum]) -> dict[Any, Any]:
    return {key: member for member in cls for key in (member.value, str(member.value))}


#: The enum reads written into the generated code: a dict lookup, not a call.
_TABLES: dict[Callable[[Any], Any], dict[Any, Any]] = {
    read: _members(cls) for cls, read in _ENUMS.items()
}

#: Per model field type: the Struct field's type and the function that turns
#: its value into the model's (None: taken as it is).
_SCALARS: dict[Any, tuple[Any, Callable[[Any], Any] | None]] = {
    str: (str, None),
    int: (int | str, _int),
    bool: (bool, None),
    datetime: (str, _time),
    Mapping[str, Any]: (dict[str, Any], None),
    tuple[str, ...]: (tuple[str, ...], None),
    SegmentType: (int | str, _ENUMS[SegmentType]),
    SegmentStatus: (int | str, _ENUMS[SegmentStatus]),
    Op: (str, _ENUMS[Op]),
    Relation: (str, _ENUMS[Relation]),
}


def _optional_inner(annotation: Any) -> Any:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and _NONE in args:
        (inner,) = (arg for arg in args if arg is not _NONE)
        return inner
    return None


@attrs.frozen
class _Compiled:
    """A model's Struct type and the function that builds the model from one."""

    struct: Any
    build: Callable[[Any], Any]
    #: The wire keys the Struct reads (aliases included).
    keys: tuple[str, ...]


class CompiledDialect:
    """The compiled readers of one dialect (a `Spelling` and its envelope).

    Args:
        spelling: the dialect's spelling, the one its converter was built from.
        result_key: the key a single object sits under in a success (EngageLab's
            ``"result"``), or None when the body is the object itself.
        items_key: the key of a listing's items.
        error_keys: top-level keys that may turn a 2xx into an error, each with
            the value that means "no error" (SendCloud's ``{"error": None}``,
            EngageLab's ``{"code": 0}``): a reader declines a body in which one
            holds anything else, and ``adapter.error`` judges it.

    Raises:
        ValueError: the spelling cannot be compiled (an alias that is another
            field's key, a ``prepare_segment`` function); the dialect is then read
            by its converter alone.
    """

    def __init__(
        self,
        spelling: Spelling,
        *,
        result_key: str | None,
        items_key: str,
        error_keys: Mapping[str, object],
    ) -> None:
        if spelling.prepare_segment is not None:
            raise ValueError("a prepare_segment function cannot be compiled")
        self._spelling = spelling
        self._result_key = result_key
        self._items_key = items_key
        self._error_keys = dict(error_keys)
        #: Per error key: the Struct field it is read into, its harmless value and type.
        self._quiet = tuple(
            (f"error{index}", harmless, type(harmless))
            for index, harmless in enumerate(self._error_keys.values())
        )
        self._models: dict[type, _Compiled] = {}
        item = self._model(ConditionItem, spelling.condition_item)
        self._models[ConditionItem] = item
        self._models[Condition] = self._model(Condition, {})
        self._models[Progress] = self._model(Progress, spelling.progress, known_key=True)
        self._models[Segment] = self._model(Segment, spelling.segment)
        self._models[Tag] = self._model(Tag, spelling.tag)
        self._models[Member] = self._model(Member, spelling.member)
        self._objects: dict[type, Callable[[bytes], Any]] = {}
        self._pages: dict[type, Callable[[int, int, bytes], Any]] = {}
        self._counts: dict[tuple[str, ...], Callable[[bytes], int]] = {}

    # Answers

    def object_reader(self, cls: type[T]) -> Callable[[bytes], T]:
        """A reader of a success that carries one ``cls`` (under `result_key`, if set)."""
        reader = self._objects.get(cls)
        if reader is None:
            reader = self._objects[cls] = self._object_reader(cls)
        return reader

    def page_reader(self, cls: type[T]) -> Callable[[int, int, bytes], Page[T]]:
        """A reader of a listing of ``cls``: ``read(offset, limit, body)``.

        The window first, so that ``functools.partial(read, offset, limit)`` is
        a call's ``fast_parse``.
        """
        reader = self._pages.get(cls)
        if reader is None:
            reader = self._pages[cls] = self._page_reader(cls)
        return reader

    def count_reader(self, keys: tuple[str, ...]) -> Callable[[bytes], int]:
        """A reader of a count: the first of ``keys`` present, a non-negative integer."""
        reader = self._counts.get(keys)
        if reader is None:
            reader = self._counts[keys] = self._count_reader(keys)
        return reader

    def _count_reader(self, keys: tuple[str, ...]) -> Callable[[bytes], int]:
        if set(keys) & set(self._error_keys):
            raise ValueError("a count key is also an error key")
        fields = [
            (f"count{index}", int | msgspec.UnsetType, _UNSET) for index, _ in enumerate(keys)
        ]
        rename = {f"count{index}": key for index, key in enumerate(keys)}
        decode = self._decoder("Count", fields, rename)
        names = tuple(rename)

        def read(body: bytes) -> int:
            answer = decode(body)
            for name in names:
                value = getattr(answer, name)
                if value is not _UNSET:
                    if value < 0:
                        raise Declined("a negative count")
                    return int(value)
            raise Declined("no count")

        return read

    def _object_reader(self, cls: type[T]) -> Callable[[bytes], T]:
        model = self._models[cls]
        build = model.build
        if self._result_key is not None:
            decode = self._decoder(
                f"{cls.__name__}Answer", [("result", model.struct)], {"result": self._result_key}
            )

            def read_wrapped(body: bytes) -> T:
                answer = decode(body)
                result: T = build(answer.result)
                return result

            return read_wrapped
        # The body is the object itself: the error keys sit beside its own.
        if set(model.keys) & set(self._error_keys):
            raise ValueError(f"an error key is also a key of {cls.__name__}")
        struct_fields = msgspec.structs.fields(model.struct)
        fields = [(f.name, f.type, f.default) for f in struct_fields if f.required is False]
        required = [(f.name, f.type) for f in struct_fields if f.required]
        rename = {f.name: f.encode_name for f in struct_fields}
        decode = self._decoder(f"{cls.__name__}Body", [*required, *fields], rename)

        def read_bare(body: bytes) -> T:
            answer = decode(body)
            result: T = build(answer)
            return result

        return read_bare

    def _page_reader(self, cls: type[T]) -> Callable[[int, int, bytes], Page[T]]:
        model = self._models[cls]
        build = model.build
        page = _PAGE
        if self._items_key in self._error_keys or "total" in self._error_keys:
            raise ValueError("a listing key is also an error key")
        decode = self._decoder(
            f"{cls.__name__}Page",
            [("items", list[model.struct] | None), ("total", int | None, None)],  # type: ignore[name-defined]
            {"items": self._items_key},
        )

        def read(offset: int, limit: int, body: bytes) -> Page[T]:
            answer = decode(body)
            total = answer.total
            if total is not None and total < 0:
                raise Declined("a negative total")
            items = answer.items
            built = () if items is None else tuple([build(item) for item in items])
            return page(built, total, offset, limit)

        return read

    def _decoder(
        self, name: str, fields: list[Any], rename: dict[str, str]
    ) -> Callable[[bytes], Any]:
        """A decoder of ``fields`` that declines a body whose error keys are not quiet."""
        error_fields = [(f"error{i}", Any, _UNSET) for i, _ in enumerate(self._error_keys)]
        rename = {**rename, **{f"error{i}": key for i, key in enumerate(self._error_keys)}}
        # gc=False: a decoded answer is a tree (JSON holds no cycles), freed as
        # soon as the models are built, so the collector need not track it.
        struct = msgspec.defstruct(
            name, [*fields, *error_fields], kw_only=True, rename=rename, gc=False
        )
        decode = msgspec.json.Decoder(struct).decode

        quiet = self._quiet

        def decoder(body: bytes) -> Any:
            # msgspec skips the keys it does not read without checking their
            # UTF-8; the readable path refuses such a body, so must this one.
            if not body.isascii():
                body.decode("utf-8")
            answer = decode(body)
            # An error key holding anything but its harmless value: adapter.error
            # judges the body.
            for name, harmless, kind in quiet:
                value = getattr(answer, name)
                if value is not _UNSET and (value != harmless or type(value) is not kind):
                    raise Declined("the body may carry an error")
            return answer

        return decoder

    # Models

    def _model(
        self, cls: type[Any], renames: Mapping[str, str], known_key: bool = False
    ) -> _Compiled:
        """The Struct of ``cls`` as spelled, and the builder of ``cls`` from it.

        ``known_key``: every field is optional, and at least one key must be
        present (the converter's rule for a progress).
        """
        aliases = self._spelling.aliases.get(cls, {})
        hints = typing.get_type_hints(cls)
        wire = {f.name: renames.get(f.name, f.name) for f in attrs.fields(cls)}
        flat = cls is Segment and self._spelling.flat_condition is not None
        if flat:
            del wire["condition"]
        taken = set(wire.values())
        fields: list[Any] = []
        rename: dict[str, str] = {}
        #: One expression per field of ``cls``, in order; the builder binds
        #: field ``i``'s value to ``v{i}`` (so a later expression may use it).
        values: list[str] = []
        #: The last time field read as it is: its index and its Struct field.
        last_time: tuple[int, str] | None = None
        namespace: dict[str, Any] = {
            "cls": cls,
            "Declined": Declined,
            "UNSET": _UNSET,
            "timestamp": _timestamp,
            "strict_int": strict_int,
            "declined": _declined,
        }
        for index, field in enumerate(attrs.fields(cls)):
            if field.name not in wire:
                values.append(self._flat_condition(fields, rename, namespace))
                continue
            key = wire[field.name]
            struct_type, convert = self._field_type(hints[field.name], field.name)
            if field.name == "id" and cls in (Segment, Member, Tag):
                convert = _id  # the converter's non_empty_str
            others = aliases.get(key, ())
            if set(others) & taken:
                raise ValueError(f"an alias of {key!r} is another field's key")
            taken.update(others)
            required = field.default is attrs.NOTHING and not known_key
            default = None if required or known_key else field.default
            if others or known_key or default is not None:
                fields.append((field.name, struct_type | msgspec.UnsetType, _UNSET))
            elif required:
                fields.append((field.name, struct_type))
            else:
                fields.append((field.name, struct_type, None))
            rename[field.name] = key
            value = f"s.{field.name}"
            if others:
                alias_names = []
                for number, other in enumerate(others):
                    alias = f"alias{index}_{number}"
                    fields.append((alias, struct_type | msgspec.UnsetType, _UNSET))
                    rename[alias] = other
                    alias_names.append(f"s.{alias}")
                # The converter's aliases: the key if present, else the first
                # other key present, else missing (an error if required).
                choices = [value, *alias_names]
                missing = "declined()" if required else "None"
                value = (
                    "("
                    + " else ".join(f"{choice} if {choice} is not UNSET" for choice in choices)
                    + f" else {missing})"
                )
            elif known_key:
                value = f"(None if {value} is UNSET else {value})"
            plain_time = convert is _time and value == f"s.{field.name}"
            first = again = value
            if value != f"s.{field.name}":
                first, again = f"(w{index} := {value})", f"w{index}"
            if convert in _INLINE:
                value = _INLINE[convert].format(first=first, v=again)
            elif convert in _TABLES:
                # What the enum's reader does: None stays None, a value or its
                # string is the member, anything else declines the body.
                namespace[f"table{index}"] = _TABLES[convert]
                value = (
                    f"(None if {first} is None else m if (m := table{index}.get({again}))"
                    " is not None else declined())"
                )
            elif convert is not None:
                namespace[f"convert{index}"] = convert
                value = f"convert{index}({value})"
            if default is not None and not others:
                # Absent is the model's default; present, the value is read
                # (a null for a relation is an error, as in the converter).
                namespace[f"default{index}"] = default
                value = f"(default{index} if s.{field.name} is UNSET else {value})"
            if plain_time:
                if last_time is not None:
                    # A time often repeats the one before it (a tag or contact
                    # never updated: update_time is create_time): the same text
                    # reads as the same value, so it is read once. A string
                    # comparison where they differ.
                    before, text = last_time
                    value = f"(v{before} if s.{field.name} == {text} else {value})"
                last_time = (index, f"s.{field.name}")
            values.append(value)
        struct = msgspec.defstruct(
            f"{cls.__name__}Struct", fields, kw_only=True, rename=rename, gc=False
        )
        lines = ["def build(s):"]
        if known_key:
            present = " and ".join(f"s.{name} is UNSET" for name, *_ in fields)
            lines.append(f"    if {present}:")
            lines.append("        raise Declined('none of the known keys')")
        lines += _construct(cls, values, namespace)
        # Generated once per model, like attrs' and cattrs' own functions: one
        # call per object instead of a loop over its fields.
        exec("\n".join(lines), namespace)  # noqa: S102 (text built here from field names)
        keys = tuple(rename.values())
        return _Compiled(struct=struct, build=namespace["build"], keys=keys)

    def _field_type(self, annotation: Any, name: str) -> tuple[Any, Callable[[Any], Any] | None]:
        inner = _optional_inner(annotation)
        optional = inner is not None
        base = inner if optional else annotation
        if base in _SCALARS:
            struct_type, convert = _SCALARS[base]
        elif base in self._models:
            model = self._models[base]
            struct_type, convert = model.struct, model.build
            if optional:
                convert = _optional(convert)
        elif typing.get_origin(base) is tuple and base in (tuple[ConditionItem, ...],):
            model = self._models[ConditionItem]
            struct_type, convert = list[model.struct], _each(model.build)  # type: ignore[name-defined]
        else:
            raise ValueError(f"cannot compile the field {name!r} ({annotation!r})")
        if optional:
            struct_type = struct_type | None
        return struct_type, convert

    def _flat_condition(
        self, fields: list[Any], rename: dict[str, str], namespace: dict[str, Any]
    ) -> str:
        """SendCloud's segment: the condition's keys sit beside the segment's own."""
        assert self._spelling.flat_condition is not None
        relation_key, items_key = self._spelling.flat_condition
        item = self._models[ConditionItem].struct
        fields.append(("flat_relation", str | None, None))
        fields.append(("flat_items", list[item] | None, None))  # type: ignore[valid-type]
        rename["flat_relation"] = relation_key
        rename["flat_items"] = items_key
        namespace["flat_condition"] = _flat_builder(self._models[ConditionItem].build)
        return "flat_condition(s.flat_relation, s.flat_items)"


def _plain(cls: type[Any]) -> bool:
    """Whether ``cls``'s ``__init__`` does nothing but store its arguments in its slots.

    True for a slotted attrs class without validators, converters, a pre- or
    post-init hook or a cached hash: every slot but ``__weakref__`` is a field.
    """
    fields = attrs.fields(cls)
    slots = getattr(cls, "__slots__", None)
    return (
        slots is not None
        and set(slots) - {"__weakref__"} == {f.name for f in fields}
        and all(f.validator is None and f.converter is None and f.init for f in fields)
        and not hasattr(cls, "__attrs_pre_init__")
        and not hasattr(cls, "__attrs_post_init__")
    )


def _construct(cls: type[Any], values: list[str], namespace: dict[str, Any]) -> list[str]:
    """The lines that build ``cls`` from ``values`` (one expression per field, in order).

    A frozen attrs ``__init__`` stores each field through ``object.__setattr__``
    (the name looked up on the type, then the slot set); a model with a plain
    ``__init__`` is instead made empty and each slot set through its own
    descriptor, which stores the same values: the instance is the one
    ``cls(...)`` makes, for a quarter less. A page of 100 members makes 1,200 stores.
    """
    fields = attrs.fields(cls)
    lines = [f"    v{index} = {value}" for index, value in enumerate(values)]
    if not _plain(cls):
        args = [
            f"{field.name}=v{index}" if field.kw_only else f"v{index}"
            for index, field in enumerate(fields)
        ]
        return [*lines, f"    return cls({', '.join(args)})"]
    namespace["new"] = object.__new__
    lines.append("    o = new(cls)")
    for index, field in enumerate(fields):
        namespace[f"set{index}"] = cls.__dict__[field.name].__set__
        lines.append(f"    set{index}(o, v{index})")
    lines.append("    return o")
    return lines


def _optional(build: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        return None if value is None else build(value)

    return convert


def _each(build: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, ...]]:
    def convert(values: list[Any]) -> tuple[Any, ...]:
        return tuple([build(value) for value in values])

    return convert


def _flat_builder(item: Callable[[Any], ConditionItem]) -> Callable[[Any, Any], Condition]:
    relations = _ENUMS[Relation]

    def build(relation: str | None, items: list[Any] | None) -> Condition:
        # The converter's reading: a missing or empty relation is "and",
        # missing or empty conditions are none.
        return Condition(
            relation=relations(relation or "and"),
            items=tuple([item(value) for value in items or ()]),
        )

    return build


def constructor(cls: type[T]) -> Callable[..., T]:
    """``cls(*fields)``, as `_construct` builds it: a function of every field, in order.

    For the models and the frozen values made on every call (a `Call`, its
    `Request`, a `Page`): all fields are given, so defaults and their
    factories are not consulted.
    """
    names = [field.name for field in attrs.fields(cls)]  # type: ignore[arg-type]
    namespace: dict[str, Any] = {"cls": cls}
    lines = [f"def make({', '.join(names)}):", *_construct(cls, names, namespace)]
    exec("\n".join(lines), namespace)  # noqa: S102 (text built here from field names)
    make: Callable[..., T] = namespace["make"]
    return make


_PAGE = constructor(Page)
