"""The README's durable-job commands run for real: examples/durable_job.py, local mode.

(Killed mid-job it resumes: `tests/jobs/test_kill.py`; on workers:
`tests/jobs/test_distributed.py::test_the_readme_example_runs_on_two_workers`.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mailseg
from mailseg.testing import Emulator
from tests.test_examples import load


async def test_the_example_tags_a_csv_column_and_a_second_run_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"id": f"c{i:07d}", "email": f"c{i}@example.com"} for i in range(2500)]
    csv_path = tmp_path / "contacts.csv"
    csv_path.write_text(
        "id,email\n" + "".join(f"{r['id']},{r['email']}\n" for r in rows), encoding="utf-8"
    )
    async with Emulator("engagelab", contacts=csv_path, max_recorded=None) as emu:
        monkeypatch.setenv("MAILSEG_PROVIDER", "engagelab")
        monkeypatch.setenv("MAILSEG_BASE_URL", emu.base_url)
        monkeypatch.setenv("MAILSEG_API_USER", emu.credentials["api_user"])
        monkeypatch.setenv("MAILSEG_API_KEY", emu.credentials["api_key"])
        example = load("durable_job")
        argv = [
            "--ledger", str(tmp_path / "jobs.sqlite"), "--job", "import-1", "--tag", "imported",
            str(csv_path), "--column", "id",
        ]  # fmt: skip
        assert await example.main(argv) == 0
        tag = emu.tag_named("imported")
        assert tag is not None
        assert sorted(emu.tag_member_ids(tag.id)) == [r["id"] for r in rows]
        emu.clear_requests()
        assert await example.main(argv) == 0  # the same command: the job is finished
        assert not [r for r in emu.requests if r.method == "POST"]
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.split()[:3] == ["finished", "done", "2,500/2,500"]
    assert "applied 2,500  unapplied 0  failed 0" in last


def readme_block(heading: str) -> str:
    """The first python block after ``heading`` in README."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    after = text[text.index(heading) :]
    match = re.search(r"```python\n(.*?)```", after, flags=re.DOTALL)
    assert match is not None, heading
    return match.group(1)


async def test_the_readme_durable_jobs_block_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = [f"c{i:07d}" for i in range(1500)]
    (tmp_path / "contacts.csv").write_text("id\n" + "".join(f"{i}\n" for i in ids), "utf-8")
    (tmp_path / "crm.txt").write_text("".join(f"{i}\n" for i in ids[500:]), "utf-8")
    monkeypatch.chdir(tmp_path)
    async with Emulator("sendcloud", contacts=tmp_path / "contacts.csv") as emu:
        for name, value in (
            ("PROVIDER", "sendcloud"),
            ("BASE_URL", emu.base_url),
            ("API_USER", emu.credentials["api_user"]),
            ("API_KEY", emu.credentials["api_key"]),
        ):
            monkeypatch.setenv(f"MAILSEG_{name}", value)
        async with emu.client() as client:
            tag_id = (await client.tags.create("readme_jobs")).id
        body = readme_block("### Durable jobs").replace("\n", "\n    ")
        scope: dict[str, object] = {"mailseg": mailseg, "tag_id": tag_id}
        exec(f"async def block():\n    {body}\n    return plan", scope)  # noqa: S102 - README's own code
        plan = await scope["block"]()  # type: ignore[operator]
        assert sorted(emu.tag_member_ids(tag_id)) == ids
    assert (plan.to_add, plan.to_remove, plan.unchanged) == (0, 500, 1000)
    assert "1500 0 0" in capsys.readouterr().out
