"""Options several commands share: output format, paging, conditions, member ids."""

from __future__ import annotations

__all__ = [
    "Paging",
    "condition_options",
    "ids_options",
    "optional_condition",
    "output_option",
    "paging",
    "paging_options",
    "required_condition",
]

from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import click

from mailseg.cli import where
from mailseg.cli.condition_file import load_condition
from mailseg.cli.output import FORMATS
from mailseg.errors import ValidationError
from mailseg.models import Condition

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_LIMIT = 10


def output_option(function: F) -> F:
    """``-o/--output``: table on a terminal, JSON otherwise, unless chosen."""
    return click.option(
        "-o",
        "--output",
        type=click.Choice(FORMATS),
        default=None,
        help="table (default on a terminal), json (default otherwise), jsonl, csv,"
        " or id (only the ids, one per line).",
    )(function)


def paging_options(function: F) -> F:
    """``--limit``, ``--offset`` and ``--all``."""
    function = click.option(
        "--all",
        "all_pages",
        is_flag=True,
        help="Read every page (100 items per request) instead of one window.",
    )(function)
    function = click.option(
        "--offset", type=click.IntRange(min=0), default=None, help="Skip this many (default 0)."
    )(function)
    return click.option(
        "--limit",
        type=click.IntRange(1, 100),
        default=None,
        help=f"Items in the window, 1 to 100 (default {DEFAULT_LIMIT}).",
    )(function)


@attrs.frozen
class Paging:
    """One window, or every page."""

    all_pages: bool
    offset: int
    limit: int


def paging(all_pages: bool, offset: int | None, limit: int | None) -> Paging:
    """The paging the options ask for; ``--all`` with a window is a usage error."""
    if all_pages and (offset is not None or limit is not None):
        raise click.UsageError("--all reads every item: drop --limit and --offset")
    return Paging(all_pages, offset or 0, DEFAULT_LIMIT if limit is None else limit)


def condition_options(function: F) -> F:
    """``--where TEXT`` and ``--condition FILE``."""
    function = click.option(
        "--condition",
        "condition_file",
        metavar="FILE",
        default=None,
        help="The condition as JSON (mailseg's, SendCloud's or EngageLab's spelling; - for stdin).",
    )(function)
    return click.option(
        "--where",
        "where_text",
        metavar="TEXT",
        default=None,
        help='The condition, e.g. "Age >= 18 and tag = vip" or "campaign 42 opened".',
    )(function)


def optional_condition(where_text: str | None, condition_file: str | None) -> Condition | None:
    """The condition of ``--where`` or ``--condition`` (never both), or None.

    Raises:
        ValidationError: both given, or either does not parse.
    """
    if where_text is not None and condition_file is not None:
        raise ValidationError("--where", "give --where or --condition, not both")
    if where_text is not None:
        return where.parse(where_text)
    if condition_file is not None:
        return load_condition(condition_file)
    return None


def required_condition(where_text: str | None, condition_file: str | None) -> Condition:
    """As `optional_condition`, and one of the two is required."""
    condition = optional_condition(where_text, condition_file)
    if condition is None:
        raise ValidationError(
            "--where", "a condition is required: --where TEXT or --condition FILE"
        )
    return condition


def ids_options(function: F) -> F:
    """``[IDS]...``, ``--ids SOURCE``, ``--column NAME`` and ``--field NAME``."""
    function = click.option(
        "--field",
        metavar="NAME",
        default=None,
        help="The JSON Lines field holding the ids.",
    )(function)
    function = click.option(
        "--column",
        metavar="NAME",
        default=None,
        help="The CSV column holding the ids (default: the first).",
    )(function)
    function = click.option(
        "--ids",
        "ids_file",
        metavar="SOURCE",
        default=None,
        help="A text file (one id per line), a .csv with a header row (--column),"
        " a .jsonl (--field), - for stdin, segment:ID or tag:ID.",
    )(function)
    return click.argument("member_ids", nargs=-1)(function)
