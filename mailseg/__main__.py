"""``python -m mailseg``: the ``mailseg`` command (needs the ``cli`` extra)."""

from mailseg.cli import main

main()
