"""Checking a program against a task generator, in the task's own output framing.

:func:`check` runs a program on the task's examples and compares, at every supervised position,
what the program outputs with the task's target:

* **algorithmic tasks**: at each supervised position t the ``next_<token>`` definitions that
  hold must be exactly ``{targets[t]}`` (so exactly one holds, the right one);
* **languages with legal-next labels** (``[01]``, ``[(-]``, ``[ab--]``, ...): the label assembled
  from the ``next_<symbol>`` definitions (one column per alphabet symbol, ``-`` where false) must
  equal the target label.  Where the label has an extra end column (the counter languages'
  ``$``), that column is the definition ``accept`` ("the prefix is in the language");
* **languages with membership labels** (``[in]``/``[out]``): ``accept`` must hold exactly where
  the target is ``[in]``.

Example ``inputs[t]`` (0-based) is the program's position ``t + 1``.  Inputs come from two
sources: every input up to a small length (exhaustive, where the alphabet is small enough), and
random examples from ``task.example(rng, n)`` with lengths up to ``max_len`` (lengths above the
task's ``max_length`` are passed directly).  Each random example gets a random position offset
(used by periodic predicates), and the exhaustive inputs are run at every phase the program's
moduli can distinguish.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .ast import ACCEPT, OUTPUT_PREFIX, Program, Type, output_name
from .errors import CRASPError, VocabularyError
from .interpreter import evaluate

#: How many inputs the exhaustive part may enumerate (per check, before phases).
EXHAUSTIVE_BUDGET = 20_000


@dataclass
class Counterexample:
    """The first input at which the program disagrees with the task.

    ``position`` is 1-based (the program's convention; ``inputs[position - 1]`` is the token
    there), ``expected`` the task's target there, ``got`` what the program says: the tokens whose
    ``next_`` definitions hold (algorithmic tasks) or the assembled label (languages).
    """

    inputs: list[str]
    offset: int
    position: int
    expected: str
    got: str
    length: int

    def as_dict(self) -> dict:
        return {
            "inputs": self.inputs,
            "offset": self.offset,
            "position": self.position,
            "token": self.inputs[self.position - 1],
            "expected": self.expected,
            "got": self.got,
            "length": self.length,
        }

    def __str__(self) -> str:
        toks = self.inputs
        shown = " ".join(toks) if len(toks) <= 40 else " ".join(toks[:20]) + " ... " + " ".join(toks[-15:])
        return (
            f"on {shown!r} (length {self.length}, offset {self.offset}) at position {self.position} "
            f"(token {toks[self.position - 1]!r}): expected {self.expected}, got {self.got}"
        )


@dataclass
class CheckResult:
    """Outcome of :func:`check`.  ``bool(result)`` is ``result.ok``."""

    ok: bool
    task: str
    program: str | None
    fragment: str
    n_inputs: int
    n_exhaustive: int
    n_random: int
    n_positions: int
    exhaustive_max_len: int
    max_len: int
    counterexample: Counterexample | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def __bool__(self) -> bool:
        return self.ok

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "task": self.task,
            "program": self.program,
            "fragment": self.fragment,
            "inputs_checked": self.n_inputs,
            "exhaustive_inputs": self.n_exhaustive,
            "exhaustive_max_len": self.exhaustive_max_len,
            "random_inputs": self.n_random,
            "max_len": self.max_len,
            "positions_checked": self.n_positions,
            "counterexample": self.counterexample.as_dict() if self.counterexample else None,
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        head = (
            f"{'ok' if self.ok else 'FAILED'}: {self.program or 'program'} on {self.task}: "
            f"{self.n_inputs} inputs ({self.n_exhaustive} exhaustive up to length {self.exhaustive_max_len}, "
            f"{self.n_random} random up to length {self.max_len}), {self.n_positions} positions checked"
        )
        if self.counterexample:
            head += f"\ncounterexample: {self.counterexample}"
        for n in self.notes:
            head += f"\nnote: {n}"
        return head

    __str__ = summary


# ---------------------------------------------------------------------------------------------
# Framings: how a task's target at a position is compared with the program's outputs


class _Framing:
    """Compares targets with program outputs on a batch (arrays of shape (B, T))."""

    def judge(self, values: dict[str, np.ndarray], targets: list[list[str | None]]) -> tuple[np.ndarray, np.ndarray]:
        """(supervised mask, correct mask), both (B, T)."""
        raise NotImplementedError

    def got(self, values: dict[str, np.ndarray], b: int, t: int) -> str:
        raise NotImplementedError


class _NextTokens(_Framing):
    """Algorithmic tasks: exactly the target's ``next_`` definition holds."""

    def __init__(self, program: Program) -> None:
        self.outputs = program.outputs(OUTPUT_PREFIX)  # token -> name
        self.tokens = list(self.outputs)

    def judge(self, values, targets):  # type: ignore[no-untyped-def]
        B, T = len(targets), len(targets[0])
        index = {tok: k for k, tok in enumerate(self.tokens)}
        tidx = np.full((B, T), -2, dtype=np.int64)  # -2: unsupervised, -1: target without a next_ definition
        for b, row in enumerate(targets):
            for t, y in enumerate(row):
                if y is not None:
                    tidx[b, t] = index.get(y, -1)
        n_hold = np.zeros((B, T), dtype=np.int64)
        target_holds = np.zeros((B, T), dtype=bool)
        for k, tok in enumerate(self.tokens):
            h = values[self.outputs[tok]]
            n_hold += h
            target_holds |= h & (tidx == k)
        sup = tidx != -2
        return sup, sup & target_holds & (n_hold == 1)

    def got(self, values, b, t):  # type: ignore[no-untyped-def]
        hold = [tok for tok in self.tokens if values[self.outputs[tok]][b, t]]
        if not hold:
            return "no next_ definition holds"
        return "next_ holds for " + ", ".join(repr(h) for h in hold)


class _Labels(_Framing):
    """Languages: a label assembled from ``next_<symbol>`` columns (and ``accept`` for an end
    column), or ``accept`` alone for membership labels."""

    def __init__(self, program: Program, columns: list[str | None], make_label: Callable[[list[bool]], str]) -> None:
        # columns: alphabet symbols, or None for the end column (read from `accept`)
        outs = program.outputs(OUTPUT_PREFIX)
        self.names = [outs.get(c) if c is not None else (ACCEPT if ACCEPT in program else None) for c in columns]
        self.code_of: dict[str, int] = {}
        self.label_of: dict[int, str] = {}
        for bits in itertools.product((False, True), repeat=len(columns)):
            code = sum(1 << k for k, on in enumerate(bits) if on)
            lab = make_label(list(bits))
            self.code_of[lab] = code
            self.label_of[code] = lab

    def codes(self, values: dict[str, np.ndarray], shape: tuple[int, int]) -> np.ndarray:
        code = np.zeros(shape, dtype=np.int64)
        for k, name in enumerate(self.names):
            if name is not None:
                code |= values[name].astype(np.int64) << k
        return code

    def judge(self, values, targets):  # type: ignore[no-untyped-def]
        B, T = len(targets), len(targets[0])
        expected = np.full((B, T), -2, dtype=np.int64)
        for b, row in enumerate(targets):
            for t, y in enumerate(row):
                if y is not None:
                    expected[b, t] = self.code_of.get(y, -1)
        sup = expected != -2
        return sup, sup & (self.codes(values, (B, T)) == expected)

    def got(self, values, b, t):  # type: ignore[no-untyped-def]
        code = 0
        for k, name in enumerate(self.names):
            if name is not None and values[name][b, t]:
                code |= 1 << k
        return self.label_of[code]


def _framing(program: Program, task: Any) -> _Framing:
    vocab = set(task.vocab.tokens)
    bad = [t for t in program.tokens if t not in vocab]
    if bad:
        raise VocabularyError(
            f"the program tests token(s) {', '.join(map(repr, bad))} that task {task.name!r} never produces "
            f"(its tokens: {' '.join(task.vocab.tokens[:40])}{' ...' if len(task.vocab) > 40 else ''})"
        )
    if task.kind == "algorithmic":
        outs = program.outputs(OUTPUT_PREFIX)
        bad = [t for t in outs if t not in vocab]
        if bad:
            raise VocabularyError(
                f"output definition(s) {', '.join(outs[t] for t in bad)} name tokens outside the vocabulary of {task.name!r}"
            )
        if not outs:
            raise CRASPError(
                f"the program has no output definitions: for the algorithmic task {task.name!r} define "
                f"next_<token> Booleans, e.g. {output_name(task.vocab.tokens[-1])}"
            )
        return _NextTokens(program)
    mode = getattr(task, "label_mode", None)
    alphabet = list(getattr(task, "alphabet", ()))
    if mode == "member":
        from lengen.tasks.languages import IN, OUT

        if ACCEPT not in program or program[ACCEPT].type is not Type.BOOL:
            raise CRASPError(f"task {task.name!r} has membership labels: define the Boolean 'accept'")
        return _Labels(program, [None], lambda bits: IN if bits[0] else OUT)
    if mode == "next":
        from lengen.tasks.languages import legal_next_label

        labels = [t for t in task.label_tokens]
        width = {len(t) - 2 for t in labels}
        outs = program.outputs(OUTPUT_PREFIX)
        bad = [t for t in outs if t not in alphabet]
        if bad:
            raise VocabularyError(
                f"output definition(s) {', '.join(outs[t] for t in bad)} name tokens outside the alphabet of "
                f"{task.name!r} ({' '.join(alphabet)})"
            )
        if width == {len(alphabet)}:
            return _Labels(program, list(alphabet), lambda bits: legal_next_label(alphabet, bits))
        if width == {len(alphabet) + 1}:  # an end column, e.g. '$' of the counter languages
            end = next((lab[-2] for lab in labels if lab[-2] != "-"), "$")
            if ACCEPT not in program:
                raise CRASPError(f"task {task.name!r} has an end column {end!r} in its labels: define the Boolean 'accept'")
            cols: list[str | None] = [*alphabet, None]
            return _Labels(program, cols, lambda bits: legal_next_label([*alphabet, end], bits))
        raise CRASPError(f"cannot read the labels of task {task.name!r} ({' '.join(labels)})")
    raise CRASPError(f"don't know how to read the outputs of task {task.name!r} (kind {task.kind!r})")


# ---------------------------------------------------------------------------------------------
# Inputs


def _exhaustive(task: Any, max_len: int, all_words: bool, budget: int) -> tuple[list[Any], int]:
    """All examples up to the largest length whose enumeration fits the budget."""
    from lengen.tasks.base import BOS, Example, TaskError

    examples: list[Any] = []
    if task.kind == "algorithmic":
        from lengen.tasks.algorithmic import AlgorithmicTask

        if type(task).make_example is not AlgorithmicTask.make_example:
            return [], 0  # a task with its own framing (addition): random inputs only
        symbols = list(task.symbols)
        distinct = task.name in ("sort", "unique_copy")  # their inputs are distinct tokens
    else:
        symbols = list(task.alphabet)
        distinct = False
    total, last = 0, 0
    for n in range(0, max_len + 1):
        size = math.perm(len(symbols), n) if distinct else len(symbols) ** n
        if total + size > budget:
            break
        total += size
        if n < max(task.min_length, 0 if all_words else 1) or (not all_words and not task.feasible(n)):
            continue
        words = itertools.permutations(symbols, n) if distinct else itertools.product(symbols, repeat=n)
        for w in words:
            w = list(w)
            if task.kind == "algorithmic":
                try:
                    y = task.answer(w)
                except TaskError:
                    continue  # outside the task's support (e.g. a majority tie)
                examples.append(task.make_example(w, y, n))
            else:
                if not all_words and not task.accepts(w):
                    continue
                examples.append(Example(inputs=[BOS, *w], targets=list(task.labels(w)), length=n))
        last = n
    return examples, last


def _random(task: Any, rng: np.random.Generator, n_random: int, max_len: int, notes: list[str]) -> tuple[list[Any], int]:
    from lengen.tasks.base import TaskError

    lengths = [n for n in range(max(task.min_length, 1), max_len + 1) if task.feasible(n)]
    if not lengths or n_random <= 0:
        return [], 0
    k = min(len(lengths), max(1, n_random // 8))
    chosen = sorted(set(rng.choice(lengths, size=k, replace=False).tolist()) | {lengths[-1]})
    per = [n_random // len(chosen) + (1 if i < n_random % len(chosen) else 0) for i in range(len(chosen))]
    examples: list[Any] = []
    refused: list[int] = []
    for n, m in zip(chosen, per):
        for _ in range(m):
            try:
                examples.append(task.example(rng, int(n)))
            except TaskError:
                refused.append(int(n))
                break
    if refused:
        notes.append(f"task.example refused length(s) {', '.join(map(str, sorted(set(refused))))}")
    return examples, max((e.length for e in examples), default=0)


def _lcm(xs: Sequence[int]) -> int:
    out = 1
    for x in xs:
        out = out * x // math.gcd(out, x)
    return out


# ---------------------------------------------------------------------------------------------


def check(
    program: Program | str,
    task: Any,
    max_len: int = 500,
    n_random: int = 200,
    seed: int = 0,
    exhaustive_len: int = 12,
    all_words: bool = False,
    max_offset: int = 300,
    budget: int = EXHAUSTIVE_BUDGET,
) -> CheckResult:
    """Check ``program`` against ``task`` (a :class:`~lengen.tasks.base.Task` or its name).

    * exhaustive: every input of length up to ``exhaustive_len`` (as far as ``budget`` inputs
      allow), at every offset 0 .. lcm(moduli) - 1 of the program's periodic predicates;
      for languages, every string *of the language* (``all_words=True``: every word over the
      alphabet, with the task's labels for dead prefixes too);
    * random: ``n_random`` examples from ``task.example`` with lengths up to ``max_len``, each at a
      random offset in [0, ``max_offset``].

    Returns a :class:`CheckResult` with the first counterexample, if any.  Raises
    :class:`~lengen.crasp.errors.VocabularyError` if the program tests tokens the task never
    produces, and :class:`~lengen.crasp.errors.CRASPError` if it lacks the output definitions
    the task's framing reads.
    """
    from lengen.tasks import get_task

    t0 = time.perf_counter()
    if isinstance(task, str):
        task = get_task(task)
    if isinstance(program, str):
        from .parser import parse

        program = parse(program)
    framing = _framing(program, task)
    info = program.info()
    rng = np.random.default_rng(seed)
    notes: list[str] = []

    exh, exh_len = _exhaustive(task, exhaustive_len, all_words, budget)
    phases = _lcm(info.moduli)
    batches: list[tuple[list[Any], list[int]]] = []
    for off in range(phases):
        batches.append((exh, [off] * len(exh)))
    rnd, rnd_len = _random(task, rng, n_random, max_len, notes)
    batches.append((rnd, [int(x) for x in rng.integers(0, max_offset + 1, size=len(rnd))]))

    n_positions = 0
    n_exh_done = n_rnd_done = 0
    result_ce: Counterexample | None = None
    for which, (examples, offsets) in enumerate(batches):
        is_random = which == len(batches) - 1
        groups: dict[int, list[int]] = {}
        for k, e in enumerate(examples):
            groups.setdefault(len(e.inputs), []).append(k)
        for T in sorted(groups):
            members = groups[T]
            vals = evaluate(program, [examples[k].inputs for k in members], np.array([offsets[k] for k in members]))
            targets = [examples[k].targets for k in members]
            sup, good = framing.judge(vals, targets)
            n_positions += int(sup.sum())
            if is_random:
                n_rnd_done += len(members)
            else:
                n_exh_done += len(members)
            bad = sup & ~good
            if bad.any() and result_ce is None:
                b, t = map(int, np.argwhere(bad)[0])
                e = examples[members[b]]
                result_ce = Counterexample(
                    inputs=list(e.inputs),
                    offset=offsets[members[b]],
                    position=t + 1,
                    expected=str(e.targets[t]),
                    got=framing.got(vals, b, t),
                    length=e.length,
                )
        if result_ce is not None:
            break
    return CheckResult(
        ok=result_ce is None,
        task=task.name,
        program=program.name,
        fragment=info.fragment,
        n_inputs=n_exh_done + n_rnd_done,
        n_exhaustive=n_exh_done,
        n_random=n_rnd_done,
        n_positions=n_positions,
        exhaustive_max_len=exh_len,
        max_len=max(rnd_len, exh_len),
        counterexample=result_ce,
        notes=notes,
        seconds=time.perf_counter() - t0,
    )
