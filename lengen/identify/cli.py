"""``lengen predict``: search for a program, check it on longer inputs, state the theory's prediction.

    lengen predict TASK [--fragment periodic,local] [--max-size K] [--n N] [--max-n N]
                        [--domain all|language] [--json] ...
    lengen predict --from-file my_language.py [...]

TASK is one of lengen's languages (the target is membership of every prefix, ``task.accepts``;
``--domain language`` restricts the inputs to prefixes of strings of the language) or a two-valued
algorithmic task (``parity``, ``bin_majority``).  ``--from-file`` reads a task file: a Python file
defining ``ALPHABET = "ab"`` and ``def label(s: str) -> bool`` (membership of the string s); see
:mod:`lengen.identify.taskfile`.

What it does: the idealized learner (:func:`lengen.identify.search.search`) looks for the least
complex program of the fragment with at most ``--max-size`` operations that agrees with the target
on every input up to length n; the program is then checked on inputs up to ``--check-len``
(default max(4n, 40)) with lengen's interpreter.  If the check fails, n grows (by 2, up to
``--max-n``), as in identification in the limit.  Output:

* a program that passes: the program, and "the theory predicts length generalization with APE"
  (a program in C-RASP[periodic, local]) -- "and with NoPE" when the program (or a second search
  restricted to C-RASP[] with the same bound) is in C-RASP[];
* none up to the bound: "no program up to size K", with the communication evidence
  (:mod:`lengen.identify.communication`): the distinct rows of the communication matrix for
  growing lengths, and what their growth does and does not prove.

Errors (unknown task, bad task file, a label function that raises) print one line to stderr and
exit with status 2.  Wiring: ``add_predict_parser(subparsers)`` adds the command; ``args.func(args)``
runs it and returns the exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..cli_types import NATURAL, POSITIVE, POSITIVE_NUMBER

PROG = "lengen predict"


def _parse_ints(text: str | None, what: str) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        vals = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ValueError(f"{what} must be a comma-separated list of integers, got {text!r}") from None
    if not vals:
        raise ValueError(f"{what} is empty")
    return vals


def auto_n(target: Any, phases: int = 1, limit: int = 4096, lo: int = 3, hi: int = 12) -> int:
    """The largest n in [lo, hi] whose probe set (all words up to length n, at ``phases`` offsets)
    has at most ``limit`` positions (at least ``lo``)."""
    k = len(target.alphabet)
    n = lo
    while n < hi and phases * sum(k**t for t in range(n + 2)) <= limit:
        n += 1
    return n


def _build_target(args: argparse.Namespace) -> Any:
    from .targets import task_target
    from .taskfile import load_task_file

    if args.from_file:
        if args.task:
            raise ValueError("give either a task name or --from-file, not both")
        return load_task_file(args.from_file)
    if not args.task:
        raise ValueError("give a task name (see 'lengen tasks') or --from-file PATH")
    return task_target(args.task, args.domain)


def run_predict(args: argparse.Namespace) -> dict:
    """The work of ``lengen predict`` as a JSON-ready dict (raises on errors)."""
    from .communication import communication_profile, growth, target_function
    from .identification import accuracy
    from .search import SearchSpace, parse_fragment, search

    target = _build_target(args)
    periodic, local = parse_fragment(args.fragment)
    moduli = _parse_ints(args.moduli, "--moduli")
    constants = _parse_ints(args.constants, "--constants") or (0, 1, 2)
    if args.max_size < 1:
        raise ValueError("--max-size must be at least 1")
    space = SearchSpace(periodic=periodic, local=local, max_period=args.max_period, max_distance=args.max_distance,
                        constants=constants, moduli=moduli)
    n = args.n or auto_n(target, space.phases)
    max_n = max(n, args.max_n or n + 4)
    out: dict[str, Any] = {"target": target.name, "alphabet": list(target.alphabet), "fragment": space.fragment,
                           "search_space": space.as_dict(), "max_size": args.max_size, "attempts": []}
    found = None
    while True:
        res = search(target, n, max_size=args.max_size, space=space, time_limit=args.time_limit)
        attempt: dict[str, Any] = {"n": n, "status": res.status, "program": res.text, "size": res.size,
                                   "seconds": round(res.seconds, 2), "completed_size": res.completed_size}
        out["attempts"].append(attempt)
        if not res.found:
            break
        check_len = args.check_len or max(4 * n, 40)
        acc = accuracy(res.program, target, check_len, per_length=args.check_per_length, seed=args.seed)  # type: ignore[arg-type]
        attempt["check"] = acc.as_dict()
        if acc.accuracy == 1.0:
            found = (res, acc)
            break
        if n + 2 > max_n:
            break
        n += 2
    last = out["attempts"][-1]
    out["n"] = last["n"]
    if found is not None:
        res, acc = found
        out.update(status="found", program=res.text, size=res.size, program_fragment=res.fragment, check=acc.as_dict())
        nope = res.fragment == "C-RASP[]"
        nope_note = None
        if not nope and space.fragment != "C-RASP[]":
            r0 = search(target, res.n, max_size=args.max_size, time_limit=args.time_limit,
                        space=SearchSpace(constants=constants))
            if r0.found:
                a0 = accuracy(r0.program, target, max(4 * res.n, 40), per_length=args.check_per_length, seed=args.seed)  # type: ignore[arg-type]
                nope = a0.accuracy == 1.0
                out["nope_program"] = r0.text
                nope_note = None if nope else "the least C-RASP[] program consistent up to n fails on longer inputs"
            else:
                nope_note = f"no C-RASP[] program up to size {args.max_size} ({r0.status})"
        if nope:
            statement = "the theory predicts length generalization with APE and with NoPE (the program is in C-RASP[])"
        elif space.fragment == "C-RASP[]":
            statement = "the theory predicts length generalization with NoPE (and with APE)"
        else:
            statement = (f"the theory predicts length generalization with APE (a program in {res.fragment}); "
                         f"not with NoPE: {nope_note}")
        out["prediction"] = {"ape": True, "nope": bool(nope), "statement": statement}
    else:
        st = last["status"]
        if st == "found":
            out["status"] = "unsettled"
            statement = (f"the least program consistent up to length {last['n']} fails on longer inputs; no prediction "
                         f"(raise --max-n or --max-size)")
        else:
            out["status"] = "none"
            bound = args.max_size if st == "exhausted" else last["completed_size"]
            statement = f"no program up to size {bound} in {space.fragment}" + (f" (search stopped: {st})" if st != "exhausted" else "")
        fn = target_function(target)
        k = len(target.alphabet)
        ns = [m for m in range(2, 17, 2) if k**m <= args.comm_limit]
        pts = communication_profile(fn, ns, exhaustive_limit=args.comm_limit)
        out["communication"] = {"points": [p.as_dict() for p in pts], "growth": growth(pts)}
        out["prediction"] = {"ape": None if st == "found" else False, "nope": None if st == "found" else False,
                             "statement": statement}
    return out


def _print_text(out: dict) -> None:
    print(f"target: {out['target']} over {{{', '.join(out['alphabet'])}}}; fragment {out['fragment']}, "
          f"programs up to size {out['max_size']}")
    for a in out["attempts"]:
        line = f"  n = {a['n']}: {a['status']}"
        if a.get("size") is not None:
            line += f", size {a['size']}"
        if "check" in a:
            c = a["check"]
            line += f", check up to length {c['max_len']}: {100 * c['accuracy']:.1f}% of {c['strings']} strings"
        print(line + f" ({a['seconds']} s)")
    if out["status"] == "found":
        print("\nprogram:")
        for line in out["program"].splitlines():
            print("  " + line)
        print(f"size {out['size']}, {out['program_fragment']}")
        if out.get("nope_program") and not out["prediction"]["nope"]:
            print("least C-RASP[] program consistent up to n (fails on longer inputs):")
            print("  " + out["nope_program"].strip())
    print("\n" + out["prediction"]["statement"])
    if "communication" in out:
        c = out["communication"]
        print("\ncommunication evidence (Alice holds the first half, Bob the second; distinct rows of the matrix):")
        print("  " + "  ".join(f"n={p['n']}: {p['rows']}{'' if p['exact'] else '+'}" for p in c["points"]))
        print(f"  growth: {c['growth']}")
        if c["growth"] == "exponential":
            print("  exponential growth rules out a C-RASP[periodic, local] program of any size (Theorem 12:"
                  " programs have logarithmic communication)")
        else:
            print("  polynomial or bounded growth is what a program would give, but does not prove that one exists"
                  " (parity needs one bit and has none)")


def cmd_predict(args: argparse.Namespace) -> int:
    """Run ``lengen predict``; errors give one line on stderr and status 2."""
    from lengen.tasks import TaskError

    from .search import SearchError
    from .targets import TargetError
    from .taskfile import TaskFileError

    try:
        out = run_predict(args)
    except (TaskFileError, TargetError, SearchError, TaskError, ValueError) as e:
        print(f"{PROG}: error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        _print_text(out)
    return 0


def add_predict_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``predict`` command to ``subparsers`` (from ``parser.add_subparsers()``); it sets
    ``args.func`` to :func:`cmd_predict`, which returns the exit status."""
    p = subparsers.add_parser(
        "predict",
        help="search for a C-RASP program for a task and state the theory's prediction",
        description="Search the least complex C-RASP program consistent with a task on all short inputs, check it on "
                    "longer ones, and state whether the theory predicts length generalization (APE / NoPE).",
    )
    p.add_argument("task", nargs="?", help="a lengen task (a language, parity or bin_majority)")
    p.add_argument("--from-file", metavar="PATH",
                   help='a Python file defining ALPHABET = "ab" and def label(s: str) -> bool (membership of s)')
    p.add_argument("--fragment", default="periodic,local",
                   help="periodic,local (default), periodic, local, or none (C-RASP[])")
    p.add_argument("--max-size", type=POSITIVE, default=8, help="largest program size, in core operations (default 8)")
    p.add_argument("--n", type=NATURAL, default=0, help="inputs up to this length are seen (default: the largest n with at most 4096 probe positions)")
    p.add_argument("--max-n", type=NATURAL, default=0, help="grow n up to this while the program fails longer inputs (default n + 4)")
    p.add_argument("--domain", choices=["all", "language"], default="all",
                   help="inputs: every word (default) or prefixes of strings of the language (lengen languages only)")
    p.add_argument("--max-period", type=POSITIVE, default=4, help="periodic predicates i %% m == r for m = 2..M (default 4)")
    p.add_argument("--moduli", help="explicit moduli instead of 2..M, e.g. 2,4")
    p.add_argument("--max-distance", type=NATURAL, default=2, help="local counts up to distance K (default 2)")
    p.add_argument("--constants", help="integer constants (default 0,1,2)")
    p.add_argument("--check-len", type=NATURAL, default=0, help="check the program on inputs up to this length (default max(4n, 40))")
    p.add_argument("--check-per-length", type=POSITIVE, default=32, help="random test strings per length (default 32)")
    p.add_argument("--time-limit", type=POSITIVE_NUMBER, default=120.0, help="seconds per search (default 120)")
    p.add_argument("--comm-limit", type=POSITIVE, default=1 << 14, help="largest communication matrix computed exactly (entries)")
    p.add_argument("--seed", type=NATURAL, default=0)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_predict)
    return p
