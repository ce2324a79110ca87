"""What the transport tells an observer: the seam tracing hangs on.

The transport calls an `Observer` for every `Call` it sends, and the scope it
returns for every HTTP attempt. The client never imports an observer's module:
``mailseg.tracing`` (the ``otel`` extra) implements this protocol, and a user
passes it in as ``connect(observers=[...])``. An observer sees the request's
method, its path template (never the ids in it, unless it reads the path), the
status and the error class; never a header or a body, so never a credential.
"""

from __future__ import annotations

__all__ = ["AttemptScope", "Observer", "OperationScope"]

from typing import Any, Protocol

from mailseg.adapter import Call


class AttemptScope(Protocol):
    """One HTTP attempt, from the request going out to its answer or failure."""

    def end(self, status: int | None, error: BaseException | None) -> None:
        """The attempt ended: with a ``status`` (an answer, maybe an error one) or an ``error``.

        ``error`` is the mailseg error the answer or the failure means, when it
        means one; a retried attempt ends with it too.
        """


class OperationScope(Protocol):
    """One `Call`: its attempts, and how it ended."""

    def attempt(self, number: int) -> AttemptScope:
        """Attempt ``number`` (1 for the first, 2 for the first retry) starts now."""

    def end(self, error: BaseException | None) -> None:
        """The call returned (``error`` None) or raised ``error``."""


class Observer(Protocol):
    """Told about every call a client sends. Pass one as ``connect(observers=[...])``."""

    def operation(self, call: Call[Any], provider: str, base_url: str) -> OperationScope:
        """A call starts: ``call.operation`` says what it is, when the adapter says."""
