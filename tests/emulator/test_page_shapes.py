"""Every answer the providers' pages show, against the emulator's answer to the same request.

For each response example of the pages (``tests/fixtures/<provider>/*.json``, which the
conformance suite checks byte for byte against ``docs/providers/pages/``), the emulator is
given the example's situation (the example's contacts, the example's request body) and its
answer is compared with the example: the same keys at every level and the same JSON type
for every value. A difference is either a bug of the emulator or a choice recorded in
docs/emulator.md; the choices are listed in ``CHOICES`` with the reason, and a choice that
no longer differs fails too, so the list stays true.

SendCloud's tag endpoints have no page (docs/providers/spec.md infers them): their shapes
are checked against the spec's inferred shapes in ``test_wire_sendcloud.py`` instead.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs
import pytest

from mailseg.testing import Emulator
from tests.conformance.rows import FIXTURES, fixture_json
from tests.emulator.conftest import Answer, Api
from tests.emulator.emulator_shapes import EL_SEGMENT_TIME, EL_TIME, SC_TIME
from tests.emulator.emulator_wire import create_segment, item, k, segment_body

if TYPE_CHECKING:
    import aiohttp

#: The contacts of the pages' member examples, so the emulator's members are theirs.
PAGE_CONTACTS = [
    # Segment members (both pages): no phone, no tags, custom field Gender.
    {"email": "paulchen0518@yahoo.com.tw", "name": "shanshan", "fields": {"Gender": "女"}},
    {"email": "q510518@yahoo.com.tw", "name": "", "fields": {"Gender": ""}},
    # EngageLab's tag members: a tag "test", no phone, no name, Birthday and Age.
    {"email": "xjmfc@126.com", "fields": {"Birthday": "03/30", "Age": "12"}, "tags": ["test"]},
]
WRONG_AUTH = "Basic d3Jvbmc6d3Jvbmc="
#: The pages' three time formats: a value shown in one is answered in the same one.
TIMES = (SC_TIME, EL_SEGMENT_TIME, EL_TIME)  # base64("wrong:wrong"), for the 401 examples

# (provider, example, path) -> why the emulator's answer differs there, as docs/emulator.md
# records. A path is keys joined by "." with "[]" for list items; "<body>" is the body.
CHOICES: dict[tuple[str, str, str], str] = {
    ("sendcloud", "segment_delete", "<body>"): (
        "204 carries no body (RFC 9110 15.3.5); the page shows {} beside it"
    ),
    ("sendcloud", "segment_members", "list[].createTimeFmt"): (
        "the ...Fmt times repeat the UTC+8 times (the account's zone); the example has null"
    ),
    ("sendcloud", "segment_members", "list[].updateTimeFmt"): (
        "the ...Fmt times repeat the UTC+8 times (the account's zone); the example has null"
    ),
    ("engagelab", "segment_create", "result.condition.items[].campaign_id"): (
        "campaign_id: null in every item, as the update, detail and list examples and the "
        "table show; only the create example leaves it out"
    ),
    ("engagelab", "segment_list", "result[].user_id"): (
        "user_id in every segment answer, as the create, update and detail examples"
    ),
    ("engagelab", "segment_members", "result[].tags"): (
        "tag_ids, as the table and the second member of the same example; the first says tags"
    ),
    ("engagelab", "segment_members", "result[].tag_ids"): (
        "tag_ids, as the table and the second member of the same example; the first says tags"
    ),
}

# Error messages the emulator words otherwise than the example, and why.
MESSAGES = {
    # The table forbids `*` as well, the example's message omits it (docs/providers/spec.md:
    # "forbid the table's full set"); the message lists what is refused.
    ("engagelab", "error_segment_create"): (
        "[segment_name]:Special characters such as ^, ?, +, ., *, \\, [, ], (, ), cannot be used"
    ),
}


def shape_differences(example: Any, answer: Any, path: str = "") -> list[tuple[str, str]]:
    """Where ``answer`` differs from ``example`` in keys or JSON types: (path, what)."""
    here = path or "<body>"
    if isinstance(example, dict) and isinstance(answer, dict):
        found = []
        for key in example.keys() - answer.keys():
            found.append((_join(path, key), "missing"))
        for key in answer.keys() - example.keys():
            found.append((_join(path, key), "not in the example"))
        for key in example.keys() & answer.keys():
            found += shape_differences(example[key], answer[key], _join(path, key))
        return found
    if isinstance(example, list) and isinstance(answer, list):
        if example and not answer:
            return [(here, "empty, the example is not")]
        found = []
        for one, other in zip(example, answer, strict=False):
            found += [d for d in shape_differences(one, other, f"{path}[]") if d not in found]
        return found
    if _json_type(example) != _json_type(answer):
        return [(here, f"{_json_type(answer)}, the example has {_json_type(example)}")]
    if isinstance(example, str):
        for time in TIMES:
            if time.fullmatch(example) and not time.fullmatch(answer):
                return [(here, f"{answer!r} is not a time as {example!r}")]
    return []


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {str: "string", float: "number", list: "array", dict: "object"}[type(value)]


# -- the requests that produce each example's answer ------------------------------------------


@attrs.frozen
class Page:
    """An emulator holding the pages' contacts, and raw HTTP to it."""

    api: Api

    @property
    def provider(self) -> str:
        return self.api.emu.provider

    @property
    def p(self) -> str:
        return self.api.p

    def request_body(self, name: str) -> Any:
        return fixture_json(self.provider, f"request_{name}")

    async def segment(self) -> str:
        answer = await self.api("POST", f"{self.p}/segments", self.request_body("segment_create"))
        assert answer.status in (200, 201), answer.raw
        body = answer.body
        return str(
            body["segmentId"] if self.provider == "sendcloud" else body["result"]["segment_id"]
        )

    def tag_id(self, name: str) -> str:
        tag = self.api.emu.tag_named(name)
        assert tag is not None
        return tag.id

    def ids(self) -> dict[str, list[str]]:
        return {k(self.api, "member_ids"): [c.id for c in self.api.emu.contacts]}


@attrs.frozen
class Request:
    """The request whose answer a page example shows (made after its scenario's setup)."""

    method: str
    path: str
    body: Any = None
    query: dict[str, str] | None = None
    unauthorized: bool = False

    async def send(self, api: Api) -> Answer:
        kwargs: dict[str, Any] = {"query": self.query}
        if self.body is not None:
            kwargs["body"] = self.body
        if self.unauthorized:
            kwargs["auth"] = WRONG_AUTH
        return await api(self.method, self.path, **kwargs)


Scenario = Callable[[Page], Awaitable[Request]]


async def _segment_create(page: Page) -> Request:
    return Request("POST", f"{page.p}/segments", page.request_body("segment_create"))


async def _segment_delete(page: Page) -> Request:
    return Request("DELETE", f"{page.p}/segments/{await page.segment()}")


async def _segment_update(page: Page) -> Request:
    segment_id = await page.segment()
    body = page.request_body("segment_update")
    return Request(page.api.emu.update_method, f"{page.p}/segments/{segment_id}", body)


async def _segment_detail(page: Page) -> Request:
    return Request("GET", f"{page.p}/segments/{await page.segment()}")


async def _segment_list(page: Page) -> Request:
    await page.segment()
    await page.segment()
    return Request("GET", f"{page.p}/segments", query={"offset": "0", "type": "0"})


async def _segment_progress(page: Page) -> Request:
    return Request("GET", f"{page.p}/segments/{await page.segment()}/process")


async def _segment_members(page: Page) -> Request:
    # Every contact is a member (the create example's Name contains 李磊 matches none here);
    # the members example's own filter (Email contains tw) then keeps its two.
    everyone = segment_body(page.api, item(page.api, "Email", "contain", "@"))
    segment_id = await create_segment(page.api, everyone)
    query = {"offset": "0", k(page.api, "page_size"): "10"}
    body = page.request_body("segment_members")
    return Request("POST", f"{page.p}/segments/{segment_id}/members", body, query)


async def _segment_remove_members(page: Page) -> Request:
    segment_id = await page.segment()
    return Request("DELETE", f"{page.p}/segments/{segment_id}/members", page.ids())


async def _tag_create(page: Page) -> Request:
    return Request("POST", f"{page.p}/tags", page.request_body("tag_create"))


async def _tag_delete(page: Page) -> Request:
    return Request("DELETE", f"{page.p}/tags/{page.tag_id('test')}")


async def _tag_update(page: Page) -> Request:
    path = f"{page.p}/tags/{page.tag_id('test')}"
    return Request(page.api.emu.update_method, path, page.request_body("tag_update"))


async def _tag_list(page: Page) -> Request:
    return Request("GET", f"{page.p}/tags", query={k(page.api, "tag_name"): "test"})


async def _tag_add_members(page: Page) -> Request:
    return Request("POST", f"{page.p}/tags/{page.tag_id('test')}/add", page.ids())


async def _tag_remove_members(page: Page) -> Request:
    return Request("POST", f"{page.p}/tags/{page.tag_id('test')}/remove", page.ids())


async def _tag_members(page: Page) -> Request:
    return Request("GET", f"{page.p}/tags/{page.tag_id('test')}/members")


def _unauthorized(scenario: Scenario) -> Scenario:
    async def run(page: Page) -> Request:
        return attrs.evolve(await scenario(page), unauthorized=True)

    return run


async def _undefined_field(page: Page, update: bool) -> Request:
    body = page.request_body("segment_update" if update else "segment_create")
    for one in body["condition"]["items"]:
        one[k(page.api, "field_name")] = "asge"
    if not update:
        return Request("POST", f"{page.p}/segments", body)
    segment_id = await page.segment()
    return Request(page.api.emu.update_method, f"{page.p}/segments/{segment_id}", body)


async def _error_segment_create(page: Page) -> Request:
    if page.provider == "sendcloud":
        return await _undefined_field(page, update=False)
    body = page.request_body("segment_create")
    body["segment_name"] = "a^b"
    return Request("POST", f"{page.p}/segments", body)


async def _error_segment_update(page: Page) -> Request:
    if page.provider == "sendcloud":
        return await _undefined_field(page, update=True)
    body = page.request_body("segment_update")
    return Request("PUT", f"{page.p}/segments/{'0' * 24}", body)


async def _missing_segment(page: Page, suffix: str = "") -> Request:
    return Request("GET", f"{page.p}/segments/{'0' * 24}{suffix}")


async def _error_segment_list(page: Page) -> Request:
    if page.provider == "sendcloud":
        return await _unauthorized(_segment_list)(page)
    return Request("GET", f"{page.p}/segments", query={"type": "5"})


async def _error_tag_update(page: Page) -> Request:
    path = f"{page.p}/tags/{page.tag_id('test')}"
    return Request(page.api.emu.update_method, path, {"name": "not-a-tag-name"})


async def _error_segment_delete(page: Page) -> Request:
    return Request("DELETE", f"{page.p}/segments/{'0' * 24}")


async def _error_tag_delete(page: Page) -> Request:
    return Request("DELETE", f"{page.p}/tags/{'0' * 24}")


async def _error_segment_detail(page: Page) -> Request:
    if page.provider == "sendcloud":
        return await _unauthorized(_segment_detail)(page)
    return await _missing_segment(page)


async def _error_segment_progress(page: Page) -> Request:
    if page.provider == "sendcloud":
        return await _unauthorized(_segment_progress)(page)
    return await _missing_segment(page, "/process")


# example name -> (the request that answers it, the HTTP status its page shows or implies)
SCENARIOS: dict[str, dict[str, tuple[Scenario, int]]] = {
    "sendcloud": {
        "segment_create": (_segment_create, 201),
        "segment_delete": (_segment_delete, 204),
        "segment_update": (_segment_update, 200),
        "segment_detail": (_segment_detail, 200),
        "segment_list": (_segment_list, 200),
        "segment_progress": (_segment_progress, 200),
        "segment_members": (_segment_members, 200),
        "segment_remove_members": (_segment_remove_members, 200),
        "error_segment_create": (_error_segment_create, 400),
        "error_segment_delete": (_error_segment_delete, 404),
        "error_segment_update": (_error_segment_update, 400),
        "error_segment_detail": (_error_segment_detail, 401),
        "error_segment_list": (_error_segment_list, 401),
        "error_segment_progress": (_error_segment_progress, 401),
        "error_segment_members": (_unauthorized(_segment_members), 401),
        "error_segment_remove_members": (_unauthorized(_segment_remove_members), 401),
    },
    "engagelab": {
        "segment_create": (_segment_create, 200),
        "segment_delete": (_segment_delete, 200),
        "segment_update": (_segment_update, 200),
        "segment_detail": (_segment_detail, 200),
        "segment_list": (_segment_list, 200),
        "segment_progress": (_segment_progress, 200),
        "segment_members": (_segment_members, 200),
        "segment_remove_members": (_segment_remove_members, 200),
        "tag_create": (_tag_create, 200),
        "tag_delete": (_tag_delete, 200),
        "tag_update": (_tag_update, 200),
        "tag_list": (_tag_list, 200),
        "tag_add_members": (_tag_add_members, 200),
        "tag_remove_members": (_tag_remove_members, 200),
        "tag_members": (_tag_members, 200),
        # 30036 shows no HTTP status on the pages: 404 (docs/emulator.md).
        "error_segment_create": (_error_segment_create, 400),
        "error_segment_delete": (_error_segment_delete, 404),
        "error_segment_update": (_error_segment_update, 404),
        "error_segment_detail": (_error_segment_detail, 404),
        "error_segment_list": (_error_segment_list, 400),
        "error_segment_progress": (_error_segment_progress, 404),
        "error_segment_members": (_unauthorized(_segment_members), 401),
        "error_segment_remove_members": (_unauthorized(_segment_remove_members), 401),
        "error_tag_create": (_unauthorized(_tag_create), 401),
        "error_tag_delete": (_error_tag_delete, 404),
        "error_tag_update": (_error_tag_update, 400),
        "error_tag_list": (_unauthorized(_tag_list), 401),
        "error_tag_add_members": (_unauthorized(_tag_add_members), 401),
        "error_tag_remove_members": (_unauthorized(_tag_remove_members), 401),
        "error_tag_members": (_unauthorized(_tag_members), 401),
    },
}
CASES = [(provider, name) for provider, table in SCENARIOS.items() for name in table]


def test_every_response_example_of_the_pages_has_a_scenario() -> None:
    for provider, table in SCENARIOS.items():
        examples = {
            path.stem
            for path in (FIXTURES / provider).glob("*.json")
            if not path.stem.startswith("request_")
        }
        assert examples == set(table), provider


@pytest.fixture
async def page(request: pytest.FixtureRequest, session: aiohttp.ClientSession) -> Any:
    async with Emulator(request.param, contacts=PAGE_CONTACTS, processing_polls=0) as emulator:
        yield Page(Api(emulator, session))


@pytest.mark.parametrize(
    ("page", "name"), CASES, indirect=["page"], ids=[f"{p}-{n}" for p, n in CASES]
)
async def test_the_emulators_answer_has_the_shape_of_the_pages_example(
    page: Page, name: str
) -> None:
    scenario, status = SCENARIOS[page.provider][name]
    answer = await (await scenario(page)).send(page.api)
    assert answer.status == status, answer.raw
    example = fixture_json(page.provider, name)
    body: Any = json.loads(answer.raw) if answer.raw else None
    found = {(page.provider, name, where): what for where, what in shape_differences(example, body)}
    chosen = {key: why for key, why in CHOICES.items() if key[:2] == (page.provider, name)}
    unexplained = {key: what for key, what in found.items() if key not in chosen}
    assert unexplained == {}, json.dumps(body, ensure_ascii=False)
    # A recorded choice that no longer shows is stale: CHOICES must say what really differs.
    assert set(chosen) <= set(found), set(chosen) - set(found)
    if name.startswith("error_"):
        # An error example is answered word for word, unless a choice says otherwise.
        expected = MESSAGES.get(
            (page.provider, name),
            example["error"]["message"] if page.provider == "sendcloud" else example["message"],
        )
        message = body["error"]["message"] if page.provider == "sendcloud" else body["message"]
        assert message == expected
        assert body.get("code") == example.get("code")
        assert body.get("status") == example.get("status")
