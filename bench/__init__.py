"""mailseg's benchmarks: per-call overhead, bulk throughput, memory, parsing.

Run them all with ``python -m bench`` (``--help`` for the options); the figures
and how to read them are in ``docs/benchmarks.md``. These are measurements, not
tests: nothing here asserts a timing, the command prints whether each target
was met.

``bench/emulator_speed.py`` is the emulator's own benchmark and is not part of
this command.
"""

from pathlib import Path

#: The checkout the benchmarks run from: children start here, the report names its commit.
ROOT = Path(__file__).resolve().parent.parent
