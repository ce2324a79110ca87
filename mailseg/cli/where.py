"""The ``--where`` language: a condition written on one line, and back.

    Age >= 18 and tag = vip
    City contain 'Wu han' or Email does not contain example.com
    campaign 42 opened

One relation per condition, as both providers require: ``and`` and ``or`` may
not be mixed, and there are no parentheses. An item is ``FIELD OP VALUE``
(``=`` is read as ``==``; ``contains`` as ``contain``), or ``campaign ID
EVENT`` with EVENT one of ``sent``, ``not sent``, ``opened``, ``not opened``,
``clicked``, ``not clicked`` (or the providers' own words: ``open``,
``unopen``, ``click``, ``unclick``, ``notsent``). A field or value holding
spaces, quotes, operator characters or a keyword is quoted, ``'...'`` or
``"..."``, with ``\\`` escaping the quote and itself.

`parse` turns the text into a `Condition`, raising `WhereError` (a
`ValidationError`) that points at the column of a mistake; `to_text` writes a
`Condition` so that `parse` gives it back.
"""

from __future__ import annotations

__all__ = ["WhereError", "item_text", "parse", "to_text"]

import re

import attrs

from mailseg.errors import ValidationError
from mailseg.models import Condition, ConditionItem, Op, Relation

_OPERATORS: dict[str, Op] = {
    "==": Op.EQ,
    "=": Op.EQ,
    "!=": Op.NE,
    ">": Op.GT,
    ">=": Op.GE,
    "<": Op.LT,
    "<=": Op.LE,
    "contain": Op.CONTAIN,
    "contains": Op.CONTAIN,
}
# What a person writes after "campaign ID", and the providers' word for it.
_EVENTS: dict[str, str] = {
    "sent": "sent",
    "not sent": "notsent",
    "notsent": "notsent",
    "opened": "open",
    "open": "open",
    "not opened": "unopen",
    "unopen": "unopen",
    "clicked": "click",
    "click": "click",
    "not clicked": "unclick",
    "unclick": "unclick",
}
_EVENT_WORDS = {"open": "opened", "unopen": "not opened", "click": "clicked"}
_EVENT_WORDS |= {"unclick": "not clicked", "notsent": "not sent", "sent": "sent"}
_RELATIONS = {"and": Relation.AND, "or": Relation.OR}
# Words that a bare field or value may not be: they would read as syntax.
_KEYWORDS = frozenset({"and", "or", "contain", "contains", "does", "not", "campaign"})
_BARE = re.compile(r"[^\s'\"=!<>()]+")
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<quoted>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<unclosed>['"])
  | (?P<op>==|!=|>=|<=|=|>|<)
  | (?P<paren>[()])
  | (?P<bare>[^\s'"=!<>()]+)
  | (?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


class WhereError(ValidationError):
    """A ``--where`` text that does not parse.

    Attributes:
        column: the 1-based column of the mistake.
        text: the text that was parsed.
    """

    def __init__(self, text: str, column: int, message: str, parameter: str = "--where") -> None:
        self.text = text
        self.column = column
        pointer = " " * (column - 1) + "^"
        super().__init__(parameter, f"{message} at column {column}\n  {text}\n  {pointer}")


@attrs.frozen
class _Token:
    kind: str  # "word" (bare), "quoted", "op"
    text: str  # the value: unquoted and unescaped for "quoted"
    column: int  # 1-based

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        column = match.start() + 1
        value = match.group()
        if kind == "space":
            continue
        if kind == "unclosed":
            raise WhereError(text, column, f"the quote {value} is never closed")
        if kind == "paren":
            raise WhereError(
                text, column, "parentheses are not allowed: a condition is one flat relation"
            )
        if kind == "bad":
            raise WhereError(text, column, f"unexpected character {value!r}")
        if kind == "quoted":
            found.append(_Token("quoted", _ESCAPE.sub(r"\1", value[1:-1]), column))
        elif kind == "op":
            found.append(_Token("op", value, column))
        else:
            found.append(_Token("word", value, column))
    return found


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self, ahead: int = 0) -> _Token | None:
        index = self.index + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, what: str) -> _Token:
        token = self.peek()
        if token is None:
            raise self.error(len(self.text) + 1, f"expected {what}, found the end")
        self.index += 1
        return token

    def error(self, column: int, message: str) -> WhereError:
        return WhereError(self.text, column, message)


def parse(text: str) -> Condition:
    """The `Condition` a ``--where`` text describes.

    Raises:
        WhereError: the text does not parse; it names the column of the mistake.
    """
    reader = _Reader(text)
    if reader.peek() is None:
        raise reader.error(1, "expected a condition such as 'Age >= 18', found nothing")
    items = [_item(reader)]
    relation: Relation | None = None
    first_relation_column = 0
    while (token := reader.peek()) is not None:
        word = token.text.lower() if token.kind == "word" else None
        if word not in _RELATIONS:
            raise reader.error(token.column, f"expected 'and' or 'or', found {token.text!r}")
        here = _RELATIONS[word]
        if relation is None:
            relation, first_relation_column = here, token.column
        elif here is not relation:
            raise reader.error(
                token.column,
                f"'{here}' after '{relation}' (column {first_relation_column}): a condition"
                " takes one relation; the providers cannot mix 'and' and 'or'",
            )
        reader.index += 1
        items.append(_item(reader))
    return Condition(relation=relation or Relation.AND, items=tuple(items))


def _item(reader: _Reader) -> ConditionItem:
    start = reader.take("a field")
    if start.kind == "op":
        raise reader.error(start.column, f"expected a field before {start.text!r}")
    if start.is_word("campaign"):
        return _campaign(reader)
    if start.kind == "word" and start.text.lower() in _KEYWORDS:
        raise reader.error(
            start.column,
            f"expected a field, found the keyword {start.text!r} (quote a field so named)",
        )
    op = _operator(reader)
    value = reader.take("a value")
    if value.kind == "op":
        raise reader.error(value.column, f"expected a value, found {value.text!r}")
    if value.kind == "word" and value.text.lower() in _KEYWORDS:
        raise reader.error(
            value.column,
            f"expected a value, found the keyword {value.text!r} (quote it as a value)",
        )
    return ConditionItem(start.text, op, value.text)


def _operator(reader: _Reader) -> Op:
    token = reader.take("an operator")
    if token.kind == "op":
        return _OPERATORS[token.text]
    if token.is_word("contain", "contains"):
        return Op.CONTAIN
    if token.is_word("does") or token.is_word("not"):
        # "does not contain", or the shorter "not contain"
        if token.is_word("does"):
            following = reader.take("'not contain'")
            if not following.is_word("not"):
                raise reader.error(following.column, "expected 'not contain' after 'does'")
        last = reader.take("'contain'")
        if not last.is_word("contain", "contains"):
            raise reader.error(last.column, "expected 'contain' after 'not'")
        return Op.NOT_CONTAIN
    choices = "==, !=, >, >=, <, <=, contain, does not contain"
    raise reader.error(token.column, f"expected an operator ({choices}), found {token.text!r}")


def _campaign(reader: _Reader) -> ConditionItem:
    number = reader.take("a campaign id after 'campaign'")
    if number.kind != "word" or not number.text.isascii() or not number.text.isdigit():
        raise reader.error(
            number.column, f"expected a campaign id (a number), found {number.text!r}"
        )
    event = reader.take("what the contacts did (opened, clicked, sent, not opened, ...)")
    words = [event]
    if event.is_word("not"):
        words.append(reader.take("opened, clicked or sent after 'not'"))
    spelled = " ".join(token.text.lower() for token in words if token.kind == "word")
    if len(words) != sum(token.kind == "word" for token in words) or spelled not in _EVENTS:
        choices = ", ".join(sorted({*_EVENT_WORDS.values()}))
        raise reader.error(event.column, f"expected one of {choices}, found {event.text!r}")
    return ConditionItem("campaign", Op.EQ, _EVENTS[spelled], int(number.text))


def to_text(condition: Condition | ConditionItem) -> str:
    """The ``--where`` text of a condition; `parse` reads it back to an equal `Condition`.

    A condition of one item reads back with relation ``and`` (which one a single
    item carries makes no difference to the providers).
    """
    if isinstance(condition, ConditionItem):
        return item_text(condition)
    return f" {condition.relation.value} ".join(item_text(item) for item in condition.items)


def item_text(item: ConditionItem) -> str:
    """One item in ``--where`` form: ``Age >= 18``, ``campaign 42 opened``."""
    if item.field == "campaign" and item.campaign_id is not None and item.op is Op.EQ:
        word = _EVENT_WORDS.get(item.value)
        if word is not None and item.campaign_id >= 0:
            return f"campaign {item.campaign_id} {word}"
    return f"{_quote(item.field)} {item.op.value} {_quote(item.value)}"


def _quote(text: str) -> str:
    if _BARE.fullmatch(text) and text.lower() not in _KEYWORDS:
        return text
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"
