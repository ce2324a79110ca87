"""The emulator's log of the requests it received, with credentials redacted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from mailseg.testing.faults import FaultKind

_REDACTED = "<redacted>"


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with the credential of ``Authorization`` replaced, its scheme kept.

    The scheme stays because it is what a test checks ("did the client send Basic?"); the
    credential goes because a log of requests must never hold a secret.
    """
    out: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() == "authorization":
            scheme, _, credential = value.strip().partition(" ")
            value = f"{scheme} {_REDACTED}" if credential else _REDACTED
        out[name] = value
    return out


@attrs.define
class RecordedRequest:
    """One request as the emulator received it.

    Attributes:
        index: arrival order, from 0 for the emulator's first request.
        method: the HTTP verb.
        path: the raw path, percent-encoding kept, without the query.
        query: the query parameters (the last value of a repeated key).
        headers: the headers, ``Authorization`` redacted to ``"<scheme> <redacted>"``.
        body: the parsed JSON body; None when there was no body or it was not JSON.
        raw_body_size: the body's length in bytes.
        delay: the latency injected before answering, in seconds.
        fault: the injected fault, if one fired.
        status: the status answered; None while in flight or when the connection was reset.
        body_unread: the body could not be read (larger than the emulator takes, or its
            encoding or chunks broken); it was refused and the connection closed.
    """

    index: int
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    raw_body_size: int
    delay: float = 0.0
    fault: FaultKind | None = None
    status: int | None = None
    body_unread: bool = False
