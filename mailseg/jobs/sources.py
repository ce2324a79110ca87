"""Where a job's ids come from, read as a stream: never whole, one batch at a time.

Every source yields batches of raw entries with where each one is (a file's line,
a position), so that a bad entry fails only its own chunk, with a `ValidationError`
that names it (``ids.csv line 17``). A source that can be read again (a file, a
segment's members) records how in the ledger (`Source.spec`), so a job resumes
from its ledger alone; a Python iterable or standard input cannot, and a resume
that still needs it must be handed it again.
"""

from __future__ import annotations

import abc
import asyncio
import csv
import json
import os
import sys
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Iterable,
    Iterator,
    Mapping,
)
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, cast

import attrs

from mailseg.errors import MailsegError, ValidationError
from mailseg.jobs.errors import SourceError

if TYPE_CHECKING:
    from mailseg import Client

#: Entries read per batch: a chunk's worth, so at most a chunk is in memory per read.
BATCH = 1000

# An id is a non-empty string without whitespace or control characters: no provider
# id holds one, and a line like "629d... Alice" is a wrong column, not an id. A chunk is
# checked whole, at C speed: ASCII (`isascii` is free) as bytes, where letters and digits
# alone pass at once and anything else must survive deleting the forbidden bytes intact;
# other text by `str.isprintable` (False for control characters and every whitespace but
# the space) and the space.
_FORBIDDEN_ASCII = bytes(range(0x21)) + b"\x7f"


def _printable_without_spaces(text: str) -> bool:
    if text.isascii():
        data = text.encode("ascii")
        return data.isalnum() or len(data.translate(None, _FORBIDDEN_ASCII)) == len(data)
    return text.isprintable() and " " not in text


@attrs.frozen
class Invalid:
    """An entry that is not an id, and why (kept so its chunk fails naming it)."""

    reason: str


Entry = str | Invalid


@attrs.frozen
class Batch:
    """Consecutive entries of a source.

    Attributes:
        values: the entries.
        lines: each entry's line in its file, or None when entries are named by position.
    """

    values: list[Entry]
    lines: list[int] | None = None


@attrs.frozen
class Chunk:
    """A chunk cut from a source: its ids, and the error of its first bad entry."""

    start: int
    ids: tuple[str, ...]
    error: ValidationError | None = None


class Source(abc.ABC):
    """A stream of member ids. Subclasses say how to read it and how to name an entry."""

    #: The kind recorded in the ledger's spec (None: cannot be read again).
    kind: ClassVar[str | None] = None
    #: Read to the end before any request: a segment's or tag's members shift under
    #: the job's own removals, so they are read whole (into the ledger) first.
    snapshot_first: ClassVar[bool] = False

    @property
    @abc.abstractmethod
    def description(self) -> str:
        """The source as a person reads it: ``text file ids.txt``."""

    def spec(self) -> dict[str, Any] | None:
        """How to open this source again (JSON-able), or None if it cannot be."""
        return None

    def check(self) -> None:  # noqa: B027 - most sources have nothing to check up front
        """Raise `SourceError` now if the source cannot be read (called before a job starts)."""

    @abc.abstractmethod
    def batches(self, client: Client | None, skip: int) -> AsyncIterator[Batch]:
        """Entries from position ``skip`` on (entries before it were taken already)."""

    def where(self, position: int, line: int | None) -> str:
        """The name of one entry in a `ValidationError`."""
        return f"member_ids[{position}]" if line is None else f"{self.description} line {line}"


class IterableSource(Source):
    """A Python iterable or async iterable of ids (a list, a generator, an async generator).

    It cannot be read again from the ledger: a resume in another process is handed it anew.
    """

    def __init__(self, ids: Iterable[Any] | AsyncIterable[Any]) -> None:
        if isinstance(ids, (str, bytes)):
            raise ValidationError("source", "must be a collection of ids, not a single string")
        if not isinstance(ids, (Iterable, AsyncIterable)):
            raise ValidationError("source", f"must be an iterable of ids, not {type(ids).__name__}")
        self.ids = ids

    @property
    def description(self) -> str:
        return f"a Python {type(self.ids).__name__}"

    async def batches(self, client: Client | None, skip: int) -> AsyncIterator[Batch]:
        ids = self.ids
        if isinstance(ids, AsyncIterable):
            batch: list[Entry] = []
            position = 0
            async for value in ids:
                position += 1
                if position <= skip:
                    continue
                batch.append(value)
                if len(batch) == BATCH:
                    yield Batch(batch)
                    batch = []
            if batch:
                yield Batch(batch)
            return
        values = iter(ids)
        if skip:
            for _ in islice(values, skip):
                pass
        while raw := list(islice(values, BATCH)):
            yield Batch(raw)  # a value that is not a string fails its chunk when it is cut


def _not_a_string(value: object) -> Invalid:
    return Invalid(f"must be a string, not {type(value).__name__}")


class _FileSource(Source):
    """A file read line by line in binary, each line decoded on its own (UTF-8)."""

    noun: ClassVar[str] = "file"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @property
    def description(self) -> str:
        return f"{self.noun} {self.path}"

    def where(self, position: int, line: int | None) -> str:
        return f"{self.path} line {line}"

    def check(self) -> None:
        try:
            with self.path.open("rb") as handle:
                handle.read(1)
        except IsADirectoryError:
            raise SourceError(self.description, "is a directory, not a file") from None
        except OSError as exc:
            raise SourceError(self.description, f"cannot be read: {exc.strerror}") from None

    def _open(self) -> IO[bytes]:
        try:
            return self.path.open("rb")
        except OSError as exc:
            raise SourceError(self.description, f"cannot be read: {exc.strerror}") from None


class TextFile(_FileSource):
    """A text file of one id per line (blank lines are skipped, spaces around an id trimmed)."""

    kind = "text"
    noun = "text file"

    def spec(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": str(self.path.resolve())}

    async def batches(self, client: Client | None, skip: int) -> AsyncIterator[Batch]:
        with self._open() as handle:
            for batch in _text_batches(handle, skip):
                yield batch


def _batched(entries: Iterable[tuple[int, Entry]]) -> Iterator[Batch]:
    """``(line, entry)`` pairs gathered into batches of `BATCH`."""
    values: list[Entry] = []
    lines: list[int] = []
    for line, value in entries:
        values.append(value)
        lines.append(line)
        if len(values) == BATCH:
            yield Batch(values, lines)
            values, lines = [], []
    if values:
        yield Batch(values, lines)


#: Bytes taken from a text source at a time (at most: a pipe gives what it holds).
_BLOCK = 1 << 18
#: What ``bytes.strip()`` trims (ASCII whitespace), less the line break lines end at.
_TRIM = " \t\r\x0b\x0c"


def _text_batches(handle: IO[bytes], skip: int) -> Iterator[Batch]:
    """The entries of a text stream, a block of whole lines per batch, from entry ``skip``.

    A block is decoded, split and trimmed whole (a million ids in a few hundredths of a
    second), with the same outcome as line by line: one entry per line that is not
    blank once trimmed, and a line that is not UTF-8 an `Invalid` entry of its own.
    """
    # read1: what a pipe holds now, not a full block (ids stream on as they arrive).
    read = getattr(handle, "read1", handle.read)
    first = 1  # the line the next block starts at
    # The line not ended yet, in pieces: joined once it ends (a line longer than
    # many blocks is copied once, not once a block).
    pieces: list[bytes] = []
    while True:
        block = read(_BLOCK)
        if block:
            cut = block.rfind(b"\n")
            if cut < 0:
                pieces.append(block)
                continue
            pieces.append(block[:cut])
            data = b"".join(pieces)
            pieces = [block[cut + 1 :]]
        elif any(pieces):
            data = b"".join(pieces)
            pieces = []
        else:
            return
        values, lines = _block_entries(data, first)
        first += data.count(b"\n") + 1
        if skip:
            dropped = min(skip, len(values))
            skip -= dropped
            values, lines = values[dropped:], lines[dropped:]
        if values:
            yield Batch(values, lines)


def _block_entries(data: bytes, first: int) -> tuple[list[Entry], list[int]]:
    """The entries of whole lines ``data`` (without the last line break), and their lines."""
    try:
        text = data.decode()
    except UnicodeDecodeError:  # some line is not UTF-8: the block line by line
        entries: list[Entry] = []
        lines: list[int] = []
        for number, raw in enumerate(data.split(b"\n"), start=first):
            raw = raw.strip()
            if not raw:
                continue  # a blank line is no entry
            try:
                entries.append(raw.decode())
            except UnicodeDecodeError:
                entries.append(Invalid("is not valid UTF-8"))
            lines.append(number)
        return entries, lines
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    values = text.split("\n")
    if any(space in text for space in _TRIM):  # rarely: only then a trim per line
        values = [line.strip(_TRIM) for line in values]
    if "" not in values:
        return cast("list[Entry]", values), list(range(first, first + len(values)))
    numbered = [(number, value) for number, value in enumerate(values, start=first) if value]
    return [value for _, value in numbered], [number for number, _ in numbered]


class _RecordPart(_FileSource):
    """A file of records, the ids in one named part of each (a CSV column, a JSON field)."""

    part: ClassVar[str]

    def __init__(self, path: str | os.PathLike[str], name: str) -> None:
        super().__init__(path)
        if not isinstance(name, str) or not name:
            raise ValidationError(self.part, f"must name the {self.part} holding the ids")
        self.name = name

    def spec(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": str(self.path.resolve()), self.part: self.name}

    def where(self, position: int, line: int | None) -> str:
        return f"{self.path} line {line} {self.part} {self.name}"


class CsvColumn(_RecordPart):
    """One named column of a CSV file with a header row (UTF-8, an optional BOM)."""

    kind = "csv"
    noun = "CSV file"
    part = "column"

    @property
    def column(self) -> str:
        """The column holding the ids."""
        return self.name

    def _open_text(self) -> IO[str]:
        try:
            return self.path.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise SourceError(self.description, f"cannot be read: {exc.strerror}") from None

    @classmethod
    def first(cls, path: str | os.PathLike[str]) -> CsvColumn:
        """The first column of the file's header (read now): ``mailseg tags add``'s default.

        Raises:
            SourceError: the file cannot be read, is empty, or its first column has no name.
        """
        probe = cls(path, "the first column")
        with probe._open_text() as handle:
            _, names = probe._header(handle)
        if not names or not names[0]:
            raise SourceError(probe.description, "its first column has no name in the header")
        return cls(path, names[0])

    def _header(self, handle: IO[str]) -> tuple[Any, list[str]]:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise SourceError(self.description, f"has no readable header: {exc}") from None
        if header is None:
            raise SourceError(self.description, "is empty: a header row naming columns is needed")
        return reader, [name.strip() for name in header]

    def _reader(self, handle: IO[str]) -> tuple[Any, int]:
        reader, names = self._header(handle)
        if self.name not in names:
            raise SourceError(
                self.description,
                f"has no column {self.name!r} (its header: {', '.join(names) or 'empty'})",
            )
        return reader, names.index(self.name)

    def check(self) -> None:
        super().check()
        with self._open_text() as handle:
            self._reader(handle)

    def _entries(self, reader: Any, index: int) -> Iterator[tuple[int, Entry]]:
        try:
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # a blank line
                if index >= len(row):
                    yield reader.line_num, Invalid("is missing (a short row)")
                    continue
                value = row[index].strip()
                yield reader.line_num, (value if value else Invalid("is empty"))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise SourceError(
                self.description, f"cannot be read after line {reader.line_num}: {exc}"
            ) from None

    async def batches(self, client: Client | None, skip: int) -> AsyncIterator[Batch]:
        with self._open_text() as handle:
            reader, index = self._reader(handle)
            for batch in _batched(islice(self._entries(reader, index), skip, None)):
                yield batch


class JsonLinesField(_RecordPart):
    """One named field of a JSON Lines file (one JSON object per line)."""

    kind = "jsonl"
    noun = "JSON Lines file"
    part = "field"

    @property
    def field(self) -> str:
        """The field holding the ids."""
        return self.name

    def _entries(self, handle: IO[bytes]) -> Iterator[tuple[int, Entry]]:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                yield number, self._entry(raw)

    async def batches(self, client: Client | None, skip: int) -> AsyncIterator[Batch]:
        with self._open() as handle:
            for batch in _batched(islice(self._entries(handle), skip, None)):
                yield batch

    def _entry(self, raw: bytes) -> Entry:
        try:
            record = json.loads(raw)
        except ValueError:
            return Invalid("is not a JSON object")
        if not isinstance(record, dict):
            return Invalid("is not a JSON object")
        if self.name not in record:
            return Invalid("is missing")
        value = record[self.name]
        return value if isinstance(value, str) else _not_a_string(value)


class Stdin(_FileSource):
    """Standard input, one id per line (as a text file). It cannot be read again."""

    noun = "standard input"

    def __init__(self, stream: IO[bytes] | None = None) -> None:
        super().__init__("-")
        self.stream = stream

    @property
    def description(self) -> str:
        return "standard input"

    def where(self, position: int, line: int | None) -> str:
        return f"standard input line {line}"

    def check(self) -> None:
        pass

    async def batches(self, client: Client | None, skip: int) -> AsyncIterator[Batch]:
        stream = self.stream if self.stream is not None else sys.stdin.buffer
        lines = _text_batches(stream, skip)
        while True:
            # A pipe may block: read it in a thread so that requests keep flowing.
            batch = await asyncio.to_thread(next, lines, None)
            if batch is None:
                return
            yield batch


class _MembersSource(Source):
    """The members of a segment or a tag, read page by page (100 per page)."""

    snapshot_first = True
    page_size: ClassVar[int] = 100
    noun: ClassVar[str]

    def __init__(self, resource_id: str) -> None:
        if not isinstance(resource_id, str) or not resource_id or resource_id in (".", ".."):
            raise ValidationError("source", f"a {self.noun} source needs the {self.noun}'s id")
        self.resource_id = resource_id

    @property
    def description(self) -> str:
        return f"members of {self.noun} {self.resource_id}"

    def spec(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.resource_id}

    def where(self, position: int, line: int | None) -> str:
        return f"{self.description}[{position}]"

    @abc.abstractmethod
    async def _page(self, client: Client, offset: int) -> list[str]: ...

    async def batches(self, client: Client | None, skip: int) -> AsyncIterator[Batch]:
        if client is None:
            raise SourceError(self.description, "is read through a client; none was given")
        offset = skip
        while True:
            ids = await self._page(client, offset)
            if ids:
                yield Batch(list(ids))
            offset += len(ids)
            if len(ids) < self.page_size:
                return


class SegmentMembers(_MembersSource):
    """The members of a segment (``segment:<id>``)."""

    kind = "segment"
    noun = "segment"

    async def _page(self, client: Client, offset: int) -> list[str]:
        page = await client.segments.members(self.resource_id, offset=offset, limit=self.page_size)
        return [member.id for member in page]


class TagMembers(_MembersSource):
    """The members of a tag (``tag:<id>``)."""

    kind = "tag"
    noun = "tag"

    async def _page(self, client: Client, offset: int) -> list[str]:
        page = await client.tags.members(self.resource_id, offset=offset, limit=self.page_size)
        return [member.id for member in page]


SourceLike = str | os.PathLike[str] | Source | Iterable[Any] | AsyncIterable[Any]


def source_from(
    value: SourceLike,
    *,
    column: str | None = None,
    field: str | None = None,
) -> Source:
    """A `Source` from what a user typed or passed.

    - a `Source`: itself;
    - ``"-"``: standard input;
    - ``"segment:<id>"``, ``"tag:<id>"``: the members of that segment or tag;
    - a path: CSV when ``column`` is given or it ends in ``.csv`` (``column`` then
      required), JSON Lines when ``field`` is given or it ends in ``.jsonl`` /
      ``.ndjson`` (``field`` then required), else a text file of one id per line;
    - any other iterable or async iterable: its ids.
    """
    if isinstance(value, Source):
        return value
    if isinstance(value, (str, os.PathLike)):
        text = os.fspath(value)
        if text == "-":
            return Stdin()
        for prefix, kind in (("segment:", SegmentMembers), ("tag:", TagMembers)):
            if text.startswith(prefix):
                return kind(text[len(prefix) :])
        suffix = Path(text).suffix.lower()
        if column is not None or suffix == ".csv":
            if column is None:
                raise ValidationError("column", f"{text} is a CSV file: name the column of ids")
            return CsvColumn(text, column)
        if field is not None or suffix in (".jsonl", ".ndjson"):
            if field is None:
                raise ValidationError("field", f"{text} is a JSON Lines file: name the field")
            return JsonLinesField(text, field)
        return TextFile(text)
    return IterableSource(value)


def source_from_spec(spec: Mapping[str, Any], description: str) -> Source:
    """The source a ledger recorded (`Source.spec`)."""
    kind = spec.get("kind")
    try:
        if kind == "text":
            return TextFile(spec["path"])
        if kind == "csv":
            return CsvColumn(spec["path"], spec["column"])
        if kind == "jsonl":
            return JsonLinesField(spec["path"], spec["field"])
        if kind == "segment":
            return SegmentMembers(spec["id"])
        if kind == "tag":
            return TagMembers(spec["id"])
    except (KeyError, MailsegError):
        pass
    raise SourceError(description, f"the ledger names an unknown source kind {kind!r}")


async def chunks(
    source: Source, client: Client | None, *, skip: int, size: int
) -> AsyncGenerator[Chunk, None]:
    """The source's chunks of at most ``size`` ids, from entry ``skip`` on.

    A chunk holding a bad entry carries the `ValidationError` naming its first bad
    entry; its other ids are kept in it (the chunk fails whole, the others go on).
    """
    position = skip
    values: list[Any] = []
    lines: list[int] | None = None
    async for batch in source.batches(client, skip):
        # Slices, not a loop per entry: a million ids cost a few milliseconds here.
        values = values + batch.values if values else batch.values
        if batch.lines is not None:
            lines = (lines or []) + batch.lines if lines else batch.lines
        cut = 0
        while len(values) - cut >= size:
            head_lines = None if lines is None else lines[cut : cut + size]
            yield _checked(source, values[cut : cut + size], head_lines, position)
            cut += size
            position += size
        if cut:
            values = values[cut:]
            if lines is not None:
                lines = lines[cut:]
    if values:
        yield _checked(source, values, lines, position)


def id_fault(value: str) -> str:
    """Why ``value`` is not an id (empty, whitespace, a control character), or ``""``."""
    if not value:
        return "is empty"
    if not _printable_without_spaces(value):
        return "holds whitespace or a control character"
    return ""


def _checked(source: Source, values: list[Any], lines: list[int] | None, start: int) -> Chunk:
    try:
        joined = "".join(values)  # TypeError when one is not a string
    except TypeError:
        joined = None
    if joined is not None and all(values) and _printable_without_spaces(joined):
        return Chunk(start, tuple(values))  # all strings: just checked
    error: ValidationError | None = None
    ids: list[str] = []
    for offset, value in enumerate(values):
        if not isinstance(value, str):
            invalid = value if isinstance(value, Invalid) else _not_a_string(value)
            reason = invalid.reason
            ids.append("")  # no id to keep: the entry still counts, as an empty one
        else:
            reason = id_fault(value)
            # The ledger stores a chunk one id per line: a bad id's line breaks are escaped.
            ids.append(value.replace("\r", "\\r").replace("\n", "\\n"))
        if reason and error is None:
            line = None if lines is None else lines[offset]
            error = ValidationError(source.where(start + offset, line), f"not an id: {reason}")
    return Chunk(start, tuple(ids), error)
