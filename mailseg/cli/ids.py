"""Member ids for the bulk commands: from arguments, a text file, a CSV column or stdin.

Files are read lazily, line by line, so a file of millions of ids costs one
chunk of memory at a time. A ``.csv`` file has a header row and the ids are in
``--column`` (the first column by default); any other file (and ``-``,
standard input) holds one id per line, surrounding spaces and blank lines
ignored.
"""

from __future__ import annotations

__all__ = ["id_source"]

import contextlib
import csv
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from mailseg.errors import ValidationError


def id_source(arguments: Sequence[str], path: str | None, column: str | None) -> Iterator[str]:
    """The ids of the command line, then of the file, as one lazy stream.

    Raises:
        ValidationError: no ids were given at all, the file cannot be opened,
            or the CSV column does not exist (raised before any request).
    """
    if not arguments and path is None:
        raise ValidationError("--ids", "give member ids as arguments, or --ids FILE (- for stdin)")
    if column is not None and path is None:
        raise ValidationError("--column", "only applies with --ids FILE")
    file_ids = _file_ids(path, column) if path is not None else iter(())
    return _chain(arguments, file_ids)


def _chain(arguments: Sequence[str], rest: Iterator[str]) -> Iterator[str]:
    yield from arguments
    yield from rest


def _file_ids(path: str, column: str | None) -> Iterator[str]:
    stream = _open(path)
    is_csv = path.lower().endswith(".csv")
    if not is_csv:
        if column is not None:
            stream.close()
            raise ValidationError("--column", f"{path} is not a .csv file")
        return _lines(stream)
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        stream.close()
        return iter(())
    wanted = header[0] if column is None else column
    if wanted not in header:
        stream.close()
        raise ValidationError("--column", f"{path} has no column {wanted!r} (columns: {header})")
    return _cells(stream, reader, header.index(wanted))


def _open(path: str) -> TextIO:
    if path == "-":
        return sys.stdin
    try:
        return Path(path).open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ValidationError("--ids", f"cannot read {path}: {error.strerror}") from None


def _closing(stream: TextIO) -> contextlib.AbstractContextManager[TextIO]:
    # Standard input is the process's, not ours to close.
    return contextlib.nullcontext(stream) if stream is sys.stdin else stream


def _lines(stream: TextIO) -> Iterator[str]:
    with _closing(stream):
        for line in stream:
            value = line.strip()
            if value:
                yield value


def _cells(stream: TextIO, reader: Iterator[list[str]], index: int) -> Iterator[str]:
    with _closing(stream):
        for row in reader:
            if len(row) > index and row[index].strip():
                yield row[index].strip()
