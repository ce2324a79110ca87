"""Credentials stay secret; ids cannot reach another endpoint; logs say what happened."""

from __future__ import annotations

import base64
import logging
import traceback

import pytest

import mailseg
from mailseg.adapter import Credentials
from tests.conftest import Wire

KEY = "k3y-s3cr3t"
# The Authorization values: base64("api_user:k3y-s3cr3t") and a ready token.
SECRETS = (KEY, base64.b64encode(f"api_user:{KEY}".encode()).decode(), "s3cr3t-token")


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_repr_and_str_of_client_and_credentials_hide_secrets() -> None:
    client = mailseg.connect("engagelab", token="s3cr3t-token")
    assert_no_secret(repr(client))
    assert_no_secret(str(client))
    credentials = Credentials(api_user="api_user", api_key=KEY)
    assert repr(credentials) == "Credentials(<api_user, api_key set>)"
    assert_no_secret(str(credentials))


@pytest.mark.parametrize("provider", ["sendcloud", "engagelab"])
async def test_debug_log_has_one_line_per_request_and_no_secret(
    wire: Wire, provider: str, caplog: pytest.LogCaptureFixture
) -> None:
    wire.reply(503, b"")
    wire.reply(
        401,
        {"code": 30000, "message": "Authentication failed"}
        if provider == "engagelab"
        else {"status": 401, "error": {"parameter": "", "message": "Unauthorized"}},
    )
    caplog.set_level(logging.DEBUG, logger="mailseg")
    async with wire.client(provider, max_retries=1, api_key=KEY) as client:
        with pytest.raises(mailseg.AuthenticationError) as caught:
            await client.segments.get("s1")
    records = [r for r in caplog.records if r.name == "mailseg"]
    assert len(records) == 2
    path = f"{'/v1' if provider == 'engagelab' else ''}/marketing/lists/segments/s1"
    assert records[0].getMessage().startswith(f"GET {path} -> 503 (attempt 1, ")
    assert records[1].getMessage().startswith(f"GET {path} -> 401 (attempt 2, ")
    assert records[1].getMessage().endswith(" ms)")
    for record in caplog.records:
        assert_no_secret(record.getMessage())
    text = "".join(traceback.format_exception(caught.value))
    assert_no_secret(text)
    assert_no_secret(repr(caught.value))


async def test_transport_errors_carry_no_secret() -> None:
    client = mailseg.connect(
        "sendcloud",
        api_user="api_user",
        api_key=KEY,
        base_url="http://127.0.0.1:9",
        max_retries=0,
    )
    async with client:
        with pytest.raises(mailseg.TransportError) as caught:
            await client.tags.list()
    assert_no_secret("".join(traceback.format_exception(caught.value)))


HOSTILE_IDS = {
    "../tags/x": "..%2Ftags%2Fx",
    "a/b": "a%2Fb",
    "%2e%2e": "%252e%252e",
    "?x=1": "%3Fx%3D1",
    "#frag": "%23frag",
    "a b": "a%20b",
    "分组": "%E5%88%86%E7%BB%84",
}


@pytest.mark.parametrize(("raw", "encoded"), HOSTILE_IDS.items(), ids=list(HOSTILE_IDS))
@pytest.mark.parametrize("provider", ["sendcloud", "engagelab"])
async def test_ids_stay_one_path_segment(wire: Wire, provider: str, raw: str, encoded: str) -> None:
    wire.reply(
        204 if provider == "sendcloud" else 200, b"" if provider == "sendcloud" else {"count": 1}
    )
    wire.reply(
        404,
        {"status": 404, "error": {"parameter": "", "message": "resource not found"}}
        if provider == "sendcloud"
        else {"code": 30036, "message": "not found"},
    )
    prefix = "/v1" if provider == "engagelab" else ""
    async with wire.client(provider) as client:
        await client.tags.delete(raw)
        with pytest.raises(mailseg.NotFoundError):
            await client.segments.progress(raw)
    assert wire.requests[0].raw_path == f"{prefix}/marketing/lists/tags/{encoded}"
    assert wire.requests[0].query == ()
    assert wire.requests[1].raw_path == f"{prefix}/marketing/lists/segments/{encoded}/process"
