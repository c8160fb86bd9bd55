"""Draw the C-RASP interpreter's cost curve from a result file of ``crasp_interpreter.py``.

The figure shows what the JSON holds, nothing else: the CPU time to evaluate a program with local
counts on 10 strings at each length (log-log, beside a line of slope 1 through the longest
length), and the CPU time per position.  Usage::

    python benchmarks/plot_crasp_interpreter.py   # reads benchmarks/results/crasp_interpreter.json,
                                                  # writes benchmarks/results/crasp_interpreter.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IN = ROOT / "benchmarks" / "results" / "crasp_interpreter.json"


def draw(result: dict) -> plt.Figure:
    """Two panels from ``result["cost_curve"]``: CPU seconds vs. length, and ns per position."""
    curve = result["cost_curve"]
    rows = curve["rows"]
    n = [r["length"] for r in rows]
    cpu = [r["cpu_seconds"] for r in rows]
    per_pos = [r["cpu_ns_per_position"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    left.loglog(n, cpu, "o-", color="#0072B2", label="measured (CPU time)")
    ref = [cpu[-1] * x / n[-1] for x in n]
    left.loglog(n, ref, "--", color="#555555", label="slope 1 (linear cost)")
    left.set_xlabel("string length")
    left.set_ylabel("CPU seconds per evaluation")
    left.set_title(f"{curve['definitions']} definitions, {curve['program_fragment']}, {curve['strings']} strings",
                   fontsize=9)
    left.legend(fontsize=8)
    right.semilogx(n, per_pos, "s-", color="#D55E00")
    right.set_xlabel("string length")
    right.set_ylabel("CPU ns per string-position")
    right.set_ylim(bottom=0)
    right.set_title(f"log-log slope between the two longest lengths: {curve['loglog_slope_last_two']:.2f}",
                    fontsize=9)
    fig.suptitle(f"lengen C-RASP interpreter, one core ({result['date_utc'][:10]}; `{result['command']}`)",
                 fontsize=9)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--result", type=Path, default=DEFAULT_IN, help="a JSON written by crasp_interpreter.py")
    ap.add_argument("--out", type=Path, default=None, help="the PNG (default: beside the JSON)")
    args = ap.parse_args(argv)
    result = json.loads(args.result.read_text())
    out = args.out or args.result.with_suffix(".png")
    fig = draw(result)
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
