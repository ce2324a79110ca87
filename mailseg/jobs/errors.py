"""The errors of durable jobs: every one a `mailseg.MailsegError`, naming the thing at fault."""

from __future__ import annotations

from mailseg.errors import MailsegError


class JobError(MailsegError):
    """Base class of the errors raised by `mailseg.jobs`."""


class SourceError(JobError):
    """A source of ids cannot be read: a missing or unreadable file, a missing CSV column,
    a source that cannot be read again on resume. Raised before any request is sent.

    Attributes:
        source: the source as described to the user (``"text file ids.txt"``).
    """

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source


class LedgerError(JobError):
    """A ledger cannot be opened or used: not a mailseg ledger, unreachable, corrupt.

    Attributes:
        ledger: where the ledger is (a file path, or a Redis URL without its password).
    """

    def __init__(self, ledger: str, message: str) -> None:
        super().__init__(f"ledger {ledger}: {message}")
        self.ledger = ledger


class LedgerFormatError(LedgerError):
    """The ledger was written by a newer mailseg (a format this version cannot read)."""


class JobNotFoundError(LedgerError):
    """The ledger holds no job with this id (a ledger of another job, or a misspelt id).

    Attributes:
        job_id: the id asked for.
    """

    def __init__(self, ledger: str, job_id: str, message: str) -> None:
        super().__init__(ledger, message)
        self.job_id = job_id


class JobConflictError(JobError):
    """A job with this id exists already with another operation, target or source,
    or is being run by another process right now."""
