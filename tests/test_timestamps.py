"""`parse_timestamp`'s shortcut for "YYYY-MM-DD HH:MM:SS" reads what its full reading reads.

The shortcut (one parse with UTC+8 written in, for a 19-character text shaped
like a whole time without offset) must give, for every text, the value, the
offset and the error of the full reading (`convert._read_timestamp`), which it
stands in for: a member page reads three of them per member.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailseg.adapter import PROVIDER_ZONE, parse_timestamp
from mailseg.adapter.convert import _read_timestamp

#: Characters that make a time text, or nearly (a non-ASCII digit, a no-break space).
_ALPHABET = "0123456789-:T tZz+.,W\u0663\u00a0"


def _reading(read: object, text: str) -> tuple[object, ...]:
    assert callable(read)
    try:
        value = read(text)
    except ValueError as exc:
        return ("error", str(exc))
    return ("value", value.replace(tzinfo=None), value.utcoffset(), value.tzname())


@pytest.mark.parametrize(
    "text",
    [
        "2021-04-25 18:54:56",
        "2023-11-28T11:14:48",
        "2023-02-30 00:00:00",  # an impossible date
        "2023-13-01 00:00:00",
        "2023-01-01 24:00:00",
        "0000-01-01 00:00:00",
        "2023-0a-01 00:00:00",
        "2023-01-01x00:00:00",  # fromisoformat takes any separator; the shortcut does not
        "2023-W01-1T01:02:03",  # a week date
        "2023-01-01T01+08:00",  # an offset already
        "2023-01-01T01:02+08",
        "20230101T000000.00Z",
        "20230111 01.203612:",  # refused alone, read with an offset written in
        "2023-01-01 00:00:0\u0663",
        " 2023-01-01 00:00:0",
    ],
)
def test_the_shortcut_reads_as_the_full_reading(text: str) -> None:
    assert len(text) == 19
    assert _reading(parse_timestamp, text) == _reading(_read_timestamp, text)


def test_a_naive_whole_time_is_utc_plus_8() -> None:
    parsed = parse_timestamp("2021-04-25 18:54:56")
    assert parsed == datetime(2021, 4, 25, 18, 54, 56, tzinfo=PROVIDER_ZONE)
    assert parsed.utcoffset() == timedelta(hours=8)
    with pytest.raises(ValueError, match="day is out of range for month"):
        parse_timestamp("2023-02-30 00:00:00")


@settings(max_examples=2000, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    separator=st.sampled_from([" ", "T"]),
    changes=st.lists(
        st.tuples(st.integers(0, 18), st.sampled_from(_ALPHABET)), min_size=0, max_size=3
    ),
)
def test_any_nineteen_characters_read_as_the_full_reading(
    when: datetime, separator: str, changes: list[tuple[int, str]]
) -> None:
    chars = list(when.replace(microsecond=0).isoformat(sep=separator).rjust(19, "0"))
    for index, char in changes:
        chars[index] = char
    text = "".join(chars)
    assert _reading(parse_timestamp, text) == _reading(_read_timestamp, text)
