"""``mailseg migrate``: definitions copied across providers, translated, idempotently."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from mailseg.cli.profiles import write_profile
from tests.cli.harness import Served, run, run_json


def _profile(config_file: Path, name: str, served: Served) -> dict[str, str]:
    credentials = served.emulator.credentials
    variable = f"{name.upper()}_KEY"
    write_profile(
        config_file,
        name,
        {
            "provider": served.provider,
            "api_user": credentials["api_user"],
            "api_key_env": variable,
            "base_url": served.emulator.base_url,
            "max_retries": "0",
        },
    )
    return {variable: credentials["api_key"]}


def test_migrate_sendcloud_to_engagelab(serve: Callable[..., Served], config_file: Path) -> None:
    source = serve("sendcloud", processing_polls=0)
    target = serve("engagelab", campaign_ids=(1, 2), processing_polls=0)
    env = {**_profile(config_file, "src", source), **_profile(config_file, "dst", target)}
    src = ["--profile", "src"]
    run([*src, "tags", "create", "migrated_tag"], env)
    run(
        [*src, "segments", "create", "mig_adults", "--where", "Age >= 18 and tag = migrated_tag"],
        env,
    )
    run([*src, "segments", "create", "mig_openers", "--where", "campaign 1 opened"], env)
    run([*src, "segments", "create", "mig_lost", "--where", "campaign 4 clicked"], env)
    # Same name on both sides, different condition: left alone, and said so.
    run([*src, "segments", "create", "mig_both", "--where", "Age < 30"], env)
    run(["--profile", "dst", "segments", "create", "mig_both", "--where", "Age < 40"], env)
    target.call(target.emulator.clear_requests)

    plan = run_json(["migrate", "--from", "src", "--to", "dst", "--dry-run"], env)
    steps = {(s["kind"], s["name"]): s for s in plan["steps"]}
    assert steps["tag", "migrated_tag"]["action"] == "create"
    assert steps["segment", "mig_adults"]["action"] == "create"
    assert steps["segment", "mig_adults"]["detail"] == "Age >= 18 and tag == migrated_tag"
    assert steps["segment", "mig_both"]["action"] == "exists"
    assert steps["segment", "mig_both"]["detail"] == "differs there: Age < 40"
    # Seeded tags exist on both emulators already.
    assert steps["tag", "vip"]["action"] == "exists"
    assert all(r.method == "GET" for r in target.call(lambda: target.emulator.requests))

    done = run_json(["migrate", "--from", "src", "--to", "dst"], env)
    steps = {(s["kind"], s["name"]): s for s in done["steps"]}
    assert steps["tag", "migrated_tag"]["action"] == "created"
    assert target.call(lambda: target.emulator.tag_named("migrated_tag")) is not None
    created = steps["segment", "mig_adults"]
    assert created["action"] == "created"
    stored = target.call(lambda: target.emulator.segments[created["target_id"]])
    assert stored.name == "mig_adults"
    openers = target.call(
        lambda: target.emulator.segments[steps["segment", "mig_openers"]["target_id"]]
    )
    assert openers.name == "mig_openers"
    lost = steps["segment", "mig_lost"]
    assert lost["action"] == "cannot carry"
    assert "campaign 4" in lost["detail"]
    assert done["summary"]["cannot carry"] == 1
    # The translated condition reads back the same from the target's own dialect.
    shown = run_json(["--profile", "dst", "segments", "get", created["target_id"]], env)
    assert shown["condition"]["items"][1] == {
        "field": "tag",
        "op": "==",
        "value": "migrated_tag",
        "campaign_id": None,
    }

    target.call(target.emulator.clear_requests)
    again = run(["migrate", "--from", "src", "--to", "dst", "-o", "json"], env)
    summary = json.loads(again.stdout)["summary"]
    assert "created" not in summary
    assert summary["exists"] >= 4
    posts = [r for r in target.call(lambda: target.emulator.requests) if r.method == "POST"]
    # Only the segment the target refuses is tried again.
    assert len(posts) == 1

    table = run(["migrate", "--from", "src", "--to", "dst", "--dry-run", "-o", "table"], env).stdout
    row = next(line for line in table.splitlines() if "mig_lost" in line)
    assert "create" in row


def test_migrate_needs_both_profiles(config_file: Path) -> None:
    write_profile(config_file, "only", {"provider": "sendcloud", "api_user": "u", "api_key": "k"})
    config_file.chmod(0o600)
    failed = run(["migrate", "--from", "only", "--to", "absent"], code=2)
    assert "profile 'absent': no profile 'absent'" in failed.stderr
    write_profile(config_file, "bare", {"provider": "sendcloud"})
    bare = run(["migrate", "--from", "bare", "--to", "only"], code=2)
    assert "profile 'bare': credentials are missing" in bare.stderr
    # MAILSEG_* settings do not leak into either account.
    leaked = run(
        ["migrate", "--from", "bare", "--to", "only"],
        {"MAILSEG_API_USER": "x", "MAILSEG_API_KEY": "y"},
        code=2,
    )
    assert "profile 'bare': credentials are missing" in leaked.stderr
