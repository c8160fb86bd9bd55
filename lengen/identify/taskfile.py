"""Task files for ``lengen predict --from-file``: a language given by a Python predicate.

Format
------
A Python file that defines two names at module level::

    # balanced.py -- more a's than b's in every prefix?  No: in the whole string.
    ALPHABET = "ab"                 # the symbols: a non-empty str of distinct single characters
                                    # (no whitespace; not '<' or '>')

    def label(s: str) -> bool:      # membership of the string s (any string over ALPHABET,
        return s.count("a") > s.count("b")   # including "") in the language

``label`` is called on every prefix of every input the search and the checks look at, so it
should be a pure function of ``s``; it must return a ``bool`` (``True``/``False``; ``None`` marks
an input as "don't care").  The file is executed as ordinary Python (only load files you trust).

Errors -- a missing file, a syntax error, a missing or malformed ``ALPHABET``, a missing
``label``, a ``label`` that does not take exactly one argument, an exception raised by ``label`` or
a result that is not a bool -- raise :class:`TaskFileError` with a one-line message.
"""

from __future__ import annotations

import inspect
import runpy
from pathlib import Path
from typing import Any, Callable

from .targets import PredicateTarget, TargetError


class TaskFileError(ValueError):
    """A task file that cannot be used (the message is one line)."""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def load_task_file(path: str | Path) -> PredicateTarget:
    """Load a task file (see the module docstring) as a :class:`~lengen.identify.targets.PredicateTarget`,
    after calling ``label`` on a few short strings to catch errors early."""
    p = Path(path)
    if not p.exists():
        raise TaskFileError(f"no such task file: {p}")
    if p.is_dir():
        raise TaskFileError(f"{p} is a directory, not a Python task file")
    try:
        ns = runpy.run_path(str(p), run_name="lengen_task_file")
    except SyntaxError as e:
        raise TaskFileError(f"{p}: syntax error at line {e.lineno}: {_one_line(e.msg)}") from None
    except Exception as e:  # noqa: BLE001 - the user's module failed to run
        raise TaskFileError(f"{p}: running the file raised {type(e).__name__}: {_one_line(str(e))}") from None
    if "ALPHABET" not in ns:
        raise TaskFileError(f'{p}: the file does not define ALPHABET (e.g. ALPHABET = "ab")')
    alphabet = ns["ALPHABET"]
    if not isinstance(alphabet, str):
        raise TaskFileError(f"{p}: ALPHABET must be a str of single-character symbols, got {type(alphabet).__name__}")
    if not alphabet:
        raise TaskFileError(f"{p}: ALPHABET is empty")
    if len(set(alphabet)) != len(alphabet):
        raise TaskFileError(f"{p}: ALPHABET has a repeated symbol ({alphabet!r})")
    bad = [c for c in alphabet if c.isspace() or c in "<>"]
    if bad:
        raise TaskFileError(f"{p}: ALPHABET may not contain whitespace or '<'/'>' ({alphabet!r})")
    if "label" not in ns:
        raise TaskFileError(f"{p}: the file does not define a function label(s: str) -> bool")
    fn = ns["label"]
    if not callable(fn):
        raise TaskFileError(f"{p}: label is not a function (it is a {type(fn).__name__})")
    _check_signature(p, fn)
    target = PredicateTarget(fn, alphabet, name=p.name)
    for s in ["", *alphabet, alphabet * 2, alphabet[::-1] * 3]:
        try:
            target.label(tuple(s))
        except TargetError as e:
            raise TaskFileError(_one_line(str(e))) from None
    return target


def _check_signature(p: Path, fn: Callable[..., Any]) -> None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # a builtin without a signature: trust it and catch errors when calling
    params = list(sig.parameters.values())
    positional = [q for q in params if q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD)]
    required = [q for q in positional if q.default is q.empty]
    var = any(q.kind == q.VAR_POSITIONAL for q in params)
    kw_required = [q for q in params if q.kind == q.KEYWORD_ONLY and q.default is q.empty]
    if kw_required or len(required) > 1 or (not positional and not var):
        raise TaskFileError(f"{p}: label must take exactly one argument, the string (label(s: str) -> bool); it is label{sig}")
