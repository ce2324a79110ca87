"""The code blocks of README's "Sync use", "Per-call options", "Tracing" and
"In a web app" sections run, against the emulator of each provider."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import mailseg
import mailseg.sync
from mailseg.testing import Emulator
from tests.conftest import ThreadedEmulator

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def blocks(section: str) -> list[str]:
    """The python code blocks of one ``## section`` of the README (its subsections included)."""
    start = README.index(f"\n## {section}\n")
    end = README.find("\n## ", start + 1)
    text = README[start : end if end != -1 else None]
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


@pytest.fixture(params=["sendcloud", "engagelab"])
def empty_emulator(request: pytest.FixtureRequest) -> Iterator[ThreadedEmulator]:
    emulator = ThreadedEmulator(request.param, contacts=0, processing_polls=0)
    try:
        yield emulator
    finally:
        emulator.close()


def _point_sync_connect_at(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    real = mailseg.sync.connect

    def connect(provider: str, **options: Any) -> mailseg.sync.Client:
        # The block's provider and placeholder credentials, pointed at the emulator.
        options.update(emu.credentials, base_url=emu.base_url)
        return real(emu.provider, **options)

    monkeypatch.setattr(mailseg.sync, "connect", connect)


def test_the_sync_use_block_runs(
    empty_emulator: ThreadedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = empty_emulator.emulator
    _point_sync_connect_at(emu, monkeypatch)
    code, _ = blocks("Sync use")
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the README's own code
    assert [t.name for t in emu.tags.values()] == ["vip"]
    assert [s.name for s in emu.segments.values()] == ["vips"]


@pytest.mark.parametrize("provider", ["sendcloud", "engagelab"])
def test_the_sync_jobs_block_runs_and_resumes(
    provider: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    served = ThreadedEmulator(provider, contacts=40, processing_polls=0)
    try:
        emu = served.emulator
        _point_sync_connect_at(emu, monkeypatch)
        monkeypatch.chdir(tmp_path)
        ids = [contact.id for contact in emu.contacts[:30]]
        (tmp_path / "ids.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")
        _, code = blocks("Sync use")
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the README's own code
        assert capsys.readouterr().out == "30 0 0\n"
        (tag,) = [t for t in emu.tags.values() if t.name == "imported"]
        assert set(emu.tag_member_ids(tag.id)) == set(ids)
        assert (tmp_path / "jobs.sqlite").exists()
    finally:
        served.close()


@pytest.mark.mailseg_emulator(contacts=0, processing_polls=0)
async def test_the_per_call_options_blocks_run(
    mailseg_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    per_call, raw = blocks("Per-call options")
    namespace: dict[str, Any] = {}
    exec(compile(per_call, "README.md", "exec"), namespace)  # noqa: S102
    exec(compile(raw, "README.md", "exec"), namespace)  # noqa: S102
    async with mailseg_emulator.client() as client:
        tag = await client.tags.create("readme_tag")
        segment = await client.segments.create("readme", mailseg.tag("readme_tag"))
        await namespace["per_call"](client, segment.id, tag.id)
        await namespace["raw"](client, segment.id, tag.id)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "readme"
    assert out[1].startswith("readme 20")  # the name and a 2xx status
    assert out[2] == "1"
    assert "application/json" in out[3]


async def test_the_tracing_block_runs() -> None:
    (code,) = blocks("Tracing")
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    client: mailseg.Client = namespace["client"]
    assert type(client.settings.observers[0]).__name__ == "Tracing"
    await client.close()


def test_the_web_app_block_runs_and_closes_its_client(
    empty_emulator: ThreadedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = empty_emulator.emulator
    monkeypatch.setenv("MAILSEG_PROVIDER", emu.provider)
    monkeypatch.setenv("MAILSEG_BASE_URL", emu.base_url)
    monkeypatch.setenv("MAILSEG_API_USER", emu.credentials["api_user"])
    monkeypatch.setenv("MAILSEG_API_KEY", emu.credentials["api_key"])
    (code,) = blocks("In a web app")
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    app = namespace["app"]
    with TestClient(app):
        client: mailseg.Client = app.state.mailseg
        assert client.provider == emu.provider
        assert not client.closed
    assert client.closed
