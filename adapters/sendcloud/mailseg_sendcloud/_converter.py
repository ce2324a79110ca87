"""SendCloud's wire shapes: camelCase, a flat segment condition, bare bodies."""

from __future__ import annotations

from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from mailseg.adapter import base_converter, non_empty_str, object_with
from mailseg.models import Condition, ConditionItem, Member, Progress, Segment, Tag

_PROGRESS_KEYS = ("percent", "complete", "statusDesc")


def make_converter() -> cattrs.Converter:
    """A private converter: SendCloud's naming and shapes on top of the shared hooks."""
    conv = base_converter()

    conv.register_structure_hook(
        ConditionItem,
        make_dict_structure_fn(
            ConditionItem,
            conv,
            field=override(rename="fieldName"),
            campaign_id=override(rename="campaignId"),
        ),
    )
    conv.register_unstructure_hook(
        ConditionItem,
        make_dict_unstructure_fn(
            ConditionItem,
            conv,
            _cattrs_omit_if_default=True,  # no "campaignId": null for attribute tests
            field=override(rename="fieldName"),
            campaign_id=override(rename="campaignId"),
        ),
    )
    conv.register_unstructure_hook(
        Condition,
        make_dict_unstructure_fn(Condition, conv, relation=override(omit_if_default=False)),
    )
    progress = make_dict_structure_fn(Progress, conv, description=override(rename="statusDesc"))

    def structure_progress(data: Any, _: type) -> Progress:
        return progress(object_with(data, "a progress", _PROGRESS_KEYS), Progress)

    conv.register_structure_hook(Progress, structure_progress)

    segment = make_dict_structure_fn(
        Segment,
        conv,
        id=override(rename="segmentId", struct_hook=non_empty_str),
        name=override(rename="segmentName"),
        status=override(rename="status"),
        member_total=override(rename="memberTotal"),
        list_id=override(rename="listId"),
        user_id=override(rename="userId"),
        created_at=override(rename="createTime"),
        updated_at=override(rename="updateTime"),
        progress=override(rename="process"),
    )

    def structure_segment(data: Any, _: type) -> Segment:
        # SendCloud flattens the condition: "relation" and "conditions" sit
        # beside the segment's own keys.
        if not isinstance(data, dict):
            raise TypeError(f"expected a segment object, got {type(data).__name__}")
        condition = {
            "relation": data.get("relation") or "and",
            "items": data.get("conditions") or [],
        }
        return segment({**data, "condition": condition}, Segment)

    conv.register_structure_hook(Segment, structure_segment)

    conv.register_structure_hook(
        Member,
        make_dict_structure_fn(
            Member,
            conv,
            id=override(struct_hook=non_empty_str),
            tag_ids=override(rename="tags"),
            tag_names=override(rename="tagNames"),
            list_id=override(rename="listId"),
            user_id=override(rename="userId"),
            created_at=override(rename="createTime"),
            updated_at=override(rename="updateTime"),
            unsubscribed_at=override(rename="unsubscribeTime"),
        ),
    )
    # Inferred: SendCloud's camelCase applied to EngageLab's tag item. The id
    # is read from "tagId" or "id" (create documents "id"), the name from
    # "tagName" or "name", the contact count from "count" or "memberCount".
    tag = make_dict_structure_fn(
        Tag,
        conv,
        id=override(rename="tagId", struct_hook=non_empty_str),
        name=override(rename="tagName"),
        member_count=override(rename="count"),
        created_at=override(rename="createTime"),
        updated_at=override(rename="updateTime"),
    )

    def structure_tag(data: Any, _: type) -> Tag:
        if not isinstance(data, dict):
            raise TypeError(f"expected a tag object, got {type(data).__name__}")
        return tag(
            {
                **data,
                "tagId": data.get("tagId", data.get("id")),
                "tagName": data.get("tagName", data.get("name")),
                "count": data.get("count", data.get("memberCount")),
            },
            Tag,
        )

    conv.register_structure_hook(Tag, structure_tag)
    return conv
