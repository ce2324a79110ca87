"""Decoding JSON bodies as the providers really send them."""

from __future__ import annotations

import json
from typing import Any

import msgspec

_decode = msgspec.json.Decoder().decode


def decode_json(body: bytes) -> Any:
    """Decode a JSON body, tolerating the trailing commas the providers' own examples show.

    Raises:
        ValueError: the body is empty, not UTF-8, or not JSON.
    """
    try:
        # Compiled, and about twice as fast as json.loads. It accepts less
        # (no NaN, no 1e999, no lone surrogates) and never more, so that
        # anything it refuses is decoded, or explained, by json below.
        return _decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        pass
    if not body.strip():
        raise ValueError("the body is empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("the body nests too deeply to decode") from None
    except json.JSONDecodeError as exc:
        # EngageLab's tag pages show `"update_time": "...",\n}`: strict JSON
        # refuses it, a real server may send it. Retry once without the
        # trailing commas; anything else (HTML, truncation) stays an error.
        relaxed = _strip_trailing_commas(text)
        if relaxed != text:
            try:
                return json.loads(relaxed)
            except (json.JSONDecodeError, RecursionError):
                pass
        raise ValueError(f"the body is not JSON ({exc.msg} at position {exc.pos})") from None


def _strip_trailing_commas(text: str) -> str:
    out: list[str] = []
    in_string = escaped = False
    pending_comma = -1
    for char in text:
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char in "}]" and pending_comma >= 0:
            del out[pending_comma]
        if char == ",":
            pending_comma = len(out)
        elif not char.isspace():
            pending_comma = -1
        if char == '"':
            in_string = True
        out.append(char)
    return "".join(out)
