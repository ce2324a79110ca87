"""cattrs hooks every dialect shares, and a converter built from a dialect's spelling.

The cattrs docs recommend one private converter per wire format: `dialect_converter`
builds one from a `Spelling` (which key each model field has on the wire, and
which other keys a provider's pages also use), on top of `base_converter`'s
strict scalars and the providers' timestamps.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from mailseg.models import (
    Condition,
    ConditionItem,
    Member,
    Op,
    Progress,
    Relation,
    Segment,
    SegmentStatus,
    SegmentType,
    Tag,
)

T = TypeVar("T")
_NONE = type(None)

#: Both providers document their times in China Standard Time.
#: The zone an explicit "+0800" reads as too (named "UTC+08:00" all the same).
PROVIDER_ZONE = timezone(timedelta(hours=8))

#: A model field and the wire key it is read from (only where the two differ).
Renames = Mapping[str, str]
#: A wire key and the other keys read in its place when it is absent, in order.
Aliases = Mapping[str, tuple[str, ...]]


@attrs.frozen
class Spelling:
    """How one dialect spells the models on the wire.

    Attributes:
        condition_item: renames of `ConditionItem` fields, both ways.
        segment, member, tag, progress: renames of those models' fields, read only.
        aliases: per model, wire keys the provider's pages also spell another way.
        flat_condition: ``(relation key, items key)`` when the condition is
            flattened into the segment object (SendCloud), read as a condition
            whose missing or empty relation is "and" and missing or empty items
            none; None when the segment holds a ``condition`` object.
        prepare_segment: reshapes a segment object before it is read, for a
            dialect `flat_condition` does not describe. A dialect that sets it
            is read by its converter only: a function cannot be compiled
            (`mailseg.adapter.compiled`).
    """

    condition_item: Renames = attrs.field(factory=dict)
    segment: Renames = attrs.field(factory=dict)
    member: Renames = attrs.field(factory=dict)
    tag: Renames = attrs.field(factory=dict)
    progress: Renames = attrs.field(factory=dict)
    aliases: Mapping[type, Aliases] = attrs.field(factory=dict)
    flat_condition: tuple[str, str] | None = None
    prepare_segment: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def dialect_converter(spelling: Spelling) -> cattrs.Converter:
    """A private converter that reads and writes the models in ``spelling``."""
    conv = base_converter()
    item_names: dict[str, Any] = {
        name: override(rename=key) for name, key in spelling.condition_item.items()
    }
    conv.register_structure_hook(
        ConditionItem, make_dict_structure_fn(ConditionItem, conv, **item_names)
    )
    conv.register_unstructure_hook(
        ConditionItem,
        # _cattrs_omit_if_default: no "campaign_id": null for attribute tests.
        make_dict_unstructure_fn(ConditionItem, conv, _cattrs_omit_if_default=True, **item_names),
    )
    conv.register_unstructure_hook(
        Condition,
        make_dict_unstructure_fn(Condition, conv, relation=override(omit_if_default=False)),
    )
    # Before the models: a segment's hook takes the progress hook as it is now.
    conv.register_structure_hook(Progress, _progress_reader(conv, spelling))
    models: tuple[tuple[type[Any], Renames, str], ...] = (
        (Segment, spelling.segment, "a segment"),
        (Member, spelling.member, "a member"),
        (Tag, spelling.tag, "a tag"),
    )
    for cls, renames, what in models:
        overrides: dict[str, Any] = {name: override(rename=key) for name, key in renames.items()}
        overrides["id"] = override(rename=renames.get("id", "id"), struct_hook=non_empty_str)
        read = make_dict_structure_fn(cls, conv, **overrides)
        prepare = _segment_preparation(spelling) if cls is Segment else None
        conv.register_structure_hook(
            cls, _object_reader(read, cls, what, spelling.aliases.get(cls, {}), prepare)
        )
    return conv


def _segment_preparation(spelling: Spelling) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    if spelling.flat_condition is None:
        return spelling.prepare_segment
    relation_key, items_key = spelling.flat_condition
    prepare = spelling.prepare_segment

    def flat_condition(data: dict[str, Any]) -> dict[str, Any]:
        condition = {
            "relation": data.get(relation_key) or "and",
            "items": data.get(items_key) or [],
        }
        data = {**data, "condition": condition}
        return data if prepare is None else prepare(data)

    return flat_condition


def _fill_aliases(aliases: Aliases) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def fill(data: dict[str, Any]) -> dict[str, Any]:
        copied = False
        for key, others in aliases.items():
            if key in data:
                continue
            for other in others:
                if other in data:
                    if not copied:
                        data, copied = dict(data), True
                    data[key] = data[other]
                    break
        return data

    return fill


def _object_reader(
    read: Callable[[Any, Any], T],
    cls: type[T],
    what: str,
    aliases: Aliases,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None,
) -> Callable[[Any, Any], T]:
    steps = [step for step in (_fill_aliases(aliases) if aliases else None, prepare) if step]

    def structure(data: Any, _: Any) -> T:
        if not isinstance(data, dict):
            raise TypeError(f"expected {what} object, got {type(data).__name__}")
        for step in steps:
            data = step(data)
        return read(data, cls)

    return structure


def _progress_reader(conv: cattrs.Converter, spelling: Spelling) -> Callable[[Any, Any], Progress]:
    names = {"description": "description", **spelling.progress}
    aliases = spelling.aliases.get(Progress, {})
    renames: dict[str, Any] = {name: override(rename=k) for name, k in spelling.progress.items()}
    read = make_dict_structure_fn(Progress, conv, **renames)
    # Every field of a progress is optional: a string or an unrelated object
    # must not read as "nothing known", so one known key is required.
    known = tuple(names.get(f.name, f.name) for f in attrs.fields(Progress))
    known += tuple(other for others in aliases.values() for other in others)
    fill = _fill_aliases(aliases)

    def structure(data: Any, _: Any) -> Progress:
        return read(fill(object_with(data, "a progress", known)), Progress)

    return structure


_fromisoformat = datetime.fromisoformat
#: Characters 4, 7, 10, 13 and 16 of "YYYY-MM-DD HH:MM:SS" (``value[4::3]``).
_NAIVE_SHAPES = ("-- ::", "--T::")


def parse_timestamp(value: str) -> datetime:
    """A provider time as an aware datetime.

    Accepts ``2021-04-25 18:54:56`` (no offset: UTC+8), ``2023-11-29 16:28:41+0800``
    and ``2023-11-28T11:14:48+0800``.
    """
    if len(value) == 19 and value[4::3] in _NAIVE_SHAPES:
        # SendCloud's "2021-04-25 18:54:56": a whole time and no offset, read
        # with UTC+8 written in, in one parse. With "-", "-", " " or "T", ":",
        # ":" where they stand in such a time, the parse succeeds only if every
        # other character is a digit; anything it refuses (a letter, an
        # impossible date) is read below and fails there, with the same message.
        try:
            return _fromisoformat(value + "+08:00")
        except ValueError:
            pass
    try:
        parsed = _fromisoformat(value)  # Python 3.11+ reads all three as they are
    except ValueError:
        return _read_timestamp(value)
    if parsed.tzinfo is None:
        return _in_provider_zone(value, parsed)
    return parsed


def _read_timestamp(value: str) -> datetime:
    """`parse_timestamp` without its shortcut: any ISO 8601 form, naive ones in UTC+8."""
    try:
        parsed = datetime.fromisoformat(value)  # Python 3.11+ reads all three as they are
    except ValueError:
        # Before 3.11 "+0800" is not understood: normalise it to "+08:00".
        text = value.strip()
        if len(text) >= 5 and text[-5] in "+-" and text[-4:].isdigit():
            text = f"{text[:-2]}:{text[-2:]}"
        parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return _in_provider_zone(value, parsed)
    return parsed


def _in_provider_zone(value: str, naive: datetime) -> datetime:
    # replace(tzinfo=...) is the slowest step of reading a member (three times
    # each); parsing the text again with the offset written in costs a third.
    # Only where a time is present (longer than any date form): fromisoformat
    # takes any character between date and time, so "2023-01-01+08:00" would
    # read as 08:00. The fields are compared all the same.
    if len(value) > 10:
        try:
            aware = datetime.fromisoformat(value + "+08:00")
        except ValueError:
            pass
        else:
            if (
                aware.tzinfo is not None
                and aware.microsecond == naive.microsecond
                and aware.second == naive.second
                and aware.minute == naive.minute
                and aware.hour == naive.hour
                and aware.day == naive.day
            ):
                return aware
    return naive.replace(tzinfo=PROVIDER_ZONE)


def non_empty_str(value: Any, _: type = str) -> str:
    """A structure hook for ids: a string, and not an empty one."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"expected a non-empty string id, got {value!r:.40}")
    return value


def object_with(data: Any, what: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """``data`` if it is an object holding at least one of ``keys``, else a TypeError.

    For models whose every field is optional (a progress), so that a string
    or an unrelated object does not read as "nothing known".
    """
    if not isinstance(data, dict):
        raise TypeError(f"expected {what} object, got {type(data).__name__}")
    for key in keys:
        if key in data:
            return data
    raise TypeError(f"{what} object has none of {', '.join(keys)}")


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def strict_int(value: Any, _: type = int) -> int:
    """A structure hook for integers: an integer, or a string of digits (``"2"``)."""
    # Providers send some integers as strings ("status": "2"); accept digits,
    # refuse booleans, floats and anything else rather than guess.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise TypeError(f"expected an integer, got {value!r:.40}")


def _strict_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected a boolean, got {value!r:.40}")
    return value


def _timestamp(value: Any, _: type) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected a time string, got {type(value).__name__}")
    return parse_timestamp(value)


def _enum_lookup(cls: type[enum.Enum]) -> Callable[[Any, type], Any]:
    # A lookup table instead of Enum's own call, which costs several times
    # more per value read; it also takes the providers' "2" for a status 2.
    members: dict[Any, Any] = {}
    for member in cls:
        members[member.value] = members[str(member.value)] = member

    def structure(value: Any, _: type) -> Any:
        member = members.get(value) if type(value) in (int, str) else None
        if member is None:
            raise ValueError(f"{value!r:.40} is not a valid {cls.__name__}")
        return member

    return structure


def _mapping(value: Any, _: type) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _enum_value(value: Op | Relation) -> str:
    return str(value.value)


def _is_optional(annotation: Any) -> bool:
    args = typing.get_args(annotation)
    return (
        typing.get_origin(annotation) in (typing.Union, types.UnionType)
        and len(args) == 2
        and _NONE in args
    )


def _optional_hook(annotation: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    # cattrs' own Optional handling finds the inner hook again for every
    # value; resolving it once, when the class hook is built, makes a member
    # about a quarter faster to read.
    inner = next(arg for arg in typing.get_args(annotation) if arg is not _NONE)
    hook = converter.get_structure_hook(inner)
    if inner is str and hook is _strict_str:
        return _optional_str  # the commonest case, without a second call
    if inner is int and hook is strict_int:
        return _optional_int

    def structure(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure


def _optional_str(value: Any, _: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    return _strict_str(value, str)


def _optional_int(value: Any, _: Any) -> int | None:
    if value is None or type(value) is int:
        return value
    return strict_int(value, int)


def _is_homogeneous_tuple(annotation: Any) -> bool:
    args = typing.get_args(annotation)
    return typing.get_origin(annotation) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook(annotation: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    item = typing.get_args(annotation)[0]
    hook = converter.get_structure_hook(item)

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        return tuple([hook(element, item) for element in value])

    return structure


def base_converter() -> cattrs.Converter:
    """A cattrs converter with the hooks every provider dialect shares.

    Strict scalars (a string is never silently made of a number or a null),
    the providers' timestamps, string-encoded statuses, and contact fields kept
    as an object. `dialect_converter` starts from a fresh one per dialect.
    """
    converter = cattrs.Converter()
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(int, strict_int)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(datetime, _timestamp)
    for cls in (SegmentStatus, SegmentType, Op, Relation):
        converter.register_structure_hook(cls, _enum_lookup(cls))
    # str-valued enums go out as their plain values.
    converter.register_unstructure_hook(Op, _enum_value)
    converter.register_unstructure_hook(Relation, _enum_value)
    # Generic aliases are not classes: they are matched by predicate.
    converter.register_structure_hook_func(lambda t: t == Mapping[str, Any], _mapping)
    converter.register_structure_hook_factory(_is_optional, _optional_hook)
    converter.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_hook)
    return converter
