"""Renamed public names: the old spelling still works, warns, and is the same object."""

from __future__ import annotations

import warnings

import pytest

import mailseg
import mailseg.errors


def test_mailseg_timeout_error_is_a_deprecated_alias_of_request_timeout_error() -> None:
    with pytest.warns(DeprecationWarning, match=r"mailseg\.RequestTimeoutError") as record:
        old = mailseg.TimeoutError
    assert old is mailseg.RequestTimeoutError
    # The warning points at the code that used the old name, not at mailseg.
    assert record[0].filename == __file__


def test_the_errors_module_keeps_the_old_name_too() -> None:
    with pytest.warns(DeprecationWarning, match=r"mailseg\.errors\.RequestTimeoutError"):
        from mailseg.errors import TimeoutError as old
    assert old is mailseg.errors.RequestTimeoutError


def test_a_star_import_neither_warns_nor_shadows_the_builtin() -> None:
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec("from mailseg import *", namespace)  # noqa: S102 (a fixed string)
        exec("from mailseg.errors import *", namespace)  # noqa: S102
    assert "TimeoutError" not in namespace
    assert "RequestTimeoutError" in namespace


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'TimeOutError'"):
        mailseg.TimeOutError  # noqa: B018
    with pytest.raises(AttributeError, match=r"'mailseg\.errors' has no attribute 'nope'"):
        mailseg.errors.nope  # noqa: B018


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Segment", "StoredSegment"),
        ("Tag", "StoredTag"),
        ("Condition", "StoredCondition"),
        ("ConditionItem", "StoredConditionItem"),
    ],
)
def test_the_emulators_old_record_names_warn_and_are_the_stored_classes(old: str, new: str) -> None:
    import mailseg.testing

    with pytest.warns(DeprecationWarning, match=rf"use mailseg\.testing\.{new}$") as record:
        value = getattr(mailseg.testing, old)
    assert record[0].filename == __file__
    assert value is getattr(mailseg.testing, new)
    assert value.__name__ == new
    assert value is not getattr(mailseg, old)  # the collision the rename removes


def test_the_emulators_names_star_import_without_shadowing_the_sdks() -> None:
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec("from mailseg import *; from mailseg.testing import *", namespace)  # noqa: S102
    assert namespace["Segment"] is mailseg.Segment
    assert namespace["Tag"] is mailseg.Tag
    assert namespace["Condition"] is mailseg.Condition
    assert {"StoredSegment", "StoredTag", "StoredCondition", "StoredConditionItem"} <= set(
        namespace
    )


async def test_the_emulator_state_holds_stored_records() -> None:
    from mailseg.testing import Emulator, StoredSegment, StoredTag

    async with Emulator("sendcloud", contacts=5) as emu, emu.client() as client:
        tag = await client.tags.create("vip")
        segment = await client.segments.create("all", mailseg.field("Age") >= 0)
        assert isinstance(emu.tags[tag.id], StoredTag)
        assert isinstance(emu.segments[segment.id], StoredSegment)
