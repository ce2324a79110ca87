"""``python -m bench``: run mailseg's benchmarks, print a report, optionally write the doc.

    python -m bench                      # everything (about 6 minutes on 2 cores)
    python -m bench --quick              # smaller and fewer rounds (about 25 s)
    python -m bench --only overhead      # one benchmark (or a comma-separated list)
    python -m bench --markdown           # also rewrite the results block of docs/benchmarks.md
    python -m bench --json out.json      # also dump the raw figures

Benchmarks: overhead (per-call vs bare aiohttp, both adapters), bulk (1M distinct ids
tagged at concurrency 16, beside bare aiohttp and a raw-protocol floor), memory
(iterating 200,000 members: RSS, and time vs a bare paging loop), parsing (members/s vs
pydantic v2), ledger (a job's SQLite ledger vs the plain bulk call), scaleout (the
distributed runner on 1, 2 and 4 workers; needs redis-server and the jobs-redis extra).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import ROOT, report
from bench._machine import loadavg, machine
from bench._results import Result

BENCHMARKS = ("overhead", "bulk", "memory", "parsing", "ledger", "scaleout")


def _run(name: str, quick: bool) -> Result:
    if name == "overhead":
        from bench import overhead

        return overhead.run(quick=quick)
    if name == "bulk":
        from bench import bulk

        return bulk.run(quick=quick)
    if name == "memory":
        from bench import memory

        return memory.run(quick=quick)
    if name == "ledger":
        from bench import jobs

        return jobs.run_ledger(quick=quick)
    if name == "scaleout":
        from bench import jobs

        return jobs.run_scaleout(quick=quick)
    from bench import parsing

    return parsing.run(quick=quick)


def _names(value: str) -> list[str]:
    names = [part.strip() for part in value.split(",") if part.strip()]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown benchmark(s) {unknown}; choose from {BENCHMARKS}"
        )
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run mailseg's benchmarks (measurements, not tests)."
    )
    parser.add_argument(
        "--only",
        type=_names,
        default=list(BENCHMARKS),
        help=f"comma-separated subset of {', '.join(BENCHMARKS)} (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer rounds")
    parser.add_argument(
        "--markdown",
        nargs="?",
        const=str(ROOT / "docs" / "benchmarks.md"),
        default=None,
        metavar="PATH",
        help="rewrite the generated block of this file (default docs/benchmarks.md)",
    )
    parser.add_argument("--json", default=None, metavar="PATH", help="write the raw figures here")
    parser.add_argument("--no-details", action="store_true", help="print tables and targets only")
    args = parser.parse_args(argv)

    info = machine()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "python -m bench" + (" --quick" if args.quick else "")
    if args.only != list(BENCHMARKS):
        command += " --only " + ",".join(args.only)
    print(f"mailseg benchmarks, {when}{' (quick)' if args.quick else ''}")
    for label, value in report.machine_lines(info)[:-1]:
        print(f"  {label}: {value}")
    print(f"  load average at start: {info['loadavg']}")

    started = time.perf_counter()
    results = []
    for name in args.only:
        print(f"\nrunning {name} ...", flush=True)
        load_before = loadavg()
        result = _run(name, args.quick)
        # The machine may be shared: the load beside the figures it disturbed.
        result.notes.append(
            f"Load average (1, 5, 15 min) before this benchmark: {load_before}; after: "
            f"{loadavg()} (2 cores)."
        )
        results.append(result)
        print(report.console(result, details=not args.no_details), flush=True)
    seconds = time.perf_counter() - started
    info["loadavg_end"] = loadavg()

    print(f"\n== Targets ({seconds:.0f} s in all; load average at end: {info['loadavg_end']})")
    for result in results:
        for target in result.targets:
            verdict = "met    " if target.met else "NOT met"
            print(f"  [{verdict}] {result.key:9} {target.name}: {target.goal} -> {target.measured}")

    if args.markdown:
        path = Path(args.markdown)
        report.write_markdown(path, report.markdown(results, info, command, when, seconds))
        print(f"\nwrote the results block of {path}")
    if args.json:
        payload = {
            "when": when,
            "command": command,
            "seconds": seconds,
            "machine": info,
            "results": [dataclasses.asdict(result) for result in results],
        }
        Path(args.json).write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
