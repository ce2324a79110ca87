"""The ``mailseg`` command: every segment and tag operation, bulk jobs, profiles, migration.

Installed by the ``cli`` extra (``pip install 'mailseg[cli]'``), which brings
Click, Rich and platformdirs; ``import mailseg`` never imports this package.
Run ``mailseg --help`` (or ``python -m mailseg --help``).
"""

from __future__ import annotations

__all__ = ["main"]

import sys


def main() -> None:
    """The console script: run the command line and exit with its status."""
    try:
        from mailseg.cli.app import run
    except ModuleNotFoundError as error:
        if error.name not in {"click", "rich", "platformdirs", "tomli", "tomli_w"}:
            raise
        print(
            f"error: the mailseg command needs the 'cli' extra ({error.name} is missing):"
            " pip install 'mailseg[cli]'",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    raise SystemExit(run())
