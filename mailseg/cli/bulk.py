"""The direct bulk commands (``tags add``, ``tags remove``, ``segments remove-members``).

They run the SDK's bulk engine in this process: chunked, concurrent, every id
accounted for. The result is printed as data; failed ids can be written to a
file to send again, and any failure makes the exit status 3. For work that
must survive the process, use ``mailseg jobs run``.
"""

from __future__ import annotations

__all__ = ["bulk_summary", "write_failed_ids"]

from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from mailseg.cli.progress import reporter
from mailseg.errors import ValidationError
from mailseg.models import BulkResult

BulkCall = Callable[..., Awaitable[BulkResult]]


def bulk_summary(result: BulkResult, **extra: Any) -> dict[str, Any]:
    """A bulk result as data: counts, the failed ids and why they failed."""
    errors = sorted({str(chunk.error) for chunk in result.failed})
    return {
        **extra,
        "requested": result.requested,
        "chunks": result.chunks,
        "succeeded": result.succeeded,
        "failed_chunks": len(result.failed),
        "failed_ids": list(result.failed_ids),
        "errors": errors,
    }


def write_failed_ids(path: str, result: BulkResult) -> None:
    """Write the failed ids, one per line, to *path* (``-`` is refused: stdout holds data)."""
    try:
        Path(path).write_text("".join(f"{i}\n" for i in result.failed_ids), encoding="utf-8")
    except OSError as error:
        raise ValidationError("--failed-ids", f"cannot write {path}: {error.strerror}") from None


async def run_bulk(
    call: BulkCall, target: str, ids: Iterable[str], *, label: str, quiet: bool
) -> BulkResult:
    """Run one bulk call with progress on standard error."""
    with reporter(label, quiet=quiet) as shown:

        def on_progress(done: int, total: int | None) -> None:
            shown.update(done, total)

        result = await call(target, ids, on_progress=on_progress, raise_on_error=False)
        shown.update(result.requested, result.requested, failed=len(result.failed_ids))
    return result
