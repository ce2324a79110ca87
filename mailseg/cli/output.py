"""How a command writes its data: a Rich table on a terminal, JSON, JSON Lines, CSV, or ids.

``--output id`` prints only the ``id`` of each object, one per line, for shell
scripts (``TAG=$(mailseg tags create vip -o id)``).

Data goes to standard output, messages and errors to standard error. Times are
ISO 8601 with their offset; enums are written by name (``by_field``,
``completed``); a segment's condition is an object in JSON (the shape
``--condition FILE`` reads back) and ``--where`` text in a table.
"""

from __future__ import annotations

__all__ = ["FORMATS", "Columns", "Output", "to_data"]

import csv
import enum
import json
import sys
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TextIO

import attrs
import click
from rich.console import Console
from rich.table import Table

from mailseg.cli.where import to_text
from mailseg.models import Member, Segment, Tag

FORMATS = ("table", "json", "jsonl", "csv", "id")


def to_data(value: Any) -> Any:
    """A model as plain JSON-ready data (dicts, lists, strings, numbers, None)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.IntEnum):
        return value.name.lower()
    if isinstance(value, enum.Enum):
        return value.value
    if attrs.has(type(value)):
        return {f.name: to_data(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, Mapping):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    return value


@attrs.frozen
class Columns:
    """Which fields CSV writes, with their table headings; ``wide`` ones stay out of tables."""

    fields: tuple[str, ...]
    headings: tuple[str, ...]
    wide: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *pairs: tuple[str, str], wide: tuple[str, ...] = ()) -> Columns:
        return cls(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs), frozenset(wide))

    def table(self) -> list[tuple[str, str]]:
        """The (field, heading) pairs a terminal table shows."""
        return [
            (f, h) for f, h in zip(self.fields, self.headings, strict=True) if f not in self.wide
        ]


SEGMENT_COLUMNS = Columns.of(
    ("id", "id"),
    ("name", "name"),
    ("type", "type"),
    ("status", "status"),
    ("member_total", "members"),
    ("percent", "progress"),
    ("where", "condition"),
    ("updated_at", "updated"),
)
TAG_COLUMNS = Columns.of(
    ("id", "id"),
    ("name", "name"),
    ("member_count", "members"),
    ("created_at", "created"),
    ("updated_at", "updated"),
)
MEMBER_COLUMNS = Columns.of(
    ("id", "id"),
    ("email", "email"),
    ("phone", "phone"),
    ("name", "name"),
    ("tag_names", "tags"),
    ("tag_ids", "tag ids"),
    ("fields", "fields"),
    ("list_id", "list"),
    ("user_id", "user"),
    ("created_at", "created"),
    ("updated_at", "updated"),
    ("unsubscribed_at", "unsubscribed"),
    wide=("tag_ids", "fields", "list_id", "user_id", "updated_at", "unsubscribed_at"),
)


def columns_for(value: Any) -> Columns | None:
    """The default columns of a model, or None for a plain key/value listing."""
    if isinstance(value, Segment):
        return SEGMENT_COLUMNS
    if isinstance(value, Tag):
        return TAG_COLUMNS
    if isinstance(value, Member):
        return MEMBER_COLUMNS
    return None


def _row_data(value: Any) -> dict[str, Any]:
    data = to_data(value)
    if isinstance(value, Segment):
        data["where"] = to_text(value.condition)
        data["percent"] = value.progress.percent if value.progress else None
    if isinstance(data, dict):
        return data
    return {"value": data}


def _cell(value: Any) -> str:
    """A value as table or CSV text."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Output:
    """Writes a command's data in one format.

    Args:
        format: ``table``, ``json``, ``jsonl`` or ``csv``; None picks ``table``
            when standard output is a terminal and ``json`` otherwise.
    """

    def __init__(self, format: str | None, stream: TextIO | None = None) -> None:
        self.stream = sys.stdout if stream is None else stream
        if format is None:
            format = "table" if self.stream.isatty() else "json"
        self.format = format

    @property
    def streams(self) -> bool:
        """Whether a listing is written item by item as read (jsonl, csv, id)."""
        return self.format in ("jsonl", "csv", "id")

    def _console(self) -> Console:
        return Console(file=self.stream, soft_wrap=False)

    def one(self, value: Any, columns: Columns | None = None) -> None:
        """One object: a key/value table, a JSON object, one line, or a CSV row."""
        data = _row_data(value) if attrs.has(type(value)) else to_data(value)
        if self.format == "id":
            self._id(data)
        elif self.format == "json":
            self._json(to_data(value))
        elif self.format == "jsonl":
            self._line(to_data(value))
        elif self.format == "csv":
            columns = columns or columns_for(value)
            fields = columns.fields if columns else tuple(data)
            writer = csv.writer(self.stream, lineterminator="\n")
            writer.writerow(fields)
            writer.writerow([_cell(data.get(f)) for f in fields])
        else:
            if isinstance(value, Segment):
                # A person reads the condition as --where text, progress as a percent.
                data["condition"] = data.pop("where")
                data["progress"] = data.pop("percent")
            table = Table(show_header=False, box=None, pad_edge=False)
            table.add_column(style="bold")
            table.add_column(overflow="fold")
            for key, item in data.items():
                table.add_row(key, _cell(item))
            self._console().print(table)

    def page(
        self,
        items: Sequence[Any],
        columns: Columns,
        *,
        total: int | None = None,
        window: tuple[int, int] | None = None,
        title: str | None = None,
    ) -> None:
        """A listing held in memory (one page, or ``--all`` of a small listing)."""
        if self.format == "json":
            document: dict[str, Any] = {"items": [to_data(i) for i in items], "total": total}
            if window is not None:
                document["offset"], document["limit"] = window
            self._json(document)
        elif self.streams:
            self._rows(items, columns)
        else:
            table = Table(title=title, show_lines=False)
            shown = columns.table()
            for _, heading in shown:
                table.add_column(heading, overflow="fold")
            for item in items:
                data = _row_data(item)
                table.add_row(*(_cell(data.get(f)) for f, _ in shown))
            caption = f"{len(items)} shown"
            if total is not None:
                caption += f" of {total}"
            if window is not None and total is not None and window[0] + len(items) < total:
                caption += f" (offset {window[0]}; --all for every one)"
            table.caption = caption
            self._console().print(table)

    def _rows(self, items: Iterable[Any], columns: Columns) -> None:
        if self.format == "id":
            for item in items:
                self._id(_row_data(item))
            return
        if self.format == "jsonl":
            for item in items:
                self._line(to_data(item))
            return
        writer = csv.writer(self.stream, lineterminator="\n")
        writer.writerow(columns.fields)
        for item in items:
            data = _row_data(item)
            writer.writerow([_cell(data.get(f)) for f in columns.fields])

    async def stream_rows(self, items: AsyncIterable[Any], columns: Columns) -> int:
        """Write items as they arrive (``jsonl`` and ``csv``), flushing each: memory stays
        flat and a reader such as ``head`` sees the first line at once. Returns the count.
        """
        count = 0
        writer = csv.writer(self.stream, lineterminator="\n") if self.format == "csv" else None
        if writer is not None:
            writer.writerow(columns.fields)
        async for item in items:
            if self.format == "id":
                self._id(_row_data(item))
            elif writer is None:
                self.stream.write(json.dumps(to_data(item), ensure_ascii=False) + "\n")
            else:
                data = _row_data(item)
                writer.writerow([_cell(data.get(f)) for f in columns.fields])
            self.stream.flush()
            count += 1
        return count

    def _id(self, data: Mapping[str, Any]) -> None:
        identifier = data.get("id", data.get("job_id"))
        if identifier is None:
            raise click.UsageError("--output id: this command's result has no id")
        self.stream.write(f"{identifier}\n")
        self.stream.flush()

    def _json(self, data: Any) -> None:
        self.stream.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        self.stream.flush()

    def _line(self, data: Any) -> None:
        self.stream.write(json.dumps(data, ensure_ascii=False) + "\n")
        self.stream.flush()
