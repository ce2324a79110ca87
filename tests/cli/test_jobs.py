"""``mailseg jobs``: runs, resumes, statuses, failed ids and exit codes, against the emulator;
and one job driven through a real pseudo-terminal, progress bar and Ctrl+C included."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from mailseg.testing import Faults
from tests.cli.harness import Served, run, run_json


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "jobs.sqlite"
    monkeypatch.setenv("MAILSEG_JOBS_LEDGER", str(path))
    return path


def _ids_file(served: Served, path: Path, count: int) -> list[str]:
    ids = [c.id for c in served.call(lambda: served.emulator.contacts[:count])]
    path.write_text("contact_id,name\n" + "".join(f"{i},x\n" for i in ids))
    return ids


def test_run_status_list_and_failed_ids(served: Served, tmp_path: Path, ledger: Path) -> None:
    env = served.env
    emu = served.emulator
    tag_id = run_json(["tags", "create", "job_tag"], env)["id"]
    ids = _ids_file(served, tmp_path / "ids.csv", 150)

    served.call(lambda: setattr(emu, "faults", Faults(schedule=[None, "500"])))
    args = ["jobs", "run", "tags.add", tag_id, "--ids", str(tmp_path / "ids.csv")]
    args += ["--column", "contact_id", "--chunk-size", "50", "--job-id", "j1", "-o", "json"]
    first = run([*args], {**env, "MAILSEG_MAX_CONCURRENCY": "1"}, code=3)
    status = json.loads(first.stdout)
    assert status["job_id"] == "j1"
    assert status["state"] == "finished"
    assert status["requested"] == 150
    assert status["failed"] == 50
    assert status["applied"] == 100
    assert status["chunks"] == {"succeeded": 2, "failed": 1, "pending": 0, "in_flight": 0}
    assert "mailseg jobs failed-ids j1" in first.stderr
    # Plain lines on a non-terminal stderr, never a redraw.
    assert "job j1: 150/150 ids" in first.stderr
    assert "\r" not in first.stderr
    assert "\x1b[" not in first.stderr

    failed = run(["jobs", "failed-ids", "j1"], env).stdout.split()
    assert len(failed) == 50
    assert set(failed) <= set(ids)
    assert set(failed).isdisjoint(served.call(lambda: emu.tag_member_ids(tag_id)))

    served.call(lambda: setattr(emu, "faults", None))
    resumed = run_json(["jobs", "resume", "j1", "-q"], env)
    assert resumed["ok"] is True
    assert resumed["applied"] == 150
    assert sorted(served.call(lambda: emu.tag_member_ids(tag_id))) == sorted(ids)
    assert run(["jobs", "failed-ids", "j1"], env).stdout == ""

    shown = run_json(["jobs", "status", "j1"], env)
    assert shown["state"] == "finished"
    assert shown["updated_at"].endswith("+00:00")
    listed = run_json(["jobs", "list"], env)
    assert [job["job_id"] for job in listed["items"]] == ["j1"]
    table = run(["jobs", "list", "-o", "table"], env).stdout
    row = next(line for line in table.splitlines() if "j1" in line)
    assert "tags.add_members" in row
    assert "finished" in row


def test_unapplied_ids_exit_3_and_quiet_prints_no_progress(
    served: Served, tmp_path: Path, ledger: Path
) -> None:
    env = served.env
    tag_id = run_json(["tags", "create", "again_tag"], env)["id"]
    ids = [c.id for c in served.call(lambda: served.emulator.contacts[:15])]
    unknown = [f"{n:024x}" for n in range(5)]  # no such contacts: the provider counts 15
    (tmp_path / "ids.txt").write_text("\n".join(ids + unknown) + "\n")
    args = ["jobs", "run", "tags.add", tag_id, "--ids", str(tmp_path / "ids.txt")]
    result = run([*args, "-q", "-o", "json"], env, code=3)
    status = json.loads(result.stdout)
    assert status["failed"] == 0
    assert status["unapplied"] == 5
    assert status["applied"] == 15
    assert "ids/s" not in result.stderr


def test_segment_removal_job_and_errors(served: Served, tmp_path: Path, ledger: Path) -> None:
    env = served.env
    emu = served.emulator
    segment_id = run_json(["segments", "create", "job_seg", "--where", "Age >= 30"], env)["id"]
    run(["segments", "wait", segment_id, "--poll-interval", "0.01", "-q"], env)
    members = served.call(lambda: emu.member_ids(segment_id))
    path = tmp_path / "leavers.txt"
    path.write_text("\n".join(members[:7]) + "\n")
    status = run_json(["jobs", "run", "segments.remove", segment_id, "--ids", str(path)], env)
    assert status["applied"] == 7
    assert set(members[:7]).isdisjoint(served.call(lambda: emu.member_ids(segment_id)))

    missing = run(["jobs", "status", "nope"], env, code=2)
    assert "nope" in missing.stderr
    run(["jobs", "run", "tags.add", "T", "--ids", str(tmp_path / "absent.txt")], env, code=2)
    run(["jobs", "run", "tags.explode", "T", "--ids", str(path)], env, code=2)


def test_jobs_worker_needs_the_distributed_runner() -> None:
    if importlib.util.find_spec("mailseg.jobs.worker") is None:
        missing = run(["jobs", "worker"], code=2)
        assert "pip install 'mailseg[jobs-redis]'" in missing.stderr
    else:  # the runner is installed: its own options are reached
        assert "usage" in run(["jobs", "worker", "--help"]).stdout.lower()


@pytest.mark.slow
def test_a_job_in_a_real_terminal_redraws_and_stops_cleanly_on_ctrl_c(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    served = serve("engagelab", contacts=3000, faults=Faults(latency=0.05))
    emu = served.emulator
    tag_id = served.call(lambda: _create_tag(served))
    ids = [c.id for c in served.call(lambda: emu.contacts)]
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(ids) + "\n")
    ledger = tmp_path / "jobs.sqlite"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MAILSEG_")},
        **served.env,
        "MAILSEG_JOBS_LEDGER": str(ledger),
        "MAILSEG_CONFIG_FILE": str(tmp_path / "config.toml"),
        "MAILSEG_MAX_CONCURRENCY": "2",
        "COLUMNS": "160",
        "TERM": "xterm-256color",
    }
    mailseg = shutil.which("mailseg", path=str(Path(sys.executable).parent)) or "mailseg"
    child = pexpect.spawn(
        mailseg,
        [
            "jobs",
            "run",
            "tags.add",
            tag_id,
            "--ids",
            str(path),
            "--chunk-size",
            "20",
            "--job-id",
            "tty-job",
        ],
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 160),
    )
    transcript = io.StringIO()
    child.logfile_read = transcript
    # Wait for several frames of the bar, each with more ids done.
    child.expect(r"(\d+)/3000")
    seen = {int(child.match.group(1))}
    while len(seen) < 4:
        child.expect(r"(\d+)/3000")
        seen.add(int(child.match.group(1)))
    child.sendintr()
    child.expect("stopping after the chunks in flight")
    child.expect("resume with:")
    child.expect(r"mailseg jobs resume tty-job")
    child.expect(pexpect.EOF)
    child.close()
    shown = transcript.getvalue()
    assert child.exitstatus == 130, shown
    # Rich redrew the bar in place (carriage returns / cursor control), with its columns.
    assert "\x1b[" in shown
    assert "ids/s" in shown
    assert "ETA" in shown
    assert "in flight" in shown

    # The ledger is consistent: nothing in flight, every id accounted for once.
    env_here = {**served.env, "MAILSEG_JOBS_LEDGER": str(ledger)}
    status = run_json(["jobs", "status", "tty-job"], env_here)
    assert status["state"] == "stopped"
    assert status["in_flight"] == 0
    assert (
        status["requested"]
        == status["applied"] + status["unapplied"] + status["failed"] + status["pending"]
    )
    tagged = served.call(lambda: emu.tag_member_ids(tag_id))
    assert len(tagged) == status["applied"] < 3000

    resumed = run_json(["jobs", "resume", "tty-job", "-q"], env_here)
    assert resumed["ok"] is True
    assert sorted(served.call(lambda: emu.tag_member_ids(tag_id))) == sorted(ids)


async def _create_tag(served: Served) -> str:
    async with served.emulator.client() as client:
        tag = await client.tags.create("tty_tag")
    return tag.id


def test_progress_lines_carry_the_counts() -> None:
    from io import StringIO

    from mailseg.cli.progress import reporter

    stream = StringIO()
    with reporter("job x", quiet=False, stream=stream) as shown:
        shown.update(10, 100, failed=2, unapplied=1, in_flight=3)
    text = stream.getvalue()
    assert re.search(
        r"job x: 10/100 ids, \d+ ids/s, 2 failed, 1 unapplied, 3 chunks in flight", text
    )
