"""How ``tags add``, ``tags remove`` and ``segments remove-members`` read their ids.

They read them with `mailseg.jobs.sources`, as the durable jobs do: the same formats
(text, CSV column, JSON Lines field, stdin, ``segment:``/``tag:`` members), and a bad
entry fails only its own chunk, named by its line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.harness import Served, run, run_json


def test_a_bad_line_fails_its_chunk_by_name_and_the_other_chunks_are_sent(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    served = serve("engagelab", contacts=1500)
    env = served.env
    tag_id = run_json(["tags", "create", "lines"], env)["id"]
    ids = [c.id for c in served.call(lambda: served.emulator.contacts)]
    lines = [*ids[:1000], "", *ids[1000:1099], "not an id", *ids[1099:1400]]
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(lines) + "\n")
    retry = tmp_path / "retry.txt"

    failed = run(
        ["tags", "add", tag_id, "--ids", str(path), "--failed-ids", str(retry)], env, code=3
    )
    summary = json.loads(failed.stdout)
    # The blank line 1001 is no entry; "not an id" on line 1101 is the 1100th entry,
    # in the second chunk of 1000: that chunk alone is not sent.
    assert summary["requested"] == 1401
    assert summary["chunks"] == 2
    assert summary["failed_chunks"] == 1
    assert summary["errors"] == [
        f"{path} line 1101: not an id: holds whitespace or a control character"
    ]
    second = [*ids[1000:1099], "not an id", *ids[1099:1400]]
    assert summary["failed_ids"] == second
    assert retry.read_text().splitlines() == second
    assert sorted(served.call(lambda: served.emulator.tag_member_ids(tag_id))) == sorted(ids[:1000])


def test_csv_defaults_to_its_first_column_and_a_missing_column_is_refused(
    served: Served, tmp_path: Path
) -> None:
    env = served.env
    tag_id = run_json(["tags", "create", "csv_ids"], env)["id"]
    ids = [c.id for c in served.call(lambda: served.emulator.contacts[:20])]
    path = tmp_path / "export.csv"
    path.write_text("contact_id,name\n" + "".join(f"{x},n{i}\n" for i, x in enumerate(ids)))
    assert run_json(["tags", "add", tag_id, "--ids", str(path)], env)["requested"] == 20
    assert sorted(served.call(lambda: served.emulator.tag_member_ids(tag_id))) == sorted(ids)

    bad = run(["tags", "remove", tag_id, "--ids", str(path), "--column", "id"], env, code=2)
    assert bad.stderr == (
        f"error: CSV file {path}: has no column 'id' (its header: contact_id, name)\n"
    )
    # --column reads any file as CSV, as `mailseg jobs run` does.
    txt = tmp_path / "export.txt"
    txt.write_text(path.read_text())
    removed = run_json(["tags", "remove", tag_id, "--ids", str(txt), "--column", "contact_id"], env)
    assert removed["requested"] == 20
    assert served.call(lambda: served.emulator.tag_member_ids(tag_id)) == []


def test_every_command_reading_ids_defaults_a_csv_to_its_first_column(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILSEG_JOBS_LEDGER", str(tmp_path / "jobs.sqlite"))
    env = served.env
    tag_id = run_json(["tags", "create", "csv_jobs"], env)["id"]
    ids = [c.id for c in served.call(lambda: served.emulator.contacts[:30])]
    path = tmp_path / "export.csv"
    path.write_text("contact_id,name\n" + "".join(f"{x},n{i}\n" for i, x in enumerate(ids[:20])))
    job = run_json(["jobs", "run", "tags.add", tag_id, "--ids", str(path), "--job-id", "c1"], env)
    assert (job["state"], job["applied"]) == ("finished", 20)
    assert sorted(served.call(lambda: served.emulator.tag_member_ids(tag_id))) == sorted(ids[:20])
    path.write_text("contact_id\n" + "".join(f"{x}\n" for x in ids[10:30]))
    plan = run_json(["tags", "sync", tag_id, "--ids", str(path), "--dry-run"], env)
    assert (plan["current"], plan["desired"], plan["to_add"], plan["to_remove"]) == (20, 20, 10, 10)


def test_a_json_lines_field_and_its_bad_lines(served: Served, tmp_path: Path) -> None:
    env = served.env
    tag_id = run_json(["tags", "create", "jsonl_ids"], env)["id"]
    ids = [c.id for c in served.call(lambda: served.emulator.contacts[:5])]
    path = tmp_path / "people.jsonl"
    path.write_text("".join(json.dumps({"id": x, "n": i}) + "\n" for i, x in enumerate(ids)))
    assert (
        run_json(["tags", "add", tag_id, "--ids", str(path), "--field", "id"], env)["requested"]
        == 5
    )
    assert sorted(served.call(lambda: served.emulator.tag_member_ids(tag_id))) == sorted(ids)

    missing = run(["tags", "add", tag_id, "--ids", str(path)], env, code=2)
    assert missing.stderr == f"error: --field: {path} is a JSON Lines file: name the field\n"
    path.write_text(json.dumps({"id": 7}) + "\n")
    failed = run_json(["tags", "remove", tag_id, "--ids", str(path), "--field", "id"], env, code=3)
    assert failed["errors"] == [f"{path} line 1 field id: not an id: must be a string, not int"]
    assert failed["failed_ids"] == []  # nothing in it was an id to send again
    assert failed["requested"] == 1


def test_stdin_names_its_line_and_arguments_are_checked_before_any_request(
    served: Served,
) -> None:
    env = served.env
    tag_id = run_json(["tags", "create", "stdin_ids"], env)["id"]
    ids = [c.id for c in served.call(lambda: served.emulator.contacts[:3])]
    failed = run_json(
        ["tags", "add", tag_id, "--ids", "-"], env, input=f"{ids[0]}\n\t\x01\n", code=3
    )
    assert failed["errors"] == [
        "standard input line 2: not an id: holds whitespace or a control character"
    ]
    assert served.call(lambda: served.emulator.tag_member_ids(tag_id)) == []

    before = served.call(lambda: len(served.emulator.requests))
    bad = run(["tags", "add", tag_id, ids[0], "two words"], env, code=2)
    assert (
        bad.stderr == "error: member_ids[1]: not an id: holds whitespace or a control character\n"
    )
    assert served.call(lambda: len(served.emulator.requests)) == before
    # Arguments come first, then the source; both are sent.
    both = run_json(["tags", "add", tag_id, ids[0], "--ids", "-"], env, input="\n".join(ids[1:]))
    assert both["requested"] == 3
    assert sorted(served.call(lambda: served.emulator.tag_member_ids(tag_id))) == sorted(ids)

    none = run(["tags", "add", tag_id], env, code=2)
    assert "--ids: give member ids as arguments, or --ids FILE" in none.stderr
    lone = run(["tags", "add", tag_id, ids[0], "--field", "id"], env, code=2)
    assert "--field: only applies with --ids FILE" in lone.stderr
    absent = run(["tags", "add", tag_id, "--ids", "absent.txt"], env, code=2)
    assert (
        absent.stderr == "error: text file absent.txt: cannot be read: No such file or directory\n"
    )


def test_members_of_a_segment_or_tag_as_the_source(served: Served) -> None:
    env = served.env
    emu = served.emulator
    ids = [c.id for c in served.call(lambda: emu.contacts[:150])]
    source_tag = run_json(["tags", "create", "source_tag"], env)["id"]
    run(["tags", "add", source_tag, *ids], env)
    target = run_json(["tags", "create", "copy_tag"], env)["id"]
    copied = run_json(["tags", "add", target, "--ids", f"tag:{source_tag}"], env)
    assert copied["requested"] == 150
    assert sorted(served.call(lambda: emu.tag_member_ids(target))) == sorted(ids)

    # A tag emptied by its own members: read whole before the first removal, so the
    # pages do not shift under it and every member goes.
    emptied = run_json(["tags", "remove", target, "--ids", f"tag:{target}"], env)
    assert emptied["requested"] == 150
    assert served.call(lambda: emu.tag_member_ids(target)) == []

    segment_id = run_json(["segments", "create", "all_ages", "--where", "Age >= 0"], env)["id"]
    run(["segments", "wait", segment_id, "--poll-interval", "0.01", "-q"], env)
    members = served.call(lambda: emu.member_ids(segment_id))
    assert len(members) > 100  # more than one page of 100
    removed = run_json(
        ["segments", "remove-members", segment_id, "--ids", f"segment:{segment_id}"], env
    )
    assert removed["requested"] == len(members)
    assert served.call(lambda: emu.member_ids(segment_id)) == []
