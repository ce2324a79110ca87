"""Providers by name, found through the ``mailseg.adapters`` entry-point group.

The core never imports an adapter package: each adapter is a distribution that
registers its `Adapter` subclass under that group, exactly as a third party
would publish a new provider.
"""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint, entry_points

from mailseg.adapter import Adapter
from mailseg.errors import ConfigurationError

GROUP = "mailseg.adapters"

# Providers mailseg ships an adapter for, and the extra that installs each.
_EXTRAS = {"sendcloud": "sendcloud", "engagelab": "engagelab"}


@functools.cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def providers() -> list[str]:
    """The names of the installed providers, sorted."""
    return sorted(_entry_points())


def load(name: str) -> type[Adapter]:
    """The adapter class registered as ``name``.

    Raises:
        ConfigurationError: the provider is unknown or not installed; the
            message lists the installed ones and names the extra to install.
    """
    entry = _entry_points().get(name)
    if entry is None:
        _entry_points.cache_clear()  # installed since the first look?
        entry = _entry_points().get(name)
    if entry is None:
        installed = ", ".join(providers()) or "none"
        if name in _EXTRAS:
            hint = f"install it with: pip install 'mailseg[{_EXTRAS[name]}]'"
        else:
            hint = "a provider is an installed package registering the entry point " + GROUP
        raise ConfigurationError(
            f"provider {name!r} is not installed (installed: {installed}); {hint}"
        )
    try:
        adapter = entry.load()
    except Exception as exc:
        raise ConfigurationError(f"provider {name!r} failed to load: {exc}") from exc
    if not (isinstance(adapter, type) and issubclass(adapter, Adapter)):
        raise ConfigurationError(f"provider {name!r} does not name a mailseg.adapter.Adapter")
    return adapter
