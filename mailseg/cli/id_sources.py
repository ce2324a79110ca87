"""How a command's ``--ids SOURCE`` becomes a `mailseg.jobs.sources` source.

The command line has no reader of its own: ``tags add``, ``tags remove``,
``segments remove-members``, ``jobs run`` and ``tags sync`` all read their ids
with `mailseg.jobs.source_from` (a text file, a CSV column, a JSON Lines field,
standard input, ``segment:ID`` or ``tag:ID``), so a format is read one way and a
bad entry is named by its line everywhere. What is the command line's own is
here: the ids given as arguments, and a ``.csv``'s first column as the default.
"""

from __future__ import annotations

__all__ = ["MemberIds", "csv_column", "given_ids"]

from collections.abc import Sequence

import attrs

from mailseg.errors import ValidationError
from mailseg.jobs import CsvColumn, Source, source_from
from mailseg.jobs.sources import id_fault


@attrs.frozen
class MemberIds:
    """The ids a bulk command was given: its arguments, then its ``--ids`` source."""

    arguments: tuple[str, ...]
    source: Source | None


def given_ids(
    arguments: Sequence[str], path: str | None, column: str | None, field: str | None
) -> MemberIds:
    """The command's ids, checked as far as they can be before any request.

    ``path`` is what ``--ids`` names: a text file, a ``.csv`` (``--column``, by
    default its first column), a ``.jsonl`` (``--field``), ``-`` for standard
    input, ``segment:ID`` or ``tag:ID``, read by `mailseg.jobs.source_from`.

    Raises:
        ValidationError: no ids at all, a bad argument, or options that do not fit.
        SourceError: the file cannot be read, or has no such column.
    """
    if not arguments and path is None:
        raise ValidationError("--ids", "give member ids as arguments, or --ids FILE (- for stdin)")
    for option, value in (("--column", column), ("--field", field)):
        if value is not None and path is None:
            raise ValidationError(option, "only applies with --ids FILE")
    if column is not None and field is not None:
        raise ValidationError("--field", "give --column (a CSV file) or --field (JSON Lines)")
    for index, value in enumerate(arguments):
        # A handful typed on the command line: refused whole, before any request.
        if fault := id_fault(value):
            raise ValidationError(f"member_ids[{index}]", f"not an id: {fault}")
    source = None if path is None else _source(path, column, field)
    if source is not None:
        source.check()
    return MemberIds(tuple(arguments), source)


def csv_column(source: str, column: str | None, field: str | None) -> str | None:
    """``--column``, or for a ``.csv`` named without one, its first column.

    The command line's default; the library asks for the column by name. Every
    command reading ``--ids`` (the direct bulk commands, ``jobs run``, ``tags sync``)
    applies it, so that they read a file alike.

    Raises:
        SourceError: the ``.csv`` cannot be read or its header names no first column.
    """
    if column is None and field is None and source.lower().endswith(".csv"):
        return CsvColumn.first(source).column
    return column


def _source(path: str, column: str | None, field: str | None) -> Source:
    try:
        return source_from(path, column=csv_column(path, column, field), field=field)
    except ValidationError as error:
        # The library names its keyword (column=); here the user typed an option.
        raise ValidationError(f"--{error.parameter}", error.message) from None
