"""What a type checker sees of the public API: small caller snippets under ``mypy --strict``.

The snippets are checked in one mypy run (a few seconds), against the installed
packages, with the repository's own mypy settings.
"""

from __future__ import annotations

import re
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest
from mypy import api

pytestmark = pytest.mark.slow

SNIPPETS = {
    "page_indexing": """
        import mailseg

        page = mailseg.Page(items=("a", "b", "c"), total=3, offset=0, limit=10)
        reveal_type(page[0])
        reveal_type(page[1:3])
        first: str = page[-1]
        window: tuple[str, ...] = page[:2]
        wrong: str = page[:2]
    """,
    "sync_client": """
        import mailseg
        import mailseg.sync

        client = mailseg.sync.connect("sendcloud", api_user="u", api_key="k")
        reveal_type(client.segments.get("id"))
        reveal_type(client.tags.iterate(page_size=10))
        reveal_type(client.with_raw_response(client.tags.list, limit=5))
        reveal_type(client.with_options(timeout=5).tags.add_members("t", ["m"]))
        client.segments.get(3)
        client.tags.list(limt=5)
    """,
    "raw_response": """
        import mailseg

        async def main(client: mailseg.Client) -> None:
            raw = await client.with_raw_response(client.segments.get("id"))
            reveal_type(raw.parsed)
            reveal_type(raw.request_id)
    """,
    "emulator_provider": """
        import mailseg
        from mailseg.testing import Emulator

        for name in mailseg.providers():
            Emulator(name)
        Emulator("engagelab", contacts=10)
        Emulator(42)
    """,
}


@pytest.fixture(scope="module")
def mypy_says(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """mypy's lines per snippet, as ``LINE: severity: message``."""
    folder = tmp_path_factory.mktemp("typing")
    files = []
    for name, code in SNIPPETS.items():
        path = folder / f"{name}.py"
        path.write_text(textwrap.dedent(code).lstrip(), encoding="utf-8")
        files.append(str(path))
    stdout, stderr, _ = api.run(
        ["--strict", "--no-error-summary", "--cache-dir", str(folder / ".cache"), *files]
    )
    assert not stderr, stderr
    said: dict[str, list[str]] = defaultdict(list)
    for line in stdout.splitlines():
        match = re.match(r"(.+?)\.py:(\d+): (.*)$", line)
        assert match, line
        # Older mypy spells revealed types "builtins.str"; newer ones "str".
        message = match[3].replace("builtins.", "")
        said[Path(match[1]).name].append(f"{match[2]}: {message}")
    return said


def test_a_page_index_is_an_item_and_a_slice_is_a_tuple(mypy_says: dict[str, list[str]]) -> None:
    assert mypy_says["page_indexing"] == [
        '4: note: Revealed type is "str"',
        '5: note: Revealed type is "tuple[str, ...]"',
        '8: error: Incompatible types in assignment (expression has type "tuple[str, ...]",'
        ' variable has type "str")  [assignment]',
    ]


def test_the_emulator_takes_the_names_providers_returns(mypy_says: dict[str, list[str]]) -> None:
    # Only the int is refused: a list[str] from mailseg.providers() type-checks.
    assert mypy_says["emulator_provider"] == [
        '7: error: Argument 1 to "Emulator" has incompatible type "int"; expected "str"'
        "  [arg-type]",
    ]


def test_the_sync_client_has_the_async_signatures_and_results(
    mypy_says: dict[str, list[str]],
) -> None:
    said = mypy_says["sync_client"]
    assert said[:5] == [
        '5: note: Revealed type is "mailseg.models.Segment"',
        '6: note: Revealed type is "typing.Iterator[mailseg.models.Tag]"',
        "7: note: Revealed type is "
        '"mailseg._raw.RawResponse[mailseg.models.Page[mailseg.models.Tag]]"',
        '8: note: Revealed type is "mailseg.models.BulkResult"',
        '9: error: Argument 1 has incompatible type "int"; expected "str"  [arg-type]',
    ]
    # Newer mypy adds a "did you mean" hint to this one.
    assert said[5].startswith('10: error: Unexpected keyword argument "limt"')
    assert len(said) == 6


def test_a_raw_response_keeps_the_result_type(mypy_says: dict[str, list[str]]) -> None:
    assert mypy_says["raw_response"] == [
        '5: note: Revealed type is "mailseg.models.Segment"',
        '6: note: Revealed type is "str | None"',
    ]
