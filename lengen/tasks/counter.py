"""Seven counter languages (Bhattamishra, Ahuja & Goyal, EMNLP 2020), in the authors' plotting data
but in no figure of the paper: Dyck-1, Shuffle-2, aⁿbⁿ, aⁿbⁿcⁿ, aⁿbⁿcⁿdⁿ, Boolean-3, Boolean-5.

Framing: the same per-position "character prediction" as :mod:`lengen.tasks.languages`.  The model
reads ``<bos> w_1 ... w_n`` and at every position t = 0..n (``<bos>`` included) predicts one label
token for the prefix ``w_1 ... w_t``.  The label conventions follow Bhattamishra et al.'s generators:

* Dyck-1, Shuffle-2: the set of legal next symbols, without an end column (openers are always
  legal; a closer is legal iff its bracket type is open).  Example tokens: ``[()]``, ``[(-]``;
  Shuffle-2 ``[()[]]``, ``[(-[]]`` (columns ``( ) [ ]`` in this order).
* aⁿbⁿ, aⁿbⁿcⁿ, aⁿbⁿcⁿdⁿ: the set of legal next symbols **with** an end column ``$`` (their
  termination symbol T): e.g. for aⁿbⁿ ``[a--]`` at ``<bos>``, ``[ab-]`` while reading a's,
  ``[-b-]`` while reading b's, ``[--$]`` at the end.
* Boolean-k: membership of the prefix, ``[in]``/``[out]`` (their per-position 0/1 output: only the
  complete expression is ``[in]``).

Strings are positive examples drawn **uniformly among the strings of the language of length
exactly n** (exact counting; no rejection).  Dyck-1 and Shuffle-2 have strings at every even
n >= 2, aⁿbⁿcⁿ... at multiples of the number of letters (one string each), Boolean-k at every
n >= 1.  Bhattamishra et al. drew strings from PCFG-style generators instead; the empty string is
not used.  Lengths as for the other languages: n = number of symbols, max 150.

Predictions: the authors' plotting data has no flag we trust for these languages, so the flags
here are **lengen's own reasoning** (``source="reasoned"``), pending a program checked in lengen's
C-RASP library: each label below is a comparison of symbol counts, i.e. a C-RASP[] program.
"""

from __future__ import annotations

from math import comb
from typing import Sequence

import numpy as np

from . import register
from .base import BOS, PAD, Example, Prediction, Task, TaskError, Vocab
from .languages import IN, OUT, _cumulative, legal_next_label

__all__ = ["CounterLanguage", "END"]

END = "$"  # the end column of the aⁿbⁿ... labels (Bhattamishra et al.'s T)


class CounterLanguage(Task):
    """Base class: subclasses set ``alphabet``, ``label_tokens`` and implement :meth:`count`,
    :meth:`draw` and :meth:`labels`."""

    kind = "counter"
    alphabet: tuple[str, ...] = ()
    label_tokens: tuple[str, ...] = ()
    label_mode: str = "next"
    # classical measures (for parity with the regular languages; these are not regular)
    star_free: bool = False
    dot_depth: int | None = None
    ac0: bool = False

    def __init__(self) -> None:
        self.vocab = Vocab([PAD, BOS, *self.alphabet, *self.label_tokens])
        self._sym = frozenset(self.alphabet)
        self.min_length = next(n for n in range(1, 10_000) if self.count(n) > 0)

    # -- to implement -----------------------------------------------------------------------
    def count(self, length: int) -> int:
        """Number of strings of the language with exactly ``length`` symbols."""
        raise NotImplementedError

    def draw(self, rng: np.random.Generator, length: int) -> list[str]:
        """A uniformly random string of the language with exactly ``length`` symbols."""
        raise NotImplementedError

    def labels(self, word: Sequence[str]) -> list[str]:
        """Labels of every prefix of ``word`` (len(word) + 1 labels, the empty prefix first).
        Prefixes that cannot be extended to a string of the language get the all-dash label
        (not in the vocabulary: it never occurs on strings of the language)."""
        raise NotImplementedError

    def accepts(self, word: Sequence[str]) -> bool:
        """Whether ``word`` is in the language."""
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------------
    def _check(self, word: Sequence[str]) -> None:
        for k, s in enumerate(word):
            if s not in self._sym:
                raise TaskError(
                    f"token {s!r} (at index {k}) is not in the alphabet of {self.name!r} ({' '.join(self.alphabet)})"
                )

    def feasible(self, length: int) -> bool:
        return length >= self.min_length and self.count(length) > 0

    def sequence_length(self, length: int) -> int:
        return length + 1

    def _require(self, length: int) -> None:
        if length < self.min_length or self.count(length) == 0:
            some = [n for n in range(self.min_length, self.min_length + 40) if self.count(n) > 0][:8]
            raise TaskError(
                f"language {self.name!r} ({self.title}) has no string of length {length}; "
                f"lengths with strings start {', '.join(map(str, some))}, ..."
            )

    def example(self, rng: np.random.Generator, length: int) -> Example:
        """``<bos> w`` with the label of every prefix; w uniform among the strings of this length."""
        self._require(length)
        word = self.draw(rng, length)
        return Example(inputs=[BOS, *word], targets=self.labels(word), length=length)


def _reasoned(reason: str) -> Prediction:
    return Prediction(ape=True, nope=True, reason=reason + " (lengen's own reasoning, pending a checked program)",
                      source="reasoned")


# ---------------------------------------------------------------------------------------------
# Dyck paths: uniform balanced strings by exact counting
# ---------------------------------------------------------------------------------------------
class _DyckPaths:
    """paths[r][d] = number of ways to go from depth d back to depth 0 in r steps (+1/-1) without
    going below 0; p_up[r][d] = probability that the next step is +1 in a uniform such path."""

    def __init__(self) -> None:
        self.paths: list[list[int]] = [[1]]
        self.p_up: list[list[float]] = [[0.0]]

    def grow(self, r: int) -> None:
        while len(self.paths) <= r:
            prev = self.paths[-1]
            m = len(prev)  # prev covers depths 0..m-1
            row, prow = [], []
            for d in range(m + 1):
                up = prev[d + 1] if d + 1 < m else 0
                down = prev[d - 1] if 0 < d <= m else 0
                row.append(up + down)
                prow.append(up / (up + down) if up + down else 0.0)
            self.paths.append(row)
            self.p_up.append(prow)

    def count(self, length: int) -> int:
        if length < 0:
            return 0
        self.grow(length)
        return self.paths[length][0]

    def draw(self, rng: np.random.Generator, length: int, up: str, down: str) -> list[str]:
        self.grow(length)
        out, d = [], 0
        us = rng.random(length).tolist()
        for t in range(length):
            if us[t] < self.p_up[length - t][d]:
                out.append(up)
                d += 1
            else:
                out.append(down)
                d -= 1
        return out


_DYCK = _DyckPaths()


@register
class Dyck1(CounterLanguage):
    """Dyck-1 over {(, )}: balanced parentheses.

    Labels: legal next symbols: ``[(-]`` at depth 0 (only open), ``[()]`` at depth > 0.
    Strings: uniform among the balanced strings of (even) length n >= 2 (exact counting over the depth).

    Example (n = 4, w = (())::

        inputs : <bos>  (    (    )    )
        targets: [(-] [()] [()] [()] [(-]
    """

    name = "dyck1"
    title = "Dyck-1"
    alphabet = ("(", ")")
    label_tokens = ("[(-]", "[()]")
    prediction = _reasoned("')' legal iff #) < #( ; a comparison of two counts, C-RASP[]")

    def count(self, length: int) -> int:
        return _DYCK.count(length)

    def draw(self, rng: np.random.Generator, length: int) -> list[str]:
        return _DYCK.draw(rng, length, "(", ")")

    def labels(self, word: Sequence[str]) -> list[str]:
        self._check(word)
        out, d, ok = ["[(-]"], 0, True
        for s in word:
            d += 1 if s == "(" else -1
            ok = ok and d >= 0
            out.append(("[()]" if d > 0 else "[(-]") if ok else "[--]")
        return out

    def accepts(self, word: Sequence[str]) -> bool:
        return self.labels(word)[-1] == "[(-]"


@register
class Shuffle2(CounterLanguage):
    """Shuffle-2: interleavings of a Dyck-1 word over {(, )} and a Dyck-1 word over {[, ]}
    (each bracket type balanced on its own; types may cross, e.g. ``([)]``).

    Labels: legal next symbols in column order ``( ) [ ]``: openers always legal, ``)`` iff a
    ``(`` is open, ``]`` iff a ``[`` is open; e.g. ``[(-[-]`` when nothing is open.
    Strings: uniform among the strings of (even) length n >= 2: the length k of the ( ) part is
    drawn with probability proportional to C(n, k) Cat(k/2) Cat((n-k)/2), then its positions, and
    two uniform Dyck words.

    Example (n = 4, w = ([)])::

        inputs : <bos>    (      [      )      ]
        targets: [(-[-] [()[-] [()[]] [(-[]] [(-[-]
    """

    name = "shuffle2"
    title = "Shuffle-2"
    alphabet = ("(", ")", "[", "]")
    label_tokens = ("[(-[-]", "[()[-]", "[(-[]]", "[()[]]")
    prediction = _reasoned("')' legal iff #) < #(, ']' legal iff #] < #[ : two count comparisons, C-RASP[]")

    def __init__(self) -> None:
        self._split_cache: dict[int, list[float]] = {}
        self._count_cache: dict[int, int] = {}
        self._lab = [[legal_next_label(self.alphabet, [True, o1, True, o2]) for o2 in (False, True)]
                     for o1 in (False, True)]
        super().__init__()

    def _split_weights(self, length: int) -> list[int]:
        return [comb(length, k) * _DYCK.count(k) * _DYCK.count(length - k) if k % 2 == 0 else 0
                for k in range(length + 1)]

    def count(self, length: int) -> int:
        if length < 0 or length % 2:
            return 0
        if length not in self._count_cache:
            self._count_cache[length] = sum(self._split_weights(length))
        return self._count_cache[length]

    def draw(self, rng: np.random.Generator, length: int) -> list[str]:
        if length not in self._split_cache:
            w = self._split_weights(length)
            total, acc, cum = sum(w), 0, []
            for x in w:
                acc += x
                cum.append(acc / total)
            cum[-1] = 2.0
            self._split_cache[length] = cum
        cum = self._split_cache[length]
        u, k = float(rng.random()), 0
        while u >= cum[k]:
            k += 1
        first = _DYCK.draw(rng, k, "(", ")")
        second = _DYCK.draw(rng, length - k, "[", "]")
        mask = np.zeros(length, dtype=bool)
        mask[rng.choice(length, size=k, replace=False)] = True
        i1 = i2 = 0
        out = []
        for m in mask.tolist():
            if m:
                out.append(first[i1])
                i1 += 1
            else:
                out.append(second[i2])
                i2 += 1
        return out

    def labels(self, word: Sequence[str]) -> list[str]:
        self._check(word)
        d1 = d2 = 0
        ok = True
        out = ["[(-[-]"]
        for s in word:
            if s == "(":
                d1 += 1
            elif s == ")":
                d1 -= 1
            elif s == "[":
                d2 += 1
            else:
                d2 -= 1
            ok = ok and d1 >= 0 and d2 >= 0
            out.append(self._lab[d1 > 0][d2 > 0] if ok else "[----]")
        return out

    def accepts(self, word: Sequence[str]) -> bool:
        return self.labels(word)[-1] == "[(-[-]"


class _Blocks(CounterLanguage):
    """a_1^n a_2^n ... a_k^n with n >= 1 (k letters).

    Labels: legal next symbols plus the end column ``$`` (Bhattamishra et al.'s T).
    Strings: the single string of each length kn.
    """

    letters: int = 2

    def count(self, length: int) -> int:
        return 1 if length >= self.letters and length % self.letters == 0 else 0

    def draw(self, rng: np.random.Generator, length: int) -> list[str]:
        n = length // self.letters
        return [s for s in self.alphabet for _ in range(n)]

    def __init__(self) -> None:
        k, cols = self.letters, self.alphabet + (END,)
        self._lab_start = legal_next_label(cols, [i == 0 for i in range(k)] + [False])
        self._lab_first = legal_next_label(cols, [i <= 1 for i in range(k)] + [False])
        self._lab_only = [legal_next_label(cols, [i == j for i in range(k)] + [False]) for j in range(k)]
        self._lab_end = legal_next_label(cols, [False] * k + [True])
        self._lab_dead = legal_next_label(cols, [False] * (k + 1))
        self._index = {s: i for i, s in enumerate(self.alphabet)}
        super().__init__()

    def labels(self, word: Sequence[str]) -> list[str]:
        self._check(word)
        k, out = self.letters, [self._lab_start]
        block, n_first, run, ok = 0, 0, 0, True  # current block, size of the a-block, size of the current block
        for s in word:
            i = self._index[s]
            if ok:
                if block == 0 and i == 0:
                    n_first += 1
                elif i == block + 1 and (run == n_first if block > 0 else n_first > 0):
                    block, run = i, 1
                elif i == block and block > 0 and run < n_first:
                    run += 1
                else:
                    ok = False
            if not ok:
                out.append(self._lab_dead)
            elif block == 0:
                out.append(self._lab_first)
            elif run < n_first:
                out.append(self._lab_only[block])
            elif block < k - 1:
                out.append(self._lab_only[block + 1])
            else:
                out.append(self._lab_end)
        return out

    def accepts(self, word: Sequence[str]) -> bool:
        return self.labels(word)[-1] == self._lab_end


@register
class AnBn(_Blocks):
    """aⁿbⁿ (n >= 1).

    Labels (columns a, b, $): ``[a--]`` at ``<bos>``, ``[ab-]`` after a's, ``[-b-]`` while
    b's are missing, ``[--$]`` at the end.  Strings: the single string of each even length.

    Example (n = 4, w = aabb)::

        inputs : <bos>   a     a     b     b
        targets: [a--] [ab-] [ab-] [-b-] [--$]
    """

    name = "anbn"
    title = "aⁿbⁿ"
    letters = 2
    alphabet = ("a", "b")
    label_tokens = ("[a--]", "[ab-]", "[-b-]", "[--$]")
    ac0 = True  # one string per length: a fixed pattern check
    prediction = _reasoned("the label is decided by #b = 0 and #b < #a: count comparisons, C-RASP[]")


@register
class AnBnCn(_Blocks):
    """aⁿbⁿcⁿ (n >= 1).

    Labels (columns a, b, c, $): ``[a---]`` at ``<bos>``, ``[ab--]`` after a's, ``[-b--]`` /
    ``[--c-]`` while b's / c's are missing, ``[---$]`` at the end.  Strings: one per length 3n.

    Example (n = 3, w = abc)::

        inputs : <bos>    a      b      c
        targets: [a---] [ab--] [--c-] [---$]
    """

    name = "anbncn"
    title = "aⁿbⁿcⁿ"
    letters = 3
    alphabet = ("a", "b", "c")
    label_tokens = ("[a---]", "[ab--]", "[-b--]", "[--c-]", "[---$]")
    ac0 = True
    prediction = _reasoned("the label is decided by comparing #a, #b, #c with each other and with 0: C-RASP[]")


@register
class AnBnCnDn(_Blocks):
    """aⁿbⁿcⁿdⁿ (n >= 1).

    Labels (columns a, b, c, d, $): ``[a----]``, ``[ab---]``, ``[-b---]``, ``[--c--]``,
    ``[---d-]``, ``[----$]``.  Strings: one per length 4n.

    Example (n = 4, w = abcd)::

        inputs : <bos>     a       b       c       d
        targets: [a----] [ab---] [--c--] [---d-] [----$]
    """

    name = "anbncndn"
    title = "aⁿbⁿcⁿdⁿ"
    letters = 4
    alphabet = ("a", "b", "c", "d")
    label_tokens = ("[a----]", "[ab---]", "[-b---]", "[--c--]", "[---d-]", "[----$]")
    ac0 = True
    prediction = _reasoned("the label is decided by comparing #a, #b, #c, #d with each other and with 0: C-RASP[]")


# operator symbols by arity: Bhattamishra et al. use ~ (1), + (2), > (3); * (4) and < (5) are lengen's choice
_OPERATORS = {1: "~", 2: "+", 3: ">", 4: "*", 5: "<"}


class _BooleanExpr(CounterLanguage):
    """Boolean-k: well-formed Boolean expressions in prefix (Polish) notation over the constants
    0 and 1 and one operator of each arity 1..k (``~`` 1, ``+`` 2, ``>`` 3, ``*`` 4, ``<`` 5).

    Only well-formedness is at stake (the expression is never evaluated).  Reading left to right,
    a counter of missing operands starts at 1, a constant subtracts 1, an operator of arity a adds
    a - 1; a string is an expression iff the counter first reaches 0 at its last symbol.
    Labels: ``[in]`` iff the prefix is a complete expression (on strings of the language: only the
    last position).  Strings: uniform among the expressions with exactly n symbols (exact counting
    over the counter).

    Example (Boolean-3, n = 4, w = + 1 ~ 0, i.e. OR(1, NOT 0))::

        inputs : <bos>   +     1     ~     0
        targets: [out] [out] [out] [out] [in]
    """

    arity: int = 3
    label_mode = "member"
    label_tokens = (IN, OUT)

    def __init__(self) -> None:
        self._arity_of = {"0": 0, "1": 0, **{_OPERATORS[a]: a for a in range(1, self.arity + 1)}}
        self._symbols = [("0", 0), ("1", 0)] + [(_OPERATORS[a], a) for a in range(1, self.arity + 1)]
        # ways[r][c]: symbol sequences of length r taking the counter from c to 0 exactly at the end;
        # cum[r][c]: cumulative step probabilities of the uniform walk (see languages._cumulative)
        self._ways: list[list[int]] = [[1]]
        self._cum: list[list[list[float] | None]] = [[None]]
        super().__init__()

    def _grow(self, r: int) -> None:
        ways, cum = self._ways, self._cum
        while len(ways) <= r:
            prev = ways[-1]
            m = len(ways)  # the new row's r; counters 0..m suffice (c <= remaining symbols)
            row: list[int] = [0] * (m + 1)
            cum_row: list[list[float] | None] = [None] * (m + 1)
            for c in range(1, m + 1):
                weights = [prev[c + a - 1] if c + a - 1 < len(prev) else 0 for _, a in self._symbols]
                total = sum(weights)
                row[c] = total
                if total:
                    cum_row[c] = _cumulative(weights, total)
            ways.append(row)
            cum.append(cum_row)

    def count(self, length: int) -> int:
        if length < 1:
            return 0
        self._grow(length)
        return self._ways[length][1]

    def draw(self, rng: np.random.Generator, length: int) -> list[str]:
        self._grow(length)
        cum, symbols, out, c = self._cum, self._symbols, [], 1
        us = rng.random(length).tolist()
        for t in range(length):
            row = cum[length - t][c]
            u, k = us[t], 0
            while u >= row[k]:
                k += 1
            s, a = symbols[k]
            out.append(s)
            c += a - 1
        return out

    def labels(self, word: Sequence[str]) -> list[str]:
        self._check(word)
        out, c, ok = [OUT], 1, True
        for s in word:
            ok = ok and c > 0
            c += self._arity_of[s] - 1
            out.append(IN if ok and c == 0 else OUT)
        return out

    def accepts(self, word: Sequence[str]) -> bool:
        return len(word) > 0 and self.labels(word)[-1] == IN


_BOOLEAN_REASON = (
    "on strings of the language the prefix is complete iff 1 + sum_a (a-1)*#[arity a] - #[constants] = 0, a linear "
    "count comparison (the full recognizer adds 'no earlier prefix reached 0', also a count): C-RASP[]; "
    "evaluating the expression (not asked here) would be a different, NC1-complete problem"
)


@register
class Boolean3(_BooleanExpr):
    __doc__ = _BooleanExpr.__doc__ + "\n    This task: k = 3 (alphabet 0 1 ~ + >).\n"
    name = "boolean3"
    title = "Boolean-3"
    arity = 3
    alphabet = ("0", "1", "~", "+", ">")
    prediction = _reasoned(_BOOLEAN_REASON)


@register
class Boolean5(_BooleanExpr):
    __doc__ = _BooleanExpr.__doc__ + "\n    This task: k = 5 (alphabet 0 1 ~ + > * <).\n"
    name = "boolean5"
    title = "Boolean-5"
    arity = 5
    alphabet = ("0", "1", "~", "+", ">", "*", "<")
    prediction = _reasoned(_BOOLEAN_REASON)
