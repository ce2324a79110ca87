"""``mailseg tags ...``: every tag operation of both providers, and ``tags sync``."""

from __future__ import annotations

__all__ = ["tags"]

import click

from mailseg.cli.bulk import bulk_summary, run_bulk, write_failed_ids
from mailseg.cli.id_sources import csv_column, given_ids
from mailseg.cli.jobs import announce, default_ledger, finish, ledger_option, run_job
from mailseg.cli.listing import show_listing
from mailseg.cli.options import ids_options, output_option, paging, paging_options
from mailseg.cli.output import MEMBER_COLUMNS, TAG_COLUMNS, Output, to_data
from mailseg.cli.runtime import EXIT_FAILED_IDS, Runtime, run_async
from mailseg.jobs import Job, JobStatus, Operation, SyncPlan, open_ledger, plan_sync
from mailseg.models import BulkResult


@click.group()
def tags() -> None:
    """Tags: labels on contacts, added and removed in bulk.

    \b
    Examples:
      mailseg tags create vip
      mailseg tags add TAG_ID --ids ids.csv --column contact_id
      mailseg tags sync TAG_ID --ids everyone_who_should_have_it.txt --dry-run
    """


@tags.command("list")
@click.option("--name", default=None, help="Only tags whose name matches.")
@paging_options
@output_option
@click.pass_obj
def list_(
    runtime: Runtime,
    name: str | None,
    limit: int | None,
    offset: int | None,
    all_pages: bool,
    output: str | None,
) -> None:
    """List tags (one window, or --all), with their member counts.

    \b
    Examples:
      mailseg tags list --all
      mailseg tags list --name vip --output json
    """
    window = paging(all_pages, offset, limit)
    out = Output(output)

    async def main() -> None:
        async with runtime.client() as client:
            await show_listing(
                out,
                TAG_COLUMNS,
                window,
                every=lambda: client.tags.iterate(name=name),
                page=lambda offset, limit: client.tags.list(name=name, offset=offset, limit=limit),
                title="tags",
            )

    run_async(main)


@tags.command()
@click.argument("name")
@output_option
@click.pass_obj
def create(runtime: Runtime, name: str, output: str | None) -> None:
    """Create a tag (a-z, A-Z, 0-9, _ and Chinese characters, up to 64).

    \b
    Example:
      mailseg tags create vip --output json
    """

    Output(output).one(runtime.call(lambda client: client.tags.create(name)))


@tags.command()
@click.argument("tag_id")
@click.option("--name", required=True, help="The new name.")
@output_option
@click.pass_obj
def update(runtime: Runtime, tag_id: str, name: str, output: str | None) -> None:
    """Rename a tag.

    \b
    Example:
      mailseg tags update TAG_ID --name vip_2027
    """

    runtime.call(lambda client: client.tags.update(tag_id, name=name))
    Output(output).one({"id": tag_id, "name": name})


@tags.command()
@click.argument("tag_id")
@output_option
@click.pass_obj
def delete(runtime: Runtime, tag_id: str, output: str | None) -> None:
    """Delete a tag (the contacts stay, without it).

    \b
    Example:
      mailseg tags delete TAG_ID
    """

    runtime.call(lambda client: client.tags.delete(tag_id))
    Output(output).one({"id": tag_id, "deleted": True})


@tags.command()
@click.argument("tag_id")
@paging_options
@output_option
@click.pass_obj
def members(
    runtime: Runtime,
    tag_id: str,
    limit: int | None,
    offset: int | None,
    all_pages: bool,
    output: str | None,
) -> None:
    """List the contacts carrying a tag; with --all and --output jsonl they stream.

    \b
    Examples:
      mailseg tags members TAG_ID --limit 50
      mailseg tags members TAG_ID --all --output jsonl > vip.jsonl
    """
    window = paging(all_pages, offset, limit)
    out = Output(output)

    async def main() -> None:
        async with runtime.client() as client:
            await show_listing(
                out,
                MEMBER_COLUMNS,
                window,
                every=lambda: client.tags.iterate_members(tag_id),
                page=lambda offset, limit: client.tags.members(tag_id, offset=offset, limit=limit),
                title=f"members of {tag_id}",
            )

    run_async(main)


def _bulk_command(name: str, verb: str, doc: str) -> None:
    @tags.command(name, help=doc)
    @click.argument("tag_id")
    @ids_options
    @click.option(
        "--failed-ids", metavar="FILE", default=None, help="Write the ids that failed here."
    )
    @click.option("-q", "--quiet", is_flag=True, help="Show no progress.")
    @output_option
    @click.pass_obj
    def command(
        runtime: Runtime,
        tag_id: str,
        member_ids: tuple[str, ...],
        ids_file: str | None,
        column: str | None,
        field: str | None,
        failed_ids: str | None,
        quiet: bool,
        output: str | None,
    ) -> None:
        ids = given_ids(member_ids, ids_file, column, field)

        async def main() -> BulkResult:
            async with runtime.client() as client:
                call = client.tags.add_members if verb == "add" else client.tags.remove_members
                label = "tagging" if verb == "add" else "untagging"
                return await run_bulk(call, tag_id, ids, client, label=label, quiet=quiet)

        result = run_async(main)
        if failed_ids is not None:
            write_failed_ids(failed_ids, result)
        Output(output).one(bulk_summary(result, tag_id=tag_id))
        if not result.ok:
            raise click.exceptions.Exit(EXIT_FAILED_IDS)


_bulk_command(
    "add",
    "add",
    """Tag contacts, 1000 ids per request, several requests at once.

    Ids come from the arguments, or --ids SOURCE: a text file (one per line),
    a .csv (--column, the first by default), a .jsonl (--field), - for stdin,
    segment:ID or tag:ID (read as `mailseg jobs run` reads them). A chunk
    holding a bad id is not sent; its error names the id's line. Exits 3 when
    some ids failed; --failed-ids FILE keeps them to send again. For a job that
    survives the process, use `mailseg jobs run tags.add`.

    \b
    Examples:
      mailseg tags add TAG_ID ID1 ID2 ID3
      mailseg tags add TAG_ID --ids ids.csv --column contact_id --failed-ids retry.txt
      cut -d, -f1 export.csv | mailseg tags add TAG_ID --ids -
      mailseg tags add TAG_ID --ids segment:SEGMENT_ID
    """,
)
_bulk_command(
    "remove",
    "remove",
    """Untag contacts, 1000 ids per request (ids as for `tags add`).

    Exits 3 when some ids failed.

    \b
    Examples:
      mailseg tags remove TAG_ID ID1 ID2
      mailseg tags remove TAG_ID --ids retry.txt
    """,
)


@tags.command()
@click.argument("tag_id")
@click.option(
    "--ids",
    "source",
    required=True,
    metavar="SOURCE",
    help="The ids the tag should hold: a text file, a .csv (--column), a .jsonl (--field),"
    " - for stdin, segment:ID or tag:ID.",
)
@click.option("--column", default=None, help="The CSV column holding the ids (default: the first).")
@click.option("--field", default=None, help="The JSON Lines field holding the ids.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--job-id", default=None, help="Name the job (running it again then resumes it).")
@ledger_option
@click.option("-q", "--quiet", is_flag=True, help="Show no progress.")
@output_option
@click.pass_obj
def sync(
    runtime: Runtime,
    tag_id: str,
    source: str,
    column: str | None,
    field: str | None,
    dry_run: bool,
    job_id: str | None,
    ledger: str | None,
    quiet: bool,
    output: str | None,
) -> None:
    """Make a tag's contacts exactly the given ids: tag the missing, untag the rest.

    Runs as a durable job (`mailseg jobs run tags.sync`): the plan, the
    difference between the tag's members and the ids, is recorded before
    anything is sent, and only that difference is sent. Exits 3 when some ids
    failed, 130 on Ctrl+C (then `mailseg jobs resume JOB_ID`).

    \b
    Examples:
      mailseg tags sync TAG_ID --ids vip_today.txt --dry-run
      mailseg tags sync TAG_ID --ids crm_export.csv --column id --job-id nightly-vip
    """
    column = csv_column(source, column, field)
    if dry_run:

        async def plan() -> SyncPlan:
            async with runtime.client() as client:
                return await plan_sync(client, tag_id, source, column=column, field=field)

        Output(output).one({"dry_run": True, **to_data(run_async(plan))})
        return

    async def main() -> tuple[JobStatus, bool]:
        async with runtime.client() as client, open_ledger(ledger or default_ledger()) as book:
            job = await Job.create(
                book,
                Operation.TAG_SYNC,
                tag_id,
                source,
                column=column,
                field=field,
                job_id=job_id,
                provider=client.provider,
            )
            announce(job)
            return await run_job(client, job, quiet=quiet)

    status, interrupted = run_async(main)
    finish(status, interrupted, output, ledger)
