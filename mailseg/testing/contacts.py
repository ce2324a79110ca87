"""Contacts of the emulated list: the record, the seeded generator and the file loaders."""

from __future__ import annotations

import csv
import json
import os
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import attrs

from mailseg.testing.clock import PROVIDER_TZ
from mailseg.testing.ids import IdFactory

#: What a contact did with one campaign; a campaign absent from ``Contact.campaigns`` was
#: not sent to that contact. Each level implies the ones before it (a click implies an open).
CampaignLevel = Literal["sent", "open", "click"]
CAMPAIGN_LEVELS: tuple[CampaignLevel, ...] = ("sent", "open", "click")

#: What ``Emulator(contacts=...)`` accepts: a number to generate, contact mappings, or a path
#: to a ``.csv`` or ``.jsonl`` file of them.
ContactsSource = int | Iterable[Mapping[str, Any]] | str | os.PathLike[str]

# The attributes every contact has besides its custom fields; condition field names match them
# case-insensitively ("Email", "email").
STANDARD_ATTRIBUTES = ("email", "name", "phone")

_BASE_TIME = datetime(2022, 6, 6, 10, 28, 32, tzinfo=PROVIDER_TZ)


@attrs.define(eq=False)
class Contact:
    """One contact of the list, as the emulator holds it.

    Attributes:
        id: 24 hex digits, like the providers' ids.
        email, name, phone: the standard attributes; any may be None.
        fields: custom fields, values as strings (the providers store text: ``"Age": "12"``).
        tag_ids: ids of the tags the contact carries, in the order they were added
            (a dict used as an ordered set, so tagging is O(1)).
        campaigns: campaign id -> how far the contact went with it: "sent", "open" or "click".
        create_time, update_time, unsubscribe_time: aware datetimes in UTC+8.
    """

    id: str
    email: str | None
    name: str | None
    phone: str | None
    fields: dict[str, str] = attrs.Factory(dict)
    tag_ids: dict[str, None] = attrs.Factory(dict)
    campaigns: dict[int, CampaignLevel] = attrs.Factory(dict)
    create_time: datetime = _BASE_TIME
    update_time: datetime = _BASE_TIME
    unsubscribe_time: datetime | None = None


@attrs.frozen
class SeedContact:
    """A contact as read or generated, before its tag names are resolved to tag ids."""

    contact: Contact
    tag_names: tuple[str, ...] = ()


#: Tags the generator creates and hands out, with the share of contacts carrying each.
DEFAULT_TAGS: tuple[tuple[str, float], ...] = (
    ("vip", 0.08),
    ("newsletter", 0.45),
    ("教育", 0.2),
    ("beta_tester", 0.05),
    ("inactive", 0.15),
)
#: Campaigns the generator gives events for (the emulator knows them as sent campaigns).
DEFAULT_CAMPAIGN_IDS: tuple[int, ...] = (1, 2, 3, 4, 5)

_SURNAMES = "李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = ("磊", "伟", "芳", "娜", "敏", "静", "丽", "强", "洋", "杰", "晓明", "美玲", "志强")
_LATIN = ("shanshan", "leonwang", "paulchen", "amy", "kevin", "tina", "jason", "lily", "grace")
# Reserved example domains only: generated addresses must never reach a real mailbox.
_DOMAINS = ("example.com", "example.net", "example.org", "tw.example.com", "mail.example.cn")
_CITIES = ("北京", "上海", "武汉", "广州", "深圳", "杭州", "成都", "台北", "香港", "Singapore")
_GENDERS = ("男", "女", "")


def generate_contacts(
    count: int,
    seed: int,
    ids: IdFactory,
    campaign_ids: Iterable[int] = DEFAULT_CAMPAIGN_IDS,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[SeedContact]:
    """Make ``count`` plausible contacts, the same ones for the same seed.

    Mixed Chinese and Latin names, reserved example domains, custom fields Age, Gender, City
    and Birthday (some missing, as in real lists), the default tags and campaign events.
    ``on_progress(done, count)`` runs after each tenth (at least every 10,000 contacts) and
    at the end: 200,000 contacts take seconds.
    """
    if count < 0:
        raise ValueError("contacts must be >= 0")
    report_every = max(10_000, count // 10)
    # Only rng.random(), indexed by hand: choice() and randint() cost several times more,
    # which shows at 200,000 contacts.
    rand = random.Random(seed).random
    campaigns = tuple(campaign_ids)
    out: list[SeedContact] = []
    n_surnames, n_given, n_latin = len(_SURNAMES), len(_GIVEN), len(_LATIN)
    n_domains, n_cities, n_genders = len(_DOMAINS), len(_CITIES), len(_GENDERS)
    step = timedelta(seconds=37)
    created = _BASE_TIME
    for i in range(count):
        r = rand()
        if r < 0.7:
            name = _SURNAMES[int(rand() * n_surnames)] + _GIVEN[int(rand() * n_given)]
            local = f"user{i}"
        elif r < 0.9:
            name = _LATIN[int(rand() * n_latin)]
            local = f"{name}{i}"
        else:
            name = ""
            local = f"contact{i}"
        fields: dict[str, str] = {}
        if rand() < 0.9:
            fields["Age"] = str(12 + int(rand() * 69))
        fields["Gender"] = _GENDERS[int(rand() * n_genders)]
        fields["City"] = _CITIES[int(rand() * n_cities)]
        if rand() < 0.8:
            fields["Birthday"] = f"{1 + int(rand() * 12):02d}/{1 + int(rand() * 28):02d}"
        events: dict[int, CampaignLevel] = {}
        for campaign in campaigns:
            r = rand()
            if r >= 0.3:
                events[campaign] = "sent" if r < 0.6 else "open" if r < 0.85 else "click"
        phone = f"1{3 + int(rand() * 7)}{int(rand() * 1e9):09d}" if rand() < 0.6 else None
        contact = Contact(
            id=ids.next(),
            email=f"{local}@{_DOMAINS[int(rand() * n_domains)]}",
            name=name,
            phone=phone,
            fields=fields,
            campaigns=events,
            create_time=created,
            update_time=created,
        )
        created += step
        tags = tuple(tag for tag, share in DEFAULT_TAGS if rand() < share)
        out.append(SeedContact(contact, tags))
        if on_progress is not None and (i + 1) % report_every == 0 and i + 1 < count:
            on_progress(i + 1, count)
    if on_progress is not None:
        on_progress(count, count)
    return out


def load_contacts(
    source: Iterable[Mapping[str, Any]] | str | os.PathLike[str], ids: IdFactory
) -> list[SeedContact]:
    """Read contacts from mappings or from a ``.csv`` / ``.jsonl`` file.

    A mapping (a JSON line, a CSV row) may hold ``id`` (minted when absent), ``email``,
    ``name``, ``phone`` (these four keys case-insensitive), ``fields`` (a mapping),
    ``tags`` (tag names: a list, or one string separated by ``;`` or ``,``), ``campaigns``
    (campaign id -> "sent" | "open" | "click"), and ``create_time`` (ISO 8601; no offset
    means UTC+8). Any other key is a custom field. Empty CSV cells are absent values.

    Raises:
        ValueError: a duplicate id, an unknown campaign level, or an unsupported file type.
    """
    rows = _read_file(Path(source)) if isinstance(source, (str, os.PathLike)) else source
    out: list[SeedContact] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        seed = _from_mapping(row, ids, number)
        if seed.contact.id in seen:
            raise ValueError(f"contact {number}: duplicate id {seed.contact.id!r}")
        seen.add(seed.contact.id)
        out.append(seed)
    return out


def _read_file(path: Path) -> Iterator[Mapping[str, Any]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                yield {key: value for key, value in row.items() if key and value not in ("", None)}
    elif suffix in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    value = json.loads(line)
                    if not isinstance(value, dict):
                        raise ValueError(f"{path}: every line must be a JSON object")
                    yield value
    else:
        raise ValueError(f"{path}: contacts file must end in .csv or .jsonl")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _from_mapping(row: Mapping[str, Any], ids: IdFactory, number: int) -> SeedContact:
    standard: dict[str, Any] = {}
    fields: dict[str, str] = {}
    tags: tuple[str, ...] = ()
    campaigns: dict[int, CampaignLevel] = {}
    created = _BASE_TIME
    for key, value in row.items():
        folded = key.lower()
        if folded in ("id", *STANDARD_ATTRIBUTES):
            standard[folded] = value
        elif folded == "fields":
            fields.update({str(k): str(v) for k, v in dict(value).items() if v is not None})
        elif folded == "tags":
            tags = _tag_names(value)
        elif folded == "campaigns":
            for campaign, level in dict(value).items():
                if level not in CAMPAIGN_LEVELS:
                    raise ValueError(
                        f"contact {number}: campaign level must be one of {CAMPAIGN_LEVELS}"
                    )
                campaigns[int(campaign)] = level
        elif folded == "create_time":
            created = datetime.fromisoformat(str(value))
            if created.tzinfo is None:
                created = created.replace(tzinfo=PROVIDER_TZ)
        elif value is not None:
            fields[key] = str(value)
    contact = Contact(
        id=str(standard.get("id") or ids.next()),
        email=_text(standard.get("email")),
        name=_text(standard.get("name")),
        phone=_text(standard.get("phone")),
        fields=fields,
        campaigns=campaigns,
        create_time=created,
        update_time=created,
    )
    return SeedContact(contact, tags)


def _tag_names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        parts = value.replace(",", ";").split(";")
        return tuple(part.strip() for part in parts if part.strip())
    return tuple(str(name) for name in value)
