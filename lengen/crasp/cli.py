"""The ``lengen crasp`` subcommands.

    lengen crasp run FILE --input "a b b a" [--vocab-from-task T] [--offset N] [--json]
    lengen crasp info FILE [--json]
    lengen crasp check FILE --task T [--max-len N] [--random N] [--seed S] [--json]

``FILE`` is a ``.crasp`` file, or the name of a program of the library (``sort``,
``unique_copy.nope``) when no such file exists.  ``run`` prints the trace table (``--json``: an
object mapping every definition to its list of values at positions 1..n, Booleans as true/false,
counts as integers); ``info`` prints the fragment, depth and size; ``check`` checks the program
against a task generator and exits with status 0 only if it passes (1 if it fails).

Errors (a malformed program, with its line and column; a missing file; a token outside the
vocabulary; an unknown task) print one line to stderr and return 2.

Wiring: ``add_crasp_parser(subparsers)`` adds the ``crasp`` command to an argparse parser; the
caller then runs ``args.func(args)``, which returns the exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

from ..cli_types import NATURAL, POSITIVE, int_at_least
from .ast import Program
from .errors import CRASPError


def _load(spec: str, vocab_task: str | None = None) -> Program:
    from . import library
    from .parser import parse

    vocab = None
    if vocab_task:
        from lengen.tasks import get_task

        vocab = get_task(vocab_task).vocab.tokens
    p = Path(spec)
    if p.exists():
        if p.is_dir():
            raise FileNotFoundError(f"{spec} is a directory, not a .crasp file")
        return parse(p.read_text(encoding="utf-8"), vocab=vocab, name=str(p))
    if "/" not in spec and not spec.endswith(".crasp"):
        text = library._read(spec)
        if text is not None:
            return parse(text, vocab=vocab, name=f"{spec}.crasp")
    known = ", ".join(library.names())
    raise FileNotFoundError(f"no such file: {spec} (nor a library program; the library has: {known})")


def _guard(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the expected errors into one line on stderr and exit status 2."""

    def run(args: argparse.Namespace) -> int:
        from lengen.tasks import TaskError

        try:
            return fn(args)
        except (CRASPError, TaskError, FileNotFoundError, IsADirectoryError, PermissionError, UnicodeDecodeError) as e:
            msg = str(e) if not isinstance(e, FileNotFoundError) or e.filename is None else f"no such file: {e.filename}"
            print(f"lengen crasp: error: {msg}", file=sys.stderr)
            return 2

    run.__name__ = fn.__name__
    run.__doc__ = fn.__doc__
    return run


def _dump(obj: Any) -> None:
    print(json.dumps(obj, indent=2))


@_guard
def cmd_run(args: argparse.Namespace) -> int:
    """Run a program on one input and print its trace."""
    from .traces import trace

    prog = _load(args.file, args.vocab_from_task)
    tokens = args.input.split()
    tr = trace(prog, tokens, offset=args.offset)
    if args.json:
        _dump(tr.to_json())
    else:
        print(tr.to_text(max_columns=args.max_columns, booleans=args.booleans))
    return 0


@_guard
def cmd_info(args: argparse.Namespace) -> int:
    """Print a program's fragment, depth and size."""
    prog = _load(args.file)
    info = prog.info()
    if args.json:
        _dump({"file": args.file, **info.as_dict()})
        return 0
    print(f"file:        {args.file}")
    print(f"fragment:    {info.fragment}")
    print(f"depth:       {info.depth}   (longest chain of nested counts)")
    print(f"size:        {info.size}   (core operations, references not counted)")
    print(f"definitions: {info.n_definitions}")
    outs = list(info.outputs)
    print(f"outputs:     {' '.join(outs[:12])}{' ...' if len(outs) > 12 else ''}" if outs else "outputs:     (none)")
    if info.moduli:
        print(f"moduli:      {' '.join(map(str, info.moduli))}")
    if info.max_distance is not None:
        print(f"max local distance: {info.max_distance}")
    return 0


@_guard
def cmd_check(args: argparse.Namespace) -> int:
    """Check a program against a task generator; exit status 0 only if it passes."""
    from lengen.tasks import get_task

    from .checker import check

    task = get_task(args.task)
    prog = _load(args.file, task.name)
    res = check(prog, task, max_len=args.max_len, n_random=args.random, seed=args.seed,
                exhaustive_len=args.exhaustive_len)
    if args.json:
        _dump(res.as_dict())
    else:
        print(res.summary())
    return 0 if res.ok else 1


def add_crasp_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``crasp`` command (with ``run``, ``info``, ``check``) to ``subparsers``, the object
    returned by ``parser.add_subparsers()``.  Each subcommand sets ``args.func``."""
    cr = subparsers.add_parser(
        "crasp",
        help="run, inspect and check C-RASP programs",
        description="C-RASP[periodic, local] programs: run them, measure them, check them against a task.",
    )
    sub = cr.add_subparsers(dest="crasp_command", metavar="{run,info,check,compile}")
    sub.required = True

    r = sub.add_parser("run", help="run a program on one input and print the trace")
    r.add_argument("file", help="a .crasp file, or the name of a library program")
    r.add_argument("--input", required=True, help='the input tokens, separated by spaces, e.g. "<bos> 0 1 1 <sep>"')
    r.add_argument("--vocab-from-task", metavar="T", help="check the program and the input against task T's vocabulary")
    r.add_argument("--offset", type=NATURAL, default=0, help="position offset for periodic predicates (default 0)")
    r.add_argument("--max-columns", type=int_at_least(2), default=40, help="elide the middle of longer inputs (default 40)")
    r.add_argument("--booleans", default="10", choices=["10", "TF"], help="how to print true/false")
    r.add_argument("--json", action="store_true", help="print {definition: [values at positions 1..n]}")
    r.set_defaults(func=cmd_run)

    i = sub.add_parser("info", help="fragment, depth and size of a program")
    i.add_argument("file", help="a .crasp file, or the name of a library program")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_info)

    c = sub.add_parser("check", help="check a program against a task generator (exit 0 iff it passes)")
    c.add_argument("file", help="a .crasp file, or the name of a library program")
    c.add_argument("--task", required=True, metavar="T")
    c.add_argument("--max-len", type=POSITIVE, default=500, help="longest random input (default 500)")
    c.add_argument("--random", type=NATURAL, default=200, help="number of random inputs (default 200)")
    c.add_argument("--exhaustive-len", type=NATURAL, default=12, help="longest exhaustively enumerated input (default 12)")
    c.add_argument("--seed", type=NATURAL, default=0)
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_check)
    from .compiler import add_compile_parser

    add_compile_parser(sub)
    return cr


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m lengen.crasp.cli ...``)."""
    parser = argparse.ArgumentParser(prog="lengen")
    add_crasp_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["crasp", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
