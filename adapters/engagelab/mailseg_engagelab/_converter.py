"""EngageLab's wire shapes: snake_case, a nested condition, the pages' variant keys."""

from __future__ import annotations

from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from mailseg.adapter import base_converter, non_empty_str, object_with
from mailseg.models import Condition, ConditionItem, Member, Progress, Segment, Tag

_PROGRESS_KEYS = ("percent", "complete", "statusDesc", "status_desc")


def make_converter() -> cattrs.Converter:
    """A private converter: EngageLab's naming and shapes on top of the shared hooks."""
    conv = base_converter()

    conv.register_structure_hook(
        ConditionItem,
        make_dict_structure_fn(ConditionItem, conv, field=override(rename="field_name")),
    )
    conv.register_unstructure_hook(
        ConditionItem,
        make_dict_unstructure_fn(
            ConditionItem,
            conv,
            _cattrs_omit_if_default=True,  # no "campaign_id": null for attribute tests
            field=override(rename="field_name"),
        ),
    )
    conv.register_unstructure_hook(
        Condition,
        make_dict_unstructure_fn(Condition, conv, relation=override(omit_if_default=False)),
    )

    progress = make_dict_structure_fn(Progress, conv, description=override(rename="statusDesc"))

    def structure_progress(data: Any, _: type) -> Progress:
        data = object_with(data, "a progress", _PROGRESS_KEYS)
        # Every example says statusDesc, the table status_desc: read either.
        if "statusDesc" not in data and "status_desc" in data:
            data = {**data, "statusDesc": data["status_desc"]}
        return progress(data, Progress)

    conv.register_structure_hook(Progress, structure_progress)

    conv.register_structure_hook(
        Segment,
        make_dict_structure_fn(
            Segment,
            conv,
            id=override(rename="segment_id", struct_hook=non_empty_str),
            name=override(rename="segment_name"),
            created_at=override(rename="create_time"),
            updated_at=override(rename="update_time"),
            progress=override(rename="process"),
        ),
    )

    member = make_dict_structure_fn(
        Member,
        conv,
        id=override(struct_hook=non_empty_str),
        created_at=override(rename="create_time"),
        updated_at=override(rename="update_time"),
        unsubscribed_at=override(rename="unsubscribe_time"),
    )

    def structure_member(data: Any, _: type) -> Member:
        # Segment members carry "id", tag members "member_id"; one example
        # says "tags" where the table says "tag_ids". Read either.
        if not isinstance(data, dict):
            raise TypeError(f"expected a member object, got {type(data).__name__}")
        if "id" not in data or "tag_ids" not in data:
            data = {
                **data,
                "id": data.get("id", data.get("member_id")),
                "tag_ids": data.get("tag_ids", data.get("tags")),
            }
        return member(data, Member)

    conv.register_structure_hook(Member, structure_member)

    tag = make_dict_structure_fn(
        Tag,
        conv,
        id=override(rename="tag_id", struct_hook=non_empty_str),
        name=override(rename="tag_name"),
        member_count=override(rename="count"),
        created_at=override(rename="create_time"),
        updated_at=override(rename="update_time"),
    )

    def structure_tag(data: Any, _: type) -> Tag:
        # The list's table says "name", its example "tag_name": read either.
        if isinstance(data, dict) and "tag_name" not in data and "name" in data:
            data = {**data, "tag_name": data["name"]}
        return tag(data, Tag)

    conv.register_structure_hook(Tag, structure_tag)
    return conv
