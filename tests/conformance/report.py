"""The conformance report: `python -m tests.conformance.report [--only ops|modules|optims] [--verbose] [--summary]`.

Prints one line per entry (pass, fail with the first error, or missing) and the totals, as
`ops: P/N pass (M missing)`. `--summary` prints the totals only. Exits non-zero only if the run
itself breaks, never because entries fail (the floor test in `test_floors.py` judges the totals).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
import warnings

import jax

KINDS = ("ops", "modules", "optims")
# Every compiled XLA:CPU executable keeps a few memory maps; a process may hold 65530 (vm.max_map_count),
# and the databases compile thousands of programs. Dropping jax's caches every few entries keeps the count
# bounded (past the limit, XLA crashes with a segmentation fault while compiling).
CLEAR_CACHES_EVERY = 25


def _results(kind: str, verbose: bool):
    if kind == "ops":
        from . import ops as source
    elif kind == "modules":
        from . import modules as source
    else:
        from . import optims as source
    return source.results(verbose)


def run(kinds=KINDS, verbose: bool = False, echo=None) -> dict:
    """{kind: [Result, ...]} for the requested kinds; `echo(result)` is called as each finishes."""
    warnings.simplefilter("ignore")
    out = {}
    for kind in kinds:
        out[kind] = []
        for count, result in enumerate(_results(kind, verbose), 1):
            out[kind].append(result)
            if count % CLEAR_CACHES_EVERY == 0:
                jax.clear_caches()
            if echo is not None:
                echo(result)
    return out


def totals(results: dict) -> dict:
    """{kind: {"pass": n, "fail": n, "missing": n, "total": n}}."""
    table = {}
    for kind, items in results.items():
        counts = collections.Counter(r.status for r in items)
        table[kind] = {status: counts[status] for status in ("pass", "fail", "missing")}
        table[kind]["total"] = len(items)
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=KINDS, action="append")
    parser.add_argument("--verbose", action="store_true", help="full tracebacks for failures")
    parser.add_argument("--summary", action="store_true", help="print the totals only")
    args = parser.parse_args(argv)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    start = time.time()
    echo = None if args.summary else lambda r: print(r.line(), flush=True)
    table = totals(run(tuple(args.only or KINDS), args.verbose, echo))
    for kind, row in table.items():
        print(f"{kind}: {row['pass']}/{row['total']} pass ({row['fail']} fail, {row['missing']} missing)")
    print(f"({time.time() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
