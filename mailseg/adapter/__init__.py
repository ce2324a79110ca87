"""What a provider adapter is, and the pieces every adapter shares.

Start with `mailseg.adapter.contract` (the whole contract, on its own), then
`mailseg.adapter.rest` (a base for JSON REST dialects, on which both built-in
adapters stand). The other modules hold the shared pieces: `reading` (objects,
counts and pages out of a body), `status` (what a status and ``Retry-After``
mean), `json` (tolerant decoding) and `convert` (cattrs hooks, and a converter
built from a dialect's `Spelling`). ``docs/adapters.md`` walks through writing
a provider.
"""

from __future__ import annotations

__all__ = [
    "IDEMPOTENT_METHODS",
    "PROVIDER_ZONE",
    "REQUEST_ID_HEADERS",
    "Adapter",
    "Call",
    "Credentials",
    "Operation",
    "Request",
    "Response",
    "RestAdapter",
    "Spelling",
    "base_converter",
    "decode_json",
    "dialect_converter",
    "error_class",
    "non_empty_str",
    "nothing",
    "object_with",
    "parse_retry_after",
    "parse_timestamp",
    "quote_id",
    "read_count",
    "read_object",
    "read_page",
]

from mailseg.adapter.contract import (
    IDEMPOTENT_METHODS,
    REQUEST_ID_HEADERS,
    Adapter,
    Call,
    Credentials,
    Operation,
    Request,
    Response,
    quote_id,
)
from mailseg.adapter.convert import (
    PROVIDER_ZONE,
    Spelling,
    base_converter,
    dialect_converter,
    non_empty_str,
    object_with,
    parse_timestamp,
)
from mailseg.adapter.json import decode_json
from mailseg.adapter.reading import nothing, read_count, read_object, read_page
from mailseg.adapter.rest import RestAdapter
from mailseg.adapter.status import error_class, parse_retry_after
