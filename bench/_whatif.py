"""A suggested mailseg fix, built bench-side so that its effect can be measured.

cattrs structures every ``X | None`` field through ``Converter._structure_optional``,
which looks the inner type's hook up again (``union.__args__``, then a dispatch) on
*every* value. Member has 11 optional fields, Segment 8 plus 4 in its condition items and
progress. Registering, once, a hook factory that resolves the inner hook when the
class hook is generated removes that lookup::

    # in mailseg.adapter.base_converter(), before any class hook is generated
    converter.register_structure_hook_factory(is_optional, optional_hook)

The adapters build their converters at import; this module rebuilds them with that
factory (by swapping ``base_converter`` for the duration of ``make_converter()``)
and exposes subclasses that ``mailseg.connect`` accepts as providers. Nothing in
mailseg is modified.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any

import cattrs

import mailseg_engagelab._converter as engagelab_converter
import mailseg_sendcloud._converter as sendcloud_converter
from mailseg_engagelab import EngageLabAdapter
from mailseg_sendcloud import SendCloudAdapter

_NONE = type(None)


def is_optional(annotation: Any) -> bool:
    """``X | None`` or ``Optional[X]`` with a single ``X``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    return origin in (typing.Union, types.UnionType) and len(args) == 2 and _NONE in args


def optional_hook(annotation: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """The hook for ``X | None``: X's hook resolved now, not per value."""
    inner = next(arg for arg in typing.get_args(annotation) if arg is not _NONE)
    hook = converter.get_structure_hook(inner)

    def structure(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure


def _rebuild(module: Any) -> cattrs.Converter:
    original = module.base_converter

    def base_converter() -> cattrs.Converter:
        converter: cattrs.Converter = original()
        converter.register_structure_hook_factory(is_optional, optional_hook)
        return converter

    module.base_converter = base_converter
    try:
        converter: cattrs.Converter = module.make_converter()
        return converter
    finally:
        module.base_converter = original


class FastEngageLabAdapter(EngageLabAdapter):
    """EngageLab with the optional-hook factory (bench only)."""

    converter = _rebuild(engagelab_converter)


class FastSendCloudAdapter(SendCloudAdapter):
    """SendCloud with the optional-hook factory (bench only)."""

    converter = _rebuild(sendcloud_converter)
