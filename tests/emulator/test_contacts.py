"""Contacts: seeded generation, and loading from mappings, CSV and JSONL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mailseg.testing import Emulator
from tests.emulator.emulator_shapes import OBJECT_ID


def test_generation_is_deterministic_from_the_seed() -> None:
    one, two = (
        Emulator("sendcloud", contacts=300, seed=5),
        Emulator("engagelab", contacts=300, seed=5),
    )
    other = Emulator("sendcloud", contacts=300, seed=6)
    assert [(c.id, c.email, c.name, c.fields, c.campaigns) for c in one.contacts] == [
        (c.id, c.email, c.name, c.fields, c.campaigns) for c in two.contacts
    ]
    assert [t.name for t in one.tags.values()] == [t.name for t in two.tags.values()]
    assert list(one.tags) == list(two.tags)
    assert [c.id for c in one.contacts] != [c.id for c in other.contacts]


def test_generated_contacts_look_like_the_providers() -> None:
    emu = Emulator("sendcloud", contacts=1000, seed=7)
    ids = [c.id for c in emu.contacts]
    assert len(set(ids)) == 1000
    assert all(OBJECT_ID.fullmatch(i) for i in ids)
    assert len({c.email for c in emu.contacts}) == 1000
    assert all(
        c.email
        and c.email.split("@")[1].endswith(
            ("example.com", "example.net", "example.org", "example.cn")
        )
        for c in emu.contacts
    )
    assert {"Age", "Gender", "City", "Birthday"} <= {key for c in emu.contacts for key in c.fields}
    assert all(v.isdigit() for c in emu.contacts for k, v in c.fields.items() if k == "Age")
    assert any(c.phone is None for c in emu.contacts)
    assert {t.name for t in emu.tags.values()} == {
        "vip",
        "newsletter",
        "教育",
        "beta_tester",
        "inactive",
    }
    assert all(0 < t.member_count < 1000 for t in emu.tags.values())
    levels = {level for c in emu.contacts for level in c.campaigns.values()}
    assert levels == {"sent", "open", "click"}
    assert {cid for c in emu.contacts for cid in c.campaigns} == {1, 2, 3, 4, 5}
    # Tags and contacts agree both ways.
    for tag_id, tag in emu.tags.items():
        assert all(tag_id in emu.contacts[i].tag_ids for i in tag.members)


def test_contacts_from_mappings() -> None:
    emu = Emulator(
        "engagelab",
        contacts=[
            {
                "id": "629d6650490f33c5eef1caa6",
                "Email": "paulchen0518@yahoo.com.tw",
                "name": "shanshan",
                "Gender": "女",
                "tags": ["vip", "教育"],
            },
            {
                "email": "q510518@yahoo.com.tw",
                "name": "",
                "fields": {"Gender": ""},
                "campaigns": {"7": "open"},
                "tags": "vip; new",
            },
        ],
    )
    first, second = emu.contacts
    assert first.id == "629d6650490f33c5eef1caa6"
    assert (first.email, first.name, first.phone, first.fields) == (
        "paulchen0518@yahoo.com.tw",
        "shanshan",
        None,
        {"Gender": "女"},
    )
    assert OBJECT_ID.fullmatch(second.id)
    assert second.fields == {"Gender": ""}
    assert second.campaigns == {7: "open"}
    assert [emu.tags[t].name for t in first.tag_ids] == ["vip", "教育"]
    assert [emu.tags[t].name for t in second.tag_ids] == ["vip", "new"]
    assert emu.tag_named("vip").member_count == 2  # type: ignore[union-attr]


def test_contacts_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "id,email,name,phone,Age,City,tags\n"
        "629d6650490f33c5eef1caa6,a@example.com,李磊,13800000000,30,武汉,vip;教育\n"
        ",b@example.com,,,,北京,\n",
        encoding="utf-8",
    )
    emu = Emulator("sendcloud", contacts=path)
    first, second = emu.contacts
    assert first.fields == {"Age": "30", "City": "武汉"}
    assert first.phone == "13800000000"
    assert second.name is None  # an empty cell is an absent value
    assert second.fields == {"City": "北京"}
    assert not second.tag_ids
    assert emu.tag_named("教育") is not None


def test_contacts_from_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "contacts.jsonl"
    rows = [
        {"email": "a@example.com", "fields": {"Age": 12}, "campaigns": {"1": "click"}},
        {"email": "b@example.com", "Birthday": "03/30", "create_time": "2023-11-28T18:30:02"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    emu = Emulator("engagelab", contacts=str(path))
    first, second = emu.contacts
    assert first.fields == {"Age": "12"}
    assert first.campaigns == {1: "click"}
    assert second.create_time.isoformat() == "2023-11-28T18:30:02+08:00"


def _by_campaign(campaign_id: int) -> dict[str, Any]:
    item = {"field_name": "campaign", "op": "==", "value": "notsent", "campaign_id": campaign_id}
    return {"segment_name": "c", "type": 1, "condition": {"relation": "and", "items": [item]}}


async def test_loaded_campaigns_exist_for_by_campaign_segments() -> None:
    contacts: list[dict[str, Any]] = [
        {"email": "a@example.com", "campaigns": {"42": "sent"}},
        {"email": "b@example.com"},
    ]
    async with (
        Emulator("engagelab", contacts=contacts, campaign_ids=()) as emu,
        aiohttp.ClientSession() as session,
    ):
        url = f"{emu.base_url}{emu.prefix}/segments"
        headers = {"Authorization": emu.authorization}
        async with session.post(url, json=_by_campaign(42), headers=headers) as answer:
            assert answer.status == 200
            segment_id = (await answer.json())["result"]["segment_id"]
        assert emu.member_ids(segment_id) == [emu.contacts[1].id]
        # Campaign 1 was sent to nobody here: it does not exist for this account.
        async with session.post(url, json=_by_campaign(1), headers=headers) as answer:
            assert answer.status == 400


@pytest.mark.parametrize(
    ("contacts", "message"),
    [
        ([{"id": "x"}, {"id": "x"}], "duplicate id"),
        ([{"campaigns": {"1": "bounced"}}], "campaign level"),
    ],
)
def test_bad_contacts(contacts: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Emulator("sendcloud", contacts=contacts)


def test_bad_contact_sources(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.csv or \.jsonl"):
        Emulator("sendcloud", contacts=tmp_path / "contacts.xlsx")
    with pytest.raises(TypeError):
        Emulator("sendcloud", contacts=True)
    with pytest.raises(ValueError, match="provider"):
        Emulator("mailchimp", contacts=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="processing_polls"):
        Emulator("sendcloud", contacts=1, processing_polls=-1)
