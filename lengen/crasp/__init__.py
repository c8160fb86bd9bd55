"""C-RASP[periodic, local]: a small language for what length-generalizing transformers compute.

C-RASP (Yang & Chiang 2024) is a straight-line language of Boolean and count definitions over a
string; Huang et al. (ICLR 2025) add periodic positional predicates and local counts, and predict
that a task length-generalizes with learned absolute positions (APE) when it has a program in
C-RASP[periodic, local], and without positions (NoPE) when it has one in plain C-RASP[].

>>> from lengen.crasp import parse
>>> prog = parse('''
... ones   := #[j <= i] Q(1)          // how many 1s at positions 1..i
... zeros  := #[j <= i] Q(0)
... next_1 := Q(<sep>) and ones > zeros
... next_0 := Q(<sep>) and zeros > ones
... ''')
>>> prog.info().fragment
'C-RASP[]'
>>> prog.trace("<bos> 1 0 1 <sep>").row("next_1")
[False, False, False, False, True]

The core language (after desugaring; see :mod:`lengen.crasp.ast` for the node list and
:mod:`lengen.crasp.parser` for the grammar and precedence)
------------------------------------------------------------------------------------------------
Positions are **1-based**: position 1 is the first token.  Every definition is a Boolean or a
count (an integer) at each position i.

* Booleans: ``Q(a)`` (the token at i is a), ``true``, ``false``, ``not P``, ``P and P``,
  ``P or P``, ``C op C`` with op in ``< <= == != > >=``, and the periodic predicate
  ``i % m == r`` (m >= 1, 0 <= r < m).
* Counts: ``#[j <= i] P`` = the number of positions j in 1..i at which P holds;
  ``#[j <= i, j == i - k] P`` (1 if P holds at i - k, else 0) and ``#[j <= i, i - j <= k] P``
  (the number of j in max(1, i - k)..i with P) are the local counts; ``C + C``, ``C - C``,
  ``k * C``, integer constants, and ``P ? C : C``.
* Inside ``#[j <= i] P``, P is evaluated at the counted position j; a periodic predicate there is
  written ``j % m == r`` and tests j.  Every definition is a function of one position, so a
  named definition used inside a count body is evaluated at j.
* Sugar: ``exists[...] P`` (= ``#[...] P >= 1``), ``forall[...] P`` (= ``#[...] (not P) == 0``),
  ``C * k``, ``-C``, ``pos % m != r``, chains of and/or.
* Periodic predicates use absolute positions: the interpreter's ``offset`` o makes position p of
  the string the absolute position o + p.  Training uses random offsets, so a program that needs
  the phase of the string must find it itself, e.g.
  ``b0 := exists[j <= i] (Q(<bos>) and j % 2 == 0)`` ("``<bos>`` stands at an even absolute
  position").  (A task example at lengen's training offset o has model position ids o, o + 1,
  ...; with ``offset=o`` the program sees o + 1, o + 2, ...: the same phases shifted by one,
  which does not matter to a program that locates ``<bos>``.)
* Fragments: C-RASP[] (no periodic predicates, no local counts), C-RASP[periodic],
  C-RASP[local], C-RASP[periodic, local].

Output conventions (what :func:`check` reads)
----------------------------------------------
* **Algorithmic tasks** (``<bos> input <sep> output <eos>``, language-modelling framing): a
  Boolean definition ``next_<token>`` per possible next token -- ``next_1``, ``next_a``,
  ``next_17``, ``next_<eos>`` -- states at each position which token comes next (the NEXT_a of
  the paper).  At every supervised position exactly the target token's ``next_`` definition must
  hold; a token without a ``next_`` definition never holds.
* **Formal languages with legal-next labels** (``[01]``, ``[-1]``, ``[ab-d]``, ...): the same
  ``next_<symbol>`` definitions, one per alphabet symbol, state whether the symbol may come next;
  the label is assembled from them in alphabet order (``-`` for a symbol whose ``next_`` is false
  or missing), so the program reads exactly like the paper's NEXT_a.
  Where the labels have an extra end column (the counter languages' ``$``: "the string may end
  here"), that column is read from ``accept``.
* **Formal languages with membership labels** (``[in]``/``[out]``): a Boolean definition
  ``accept`` that holds when the prefix read so far (up to and including position i) is in the
  language.
* Names may contain an angle-bracketed token after an underscore (``next_<eos>``), or a quoted
  one for tokens that are not words (``next_")"``); the token after ``next_`` must be written
  exactly as in the vocabulary.

Main entry points
-----------------
:func:`parse`, :func:`load_file`, :func:`info`, :func:`evaluate`, :func:`evaluate_ragged`,
:func:`run`, :func:`trace`, :func:`check`; the program library in :mod:`lengen.crasp.library`;
the ``lengen crasp`` command line in :mod:`lengen.crasp.cli`.
"""

from __future__ import annotations

from .ast import (
    ALL,
    FRAGMENTS,
    Add,
    And,
    BoolConst,
    BoolExpr,
    BoolRef,
    Compare,
    Cond,
    Count,
    CountConst,
    CountExpr,
    CountRef,
    Definition,
    Node,
    Not,
    Or,
    Periodic,
    Program,
    ProgramInfo,
    Relation,
    Scale,
    Sub,
    Token,
    Type,
    format_expr,
    fragment_contains,
    shift,
    window,
)
from .errors import (
    CRASPError,
    CRASPSyntaxError,
    CRASPTypeError,
    DuplicateDefinitionError,
    UnknownNameError,
    UseBeforeDefinitionError,
    VocabularyError,
)
from .interpreter import encode, evaluate, evaluate_ragged, run
from .parser import load_file, parse
from .traces import Trace, trace
from .checker import CheckResult, Counterexample, check


def info(program: Program | str) -> ProgramInfo:
    """Fragment, depth and size of a program (a :class:`Program` or program text)."""
    if isinstance(program, str):
        program = parse(program)
    return program.info()


__all__ = [
    "ALL", "FRAGMENTS", "Add", "And", "BoolConst", "BoolExpr", "BoolRef", "CRASPError", "CRASPSyntaxError",
    "CRASPTypeError", "CheckResult", "Compare", "Cond", "Count", "CountConst", "CountExpr", "CountRef",
    "Counterexample", "Definition", "DuplicateDefinitionError", "Node", "Not", "Or", "Periodic", "Program",
    "ProgramInfo", "Relation", "Scale", "Sub", "Token", "Trace", "Type", "UnknownNameError",
    "UseBeforeDefinitionError", "VocabularyError", "check", "encode", "evaluate", "evaluate_ragged",
    "format_expr", "fragment_contains", "info", "load_file", "parse", "run", "shift", "trace", "window",
]
