"""The 17 formal languages of the paper's main figure (the paper and the authors' released code).

Framing ("character prediction", per position)
-----------------------------------------------
The model reads ``<bos> w_1 ... w_n``; at **every** position t = 0..n (the ``<bos>`` position
included) the target is one label token describing the prefix ``w_1 ... w_t``:

* **legal-next labels** (Tomita 1-4, 7; D_n; the star-free languages): the set of symbols s such
  that ``w_1 ... w_t s`` is still a prefix of some string of the language, written as one token
  ``[`` + (each alphabet symbol, in alphabet order, or ``-`` if illegal) + ``]``.  For example, over
  {0, 1}: ``[01]`` both legal, ``[0-]`` only 0, ``[-1]`` only 1.  The end of the string is not a
  column (as in the authors' data).
* **membership labels** (Tomita 5-6, ``(aa)*``, ``(aaaa)*``, ``(abab)*``, ``{0,1,2}*02*``):
  ``[in]`` if ``w_1 ... w_t`` is in the language, ``[out]`` otherwise.  For ``{0,1,2}*02*``
  ``[in]``/``[out]`` are the authors' ``e``/``c`` ("can end here" / "must continue").

Label tokens start with ``[`` so they cannot be confused with input symbols; they are in the
vocabulary after ``<pad>``, ``<bos>`` and the alphabet.  ``sequence_length(n) = n + 1``.

Strings
-------
Only strings of the language are used (positive examples, as the authors do).  Every language here
is regular, and each task holds a complete DFA.  ``example(rng, n)`` draws a string **uniformly
among the strings of the language of length exactly n**: a random walk on the DFA where, with r
symbols left in state q, symbol s is chosen with probability count(r-1, δ(q, s)) / count(r, q),
count(r, q) being the number of accepted completions of length r from q (dynamic programming with
exact integers).  Every length that has a string is therefore reachable, and no rejection is
involved.  ``feasible(n)`` is ``count(n, start) > 0``; ``count(n)`` gives the number of strings.

Lengths
-------
length = n = number of symbols of w.  ``min_length`` is the shortest *non-empty* length with a
string (the empty string is not used, as in the authors' data); ``max_length`` = 150.  lengen uses
one protocol for all languages: train on [0, 50] (clamped to the feasible lengths), test bins
[0, 50], [51, 100], [101, 150].  **This departs from the authors**, whose training and test ranges
differ per language (e.g. ``(aaaa)*`` was tested up to 700, Tomita-3 trained up to 100); see the
authors' released plotting data.

Other departures from the authors' generators (deliberate; see each class):

* Tomita-3: the authors' DFA marks the live, non-accepting state "odd run of 1s, then an odd run of
  0s" as dead, so their labels say "0 illegal" after an odd run of 1s even though ``100`` is in
  the language.  lengen's labels use true liveness (the same rule as for every other language).
* ``{0,1,2}*02*``: the authors' labels give ``c`` after a prefix ending in 0, although such a
  prefix is in the language (``2*`` may be empty); lengen gives ``[in]``.
* Strings are drawn uniformly at each length instead of by the authors' ad-hoc generators.

Attributes per language: ``figure_index`` (1-17, the panel of the main figure), ``star_free``,
``dot_depth`` (None when not star-free), ``ac0`` (membership in AC⁰, as flagged in the authors'
data: False only for Tomita-5 and Tomita-6), ``alphabet``, ``label_mode`` ("next" or "member").
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from . import register
from .base import BOS, PAD, Example, Prediction, Task, TaskError, Vocab

__all__ = ["IN", "OUT", "DFALanguage", "legal_next_label"]

IN, OUT = "[in]", "[out]"


def legal_next_label(alphabet: Sequence[str], legal: Sequence[bool]) -> str:
    """The legal-next label token, e.g. ``[0-]`` for alphabet (0, 1) with only 0 legal."""
    return "[" + "".join(s if ok else "-" for s, ok in zip(alphabet, legal)) + "]"


class DFALanguage(Task):
    """A regular language given by a complete DFA, with exact uniform sampling at each length.

    Subclasses set ``alphabet``, ``label_mode`` (``"next"`` or ``"member"``) and implement
    :meth:`dfa`, returning ``(delta, start, accepting)`` where ``delta[q][k]`` is the state reached
    from q on ``alphabet[k]`` (states are 0..Q-1; the DFA must be complete).
    """

    kind = "language"
    alphabet: tuple[str, ...] = ()
    label_mode: str = "next"
    figure_index: int = 0
    star_free: bool = False
    dot_depth: int | None = None
    ac0: bool = True

    def __init__(self) -> None:
        delta, start, accepting = self.dfa()
        self._delta = [list(row) for row in delta]
        self._start = start
        self._accepting = frozenset(accepting)
        n_states = len(self._delta)
        if any(len(row) != len(self.alphabet) for row in self._delta):
            raise ValueError(f"{self.name}: DFA rows must have one entry per alphabet symbol")
        # live states: an accepting state is reachable
        live = [q in self._accepting for q in range(n_states)]
        changed = True
        while changed:
            changed = False
            for q in range(n_states):
                if not live[q] and any(live[r] for r in self._delta[q]):
                    live[q] = changed = True
        self._live = live
        if self.label_mode == "next":
            self._state_label = [
                legal_next_label(self.alphabet, [live[r] for r in self._delta[q]]) for q in range(n_states)
            ]
        elif self.label_mode == "member":
            self._state_label = [IN if q in self._accepting else OUT for q in range(n_states)]
        else:
            raise ValueError(f"unknown label mode {self.label_mode!r}")
        # label tokens that can occur on prefixes of strings of the language (reachable, live states)
        reach, frontier = {start}, [start]
        while frontier:
            q = frontier.pop()
            for r in self._delta[q]:
                if r not in reach:
                    reach.add(r)
                    frontier.append(r)
        labels: list[str] = []
        for q in sorted(reach):
            if live[q] and self._state_label[q] not in labels:
                labels.append(self._state_label[q])
        if self.label_mode == "member":
            labels = [IN, OUT]
        self.label_tokens: tuple[str, ...] = tuple(labels)
        self.vocab = Vocab([PAD, BOS, *self.alphabet, *self.label_tokens])
        self._sym_index = {s: k for k, s in enumerate(self.alphabet)}
        # count[r][q]: accepted completions of length r from q (exact integers); cum[r][q]: sampling rows
        self._count: list[list[int]] = [[1 if q in self._accepting else 0 for q in range(n_states)]]
        self._cum: list[list[list[float] | None]] = [[None] * n_states]
        self.min_length = next(n for n in range(1, 10_000) if self.count(n) > 0)

    # -- the language -------------------------------------------------------------------------
    def dfa(self) -> tuple[list[list[int]], int, set[int]]:
        raise NotImplementedError

    def _grow(self, r: int) -> None:
        """Extend the count and sampling tables up to r remaining symbols."""
        count, cum, delta = self._count, self._cum, self._delta
        while len(count) <= r:
            prev = count[-1]
            row: list[int] = []
            cum_row: list[list[float] | None] = []
            for q in range(len(delta)):
                weights = [prev[t] for t in delta[q]]
                total = sum(weights)
                row.append(total)
                cum_row.append(_cumulative(weights, total) if total else None)
            count.append(row)
            cum.append(cum_row)

    def count(self, length: int) -> int:
        """Number of strings of the language with exactly ``length`` symbols."""
        if length < 0:
            return 0
        self._grow(length)
        return self._count[length][self._start]

    def feasible(self, length: int) -> bool:
        return length >= self.min_length and self.count(length) > 0

    def sequence_length(self, length: int) -> int:
        return length + 1

    # -- strings and labels ---------------------------------------------------------------------
    def _run(self, word: Sequence[str]) -> list[int]:
        """States after each prefix (len(word) + 1 states); unknown symbols raise TaskError."""
        q, states = self._start, [self._start]
        for k, s in enumerate(word):
            if s not in self._sym_index:
                raise TaskError(
                    f"token {s!r} (at index {k}) is not in the alphabet of {self.name!r} ({' '.join(self.alphabet)})"
                )
            q = self._delta[q][self._sym_index[s]]
            states.append(q)
        return states

    def accepts(self, word: Sequence[str]) -> bool:
        """Whether ``word`` (a sequence of alphabet symbols) is in the language."""
        return self._run(word)[-1] in self._accepting

    def labels(self, word: Sequence[str]) -> list[str]:
        """The label of every prefix of ``word`` (len(word) + 1 labels, the empty prefix first).

        Defined for any word over the alphabet; outside the prefixes of the language the legal-next
        label is all dashes."""
        return [self._state_label[q] for q in self._run(word)]

    def draw(self, rng: np.random.Generator, length: int) -> list[str]:
        """A string of the language with exactly ``length`` symbols, uniformly at random."""
        if length < 0 or self.count(length) == 0:
            raise TaskError(self._infeasible_message(length))
        q, out = self._start, []
        cum, delta, alphabet = self._cum, self._delta, self.alphabet
        us = rng.random(length).tolist()
        for t in range(length):
            row = cum[length - t][q]
            u, k = us[t], 0
            while u >= row[k]:
                k += 1
            q = delta[q][k]
            out.append(alphabet[k])
        return out

    def example(self, rng: np.random.Generator, length: int) -> Example:
        """``<bos> w`` with the label of every prefix; w uniform among the strings of this length."""
        if length < self.min_length:
            raise TaskError(self._infeasible_message(length))
        word = self.draw(rng, length)
        return Example(inputs=[BOS, *word], targets=list(self.labels(word)), length=length)

    def _infeasible_message(self, length: int) -> str:
        some = [n for n in range(self.min_length, self.min_length + 40) if self.count(n) > 0][:8]
        return (
            f"language {self.name!r} ({self.title}) has no string of length {length}; "
            f"lengths with strings start {', '.join(map(str, some))}, ..."
        )


def _cumulative(weights: list[int], total: int) -> list[float]:
    """Cumulative probabilities for one step of the walk (exact integer weights, float bounds).

    A symbol of weight 0 gets an empty interval (its bound equals the previous one, so
    ``u >= bound`` skips it); the bound of the last positive-weight symbol (and of any symbol
    after it) is 2.0, so every u in [0, 1) finds a symbol despite rounding."""
    last = max(k for k, w in enumerate(weights) if w > 0)
    out, acc = [], 0
    for k, w in enumerate(weights):
        acc += w
        out.append(2.0 if k >= last else acc / total)
    return out


# ---------------------------------------------------------------------------------------------
# The 17 languages, in the order of the main figure.
# ---------------------------------------------------------------------------------------------

def _cycle_dfa(pattern: str, alphabet: tuple[str, ...]) -> tuple[list[list[int]], int, set[int]]:
    """DFA of (pattern)*: states 0..len-1 follow the pattern, state len is dead."""
    m, dead = len(pattern), len(pattern)
    delta = []
    for q in range(m):
        delta.append([(q + 1) % m if s == pattern[q] else dead for s in alphabet])
    delta.append([dead] * len(alphabet))
    return delta, 0, {0}


@register
class AAStar(DFALanguage):
    """``(aa)*`` over {a}: strings of even length.

    Labels: membership, ``[in]`` after an even number of symbols (and at ``<bos>``), else ``[out]``.
    Strings: the only string of each even length; odd lengths are infeasible.

    Example (n = 4)::

        inputs : <bos>  a     a    a     a
        targets: [in]  [out] [in] [out] [in]
    """

    name = "aa_star"
    title = "(aa)*"
    figure_index = 1
    alphabet = ("a",)
    label_mode = "member"
    star_free, dot_depth, ac0 = False, None, True
    prediction = Prediction(
        ape=True, nope=False,
        reason="(aa)*: needs the parity of the position (periodic); not in C-RASP[] (Lemma 38)",
        source="paper",
    )

    def dfa(self):
        return _cycle_dfa("aa", self.alphabet)


@register
class AAAAStar(DFALanguage):
    """``(aaaa)*`` over {a}: strings whose length is a multiple of 4.

    Labels: membership (``[in]`` iff the prefix length is 0 mod 4).  Strings: one per length 4k.

    Example (n = 4)::

        inputs : <bos>  a     a     a     a
        targets: [in]  [out] [out] [out] [in]
    """

    name = "aaaa_star"
    title = "(aaaa)*"
    figure_index = 2
    alphabet = ("a",)
    label_mode = "member"
    star_free, dot_depth, ac0 = False, None, True
    prediction = Prediction(
        ape=True, nope=False,
        reason="(aaaa)*: needs the position mod 4 (periodic); not in C-RASP[] (Lemma 38)",
        source="paper",
    )

    def dfa(self):
        return _cycle_dfa("aaaa", self.alphabet)


@register
class ABABStar(DFALanguage):
    """``(abab)*`` over {a, b}: (ab)^(2k).

    Labels: membership (``[in]`` iff the prefix is (abab)^k, i.e. its length is 0 mod 4).
    Strings: the single string of each length 4k.

    Example (n = 4)::

        inputs : <bos>  a     b     a     b
        targets: [in]  [out] [out] [out] [in]
    """

    name = "abab_star"
    title = "(abab)*"
    figure_index = 3
    alphabet = ("a", "b")
    label_mode = "member"
    star_free, dot_depth, ac0 = False, None, True
    prediction = Prediction(
        ape=True, nope=False,
        reason="(abab)*: needs the position mod 4 (periodic) to check the pattern and the end; "
               "not in C-RASP[] (Lemma 38)",
        source="paper",
    )

    def dfa(self):
        return _cycle_dfa("abab", self.alphabet)


@register
class Tomita3(DFALanguage):
    """Tomita-3 over {0, 1}: no odd-length run of 1s is immediately followed by an odd-length run
    of 0s (maximal runs; a final run counts).

    DFA (the authors' transition table): q0 = "fine" (start / even run of 1s), q1 = odd run of 1s,
    q3 = odd run of 1s then an odd run of 0s, q2 = odd run of 1s then an even run of 0s, q4 = dead;
    accepting {q0, q1, q2}.
    Labels: legal next symbols by true liveness: ``[01]`` everywhere except in q3 (``[0-]``: the
    0-run must be made even before a 1).  The authors treated q3 as dead (see the module docstring).
    Strings: uniform among the strings of length n (exact DFA-conditioned random walk).

    Example (n = 5, w = 10011)::

        inputs : <bos>  1    0    0    1    1
        targets: [01] [01] [0-] [01] [01] [01]
    """

    name = "tomita3"
    title = "Tomita-3"
    figure_index = 4
    alphabet = ("0", "1")
    label_mode = "next"
    star_free, dot_depth, ac0 = False, None, True
    prediction = Prediction(
        ape=False, nope=False,
        reason="needs the parity of the lengths of the current runs, which no periodic/local predicate "
               "gives: no C-RASP[periodic, local] program",
        source="paper",
    )

    def dfa(self):
        #        on 0  on 1
        delta = [[0, 1],   # q0
                 [3, 0],   # q1
                 [3, 1],   # q2
                 [2, 4],   # q3
                 [4, 4]]   # q4 (dead)
        return delta, 0, {0, 1, 2}


@register
class Tomita5(DFALanguage):
    """Tomita-5 over {0, 1}: the numbers of 0s and of 1s are both even.

    Labels: membership of the prefix.  Strings: uniform among the strings of (even) length n.

    Example (n = 4, w = 0110)::

        inputs : <bos>  0     1     1     0
        targets: [in]  [out] [out] [out] [in]
    """

    name = "tomita5"
    title = "Tomita-5"
    figure_index = 5
    alphabet = ("0", "1")
    label_mode = "member"
    star_free, dot_depth, ac0 = False, None, False
    prediction = Prediction(
        ape=False, nope=False,
        reason="needs the parity of symbol counts (PARITY); not in C-RASP[periodic, local]",
        source="paper",
    )

    def dfa(self):
        # state = 2 * (#0 mod 2) + (#1 mod 2)
        delta = [[2 * ((q >> 1) ^ 1) + (q & 1), 2 * (q >> 1) + ((q & 1) ^ 1)] for q in range(4)]
        return delta, 0, {0}


@register
class Tomita6(DFALanguage):
    """Tomita-6 over {0, 1}: #0 - #1 = 0 (mod 3).

    Labels: membership of the prefix.  Strings: uniform among the strings of length n (every
    n except 1 has one).

    Example (n = 3, w = 000)::

        inputs : <bos>  0     0     0
        targets: [in]  [out] [out] [in]
    """

    name = "tomita6"
    title = "Tomita-6"
    figure_index = 6
    alphabet = ("0", "1")
    label_mode = "member"
    star_free, dot_depth, ac0 = False, None, False
    prediction = Prediction(
        ape=False, nope=False,
        reason="needs (#0 - #1) mod 3: modular counting, not in C-RASP[periodic, local]",
        source="paper",
    )

    def dfa(self):
        delta = [[(q + 1) % 3, (q - 1) % 3] for q in range(3)]
        return delta, 0, {0}


class _BoundedDyck(DFALanguage):
    """Bounded-depth Dyck language D_n over {a, b} (a = "(", b = ")"): balanced strings whose
    depth (#a - #b over every prefix) stays in [0, n].  Recursively D_n = (a D_{n-1} b)*, D_0 = {ε}.

    Labels: legal next symbols (the authors' '10'/'01'/'11'): ``[a-]`` at depth 0, ``[-b]`` at
    depth n, ``[ab]`` in between.  Strings: uniform among the balanced strings of (even) length n
    with depth <= n (exact DP over the depth).

    Example (D_2, length 6, w = aabbab)::

        inputs : <bos>  a    a    b    b    a    b
        targets: [a-] [ab] [-b] [ab] [a-] [ab] [a-]
    """

    depth: int = 0
    alphabet = ("a", "b")
    label_mode = "next"
    star_free, ac0 = True, True

    def dfa(self):
        n, dead = self.depth, self.depth + 1
        delta = [[d + 1 if d < n else dead, d - 1 if d > 0 else dead] for d in range(n + 1)]
        delta.append([dead, dead])
        return delta, 0, {0}


def _dyck_prediction(n: int) -> Prediction:
    return Prediction(
        ape=True, nope=True,
        reason=f"D_{n}: depth = #a - #b compared with 0 and {n} at every prefix; a C-RASP[] program",
        source="paper",
    )


@register
class D2(_BoundedDyck):
    __doc__ = _BoundedDyck.__doc__ + "\n    This task: n = 2 (dot-depth 2).\n"
    name, title, figure_index, depth, dot_depth = "d2", "D-2", 7, 2, 2
    prediction = _dyck_prediction(2)


@register
class D3(_BoundedDyck):
    __doc__ = _BoundedDyck.__doc__ + "\n    This task: n = 3 (dot-depth 3).\n"
    name, title, figure_index, depth, dot_depth = "d3", "D-3", 8, 3, 3
    prediction = _dyck_prediction(3)


@register
class D4(_BoundedDyck):
    __doc__ = _BoundedDyck.__doc__ + "\n    This task: n = 4 (dot-depth 4).\n"
    name, title, figure_index, depth, dot_depth = "d4", "D-4", 9, 4, 4
    prediction = _dyck_prediction(4)


@register
class D12(_BoundedDyck):
    __doc__ = _BoundedDyck.__doc__ + "\n    This task: n = 12 (dot-depth 12).\n"
    name, title, figure_index, depth, dot_depth = "d12", "D-12", 10, 12, 12
    prediction = _dyck_prediction(12)


@register
class Tomita1(DFALanguage):
    """Tomita-1 = ``1*`` over {0, 1}.

    Labels: legal next symbols; on strings of the language always ``[-1]``.
    Strings: the single string 1^n.

    Example (n = 3)::

        inputs : <bos>  1    1    1
        targets: [-1] [-1] [-1] [-1]
    """

    name = "tomita1"
    title = "Tomita-1"
    figure_index = 11
    alphabet = ("0", "1")
    label_mode = "next"
    star_free, dot_depth, ac0 = True, 1, True
    prediction = Prediction(
        ape=True, nope=True,
        reason="1*: the label is constant on the language (0 never legal); trivially C-RASP[]",
        source="paper",
    )

    def dfa(self):
        return [[1, 0], [1, 1]], 0, {0}


@register
class Tomita2(DFALanguage):
    """Tomita-2 = ``(10)*`` over {0, 1}.

    Labels: legal next symbols: ``[-1]`` after an even prefix, ``[0-]`` after an odd one.
    Strings: the single string (10)^(n/2), n even.

    Example (n = 4)::

        inputs : <bos>  1    0    1    0
        targets: [-1] [0-] [-1] [0-] [-1]
    """

    name = "tomita2"
    title = "Tomita-2"
    figure_index = 12
    alphabet = ("0", "1")
    label_mode = "next"
    star_free, dot_depth, ac0 = True, 1, True
    prediction = Prediction(
        ape=True, nope=True,
        reason="(10)*: next is 0 iff the current symbol is 1 (on the language), a C-RASP[] test of the current symbol",
        source="paper",
    )

    def dfa(self):
        return [[2, 1], [0, 2], [2, 2]], 0, {0}


@register
class Tomita4(DFALanguage):
    """Tomita-4 over {0, 1}: no ``000`` substring.

    Labels: legal next symbols: ``[-1]`` right after ``00``, ``[01]`` otherwise.
    Strings: uniform among the strings of length n without ``000``.

    Example (n = 4, w = 1001)::

        inputs : <bos>  1    0    0    1
        targets: [01] [01] [01] [-1] [01]
    """

    name = "tomita4"
    title = "Tomita-4"
    figure_index = 13
    alphabet = ("0", "1")
    label_mode = "next"
    star_free, dot_depth, ac0 = True, 1, True
    prediction = Prediction(
        ape=True, nope=False,
        reason="needs 'the last two symbols are 00': local relations j = i-1, i-2 (C-RASP[local]); no C-RASP[] program",
        source="paper",
    )

    def dfa(self):
        # state = number of trailing 0s (0, 1, 2); 3 = dead
        return [[1, 0], [2, 0], [3, 0], [3, 3]], 0, {0, 1, 2}


@register
class Tomita7(DFALanguage):
    """Tomita-7 = ``0*1*0*1*`` over {0, 1}.

    Labels: legal next symbols: ``[-1]`` once the prefix contains 1, 0, 1 as a subsequence
    (the last block of 1s has started), ``[01]`` before.
    Strings: uniform among the strings of length n.

    Example (n = 5, w = 01101)::

        inputs : <bos>  0    1    1    0    1
        targets: [01] [01] [01] [01] [01] [-1]
    """

    name = "tomita7"
    title = "Tomita-7"
    figure_index = 14
    alphabet = ("0", "1")
    label_mode = "next"
    star_free, dot_depth, ac0 = True, 1, True
    prediction = Prediction(
        ape=True, nope=True,
        reason="0 becomes illegal once the subsequence 1 0 1 occurred: nested existentials, a C-RASP[] program",
        source="paper",
    )

    def dfa(self):
        # q0: 0*, q1: 0*1+, q2: 0*1+0+, q3: 0*1+0+1+, q4: dead
        return [[0, 1], [2, 1], [2, 3], [4, 3], [4, 4]], 0, {0, 1, 2, 3}


@register
class ABCDEStar(DFALanguage):
    """``aa*bb*cc*dd*ee*`` over {a, b, c, d, e}: a^i b^j c^k d^l e^m with all exponents >= 1.

    Labels: legal next symbols: ``[a----]`` at ``<bos>``, then ``[ab---]`` after an a,
    ``[-bc--]`` after a b, ..., ``[----e]`` after an e (the authors' "next letter" labels).
    Strings: uniform among the strings of length n >= 5 (a uniform composition of n into 5 parts).

    Example (n = 6, w = aabcde)::

        inputs : <bos>     a       a       b       c       d       e
        targets: [a----] [ab---] [ab---] [-bc--] [--cd-] [---de] [----e]
    """

    name = "abcde_star"
    title = "aa*bb*cc*dd*ee*"
    figure_index = 15
    alphabet = ("a", "b", "c", "d", "e")
    label_mode = "next"
    star_free, dot_depth, ac0 = True, 1, True
    prediction = Prediction(
        ape=True, nope=True,
        reason="the legal set depends only on the current symbol (or <bos>): a C-RASP[] program",
        source="paper",
    )

    def dfa(self):
        # state k (1..5): last symbol is letter k-1; 0: start; 6: dead
        dead = 6
        delta = [[1, dead, dead, dead, dead]]
        for k in range(1, 6):
            row = [dead] * 5
            row[k - 1] = k
            if k < 5:
                row[k] = k + 1
            delta.append(row)
        delta.append([dead] * 5)
        return delta, 0, {5}


@register
class ABDBC(DFALanguage):
    """``{a,b}*d{b,c}*`` over {a, b, c, d}: exactly one d, only a/b before it, only b/c after it.

    Labels: legal next symbols (alphabet order a, b, c, d): ``[ab-d]`` before the d,
    ``[-bc-]`` from the d on (the authors' '1101' / '0110').
    Strings: uniform among the strings of length n (the d is uniform in position).

    Example (n = 4, w = adbc)::

        inputs : <bos>   a      d      b      c
        targets: [ab-d] [ab-d] [-bc-] [-bc-] [-bc-]
    """

    name = "ab_d_bc"
    title = "{a,b}*d{b,c}*"
    figure_index = 16
    alphabet = ("a", "b", "c", "d")
    label_mode = "next"
    star_free, dot_depth, ac0 = True, 1, True
    prediction = Prediction(
        ape=True, nope=True,
        reason="the legal set depends only on whether a d has occurred (an existential count): C-RASP[]",
        source="paper",
    )

    def dfa(self):
        #        a  b  c  d
        return [[0, 0, 2, 1],   # before d
                [2, 1, 1, 2],   # after d
                [2, 2, 2, 2]], 0, {1}


@register
class ZOT02Star(DFALanguage):
    """``{0,1,2}*02*`` over {0, 1, 2}: the last symbol other than 2 exists and is 0.

    Labels: membership of the prefix, ``[in]`` = the authors' ``e`` (may end here),
    ``[out]`` = ``c`` (must continue).  Unlike the authors' labels, a prefix ending in 0 is ``[in]``.
    Strings: uniform among the strings of length n.

    Example (n = 4, w = 1022)::

        inputs : <bos>  1     0    2    2
        targets: [out] [out] [in] [in] [in]
    """

    name = "zot_02_star"
    title = "{0,1,2}*02*"
    figure_index = 17
    alphabet = ("0", "1", "2")
    label_mode = "member"
    star_free, dot_depth, ac0 = True, 2, True
    prediction = Prediction(
        ape=False, nope=False,
        reason="'the last non-2 symbol is 0' is last-occurrence retrieval (flip-flop): "
               "not in C-RASP[periodic, local] (Lemmas 35/36)",
        source="paper",
    )

    def dfa(self):
        # state 0: no non-2 yet or last non-2 is 1; state 1: last non-2 is 0
        return [[1, 0, 0], [1, 0, 1]], 0, {1}
