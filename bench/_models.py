"""Pydantic v2 models equivalent to mailseg's, for the side-by-side benchmarks.

They mirror ``mailseg.Member`` and ``mailseg.Segment`` as each provider spells them: the
same renames and variant keys, frozen, timestamps parsed as aware datetimes with UTC+8
for a time without an offset (an ``AfterValidator``), the same enums, lax mode (digit
strings accepted for integers, as mailseg's converters accept them).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field

from mailseg import Op, Relation, SegmentStatus, SegmentType

UTC8 = timezone(timedelta(hours=8))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC8)


Aware = Annotated[datetime, AfterValidator(_aware)]


class EngageLabMember(BaseModel):
    """mailseg.Member as EngageLab spells it."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(validation_alias=AliasChoices("id", "member_id"))
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    fields: dict[str, Any] | None = None
    tag_ids: tuple[str, ...] | None = Field(None, validation_alias=AliasChoices("tag_ids", "tags"))
    tag_names: tuple[str, ...] | None = None
    list_id: int | None = None
    user_id: int | None = None
    created_at: Aware | None = Field(None, validation_alias="create_time")
    updated_at: Aware | None = Field(None, validation_alias="update_time")
    unsubscribed_at: Aware | None = Field(None, validation_alias="unsubscribe_time")


class EngageLabPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: list[EngageLabMember] | None = Field(None, validation_alias="result")
    total: int | None = None


class SendCloudMember(BaseModel):
    """mailseg.Member as SendCloud spells it."""

    model_config = ConfigDict(frozen=True)

    id: str
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    fields: dict[str, Any] | None = None
    tag_ids: tuple[str, ...] | None = Field(None, validation_alias="tags")
    tag_names: tuple[str, ...] | None = Field(None, validation_alias="tagNames")
    list_id: int | None = Field(None, validation_alias="listId")
    user_id: int | None = Field(None, validation_alias="userId")
    created_at: Aware | None = Field(None, validation_alias="createTime")
    updated_at: Aware | None = Field(None, validation_alias="updateTime")
    unsubscribed_at: Aware | None = Field(None, validation_alias="unsubscribeTime")


class SendCloudPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: list[SendCloudMember] | None = Field(None, validation_alias="list")
    total: int | None = None


class EngageLabConditionItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str = Field(validation_alias="field_name")
    op: Op
    value: str
    campaign_id: int | None = None


class EngageLabCondition(BaseModel):
    model_config = ConfigDict(frozen=True)

    relation: Relation = Relation.AND
    items: tuple[EngageLabConditionItem, ...]


class EngageLabProgress(BaseModel):
    model_config = ConfigDict(frozen=True)

    percent: int | None = None
    complete: bool | None = None
    description: str | None = Field(
        None, validation_alias=AliasChoices("status_desc", "statusDesc")
    )


class EngageLabSegment(BaseModel):
    """mailseg.Segment as EngageLab's detail spells it."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(validation_alias="segment_id")
    name: str | None = Field(validation_alias="segment_name")
    type: SegmentType
    condition: EngageLabCondition
    status: SegmentStatus | None = None
    member_total: int | None = None
    list_id: int | None = None
    user_id: int | None = None
    created_at: Aware | None = Field(None, validation_alias="create_time")
    updated_at: Aware | None = Field(None, validation_alias="update_time")
    progress: EngageLabProgress | None = Field(None, validation_alias="process")


class EngageLabSegmentAnswer(BaseModel):
    """EngageLab's ``{"result": {...}}`` envelope around a segment."""

    model_config = ConfigDict(frozen=True)

    result: EngageLabSegment
