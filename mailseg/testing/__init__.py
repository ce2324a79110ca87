"""mailseg.testing: a local emulator of SendCloud's and EngageLab's segment and tag APIs.

``Emulator`` serves either provider's dialect over HTTP, with real segment evaluation,
the providers' validation and error bodies, processing that takes a few polls, and
injectable faults. ``python -m mailseg.testing`` serves one from the command line; the
pytest plugin (``mailseg.testing.pytest_plugin``) gives fixtures.

Names are imported on first use, so importing this package (which pytest does for the
plugin) costs nothing until an emulator is wanted.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailseg.testing.conditions import Condition, ConditionItem
    from mailseg.testing.contacts import Contact
    from mailseg.testing.emulator import DEFAULT_API_KEY, DEFAULT_API_USER, Emulator, Provider
    from mailseg.testing.faults import FaultKind, Faults
    from mailseg.testing.recording import RecordedRequest
    from mailseg.testing.store import Segment, Tag

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_USER",
    "Condition",
    "ConditionItem",
    "Contact",
    "Emulator",
    "FaultKind",
    "Faults",
    "Provider",
    "RecordedRequest",
    "Segment",
    "Tag",
]

_HOMES = {
    "Condition": "conditions",
    "ConditionItem": "conditions",
    "Contact": "contacts",
    "DEFAULT_API_KEY": "emulator",
    "DEFAULT_API_USER": "emulator",
    "Emulator": "emulator",
    "Provider": "emulator",
    "FaultKind": "faults",
    "Faults": "faults",
    "RecordedRequest": "recording",
    "Segment": "store",
    "Tag": "store",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
