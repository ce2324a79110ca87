"""``python -m mailseg.testing``: arguments, banner, and a real server in a subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

import aiohttp
import pytest

from mailseg.testing import DEFAULT_API_KEY, DEFAULT_API_USER, Emulator
from mailseg.testing.cli import banner, build_parser, emulator_from_args


def _env() -> dict[str, str]:
    # The subprocess imports mailseg from wherever this test process does.
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


def test_defaults() -> None:
    args = build_parser().parse_args([])
    assert (args.provider, args.host, args.port, args.contacts, args.seed) == (
        "sendcloud",
        "127.0.0.1",
        8025,
        1000,
        7,
    )
    assert args.processing_polls == 3


def test_arguments_build_the_emulator(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"email": "a@example.com"}\n', encoding="utf-8")
    args = build_parser().parse_args(
        [
            "--provider",
            "engagelab",
            "--contacts",
            str(path),
            "--port",
            "0",
            "--fault-rate",
            "0.2",
            "--fault-kinds",
            "429,reset",
            "--latency",
            "0.1",
            "--processing-polls",
            "0",
        ]
    )
    emu = emulator_from_args(args)
    assert emu.provider == "engagelab"
    assert len(emu.contacts) == 1
    assert emu.faults.rate == 0.2
    assert [k.value for k in emu.faults.kinds] == ["429", "reset"]
    assert emu.faults.latency == 0.1


@pytest.mark.parametrize(
    "argv",
    [["--provider", "mailchimp"], ["--contacts", "no-such-file.csv"], ["--fault-kinds", "418"]],
)
def test_bad_arguments(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(argv)


async def test_banner_says_where_and_with_what_credentials() -> None:
    async with Emulator("engagelab", contacts=3) as emu:
        text = banner(emu)
    assert emu.base_url in text
    assert f"{emu.base_url}/v1/marketing/lists/segments" in text
    assert DEFAULT_API_USER in text
    assert DEFAULT_API_KEY in text
    assert emu.authorization in text


async def test_the_module_serves_over_http() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mailseg.testing",
        "--provider",
        "engagelab",
        "--port",
        "0",
        "--contacts",
        "50",
        "--processing-polls",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(),
    )
    try:
        assert process.stdout is not None
        first = (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode()
        match = re.search(r"serving at (http://127\.0\.0\.1:\d+)", first)
        assert match, first
        base_url = match.group(1)
        rest = (await asyncio.wait_for(process.stdout.readuntil(b"Ctrl+C to stop.\n"), 10)).decode()
        authorization = re.search(r"Authorization: (Basic \S+)", rest)
        assert authorization, rest
        async with aiohttp.ClientSession() as session:
            headers = {"Authorization": authorization.group(1)}
            async with session.get(
                f"{base_url}/v1/marketing/lists/tags", headers=headers
            ) as answer:
                assert answer.status == 200
                assert (await answer.json())["total"] == 5
            async with session.get(f"{base_url}/v1/marketing/lists/tags") as answer:
                assert answer.status == 401
    finally:
        process.terminate()  # SIGTERM: a clean stop
        await asyncio.wait_for(process.wait(), timeout=10)
    assert process.returncode == 0


async def test_the_module_answers_raw_utf8_in_a_query_without_a_traceback() -> None:
    """``curl '...?name=教育'`` sends the bytes unencoded: answered as JSON, stderr silent."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mailseg.testing",
        "--provider",
        "engagelab",
        "--port",
        "0",
        "--contacts",
        "50",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(),
    )
    try:
        assert process.stdout is not None
        banner_text = (
            await asyncio.wait_for(process.stdout.readuntil(b"Ctrl+C to stop.\n"), 30)
        ).decode()
        address = re.search(r"serving at http://(127\.0\.0\.1):(\d+)", banner_text)
        authorization = re.search(r"Authorization: (Basic \S+)", banner_text)
        assert address, banner_text
        assert authorization, banner_text
        reader, writer = await asyncio.open_connection(address.group(1), int(address.group(2)))
        writer.write(
            "GET /v1/marketing/lists/tags?name=教育 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {authorization.group(1)}\r\nConnection: close\r\n\r\n".encode()
        )
        answer = await asyncio.wait_for(reader.read(), timeout=10)
        writer.close()
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=10)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), answer
    assert b"application/json" in head
    assert json.loads(body)["total"] == 1
    assert stderr == b""
