"""``--condition FILE``: a condition as JSON, in mailseg's or either provider's spelling.

Accepted shapes (``-`` reads standard input):

- mailseg's (what ``--output json`` prints for a segment's ``condition``), which
  is also EngageLab's: ``{"relation": "and", "items": [{"field", "op", "value",
  "campaign_id"}]}``;
- SendCloud's flat one: ``{"relation": "and", "conditions": [{"field", "op",
  "value", "campaignId"}]}``;
- any of these wrapped in an object under ``"condition"`` (an EngageLab
  request body, or a whole segment as ``mailseg segments get -o json`` prints
  it).
"""

from __future__ import annotations

__all__ = ["load_condition", "read_condition"]

import json
import sys
from pathlib import Path
from typing import Any

from mailseg.errors import ValidationError
from mailseg.models import Condition, ConditionItem

_PARAMETER = "--condition"


def load_condition(path: str) -> Condition:
    """Read and convert the JSON file at *path* (``-`` for standard input)."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ValidationError(_PARAMETER, f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ValidationError(_PARAMETER, f"{path} is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError(
            _PARAMETER,
            f"{path} is not JSON: {error.msg} at line {error.lineno} column {error.colno}",
        ) from None
    return read_condition(data)


def read_condition(data: Any) -> Condition:
    """A `Condition` from decoded JSON in any of the accepted spellings."""
    if not isinstance(data, dict):
        raise ValidationError(_PARAMETER, "must be a JSON object with 'relation' and 'items'")
    where = ""
    if "items" not in data and "conditions" not in data and isinstance(data.get("condition"), dict):
        data, where = data["condition"], "condition."
    items = data.get("items", data.get("conditions"))
    key = "items" if "items" in data else "conditions"
    if not isinstance(items, list) or not items:
        raise ValidationError(
            _PARAMETER, f"{where}items (or SendCloud's 'conditions') must be a non-empty list"
        )
    relation = data.get("relation", "and")
    if not isinstance(relation, str) or relation.lower() not in ("and", "or"):
        raise ValidationError(_PARAMETER, f"{where}relation must be 'and' or 'or'")
    parsed = tuple(_item(item, f"{where}{key}[{index}]") for index, item in enumerate(items))
    return Condition(relation=relation.lower(), items=parsed)


def _item(data: Any, where: str) -> ConditionItem:
    if not isinstance(data, dict):
        raise ValidationError(_PARAMETER, f"{where} must be an object with field, op and value")
    for key in ("field", "op", "value"):
        if key not in data:
            raise ValidationError(_PARAMETER, f"{where}.{key} is missing")
    campaign_id = data.get("campaign_id", data.get("campaignId"))
    if isinstance(campaign_id, str) and campaign_id.isascii() and campaign_id.isdigit():
        campaign_id = int(campaign_id)
    if campaign_id is not None and (
        isinstance(campaign_id, bool) or not isinstance(campaign_id, int)
    ):
        raise ValidationError(_PARAMETER, f"{where}.campaign_id must be an integer")
    field, op, value = data["field"], data["op"], data["value"]
    if not isinstance(field, str):
        raise ValidationError(_PARAMETER, f"{where}.field must be a string")
    try:
        return ConditionItem(field, op, value, campaign_id)
    except ValidationError as error:
        raise ValidationError(_PARAMETER, f"{where}.{error.parameter}: {error.message}") from None
