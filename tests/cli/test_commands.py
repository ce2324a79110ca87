"""Every segment and tag command against the emulator, both providers: parsed output, state
left behind, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailseg.testing import Faults
from tests.cli.harness import Served, run, run_json


def test_tags_every_operation(served: Served) -> None:
    env = served.env
    emu = served.emulator
    created = run_json(["tags", "create", "cli_tag"], env)
    tag_id = created["id"]
    assert created["name"] == "cli_tag"
    assert served.call(lambda: emu.tag_named("cli_tag")).id == tag_id

    listing = run_json(["tags", "list", "--name", "cli_tag"], env)
    assert [t["id"] for t in listing["items"]] == [tag_id]
    assert listing["offset"] == 0
    assert listing["limit"] == 10

    ids = [c.id for c in served.call(lambda: emu.contacts[:30])]
    added = run_json(["tags", "add", tag_id, *ids[:10]], env)
    assert added["requested"] == 10
    assert added["failed_ids"] == []
    assert added["chunks"] == 1
    assert sorted(served.call(lambda: emu.tag_member_ids(tag_id))) == sorted(ids[:10])

    members = run_json(["tags", "members", tag_id, "--limit", "100"], env)
    assert sorted(m["id"] for m in members["items"]) == sorted(ids[:10])
    assert members["total"] == 10
    streamed = run(["tags", "members", tag_id, "--all", "--output", "jsonl"], env).stdout
    assert sorted(json.loads(line)["id"] for line in streamed.splitlines()) == sorted(ids[:10])

    removed = run_json(["tags", "remove", tag_id, *ids[:4]], env)
    assert removed["requested"] == 4
    assert sorted(served.call(lambda: emu.tag_member_ids(tag_id))) == sorted(ids[4:10])

    renamed = run_json(["tags", "update", tag_id, "--name", "cli_tag2"], env)
    assert renamed == {"id": tag_id, "name": "cli_tag2"}
    assert served.call(lambda: emu.tags[tag_id].name) == "cli_tag2"

    every = run(["tags", "list", "--all", "--output", "jsonl"], env).stdout.splitlines()
    names = {json.loads(line)["name"] for line in every}
    assert "cli_tag2" in names
    assert len(every) == len(served.call(lambda: emu.tags))

    assert run_json(["tags", "delete", tag_id], env) == {"id": tag_id, "deleted": True}
    assert tag_id not in served.call(lambda: emu.tags)


def test_tag_bulk_from_a_csv_column_and_stdin(served: Served, tmp_path: Path) -> None:
    env = served.env
    emu = served.emulator
    tag_id = run_json(["tags", "create", "bulk_tag"], env)["id"]
    ids = [c.id for c in served.call(lambda: emu.contacts[:150])]
    path = tmp_path / "ids.csv"
    path.write_text("name,contact_id\n" + "".join(f"n{i},{x}\n" for i, x in enumerate(ids[:120])))
    result = run_json(["tags", "add", tag_id, "--ids", str(path), "--column", "contact_id"], env)
    assert result["requested"] == 120
    assert result["failed_ids"] == []
    stdin_result = run_json(["tags", "add", tag_id, "--ids", "-"], env, input="\n".join(ids[120:]))
    assert stdin_result["requested"] == 30
    assert sorted(served.call(lambda: emu.tag_member_ids(tag_id))) == sorted(ids)

    bad = run(["tags", "add", tag_id, "--ids", str(path), "--column", "nope"], env, code=2)
    assert (
        bad.stderr
        == f"error: CSV file {path}: has no column 'nope' (its header: name, contact_id)\n"
    )


def test_tags_sync_adds_the_missing_and_removes_the_rest(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILSEG_JOBS_LEDGER", str(tmp_path / "jobs.sqlite"))
    env = served.env
    emu = served.emulator
    tag_id = run_json(["tags", "create", "sync_tag"], env)["id"]
    ids = [c.id for c in served.call(lambda: emu.contacts[:20])]
    run(["tags", "add", tag_id, *ids[:10]], env)
    wanted = tmp_path / "wanted.txt"
    wanted.write_text("\n".join(ids[5:15]) + "\n")

    plan = run_json(["tags", "sync", tag_id, "--ids", str(wanted), "--dry-run"], env)
    assert plan["dry_run"] is True
    assert (plan["current"], plan["desired"], plan["to_add"], plan["to_remove"]) == (10, 10, 5, 5)
    assert sorted(served.call(lambda: emu.tag_member_ids(tag_id))) == sorted(ids[:10])

    applied = run_json(["tags", "sync", tag_id, "--ids", str(wanted), "--job-id", "sync-1"], env)
    assert applied["job_id"] == "sync-1"
    assert applied["state"] == "finished"
    assert applied["failed"] == 0
    assert sorted(served.call(lambda: emu.tag_member_ids(tag_id))) == sorted(ids[5:15])
    again = run_json(["tags", "sync", tag_id, "--ids", str(wanted), "--dry-run"], env)
    assert (again["to_add"], again["to_remove"]) == (0, 0)


def test_segments_every_operation(served: Served) -> None:
    env = served.env
    emu = served.emulator
    created = run_json(
        ["segments", "create", "cli_adults", "--where", "Age >= 30 and tag = vip"], env
    )
    segment_id = created["id"]
    assert created["type"] == "by_field"
    assert created["condition"] == {
        "relation": "and",
        "items": [
            {"field": "Age", "op": ">=", "value": "30", "campaign_id": None},
            {"field": "tag", "op": "==", "value": "vip", "campaign_id": None},
        ],
    }

    progress = run_json(["segments", "progress", segment_id], env)
    assert set(progress) == {"percent", "complete", "description"}

    done = run_json(["segments", "wait", segment_id, "--poll-interval", "0.01", "-q"], env)
    expected = served.call(lambda: emu.member_ids(segment_id))
    assert done["status"] == "completed"
    assert done["member_total"] == len(expected) > 0
    assert done["updated_at"][10] == "T"
    assert done["updated_at"].endswith("+08:00")

    got = run_json(["segments", "get", segment_id], env)
    assert got["id"] == segment_id
    assert got["name"] == "cli_adults"

    page = run_json(["segments", "members", segment_id, "--limit", "5", "--offset", "2"], env)
    assert page["total"] == len(expected)
    assert page["offset"] == 2
    assert len(page["items"]) <= 5
    lines = run(["segments", "members", segment_id, "--all", "-o", "jsonl"], env).stdout
    assert sorted(json.loads(line)["id"] for line in lines.splitlines()) == sorted(expected)
    filtered = run_json(["segments", "members", segment_id, "--all", "--where", "Age >= 50"], env)
    assert all(int(m["fields"]["Age"]) >= 50 for m in filtered["items"])
    assert len(filtered["items"]) < len(expected) or not expected

    in_list = run_json(["segments", "list", "--all", "--type", "by_field"], env)
    assert segment_id in [s["id"] for s in in_list["items"]]

    updated = run_json(
        ["segments", "update", segment_id, "--where", "Age >= 40", "--name", "cli_over40"], env
    )
    assert updated["id"] == segment_id
    stored = served.call(lambda: emu.segments[segment_id])
    assert stored.name == "cli_over40"

    waited = run(["segments", "wait", segment_id, "--poll-interval", "0.01"], env)
    assert f"segment {segment_id}: 100%" in waited.stderr.splitlines()
    members = served.call(lambda: emu.member_ids(segment_id))
    removed = run_json(["segments", "remove-members", segment_id, *members[:3]], env)
    assert removed["requested"] == 3
    assert removed["failed_ids"] == []
    left = served.call(lambda: emu.member_ids(segment_id))
    assert not set(members[:3]) & set(left)

    assert run_json(["segments", "delete", segment_id], env)["deleted"] is True
    assert segment_id not in served.call(lambda: emu.segments)


def test_by_campaign_segment_and_condition_file(served: Served, tmp_path: Path) -> None:
    env = served.env
    campaign = run_json(["segments", "create", "openers", "--where", "campaign 2 opened"], env)
    assert campaign["type"] == "by_campaign"
    assert campaign["condition"]["items"] == [
        {"field": "campaign", "op": "==", "value": "open", "campaign_id": 2}
    ]
    # The JSON a segment prints is a valid --condition FILE, as is SendCloud's flat spelling.
    path = tmp_path / "segment.json"
    path.write_text(json.dumps(campaign))
    copy = run_json(["segments", "create", "openers2", "--condition", str(path)], env)
    assert copy["condition"] == campaign["condition"]
    path.write_text(
        '{"relation": "or", "conditions": [{"field": "City", "op": "contain", "value": "武汉"},'
        ' {"field": "Age", "op": "<", "value": "20"}]}'
    )
    flat = run_json(["segments", "create", "flat", "--condition", str(path)], env)
    assert flat["condition"]["relation"] == "or"
    assert len(flat["condition"]["items"]) == 2


def test_tables_show_the_values(served: Served) -> None:
    env = served.env
    tag_id = run_json(["tags", "create", "table_tag"], env)["id"]
    table = run(["tags", "list", "--name", "table_tag", "--output", "table"], env).stdout
    row = next(line for line in table.splitlines() if tag_id in line)
    assert "table_tag" in row
    assert "│" in row
    assert "1 shown of 1" in table

    segment_id = run_json(["segments", "create", "tabled", "--where", "Age >= 30"], env)["id"]
    shown = run(["segments", "get", segment_id, "-o", "table"], env).stdout
    values = dict(line.split(None, 1) for line in shown.splitlines() if line.strip())
    assert values["id"].strip() == segment_id
    assert values["condition"].strip() == "Age >= 30"
    assert values["type"].strip() == "by_field"


def test_csv_output_has_a_header_and_iso_times(served: Served) -> None:
    env = served.env
    lines = run(["tags", "list", "--all", "--output", "csv"], env).stdout.splitlines()
    assert lines[0] == "id,name,member_count,created_at,updated_at"
    first = lines[1].split(",")
    assert len(first) == 5
    assert "T" in first[3]


def test_exit_codes_and_errors_on_stderr(served: Served) -> None:
    env = served.env
    emu = served.emulator
    served.call(emu.clear_requests)
    # 2: validation, before any request.
    bad_name = run(["segments", "create", "bad.name", "--where", "Age >= 1"], env, code=2)
    assert bad_name.stdout == ""
    assert "name: must not contain ." in bad_name.stderr
    where = run(["segments", "create", "ok", "--where", "Age >= 1 or"], env, code=2)
    assert "column 12" in where.stderr
    assert where.stderr.rstrip().endswith("^")
    run(["segments", "list", "--all", "--limit", "5"], env, code=2)
    run(["segments", "create", "ok"], env, code=2)
    assert served.call(lambda: emu.requests) == []
    # 2: configuration.
    no_provider = run(["tags", "list"], {**env, "MAILSEG_PROVIDER": None}, code=2)
    assert "no provider: give --provider, set MAILSEG_PROVIDER" in no_provider.stderr
    no_key = run(["tags", "list"], {**env, "MAILSEG_API_KEY": None}, code=2)
    assert "credentials are missing (api_key)" in no_key.stderr
    # 1: the provider said no.
    missing = run(["segments", "get", "000000000000000000000000"], env, code=1)
    assert missing.stdout == ""
    assert missing.stderr.startswith("error: ")
    denied = run(["tags", "list"], {**env, "MAILSEG_API_KEY": "wrong"}, code=1)
    assert "HTTP 401" in denied.stderr
    # 1: no HTTP answer at all.
    run(["tags", "list"], {**env, "MAILSEG_BASE_URL": "http://127.0.0.1:9"}, code=1)


def test_failed_chunks_exit_3_and_keep_the_failed_ids(served: Served, tmp_path: Path) -> None:
    env = served.env
    emu = served.emulator
    tag_id = run_json(["tags", "create", "flaky"], env)["id"]
    ids = [c.id for c in served.call(lambda: emu.contacts[:200])]
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(ids) + "\n")
    retry = tmp_path / "retry.txt"

    def fail_next() -> None:
        emu.faults = Faults(schedule=["500"])

    served.call(fail_next)
    args = ["tags", "add", tag_id, "--ids", str(path), "-o", "json", "--failed-ids", str(retry)]
    result = run(args, env, code=3)
    summary = json.loads(result.stdout)
    assert summary["requested"] == 200
    assert summary["failed_chunks"] == 1
    assert sorted(summary["failed_ids"]) == sorted(ids)
    assert "HTTP 500" in summary["errors"][0]
    assert retry.read_text().split() == summary["failed_ids"]
    assert served.call(lambda: emu.tag_member_ids(tag_id)) == []

    again = run_json(["tags", "add", tag_id, "--ids", str(retry)], env)
    assert again["failed_ids"] == []
    assert sorted(served.call(lambda: emu.tag_member_ids(tag_id))) == sorted(ids)
