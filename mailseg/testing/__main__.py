"""``python -m mailseg.testing``: serve an emulator until interrupted."""

from mailseg.testing.cli import main

raise SystemExit(main())
