"""A small builder for conditions, on top of the plain classes.

    from mailseg import all_of, any_of, campaign, field, tag

    adults_in_wuhan = all_of(field("Age") >= 18, field("City") == "武汉")
    engaged = campaign(42).opened()
    vip = tag("vip")

Each expression is an ordinary `ConditionItem`; `all_of` and `any_of` make a
`Condition`. The providers take one flat relation per condition, so there is
no nesting.
"""

from __future__ import annotations

__all__ = ["Campaign", "Field", "all_of", "any_of", "campaign", "field", "tag"]

from mailseg.models import Condition, ConditionItem, Op, Relation

Value = str | int | float


class Field:
    """A contact attribute to compare: ``field("Age") >= 13``."""

    __slots__ = ("name",)
    __hash__ = None  # type: ignore[assignment]  # == builds a condition, not a bool

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, value: Value) -> ConditionItem:  # type: ignore[override]
        return ConditionItem(self.name, Op.EQ, value)

    def __ne__(self, value: Value) -> ConditionItem:  # type: ignore[override]
        return ConditionItem(self.name, Op.NE, value)

    def __gt__(self, value: Value) -> ConditionItem:
        return ConditionItem(self.name, Op.GT, value)

    def __ge__(self, value: Value) -> ConditionItem:
        return ConditionItem(self.name, Op.GE, value)

    def __lt__(self, value: Value) -> ConditionItem:
        return ConditionItem(self.name, Op.LT, value)

    def __le__(self, value: Value) -> ConditionItem:
        return ConditionItem(self.name, Op.LE, value)

    def contains(self, value: Value) -> ConditionItem:
        return ConditionItem(self.name, Op.CONTAIN, value)

    def does_not_contain(self, value: Value) -> ConditionItem:
        return ConditionItem(self.name, Op.NOT_CONTAIN, value)

    def __repr__(self) -> str:
        return f"field({self.name!r})"


class Campaign:
    """What contacts did with one campaign: ``campaign(42).opened()``."""

    __slots__ = ("campaign_id",)

    def __init__(self, campaign_id: int) -> None:
        self.campaign_id = campaign_id

    def _event(self, event: str) -> ConditionItem:
        return ConditionItem("campaign", Op.EQ, event, self.campaign_id)

    def sent(self) -> ConditionItem:
        return self._event("sent")

    def not_sent(self) -> ConditionItem:
        return self._event("notsent")

    def opened(self) -> ConditionItem:
        return self._event("open")

    def not_opened(self) -> ConditionItem:
        return self._event("unopen")

    def clicked(self) -> ConditionItem:
        return self._event("click")

    def not_clicked(self) -> ConditionItem:
        return self._event("unclick")


def field(name: str) -> Field:
    """A contact attribute (``"Email"``, ``"Age"``, a custom field)."""
    return Field(name)


def tag(name: str) -> ConditionItem:
    """Contacts carrying the tag of this *name* (the providers match tags by name here)."""
    return ConditionItem("tag", Op.EQ, name)


def campaign(campaign_id: int) -> Campaign:
    """Contacts by what they did with this campaign; makes a by-campaign segment."""
    return Campaign(campaign_id)


def all_of(*items: ConditionItem) -> Condition:
    """Contacts matching every item."""
    return Condition(relation=Relation.AND, items=items)


def any_of(*items: ConditionItem) -> Condition:
    """Contacts matching at least one item."""
    return Condition(relation=Relation.OR, items=items)
