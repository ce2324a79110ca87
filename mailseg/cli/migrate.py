"""``mailseg migrate``: copy tag and segment definitions from one account to another.

Definitions only (names, types, conditions), not contacts: each provider keeps
its own contact list. A condition is read by the source's adapter into
mailseg's `Condition` and written by the target's adapter in its own dialect,
so SendCloud to EngageLab (or back) needs no translation table here.

Matching is by name, which makes a second run create nothing: a tag or segment
whose name exists on the target is reported as ``exists`` and left alone
(with a note when its condition differs). Campaign ids belong to an account:
a by-campaign segment keeps its ids unless ``--campaign-map OLD=NEW``
translates them, and one the target refuses (the campaign does not exist
there) is reported as ``cannot carry``. A dry run reads both accounts and
changes nothing; whether the target knows a campaign is only learnt on create.
"""

from __future__ import annotations

__all__ = ["migrate"]

from collections.abc import Mapping

import attrs
import click

from mailseg import Client
from mailseg.cli.options import output_option
from mailseg.cli.output import Columns, Output
from mailseg.cli.runtime import EXIT_PROVIDER, Runtime, run_async
from mailseg.cli.where import to_text
from mailseg.errors import APIError, MailsegError, ValidationError
from mailseg.models import Condition, ConditionItem, Segment, SegmentType

_COLUMNS = Columns.of(
    ("kind", "kind"),
    ("name", "name"),
    ("action", "action"),
    ("source_id", "source id"),
    ("target_id", "target id"),
    ("detail", "detail"),
)


@attrs.frozen
class Step:
    """What migrate did (or would do) with one definition."""

    kind: str  # "tag" or "segment"
    name: str
    action: str  # "create", "created", "exists", "cannot carry", "failed"
    source_id: str
    target_id: str | None = None
    detail: str = ""


def _campaign_map(values: tuple[str, ...]) -> dict[int, int]:
    mapping: dict[int, int] = {}
    for value in values:
        old, _, new = value.partition("=")
        if not (old.strip().isdigit() and new.strip().isdigit()):
            raise ValidationError("--campaign-map", f"expected OLD=NEW campaign ids, got {value!r}")
        mapping[int(old)] = int(new)
    return mapping


@click.command()
@click.option(
    "--from", "source", required=True, metavar="PROFILE", help="The profile to copy from."
)
@click.option("--to", "target", required=True, metavar="PROFILE", help="The profile to copy to.")
@click.option("--dry-run", is_flag=True, help="Report what would be created; change nothing.")
@click.option(
    "--campaign-map",
    multiple=True,
    metavar="OLD=NEW",
    help="Use campaign NEW on the target for campaign OLD of the source (repeatable).",
)
@output_option
@click.pass_obj
def migrate(
    runtime: Runtime,
    source: str,
    target: str,
    dry_run: bool,
    campaign_map: tuple[str, ...],
    output: str | None,
) -> None:
    """Copy tag and segment definitions from one account (profile) to another.

    Both accounts come from their profiles alone (MAILSEG_* settings variables
    are not applied, so one meant for one account cannot leak into the other).
    Idempotent: whatever exists on the target under the same name is left as is.
    Exits 1 if a create failed for another reason than a missing campaign.

    \b
    Examples:
      mailseg migrate --from sendcloud_prod --to engagelab_prod --dry-run
      mailseg migrate --from sc --to el --campaign-map 42=1042 --output json
    """
    mapping = _campaign_map(campaign_map)
    source_client = runtime.client_for(source)
    target_client = runtime.client_for(target)

    async def main() -> list[Step]:
        async with source_client, target_client:
            return await _migrate(source_client, target_client, dry_run=dry_run, mapping=mapping)

    steps = run_async(main)
    out = Output(output)
    rows = [attrs.asdict(step) for step in steps]
    if out.format == "json":
        out.one(
            {
                "from": source,
                "to": target,
                "dry_run": dry_run,
                "steps": rows,
                "summary": _summary(steps),
            }
        )
    else:
        out.page(
            rows, _COLUMNS, title=f"migrate {source} -> {target}{' (dry run)' if dry_run else ''}"
        )
    if any(step.action == "failed" for step in steps):
        raise click.exceptions.Exit(EXIT_PROVIDER)


def _summary(steps: list[Step]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for step in steps:
        counts[step.action] = counts.get(step.action, 0) + 1
    return counts


async def _migrate(
    source: Client, target: Client, *, dry_run: bool, mapping: Mapping[int, int]
) -> list[Step]:
    steps: list[Step] = []
    # Tags first: segment conditions name tags, and the target must have them.
    existing_tags = {tag.name: tag.id async for tag in target.tags.iterate() if tag.name}
    async for tag in source.tags.iterate():
        if not tag.name:
            steps.append(Step("tag", "", "cannot carry", tag.id, detail="the source sent no name"))
        elif tag.name in existing_tags:
            steps.append(Step("tag", tag.name, "exists", tag.id, existing_tags[tag.name]))
        elif dry_run:
            steps.append(Step("tag", tag.name, "create", tag.id))
        else:
            steps.append(await _create_tag(target, tag.name, tag.id))
            existing_tags[tag.name] = steps[-1].target_id or ""

    existing = {s.name: s async for s in target.segments.iterate() if s.name}
    async for segment in source.segments.iterate():
        steps.append(await _segment_step(target, segment, existing, dry_run, mapping))
    return steps


async def _create_tag(target: Client, name: str, source_id: str) -> Step:
    try:
        created = await target.tags.create(name)
    except MailsegError as error:
        return Step("tag", name, "failed", source_id, detail=str(error))
    return Step("tag", name, "created", source_id, created.id)


async def _segment_step(
    target: Client,
    segment: Segment,
    existing: Mapping[str, Segment],
    dry_run: bool,
    mapping: Mapping[int, int],
) -> Step:
    if not segment.name:
        return Step("segment", "", "cannot carry", segment.id, detail="the source sent no name")
    condition = _mapped(segment.condition, mapping)
    if segment.name in existing:
        there = existing[segment.name]
        note = "" if there.condition == condition else f"differs there: {to_text(there.condition)}"
        return Step("segment", segment.name, "exists", segment.id, there.id, note)
    detail = to_text(condition)
    if dry_run:
        return Step("segment", segment.name, "create", segment.id, detail=detail)
    try:
        created = await target.segments.create(segment.name, condition, type=segment.type)
    except (APIError, ValidationError) as error:
        if segment.type is SegmentType.BY_CAMPAIGN and _is_refusal(error):
            ids = sorted({i.campaign_id for i in condition.items if i.campaign_id is not None})
            reason = f"the target refused campaign {', '.join(map(str, ids))}: {error}"
            return Step("segment", segment.name, "cannot carry", segment.id, detail=reason)
        return Step("segment", segment.name, "failed", segment.id, detail=str(error))
    except MailsegError as error:
        return Step("segment", segment.name, "failed", segment.id, detail=str(error))
    return Step("segment", segment.name, "created", segment.id, created.id, detail)


def _is_refusal(error: MailsegError) -> bool:
    # A 4xx is the target saying no to this definition; a 5xx or a transport
    # failure says nothing about it.
    return isinstance(error, ValidationError) or (
        isinstance(error, APIError) and 400 <= error.status < 500
    )


def _mapped(condition: Condition, mapping: Mapping[int, int]) -> Condition:
    if not mapping:
        return condition
    items = tuple(
        ConditionItem(i.field, i.op, i.value, mapping.get(i.campaign_id, i.campaign_id))
        if i.campaign_id is not None
        else i
        for i in condition.items
    )
    return Condition(relation=condition.relation, items=items)
