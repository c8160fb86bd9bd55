"""Identification in the limit, measured: the idealized learner's choice as the length bound grows.

For n = 1, 2, ... the learner of :func:`lengen.identify.search.search` sees every input up to
length n and returns the least complex consistent program.  A target is **identified in the
limit** when from some n on the choice is correct on every input of every length; the smallest
such n is the target's **length complexity** (for this learner, grammar and bounds).  What can
be measured is finite: each choice is tested on inputs up to ``4 n`` (lengen's interpreter, at
random position offsets), and the table reports the smallest n from which every choice passed.

For a target outside the fragment the choice never settles: either it keeps changing as n grows
(each bound admits a different, larger "memorizing" program) or it stays wrong on longer inputs,
or no program up to the size bound fits at all.  :func:`identification_table` shows which, up
to the n one can afford.

Conventions: accuracy is per **string**: a test string counts as correct only if the program's
output agrees with the target at every supervised position (every prefix), the exact-match rule
of the paper.  Test strings: every word of each length while there are at most
``exhaustive_limit`` of them, then ``per_length`` random words per length plus, for task
targets, ``per_length // 2`` strings of the language (so that sparse languages are tested on
positive strings too); targets whose domain is the language use strings of the language only.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from lengen.crasp.ast import Program

from .search import BOS, SearchResult, search
from .targets import Target, Word


@dataclass
class Accuracy:
    """A program's exact-match accuracy on test strings with lengths 0..``max_len``.

    ``first_failure``: the shortest failing string (symbols), the 1-based program position of
    the first wrong output (``<bos>`` is position 1) and the expected label, or None."""

    max_len: int
    n_strings: int
    n_correct: int
    n_positions: int
    n_positions_correct: int
    first_failure: dict | None = None

    @property
    def accuracy(self) -> float:
        return self.n_correct / self.n_strings if self.n_strings else 1.0

    @property
    def position_accuracy(self) -> float:
        return self.n_positions_correct / self.n_positions if self.n_positions else 1.0

    def as_dict(self) -> dict:
        return {"max_len": self.max_len, "strings": self.n_strings, "correct": self.n_correct,
                "accuracy": self.accuracy, "position_accuracy": self.position_accuracy,
                "first_failure": self.first_failure}


def evaluation_words(target: Target, max_len: int, per_length: int = 32, seed: int = 0,
               exhaustive_limit: int = 256) -> list[Word]:
    """Test strings of lengths 1..``max_len`` for ``target`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    out: list[Word] = []
    k = len(target.alphabet)
    for m in range(1, max_len + 1):
        if target.in_domain_sampler():
            words = set(target.sample(rng, m, per_length))
        elif k**m <= exhaustive_limit:
            words = set(itertools.product(target.alphabet, repeat=m))
        else:
            words = set(target.sample(rng, m, per_length))
            words |= set(target.positives(rng, m, max(1, per_length // 2)))
        out.extend(sorted(words))
    return out


def accuracy(program: Program, target: Target, max_len: int, per_length: int = 32, seed: int = 0,
             exhaustive_limit: int = 256, max_offset: int = 300, words: Sequence[Word] | None = None) -> Accuracy:
    """Exact-match accuracy of ``program`` (its definition ``target.output``) on test strings up
    to ``max_len`` (or on ``words``), each run at a random position offset in [0, ``max_offset``]."""
    from lengen.crasp import evaluate_ragged

    if words is None:
        words = evaluation_words(target, max_len, per_length, seed, exhaustive_limit)
    rng = np.random.default_rng(seed + 1)
    offsets = rng.integers(0, max_offset + 1, size=len(words))
    vals = evaluate_ragged(program, [[BOS, *w] for w in words], offsets) if words else []
    n_ok = n_pos = n_pos_ok = 0
    failure: dict | None = None
    for w, v, off in zip(words, vals, offsets.tolist()):
        labels = target.labels(tuple(w))
        got = v[target.output]
        ok = True
        for t, lab in enumerate(labels):
            if lab is None:
                continue
            n_pos += 1
            if bool(got[t]) == bool(lab):
                n_pos_ok += 1
            elif ok:
                ok = False
                if failure is None or len(w) < len(failure["input"]):
                    failure = {"input": list(w), "offset": int(off), "position": t + 1, "expected": bool(lab)}
        n_ok += ok
    return Accuracy(max_len, len(words), n_ok, n_pos, n_pos_ok, failure)


@dataclass
class IdentificationRow:
    """One bound n: the learner's choice and its accuracy on inputs up to ``test_len``."""

    n: int
    status: str
    program: str | None
    expression: str | None
    size: int | None
    fragment: str | None
    test_len: int
    accuracy: float | None
    first_failure: dict | None
    seconds: float

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class IdentificationTable:
    """The learner's choices for growing n (see the module docstring)."""

    target: str
    fragment: str
    max_size: int
    rows: list[IdentificationRow] = field(default_factory=list)

    @property
    def length_complexity(self) -> int | None:
        """The smallest n such that the choice at n and at every larger n of the table is found and
        correct on every string tested; None if the last choice is not."""
        best = None
        for row in reversed(self.rows):
            if row.status == "found" and row.accuracy == 1.0:
                best = row.n
            else:
                break
        return best

    @property
    def settled(self) -> bool:
        """Whether the table ends with correct choices (its length complexity is defined)."""
        return self.length_complexity is not None

    @property
    def changes(self) -> int:
        """How many times the chosen expression changes from one n to the next."""
        exprs = [r.expression for r in self.rows]
        return sum(1 for a, b in zip(exprs, exprs[1:]) if a != b)

    def as_dict(self) -> dict:
        return {"target": self.target, "fragment": self.fragment, "max_size": self.max_size,
                "length_complexity": self.length_complexity, "changes": self.changes,
                "rows": [r.as_dict() for r in self.rows]}

    def to_markdown(self) -> str:
        lines = [f"| n | chosen program ({self.fragment}) | size | accuracy up to 4n |", "|---|---|---|---|"]
        for r in self.rows:
            prog = f"`{r.expression}`" if r.expression else f"(none up to size {self.max_size}: {r.status})"
            acc = "" if r.accuracy is None else f"{100 * r.accuracy:.1f}% (≤ {r.test_len})"
            lines.append(f"| {r.n} | {prog} | {r.size if r.size is not None else ''} | {acc} |")
        lc = self.length_complexity
        lines.append("")
        lines.append(f"length complexity: {lc}" if lc is not None else "the choice does not settle within the table")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_markdown()


def identification_table(
    target: Target,
    ns: Sequence[int] | range,
    fragment: str | Sequence[str] | None = "C-RASP[]",
    max_size: int = 8,
    test_factor: int = 4,
    per_length: int = 24,
    seed: int = 0,
    time_limit: float | None = None,
    stop_after_settled: int | None = None,
    **search_kw: Any,
) -> IdentificationTable:
    """Run the idealized learner for every n in ``ns``; for each, the chosen program, its size and
    its exact-match accuracy on strings up to ``test_factor * n``.

    ``time_limit``: seconds for the whole table (each search gets what is left; the table stops
    when it runs out).  ``stop_after_settled``: stop once that many consecutive correct choices
    of the same expression were seen.  Other keywords go to :func:`~lengen.identify.search.search`."""
    t0 = time.perf_counter()
    table = IdentificationTable(target.name, _fragment_label(fragment, search_kw), max_size)
    streak = 0
    for n in ns:
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if left is not None and left <= 0:
            break
        res: SearchResult = search(target, n, fragment, max_size, time_limit=left, seed=seed, **search_kw)
        acc = None
        failure = None
        if res.found and res.program is not None:
            a = accuracy(res.program, target, test_factor * n, per_length=per_length, seed=seed + n)
            acc, failure = a.accuracy, a.first_failure
        table.rows.append(IdentificationRow(
            n=n, status=res.status, program=res.text, expression=res.expression, size=res.size, fragment=res.fragment,
            test_len=test_factor * n, accuracy=acc, first_failure=failure, seconds=round(res.seconds, 3),
        ))
        if res.status in ("timeout", "memory"):
            break
        if len(table.rows) >= 2 and acc == 1.0 and table.rows[-2].expression == res.expression:
            streak += 1
        else:
            streak = 1 if acc == 1.0 else 0
        if stop_after_settled is not None and streak >= stop_after_settled:
            break
    return table


def _fragment_label(fragment: Any, kw: dict) -> str:
    from .search import SearchSpace

    space = kw.get("space")
    if space is not None:
        return space.fragment
    return SearchSpace.for_fragment(fragment).fragment
