"""Speed of lengen's vectorized C-RASP interpreter (``lengen.crasp.evaluate``) on one CPU core.

Two measurements:

* **throughput**: a 30-definition C-RASP[periodic, local] program (prefix counts, local shift and
  window counts, periodic predicates, comparisons, conditionals, arithmetic; the text is
  ``PROGRAM`` below) over 1,000 random strings of length 1,000 (``--quick``: 250 strings).  The
  unit is *definition-positions per second*: 30 definitions x 1,000 strings x 1,000 positions =
  30 million values per run.  Inputs are encoded once beforehand (``lengen.crasp.encode``, timed
  separately); each run returns every definition's value at every position.  We report the first
  ("cold") run, the median of the following ("warm") runs -- both allocate fresh output arrays
  (about 150 MB; on a virtual machine the page faults of first touching that memory are a large
  part of the cost) -- and the median of runs that write into the output arrays of an earlier
  call (``evaluate(..., out=previous)``).  Target: 150 million definition-positions per second.
* **cost curve**: a program with local counts (``LOCAL_PROGRAM``) on 10 strings at lengths 100
  to 100,000; time per position should be flat (linear cost) once the fixed per-definition
  overhead of numpy calls is amortized.  We fit the CPU time t(n) = a + b n and report the
  log-log slope between the two longest lengths (1.0 = linear).

Every measurement is reported in wall-clock and in process CPU seconds: on a shared machine the
wall-clock time includes waiting for the CPU, the CPU time does not.

Threads: numpy's elementwise operations and cumsum are single-threaded; the script also sets
``OMP_NUM_THREADS`` (and the BLAS equivalents) and torch's thread count to 1.

Usage::

    python benchmarks/crasp_interpreter.py            # about 30 s; writes benchmarks/results/crasp_interpreter.json
    python benchmarks/crasp_interpreter.py --quick    # a few seconds; writes benchmarks/results/crasp_interpreter_quick.json
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime as _dt  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lengen.crasp import encode, evaluate, parse  # noqa: E402

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "crasp_interpreter.json"
QUICK_OUT = ROOT / "benchmarks" / "results" / "crasp_interpreter_quick.json"
TARGET = 150e6

ALPHABET = ["a", "b", "c", "d"]

PROGRAM = """
// 30 definitions, a mix of every kind of operation
na    := #[j <= i] Q(a)
nb    := #[j <= i] Q(b)
nc    := #[j <= i] Q(c)
nd    := #[j <= i] Q(d)
dab   := na - nb
dcd   := nc - nd
more  := dab > dcd
mixed := na >= nc or nb < nd
preva := exists[j <= i, j == i - 1] Q(a)
recb  := #[j <= i, i - j <= 5] Q(b)
ha    := #[j <= i] (more and Q(a))
hm    := #[j <= i] mixed
score := ha + 2 * hm - na
pick  := more ? score : dcd
flag  := pick > 0 and not preva
third := i % 3 == 0 or flag
nt    := #[j <= i] third
gap   := nt - ha
low   := gap <= recb
lowc  := low and Q(c)
nl    := #[j <= i] lowc
tot   := nl + nd
hit   := tot == score or mixed
ever  := exists[j <= i] hit
prevd := #[j <= i, j == i - 2] Q(d)
near  := prevd + recb
both  := near > 1 and ever
nboth := #[j <= i] both
over  := nboth >= gap
out   := over or flag
"""

LOCAL_PROGRAM = """
// local counts: Tomita-4's test for 000 plus sliding windows
prev0  := exists[j <= i, j == i - 1] Q(0)
prev20 := exists[j <= i, j == i - 2] Q(0)
triple := Q(0) and prev0 and prev20
dead   := exists[j <= i] triple
win8   := #[j <= i, i - j <= 7] Q(1)
win64  := #[j <= i, i - j <= 63] Q(1)
dense  := 2 * win8 > 8 and win64 > 32
next_0 := not dead and not (Q(0) and prev0)
next_1 := not dead and not dense
"""


def machine() -> dict:
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        load = None
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15_min": load,
    }


CPU: list[float] = []  # process CPU seconds of the last timed() call, one per run


def timed(fn, repeats: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Wall-clock seconds of ``repeats`` runs; their CPU seconds are left in ``CPU``."""
    out = []
    CPU.clear()
    for _ in range(repeats):
        c = time.process_time()
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
        CPU.append(time.process_time() - c)
    return out


def throughput(n_strings: int, length: int, repeats: int, seed: int = 0) -> dict:
    prog = parse(PROGRAM)
    n_defs = len(prog.definitions)
    rng = np.random.default_rng(seed)
    strings = [[ALPHABET[k] for k in row] for row in rng.integers(0, len(ALPHABET), size=(n_strings, length)).tolist()]
    t = time.perf_counter()
    ids = encode(prog, strings)
    encode_s = time.perf_counter() - t
    values = n_defs * n_strings * length
    cold = timed(lambda: evaluate(prog, ids), 1)[0]
    cold_cpu = CPU[0]
    warm = timed(lambda: evaluate(prog, ids), repeats)
    med = statistics.median(warm)
    med_cpu = statistics.median(CPU)
    buffers = evaluate(prog, ids)
    reuse = timed(lambda: evaluate(prog, ids, out=buffers), repeats)
    med_reuse = statistics.median(reuse)
    med_reuse_cpu = statistics.median(CPU)
    return {
        "definitions": n_defs,
        "program_fragment": prog.info().fragment,
        "program_size": prog.info().size,
        "strings": n_strings,
        "length": length,
        "definition_positions": values,
        "encode_seconds": encode_s,
        "encode_tokens_per_s": n_strings * length / encode_s,
        "cold_seconds": cold,
        "cold_cpu_seconds": cold_cpu,
        "cold_def_positions_per_s": values / cold,
        "warm_seconds": warm,
        "warm_median_seconds": med,
        "warm_median_cpu_seconds": med_cpu,
        "warm_def_positions_per_s": values / med,
        "warm_def_positions_per_cpu_s": values / med_cpu,
        "reuse_seconds": reuse,
        "reuse_median_seconds": med_reuse,
        "reuse_median_cpu_seconds": med_reuse_cpu,
        "reuse_def_positions_per_s": values / med_reuse,
        "target_def_positions_per_s": TARGET,
        "meets_target_warm": values / med >= TARGET,
    }


def cost_curve(lengths: list[int], n_strings: int, repeats: int, seed: int = 0) -> dict:
    prog = parse(LOCAL_PROGRAM)
    n_defs = len(prog.definitions)
    rng = np.random.default_rng(seed)
    rows = []
    for n in lengths:
        ids = encode(prog, [[["0", "1"][k] for k in row] for row in rng.integers(0, 2, size=(n_strings, n)).tolist()])
        evaluate(prog, ids)  # warm-up
        med = statistics.median(timed(lambda: evaluate(prog, ids), repeats))
        cpu = statistics.median(CPU)
        rows.append({
            "length": n,
            "seconds": med,
            "cpu_seconds": cpu,
            "ns_per_position": med / (n_strings * n) * 1e9,
            "cpu_ns_per_position": cpu / (n_strings * n) * 1e9,
            "def_positions_per_s": n_defs * n_strings * n / med,
        })
    # fit on CPU time, which machine load disturbs much less than wall-clock time
    x = np.array([r["length"] for r in rows], dtype=float)
    y = np.array([r["cpu_seconds"] for r in rows])
    b, a = np.polyfit(x, y, 1)
    resid = y - (a + b * x)
    r2 = 1 - float((resid**2).sum() / ((y - y.mean()) ** 2).sum())
    slope = float(np.log(y[-1] / y[-2]) / np.log(x[-1] / x[-2])) if len(rows) > 1 else float("nan")
    return {
        "definitions": n_defs,
        "program_fragment": prog.info().fragment,
        "strings": n_strings,
        "rows": rows,
        "fit_seconds_intercept": float(a),
        "fit_seconds_per_length": float(b),
        "fit_r2": r2,
        "loglog_slope_last_two": slope,
    }


def markdown(thr: dict, curve: dict) -> str:
    v = thr["definition_positions"]
    size = f"{thr['strings']:,} x {thr['length']:,}"
    lines = [
        f"{thr['definitions']}-definition program ({thr['program_fragment']}, size {thr['program_size']}):",
        "",
        "| measurement | strings x length | wall s | CPU s | definition-positions / wall s | per CPU s |",
        "|---|---|---|---|---|---|",
        f"| evaluate, cold (first call) | {size} | {thr['cold_seconds']:.3f} | {thr['cold_cpu_seconds']:.3f} | "
        f"{v / thr['cold_seconds'] / 1e6:,.0f} M | {v / thr['cold_cpu_seconds'] / 1e6:,.0f} M |",
        f"| evaluate, warm (median of {len(thr['warm_seconds'])}) | {size} | {thr['warm_median_seconds']:.3f} | "
        f"{thr['warm_median_cpu_seconds']:.3f} | {v / thr['warm_median_seconds'] / 1e6:,.0f} M | "
        f"{v / thr['warm_median_cpu_seconds'] / 1e6:,.0f} M |",
        f"| evaluate into reused outputs (`out=`, median of {len(thr['reuse_seconds'])}) | {size} | "
        f"{thr['reuse_median_seconds']:.3f} | {thr['reuse_median_cpu_seconds']:.3f} | "
        f"{v / thr['reuse_median_seconds'] / 1e6:,.0f} M | {v / thr['reuse_median_cpu_seconds'] / 1e6:,.0f} M |",
        f"| encode the token lists (once; {thr['encode_tokens_per_s'] / 1e6:,.1f} M tokens / s) | {size} | "
        f"{thr['encode_seconds']:.3f} | | | |",
        "",
        f"Cost curve ({curve['definitions']} definitions with local counts, {curve['strings']} strings):",
        "",
        "| length | wall s | CPU s | wall ns / (position x string) | CPU ns / (position x string) | definition-positions / wall s |",
        "|---|---|---|---|---|---|",
    ]
    for r in curve["rows"]:
        lines.append(
            f"| {r['length']:,} | {r['seconds']:.4f} | {r['cpu_seconds']:.4f} | {r['ns_per_position']:.1f} | "
            f"{r['cpu_ns_per_position']:.1f} | {r['def_positions_per_s'] / 1e6:,.0f} M |"
        )
    lines.append("")
    lines.append(
        f"Linear fit of CPU time, t = a + b n: a = {curve['fit_seconds_intercept'] * 1e3:.2f} ms, "
        f"b = {curve['fit_seconds_per_length'] * 1e9 / curve['strings']:.1f} ns per position and string, "
        f"R^2 = {curve['fit_r2']:.4f}; log-log slope between the two longest lengths = "
        f"{curve['loglog_slope_last_two']:.2f} (1.00 = linear)."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="250 strings instead of 1,000, fewer repeats (a few seconds)")
    ap.add_argument("--repeats", type=int, default=None, help="timed runs after the cold one (default 7; --quick 3)")
    ap.add_argument("--out", type=Path, default=None,
                    help=f"result JSON (default {DEFAULT_OUT.relative_to(ROOT)}; with --quick {QUICK_OUT.relative_to(ROOT)})")
    ap.add_argument("--no-write", action="store_true", help="print the tables but do not write the JSON")
    args = ap.parse_args(argv)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass

    repeats = args.repeats or (3 if args.quick else 7)
    started = _dt.datetime.now(_dt.timezone.utc)
    m0 = machine()
    thr = throughput(250 if args.quick else 1000, 1000, repeats)
    lengths = [100, 300, 1_000, 3_000, 10_000, 30_000, 100_000]
    curve = cost_curve(lengths, 10, 2 * repeats + 1)
    table = markdown(thr, curve)
    print(table)
    verdict = "meets" if thr["meets_target_warm"] else "MISSES"
    print(f"\nwarm throughput {thr['warm_def_positions_per_s'] / 1e6:,.0f} M definition-positions per wall-clock "
          f"second {verdict} the target of {TARGET / 1e6:.0f} M (1 thread, numpy {np.__version__}, load average {m0['load_average_1_5_15_min']})")
    result = {
        "benchmark": "benchmarks/crasp_interpreter.py",
        "command": " ".join(["python benchmarks/crasp_interpreter.py", *(sys.argv[1:] if argv is None else argv)]),
        "quick": args.quick,
        "date_utc": started.isoformat(timespec="seconds"),
        "machine": m0,
        "load_average_at_end": machine()["load_average_1_5_15_min"],
        "threads": 1,
        "throughput": thr,
        "cost_curve": curve,
        "table_markdown": table,
    }
    if not args.no_write:
        from lengen.files import write_json

        out = args.out or (QUICK_OUT if args.quick else DEFAULT_OUT)
        write_json(out, result)
        print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
