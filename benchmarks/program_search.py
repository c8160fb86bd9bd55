"""The idealized learner on lengen's formal languages: the least complex program for every
language the theory marks ✓, found by ``lengen.identify.search``.

For every language task (the 17 of the paper's figure and the 7 counter languages) whose
prediction is "length-generalizes with APE":

* **part A, the task's own framing** (what ``lengen.crasp.check`` checks): one Boolean output per
  label column (``next_<a>`` for legal-next labels, ``accept`` for membership labels and the end
  column), on the prefixes of strings of the language.  Each output is searched separately and the
  definitions are assembled into one program; its size is the sum (an upper bound on the best
  joint program, which could share subexpressions).  Fragment: the smallest fragment that
  contains the library's program (C-RASP[] for every language the paper predicts to generalize
  without positions; C-RASP[periodic] for (aa)*, (aaaa)*, (abab)*; C-RASP[local] for Tomita-4),
  with moduli 2, 3, 4 and local distances up to 2; with periodic predicates, if the search runs
  out of memory or time, once more with moduli 2 and 4 only (4 phases instead of 12).
  Constants 0, 1, 2 (0..k for the bounded Dyck languages D_k).  The learner sees every input up to
  length n (the prefixes of the strings of the language with at most n symbols), starting at
  n = max(4, the shortest length of the language) and growing by 2 until the program it returns passes
  ``lengen.crasp.check`` (every string of the language up to length 8, 40 random ones up to length
  200, at random offsets) -- identification in the limit, with the length complexity recorded.
* **part B, membership of every prefix** (``task.accepts``) on *every* word over the alphabet,
  for the languages with membership labels and the qualifying ones: the same search with one
  output ``accept``, checked with ``lengen.identify.accuracy`` on words up to
  length 40 (exhaustive while there are at most 256 words of a length, then random words and
  strings of the language).

Library sizes are ``Program.info().size`` of the library's program (``lengen/crasp/programs``): the
number of core operations, each named definition counted once.  "Qualifying" languages are those
whose library program has at most 8 operations.  Times are wall clock and process CPU time (the
machine may be shared); each language has a time budget (``--budget``, default 60 s; 600 s for the
qualifying ones; ``--membership-budget`` 40 s for part B).

    python benchmarks/program_search.py              # 2-3 minutes here (at most ~30 with every budget used); writes benchmarks/results/program_search.json
    python benchmarks/program_search.py --quick      # 5 s budgets, part A only (about 1 minute)
    python benchmarks/program_search.py --languages tomita1,aa_star --no-membership
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lengen.crasp import check, library  # noqa: E402
from lengen.identify.identification import accuracy  # noqa: E402
from lengen.identify.search import SearchError, SearchSpace, search, search_outputs  # noqa: E402
from lengen.identify.targets import TargetError, TaskMembershipTarget, label_targets  # noqa: E402
from lengen.tasks import get_task, task_names  # noqa: E402

QUALIFY = 8


def _space(task: Any, moduli: tuple[int, ...] | None = None) -> SearchSpace:
    """The fragment of the library's program (the smallest fragment with a known program: C-RASP[]
    for the languages the paper predicts to generalize without positions), moduli 2..4 (or
    ``moduli``), local distances up to 2, constants 0..2 (0..k for D_k)."""
    consts: tuple[int, ...] = (0, 1, 2)
    depth = getattr(task, "depth", None)
    if task.name in ("d2", "d3", "d4", "d12") and depth:
        consts = tuple(range(0, max(2, depth) + 1))
    lib = library.load(task.name)
    info = lib.info() if lib is not None else None
    periodic = bool(info.periodic) if info else not task.prediction.nope
    local = bool(info.local) if info else not task.prediction.nope
    return SearchSpace(periodic=periodic, local=local, max_period=4, max_distance=2, constants=consts, moduli=moduli)


def _max_size(space: SearchSpace) -> int:
    return 14 if space.fragment == "C-RASP[]" else 12


def part_a(task: Any, budget: float, n0: int = 4, step: int = 2, n_max: int = 30) -> dict:
    """Search the task's own framing for growing n until the program passes the library checker.

    With periodic predicates the first try (moduli 2, 3, 4) gets 60% of the budget; if it stops on
    time or memory, a second try with moduli 2 and 4 (4 phases instead of 12) gets the rest."""
    t0, c0 = time.perf_counter(), time.process_time()
    attempts: list[dict] = []
    result: dict[str, Any] = {"status": "budget"}
    tries = [(None, 0.6), ((2, 4), 1.0)] if _space(task).periodic else [(None, 1.0)]
    for moduli, share in tries:
        if moduli is not None and result.get("status") not in ("memory", "timeout", "budget"):
            break
        space = _space(task, moduli)
        n = max(n0, task.min_length)
        while n <= n_max:
            left = share * budget - (time.perf_counter() - t0)
            if left <= 0.5:
                result = {"status": "budget"}
                break
            try:
                res = search_outputs(label_targets(task), n, max_size=_max_size(space), name=task.name, space=space,
                                     time_limit=left, max_bytes=1.5e9)
            except (TargetError, SearchError) as e:  # the probe set grew too large
                result = {"status": "probe too large", "error": str(e)}
                break
            statuses = {k: r.status for k, r in res.results.items()}
            att: dict[str, Any] = {"n": n, "moduli": list(space.periods()) or None, "statuses": statuses,
                                   "size": res.size, "seconds": round(res.seconds, 2)}
            attempts.append(att)
            if not res.found:
                bad = [s for s in statuses.values() if s != "found"]
                result = {"status": bad[0] if bad else "none"}
                break
            chk = check(res.program, task, **library.QUICK)
            att["check"] = chk.ok
            if chk.ok:
                result = {"status": "found", "n": n, "program": res.text, "size": res.size,
                          "fragment": res.program.info().fragment, "depth": res.program.info().depth,
                          "search_space": space.as_dict(),
                          "outputs": {k: {"expression": r.expression, "size": r.size} for k, r in res.results.items()}}
                break
            att["counterexample"] = str(chk.counterexample)
            n += step
        if result.get("status") == "found":
            break
    result["attempts"] = attempts
    result["seconds"] = round(time.perf_counter() - t0, 2)
    result["cpu_seconds"] = round(time.process_time() - c0, 2)
    return result


def part_b(task: Any, budget: float, n0: int = 4, step: int = 2, n_max: int = 16) -> dict:
    """Membership of every prefix on every word over the alphabet."""
    t0, c0 = time.perf_counter(), time.process_time()
    target = TaskMembershipTarget(task, "all")
    space = _space(task)
    k = len(task.alphabet)
    attempts = []
    result: dict[str, Any] = {"status": "budget"}
    n = n0
    while n <= n_max:
        if space.phases * sum(k**t for t in range(n + 1)) > 6000:
            result = {"status": "probe too large"}
            break
        left = budget - (time.perf_counter() - t0)
        if left <= 0.5:
            result = {"status": "budget"}
            break
        try:
            res = search(target, n, max_size=_max_size(space), space=space, time_limit=left, max_bytes=1.5e9)
        except (TargetError, SearchError) as e:
            result = {"status": "probe too large", "error": str(e)}
            break
        att = {"n": n, "status": res.status, "size": res.size, "seconds": round(res.seconds, 2),
               "completed_size": res.completed_size}
        attempts.append(att)
        if not res.found:
            result = {"status": res.status, "completed_size": res.completed_size}
            break
        acc = accuracy(res.program, target, 40, per_length=24)
        att["accuracy"] = acc.accuracy
        if acc.accuracy == 1.0:
            result = {"status": "found", "n": n, "program": res.text, "size": res.size, "fragment": res.fragment,
                      "expression": res.expression}
            break
        n += step
    result["attempts"] = attempts
    result["seconds"] = round(time.perf_counter() - t0, 2)
    result["cpu_seconds"] = round(time.process_time() - c0, 2)
    return result


def languages() -> list[str]:
    out = []
    for name in task_names():
        t = get_task(name)
        if t.kind in ("language", "counter") and t.prediction.ape:
            out.append(name)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget", type=float, default=60.0, help="seconds per language in part A (default 60)")
    ap.add_argument("--qualify-budget", type=float, default=600.0, help="seconds for languages with library size <= 8")
    ap.add_argument("--membership-budget", type=float, default=40.0, help="seconds per language in part B (default 40)")
    ap.add_argument("--languages", help="comma-separated subset")
    ap.add_argument("--no-membership", action="store_true", help="skip part B")
    ap.add_argument("--quick", action="store_true", help="5 s budgets, part A only")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "program_search.json"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.budget, args.membership_budget, args.no_membership = 5.0, 3.0, True
    names = args.languages.split(",") if args.languages else languages()
    t_start = time.perf_counter()
    load0 = os.getloadavg()
    rows = []
    print(f"{'language':<14} {'lib':>4} {'found':>6} {'n':>3} {'wall s':>7} {'cpu s':>6}  program")
    for name in names:
        task = get_task(name)
        lib = library.load(name)
        lib_size = lib.info().size if lib else None
        qualifies = lib_size is not None and lib_size <= QUALIFY
        a = part_a(task, args.qualify_budget if qualifies else args.budget)
        row: dict[str, Any] = {"language": name, "title": task.title, "figure_index": getattr(task, "figure_index", None),
                               "label_mode": task.label_mode, "prediction": {"ape": task.prediction.ape, "nope": task.prediction.nope},
                               "library_size": lib_size, "library_fragment": lib.info().fragment if lib else None,
                               "qualifies": qualifies, "task_framing": a}
        prog = (a.get("program") or "").strip().replace("\n", "; ")
        print(f"{name:<14} {lib_size!s:>4} {a.get('size')!s:>6} {a.get('n', '')!s:>3} {a['seconds']:>7.1f} {a['cpu_seconds']:>6.1f}  "
              f"{prog if a['status'] == 'found' else a['status']}", flush=True)
        if not args.no_membership and (qualifies or task.label_mode == "member"):
            b = part_b(task, args.membership_budget)
            row["membership"] = b
            print(f"{'  (all words)':<14} {'':>4} {b.get('size')!s:>6} {b.get('n', '')!s:>3} {b['seconds']:>7.1f} "
                  f"{b['cpu_seconds']:>6.1f}  {b.get('expression') if b['status'] == 'found' else b['status']}", flush=True)
        rows.append(row)
    total = time.perf_counter() - t_start
    summary = {
        "languages": len(rows),
        "found_task_framing": sum(r["task_framing"]["status"] == "found" for r in rows),
        "qualifying": [r["language"] for r in rows if r["qualifies"]],
        "qualifying_found": [r["language"] for r in rows if r["qualifies"] and r["task_framing"]["status"] == "found"],
        "smaller_than_library": [r["language"] for r in rows if r["task_framing"].get("size") is not None
                                 and r["library_size"] is not None and r["task_framing"]["size"] < r["library_size"]],
        "found_membership": sum(r.get("membership", {}).get("status") == "found" for r in rows),
        "total_seconds": round(total, 1),
    }
    out = {"machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                       "load_average_start": load0, "load_average_end": os.getloadavg()},
           "settings": {"budget": args.budget, "qualify_budget": args.qualify_budget, "membership_budget": args.membership_budget,
                        "qualify_library_size": QUALIFY},
           "summary": summary, "rows": rows}
    print(json.dumps(summary, indent=2))
    if not args.no_write:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
