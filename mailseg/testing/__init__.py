"""mailseg.testing: a local emulator of SendCloud's and EngageLab's segment and tag APIs.

``Emulator`` serves either provider's dialect over HTTP, with real segment evaluation,
the providers' validation and error bodies, processing that takes a few polls, and
injectable faults. ``python -m mailseg.testing`` serves one from the command line; the
pytest plugin (``mailseg.testing.pytest_plugin``) gives fixtures.

Names are imported on first use, so importing this package (which pytest does for the
plugin) costs nothing until an emulator is wanted.

The emulator's own records of the account are ``StoredSegment``, ``StoredTag``,
``StoredCondition`` and ``StoredConditionItem``, named apart from the SDK's ``mailseg.Segment``
and the rest: a test often holds both. Their 0.1 names (``Segment``, ``Tag``, ``Condition``,
``ConditionItem``) still work, with a ``DeprecationWarning``.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from mailseg.testing.conditions import StoredCondition, StoredConditionItem
    from mailseg.testing.contacts import Contact
    from mailseg.testing.emulator import DEFAULT_API_KEY, DEFAULT_API_USER, Emulator, Provider
    from mailseg.testing.faults import FaultKind, Faults
    from mailseg.testing.recording import RecordedRequest
    from mailseg.testing.store import StoredSegment, StoredTag

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_USER",
    "Contact",
    "Emulator",
    "FaultKind",
    "Faults",
    "Provider",
    "RecordedRequest",
    "StoredCondition",
    "StoredConditionItem",
    "StoredSegment",
    "StoredTag",
]

_HOMES: Final = {
    "Contact": "contacts",
    "DEFAULT_API_KEY": "emulator",
    "DEFAULT_API_USER": "emulator",
    "Emulator": "emulator",
    "Provider": "emulator",
    "FaultKind": "faults",
    "Faults": "faults",
    "RecordedRequest": "recording",
    "StoredCondition": "conditions",
    "StoredConditionItem": "conditions",
    "StoredSegment": "store",
    "StoredTag": "store",
}

# The 0.1 names, which collided with the SDK's models: still served, with a warning.
_RENAMED: Final = {
    "Condition": "StoredCondition",
    "ConditionItem": "StoredConditionItem",
    "Segment": "StoredSegment",
    "Tag": "StoredTag",
}


def __getattr__(name: str) -> Any:
    new = _RENAMED.get(name)
    if new is not None:
        warnings.warn(
            f"mailseg.testing.{name} is deprecated (it collides with mailseg.{name}): "
            f"use mailseg.testing.{new}",
            DeprecationWarning,
            stacklevel=2,
        )
        return __getattr__(new)
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
