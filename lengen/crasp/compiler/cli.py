"""``lengen crasp compile FILE [--check --max-len N] [--dtype float64|float32] [--ape] [--json]``.

Wiring: the ``lengen crasp`` parser calls ``add_compile_parser(sub)`` with its subparsers object.
Exit status: 0 (compiled; with --check: the check passed), 1 (the check found a mismatch), 2 (an
error: one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import torch

from ...cli_types import NATURAL, POSITIVE
from ..ast import Program
from ..errors import CRASPError
from .circuit import CompileError
from .compiled import compile


def _load_program(spec: str, vocab_task: str | None) -> Program:
    """A .crasp file (parsed against task ``vocab_task``'s vocabulary if given), or a library
    program by name (parsed against its own task's vocabulary)."""
    from pathlib import Path

    from .. import library
    from ..parser import parse

    p = Path(spec)
    if p.is_file():
        vocab = None
        if vocab_task:
            from lengen.tasks import get_task

            vocab = get_task(vocab_task).vocab.tokens
        return parse(p.read_text(encoding="utf-8"), vocab=vocab, name=str(p))
    if p.exists():
        raise FileNotFoundError(f"{spec} is not a file")
    known = library.names()
    if "/" not in spec and spec in known + [v for n in known for v in library.variants(n)]:
        prog = library.load(spec)
        if prog is not None:
            return prog
    raise FileNotFoundError(f"no such file: {spec} (nor a library program; the library has: {', '.join(known)})")


def cmd_compile(args: argparse.Namespace) -> int:
    """``lengen crasp compile``: compile, print the summary, optionally check against the interpreter."""
    try:
        from lengen.tasks import TaskError

        prog = _load_program(args.file, args.vocab_from_task)
        compiled = compile(prog, task=args.vocab_from_task)
        if args.max_len is not None and args.max_len < 1:
            raise CompileError("--max-len must be at least 1")
        dtype = {"float64": torch.float64, "float32": torch.float32}[args.dtype]
        target = compiled.to_ape(args.max_len) if args.ape else compiled
        result: dict[str, Any] = {"summary": target.summary_dict()}
        ok = True
        if args.check:
            n = args.max_len
            lengths = sorted({1, 2, 3, 5, 8, min(n, 40), min(n, 200), n} - {0})
            rep = target.verify(lengths=[m for m in lengths if m <= n], n_per_length=args.random, seed=args.seed,
                                dtype=dtype)
            result["check"] = rep.as_dict()
            ok = rep.ok
        if args.json:
            print(json.dumps(result, indent=2, default=str))
        else:
            print(target.summary())
            if args.check:
                print(rep.summary())
        return 0 if ok else 1
    except (CRASPError, TaskError, FileNotFoundError, PermissionError, UnicodeDecodeError, ValueError) as e:
        print(f"lengen crasp compile: error: {e}", file=sys.stderr)
        return 2


def add_compile_parser(crasp_subparsers: Any) -> argparse.ArgumentParser:
    """Add ``compile`` to the ``lengen crasp`` subcommands (``crasp_subparsers`` is the object
    returned by the crasp parser's ``add_subparsers()``); sets ``args.func``."""
    c = crasp_subparsers.add_parser(
        "compile",
        help="compile a program into a transformer and check it against the interpreter",
        description="Compile a C-RASP[periodic, local] program into a Limit Transformer (or, with --ape, an "
        "APE GPT for inputs up to --max-len) and, with --check, compare the model with the interpreter at "
        "every position of random inputs up to --max-len.  Exit status: 0 ok, 1 check failed, 2 error.",
    )
    c.add_argument("file", help="a .crasp file, or the name of a library program")
    c.add_argument("--check", action="store_true", help="compare with the interpreter (exit 1 on a mismatch)")
    c.add_argument("--max-len", type=POSITIVE, default=1000, help="longest checked input; with --ape the model's positions")
    c.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    c.add_argument("--random", type=POSITIVE, default=2, metavar="K", help="random inputs per checked length (default 2)")
    c.add_argument("--seed", type=NATURAL, default=0)
    c.add_argument("--ape", action="store_true", help="export to an APE GPT with --max-len positions and use that")
    c.add_argument("--vocab-from-task", metavar="T", help="compile for task T's vocabulary (and its output tokens)")
    c.add_argument("--json", action="store_true", help="print the summary (and check) as JSON")
    c.set_defaults(func=cmd_compile)
    return c
