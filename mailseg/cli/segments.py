"""``mailseg segments ...``: every segment operation of both providers."""

from __future__ import annotations

__all__ = ["segments"]

import click

from mailseg.cli.bulk import bulk_summary, run_bulk, write_failed_ids
from mailseg.cli.id_sources import given_ids
from mailseg.cli.listing import show_listing
from mailseg.cli.options import (
    condition_options,
    ids_options,
    optional_condition,
    output_option,
    paging,
    paging_options,
    required_condition,
)
from mailseg.cli.output import MEMBER_COLUMNS, SEGMENT_COLUMNS, Output
from mailseg.cli.progress import percent_reporter
from mailseg.cli.runtime import EXIT_FAILED_IDS, Runtime, run_async
from mailseg.models import BulkResult, Segment, SegmentType

_TYPES = {"by_field": SegmentType.BY_FIELD, "by_campaign": SegmentType.BY_CAMPAIGN}
_type_option = click.option(
    "--type",
    "type_name",
    type=click.Choice(sorted(_TYPES)),
    default=None,
    help="by_field or by_campaign (default: by_campaign when the condition tests a campaign).",
)


def _type(type_name: str | None) -> SegmentType | None:
    return None if type_name is None else _TYPES[type_name]


@click.group()
def segments() -> None:
    """Segments: contacts selected by attributes, tags or campaign activity.

    \b
    Examples:
      mailseg segments list --all
      mailseg segments create adults --where "Age >= 18 and tag = vip"
      mailseg segments wait SEGMENT_ID
      mailseg segments members SEGMENT_ID --all --output jsonl | head
    """


@segments.command("list")
@click.option(
    "--name", default=None, help="Only segments whose name matches (the provider's fuzzy match)."
)
@_type_option
@paging_options
@output_option
@click.pass_obj
def list_(
    runtime: Runtime,
    name: str | None,
    type_name: str | None,
    limit: int | None,
    offset: int | None,
    all_pages: bool,
    output: str | None,
) -> None:
    """List segments (one window, or --all).

    \b
    Examples:
      mailseg segments list --limit 20 --offset 40
      mailseg segments list --all --type by_campaign --output csv > segments.csv
    """
    window = paging(all_pages, offset, limit)
    out = Output(output)

    async def main() -> None:
        async with runtime.client() as client:
            kind = _type(type_name)
            await show_listing(
                out,
                SEGMENT_COLUMNS,
                window,
                every=lambda: client.segments.iterate(name=name, type=kind),
                page=lambda offset, limit: client.segments.list(
                    name=name, type=kind, offset=offset, limit=limit
                ),
                title="segments",
            )

    run_async(main)


@segments.command()
@click.argument("segment_id")
@output_option
@click.pass_obj
def get(runtime: Runtime, segment_id: str, output: str | None) -> None:
    """Show one segment: status, member total, progress, condition.

    \b
    Example:
      mailseg segments get SEGMENT_ID --output json
    """

    Output(output).one(runtime.call(lambda client: client.segments.get(segment_id)))


@segments.command()
@click.argument("name")
@condition_options
@_type_option
@output_option
@click.pass_obj
def create(
    runtime: Runtime,
    name: str,
    where_text: str | None,
    condition_file: str | None,
    type_name: str | None,
    output: str | None,
) -> None:
    """Create a segment; the provider then computes its members (see `wait`).

    SendCloud answers with the id only: status and counts show after `get` or `wait`.

    \b
    Examples:
      mailseg segments create adults --where "Age >= 18 and City contain Wuhan"
      mailseg segments create openers --where "campaign 42 opened"
      mailseg segments create copy --condition segment.json
    """
    condition = required_condition(where_text, condition_file)

    Output(output).one(
        runtime.call(lambda client: client.segments.create(name, condition, type=_type(type_name)))
    )


@segments.command()
@click.argument("segment_id")
@condition_options
@click.option("--name", default=None, help="A new name.")
@_type_option
@output_option
@click.pass_obj
def update(
    runtime: Runtime,
    segment_id: str,
    where_text: str | None,
    condition_file: str | None,
    name: str | None,
    type_name: str | None,
    output: str | None,
) -> None:
    """Replace a segment's condition (and name); processing starts again.

    \b
    Example:
      mailseg segments update SEGMENT_ID --where "Age >= 21" --name adults_us
    """
    condition = required_condition(where_text, condition_file)

    Output(output).one(
        runtime.call(
            lambda client: client.segments.update(
                segment_id, condition=condition, name=name, type=_type(type_name)
            )
        )
    )


@segments.command()
@click.argument("segment_id")
@output_option
@click.pass_obj
def delete(runtime: Runtime, segment_id: str, output: str | None) -> None:
    """Delete a segment (its contacts stay in the list).

    \b
    Example:
      mailseg segments delete SEGMENT_ID
    """

    runtime.call(lambda client: client.segments.delete(segment_id))
    Output(output).one({"id": segment_id, "deleted": True})


@segments.command()
@click.argument("segment_id")
@output_option
@click.pass_obj
def progress(runtime: Runtime, segment_id: str, output: str | None) -> None:
    """How far the provider is in computing a segment's members.

    \b
    Example:
      mailseg segments progress SEGMENT_ID
    """

    Output(output).one(runtime.call(lambda client: client.segments.progress(segment_id)))


@segments.command()
@click.argument("segment_id")
@click.option(
    "--timeout",
    "wait_timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=300.0,
    show_default=True,
    help="Seconds to wait in all.",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0, min_open=True),
    default=2.0,
    show_default=True,
    help="Seconds between reads.",
)
@click.option("-q", "--quiet", is_flag=True, help="Show no progress.")
@output_option
@click.pass_obj
def wait(
    runtime: Runtime,
    segment_id: str,
    wait_timeout: float,
    poll_interval: float,
    quiet: bool,
    output: str | None,
) -> None:
    """Wait until the provider has computed a segment, showing its progress.

    Exits 1 if the segment fails or is still processing after --timeout.

    \b
    Example:
      mailseg segments wait SEGMENT_ID --timeout 600 && mailseg segments members SEGMENT_ID --all
    """

    async def main() -> Segment:
        async with runtime.client() as client:
            with percent_reporter(f"segment {segment_id}", quiet=quiet) as shown:

                def on_progress(segment: Segment) -> None:
                    percent = segment.progress.percent if segment.progress else None
                    shown.update(percent or 0)

                done = await client.segments.wait_until_complete(
                    segment_id,
                    timeout=wait_timeout,
                    poll_interval=poll_interval,
                    on_progress=on_progress,
                )
                shown.update(100)
                return done

    Output(output).one(run_async(main))


@segments.command()
@click.argument("segment_id")
@click.option(
    "--where",
    "where_text",
    metavar="TEXT",
    default=None,
    help='Filter further by attributes and tags, e.g. "tag = vip".',
)
@click.option(
    "--condition", "condition_file", metavar="FILE", default=None, help="The filter as JSON."
)
@paging_options
@output_option
@click.pass_obj
def members(
    runtime: Runtime,
    segment_id: str,
    where_text: str | None,
    condition_file: str | None,
    limit: int | None,
    offset: int | None,
    all_pages: bool,
    output: str | None,
) -> None:
    """List a segment's members; with --all and --output jsonl they stream as read.

    \b
    Examples:
      mailseg segments members SEGMENT_ID --where "tag = vip" --limit 100
      mailseg segments members SEGMENT_ID --all --output jsonl | head
      mailseg segments members SEGMENT_ID --all --output csv > members.csv
    """
    window = paging(all_pages, offset, limit)
    condition = optional_condition(where_text, condition_file)
    out = Output(output)

    async def main() -> None:
        async with runtime.client() as client:
            await show_listing(
                out,
                MEMBER_COLUMNS,
                window,
                every=lambda: client.segments.iterate_members(segment_id, condition=condition),
                page=lambda offset, limit: client.segments.members(
                    segment_id, condition=condition, offset=offset, limit=limit
                ),
                title=f"members of {segment_id}",
            )

    run_async(main)


@segments.command("remove-members")
@click.argument("segment_id")
@ids_options
@click.option(
    "--failed-ids",
    metavar="FILE",
    default=None,
    help="Write the ids that failed here, to send again.",
)
@click.option("-q", "--quiet", is_flag=True, help="Show no progress.")
@output_option
@click.pass_obj
def remove_members(
    runtime: Runtime,
    segment_id: str,
    member_ids: tuple[str, ...],
    ids_file: str | None,
    column: str | None,
    field: str | None,
    failed_ids: str | None,
    quiet: bool,
    output: str | None,
) -> None:
    """Remove contacts from a segment (not from the list), 1000 per request.

    Exits 3 when some ids failed; --failed-ids FILE keeps them to send again.

    \b
    Examples:
      mailseg segments remove-members SEGMENT_ID ID1 ID2
      mailseg segments remove-members SEGMENT_ID --ids leavers.csv --column contact_id
    """
    ids = given_ids(member_ids, ids_file, column, field)

    async def main() -> BulkResult:
        async with runtime.client() as client:
            return await run_bulk(
                client.segments.remove_members,
                segment_id,
                ids,
                client,
                label="removing",
                quiet=quiet,
            )

    result = run_async(main)
    if failed_ids is not None:
        write_failed_ids(failed_ids, result)
    Output(output).one(bulk_summary(result, segment_id=segment_id))
    if not result.ok:
        raise click.exceptions.Exit(EXIT_FAILED_IDS)
