"""No command ever prints a credential: every command runs with a known key, which must
appear nowhere in stdout, stderr, the profile file `config` wrote, or the job ledger."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.harness import PROVIDERS, Served, run

KEY = "sk-known-7f3a9c1e5b2d8046"
USER = "secret_test_user"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_key_appears_nowhere(
    provider: str, serve: Callable[..., Served], tmp_path: Path, config_file: Path
) -> None:
    served = serve(provider, api_user=USER, api_key=KEY)
    emu = served.emulator
    ledger = tmp_path / "jobs.sqlite"
    env = {"SECRET_KEY_VAR": KEY, "MAILSEG_JOBS_LEDGER": str(ledger)}
    outputs: list[str] = []

    def mailseg(*args: str, code: int | None = 0, input: str | None = None) -> str:
        result = run(["--profile", "p", *args], env, code=code, input=input)
        outputs.extend([result.stdout, result.stderr])
        return result.stdout

    base = emu.base_url
    for name, extra in (("p", ["max_retries=0"]), ("q", [])):
        settings = [f"provider={provider}", f"api_user={USER}", "api_key_env=SECRET_KEY_VAR"]
        run(["config", "set", "--profile", name, *settings, f"base_url={base}", *extra], env)
    ids = [c.id for c in served.call(lambda: emu.contacts[:30])]
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(ids) + "\n")

    for output in ("json", "table", "jsonl", "csv"):
        mailseg("config", "show", "-o", output)
    mailseg("config", "profiles")
    mailseg("config", "path")
    tag_id = json.loads(mailseg("tags", "create", "secret_tag", "-o", "json"))["id"]
    for output in ("json", "table", "csv"):
        mailseg("tags", "list", "-o", output)
        mailseg("segments", "list", "-o", output)
    mailseg("tags", "update", tag_id, "--name", "secret_tag2")
    mailseg("tags", "add", tag_id, *ids[:10])
    mailseg("tags", "remove", tag_id, *ids[:2])
    mailseg("tags", "members", tag_id, "--all", "-o", "jsonl")
    mailseg("tags", "sync", tag_id, "--ids", str(ids_file), "--dry-run")
    mailseg("tags", "sync", tag_id, "--ids", str(ids_file))
    segment = json.loads(mailseg("segments", "create", "s1", "--where", "Age >= 20", "-o", "json"))
    mailseg("segments", "get", segment["id"], "-o", "table")
    mailseg("segments", "progress", segment["id"])
    mailseg("segments", "wait", segment["id"], "--poll-interval", "0.01")
    mailseg("segments", "update", segment["id"], "--where", "Age >= 21")
    mailseg("segments", "members", segment["id"], "--all", "-o", "csv")
    mailseg("segments", "remove-members", segment["id"], ids[0])
    mailseg("jobs", "run", "tags.add", tag_id, "--ids", str(ids_file), "--job-id", "sj", code=None)
    mailseg("jobs", "status", "sj")
    mailseg("jobs", "list")
    mailseg("jobs", "failed-ids", "sj")
    mailseg("jobs", "resume", "sj", code=None)
    mailseg("jobs", "stop", "sj")
    mailseg("migrate", "--from", "p", "--to", "q", "--dry-run")
    mailseg("segments", "delete", segment["id"])
    mailseg("tags", "delete", tag_id)
    mailseg("--help")
    mailseg("--version")
    # Error paths: a refused key, a bad condition, a bad setting, an unknown id.
    wrong = {**env, "SECRET_KEY_VAR": KEY + "x"}
    refused = run(["--profile", "p", "tags", "list"], wrong, code=1)
    outputs.extend([refused.stdout, refused.stderr])
    mailseg("segments", "create", "x", "--where", "Age >=", code=2)
    mailseg("--timeout", "-1", "tags", "list", code=2)
    mailseg("--base-url", "http://example.com", "tags", "list", code=2)
    mailseg("segments", "get", "0" * 24, code=1)

    token = base64.b64encode(f"{USER}:{KEY}".encode()).decode()
    everything = "\n".join(outputs)
    assert everything.count("secret_tag") > 0  # the outputs were captured
    assert KEY not in everything
    assert token not in everything
    assert KEY not in config_file.read_text()
    ledger_files = list(tmp_path.glob("jobs.sqlite*"))  # the database and its journal
    assert ledger in ledger_files
    for path in ledger_files:
        assert KEY.encode() not in path.read_bytes()
        assert token.encode() not in path.read_bytes()
