"""The paper's eight algorithmic tasks (Huang et al., ICLR 2025, and the authors' released code).

Every task is a language-modelling problem on one token sequence::

    <bos> x_1 ... x_n <sep> y_1 ... y_m <eos>        (addition: "=" instead of <sep>)

* The task **length** is n, the number of input symbols ``x`` (for ``addition`` it counts both
  operands plus ``+`` and ``=``).  Bins and training ranges refer to this length.
* :class:`~lengen.tasks.base.Example` ``inputs`` is the full sequence without its last token
  (so ``len(inputs) = n + m + 2``; addition ``n + m + 1``), and ``targets[t]`` is the token that
  follows position t when that token is an answer token ``y_k`` or ``<eos>``; every other position
  is unsupervised (``None``).  The position of ``<sep>`` (``=``) therefore predicts ``y_1`` and the
  position of ``y_m`` predicts ``<eos>``.
* ``n_positions`` (computed in ``base.py`` for lengths up to 150) is ``len(inputs)`` of the longest
  example: 153 (majority family, parity), 155 (interleave), 302 (copy, sort), 299 (addition).  The
  authors' GPT-2 configs are one larger (154, 156, 303, 300) because they also feed the final
  ``<eos>`` as an input, whose prediction is never used.  With ``base.py``'s offset rule
  (offset uniform in ``[0, n_positions - len(inputs)]``) lengen's training offsets are exactly the
  authors' ranges ([0, 150 - n]; [0, 2 (150 - n)] for copy/sort; [0, 300 - full length] for addition).

The distributions follow the authors' generators: the *number* of ones in majority/parity inputs is
uniform (then the positions are shuffled); majority-type inputs with a tie are redrawn.
Each task's :meth:`AlgorithmicTask.answer` computes the output for any input, and ``example`` uses it.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

from . import register
from .base import BOS, EOS, PAD, SEP, Example, Prediction, Task, TaskError, Vocab

__all__ = [
    "AlgorithmicTask", "BinaryMajority", "BinaryMajorityInterleave", "Majority", "Sort",
    "UniqueCopy", "RepeatCopy", "Parity", "Addition",
]

_NUMBERS = [str(i) for i in range(150)]  # the 150-token vocabulary of sort / copy-unique
_LETTERS = [chr(ord("a") + i) for i in range(26)]


class AlgorithmicTask(Task):
    """Shared machinery: ``<bos> input <sep> answer <eos>`` with the answer and ``<eos>`` supervised.

    Subclasses set ``symbols`` (input tokens), ``answers`` (answer tokens not already in
    ``symbols``), ``min_length``, ``prediction`` and implement :meth:`draw_input`,
    :meth:`answer` and :meth:`sequence_length`.
    """

    kind = "algorithmic"
    separator: str = SEP
    symbols: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()

    def __init__(self) -> None:
        specials = [PAD, BOS, self.separator, EOS]
        rest = [s for s in (*self.symbols, *self.answers) if s not in specials]
        self.vocab = Vocab(specials + list(dict.fromkeys(rest)))
        self._symbol_set = frozenset(self.symbols)

    # -- to implement -----------------------------------------------------------------------
    def draw_input(self, rng: np.random.Generator, length: int) -> list[str]:
        """Draw the input tokens (between ``<bos>`` and the separator) for a feasible length."""
        raise NotImplementedError

    def answer(self, input_tokens: list[str]) -> list[str]:
        """The correct output tokens (without ``<eos>``) for ``input_tokens``."""
        raise NotImplementedError

    # -- shared -----------------------------------------------------------------------------
    def _check_tokens(self, input_tokens: Sequence[str]) -> None:
        for k, t in enumerate(input_tokens):
            if t not in self._symbol_set:
                raise TaskError(
                    f"token {t!r} (at index {k}) is not an input symbol of {self.name!r}; "
                    f"input symbols: {' '.join(self.symbols[:40])}{' ...' if len(self.symbols) > 40 else ''}"
                )

    def _require_feasible(self, length: int) -> None:
        if not self.feasible(length):
            raise TaskError(
                f"task {self.name!r} has no example of length {length} (lengths start at {self.min_length})"
            )

    def example(self, rng: np.random.Generator, length: int) -> Example:
        """``<bos> input <sep> answer <eos>`` as (inputs, targets); see the module docstring."""
        self._require_feasible(length)
        x = self.draw_input(rng, length)
        y = self.answer(x)
        return self.make_example(x, y, length)

    def make_example(self, x: list[str], y: list[str], length: int) -> Example:
        """Frame an input/answer pair: inputs = full sequence minus its last token."""
        seq = [BOS, *x, self.separator, *y, EOS]
        n_unsup = len(x) + 1  # <bos> and the input tokens predict nothing
        targets: list[str | None] = [None] * n_unsup + seq[n_unsup + 1:]
        return Example(inputs=seq[:-1], targets=targets, length=length)


def _binary_majority_input(rng: np.random.Generator, length: int) -> list[str]:
    """Binary string of this length without a tie: #zeros uniform in [0, length] (ties redrawn), shuffled."""
    while True:
        n_zero = int(rng.integers(0, length + 1))
        if 2 * n_zero != length:
            break
    bits = np.ones(length, dtype=np.int8)
    bits[:n_zero] = 0
    rng.shuffle(bits)
    return ["1" if b else "0" for b in bits.tolist()]


@register
class BinaryMajority(AlgorithmicTask):
    """Binary majority: the more frequent bit.

    Encoding: ``<bos> x_1 ... x_n <sep> y <eos>`` with x_i in {0, 1} and y the majority bit;
    length = n >= 1 (number of input bits).  Inputs with as many 0s as 1s are never produced (the
    number of zeros is drawn uniformly from [0, n], redrawn on a tie).  Supervised: the position
    of ``<sep>`` (target y) and of y (target ``<eos>``).

    Example (length 5)::

        inputs : <bos> 0 1 1 0 1 <sep> 1
        targets:   .   . . . . .   1   <eos>
    """

    name = "bin_majority"
    title = "Binary Majority"
    symbols = ("0", "1")
    min_length = 1
    prediction = Prediction(
        ape=True, nope=True,
        reason="NEXT_1 := #0 + 1 <= #1 (and symmetrically): a C-RASP[] program, no positions needed",
        source="paper",
    )

    def sequence_length(self, length: int) -> int:
        return length + 3

    def draw_input(self, rng: np.random.Generator, length: int) -> list[str]:
        return _binary_majority_input(rng, length)

    def answer(self, input_tokens: list[str]) -> list[str]:
        self._check_tokens(input_tokens)
        ones = sum(1 for t in input_tokens if t == "1")
        zeros = len(input_tokens) - ones
        if ones == zeros:
            raise TaskError(f"binary majority is undefined on a tie ({ones} ones, {zeros} zeros)")
        return ["1" if ones > zeros else "0"]


@register
class BinaryMajorityInterleave(AlgorithmicTask):
    """Three interleaved binary majority problems (period 3).

    Encoding: ``<bos> x_1 ... x_{3L} <sep> a_0 a_1 a_2 <eos>``; a_k is the majority bit of the group
    of inputs x_i with i - 1 = k (mod 3), i.e. the positions k, k+3, ... counted from the first token
    after ``<bos>``.  Each group has L bits and no tie (drawn like ``bin_majority``).
    Length = 3L: lengen only admits multiples of 3 (``feasible``), which is the support of the
    authors' generator (they round a uniform length to the nearest multiple of 3 inside the range);
    min length 3.  Supervised: the positions of ``<sep>``, a_0, a_1, a_2 (targets a_0, a_1, a_2, ``<eos>``).

    Example (length 6, L = 2; groups 1 1 | 0 0 | 1 1)::

        inputs : <bos> 1 0 1 1 0 1 <sep> 1 0 1
        targets:   .   . . . . . .   1   0 1 <eos>
    """

    name = "bin_majority_interleave"
    title = "Binary Majority Interleave"
    symbols = ("0", "1")
    min_length = 3
    period = 3
    prediction = Prediction(
        ape=True, nope=False,
        reason="per-group counts need the periodic predicate 'position - bos = k (mod 3)': "
               "C-RASP[periodic], not C-RASP[]",
        source="paper",
    )

    def feasible(self, length: int) -> bool:
        return length >= self.min_length and length % self.period == 0

    def sequence_length(self, length: int) -> int:
        return length + 2 + self.period

    def draw_input(self, rng: np.random.Generator, length: int) -> list[str]:
        block = length // self.period
        groups = [_binary_majority_input(rng, block) for _ in range(self.period)]
        return [groups[k][j] for j in range(block) for k in range(self.period)]

    def answer(self, input_tokens: list[str]) -> list[str]:
        self._check_tokens(input_tokens)
        if len(input_tokens) % self.period:
            raise TaskError(
                f"interleaved majority needs a multiple of {self.period} input bits, got {len(input_tokens)}"
            )
        out = []
        for k in range(self.period):
            group = input_tokens[k::self.period]
            ones = sum(1 for t in group if t == "1")
            if 2 * ones == len(group):
                raise TaskError(f"group {k} has a tie ({ones} ones of {len(group)})")
            out.append("1" if 2 * ones > len(group) else "0")
        return out


@register
class Majority(AlgorithmicTask):
    """Majority over 26 letters: the most frequent letter.

    Encoding: ``<bos> x_1 ... x_n <sep> y <eos>`` with x_i i.i.d. uniform in a..z, y the most
    frequent letter; inputs whose two most frequent letters tie are redrawn.  Length = n >= 1.
    Supervised: the positions of ``<sep>`` (target y) and y (target ``<eos>``).

    Example (length 4)::

        inputs : <bos> c a b a <sep> a
        targets:   .   . . . .   a   <eos>
    """

    name = "majority"
    title = "Majority"
    symbols = tuple(_LETTERS)
    min_length = 1
    prediction = Prediction(
        ape=True, nope=True,
        reason="NEXT_a := AND_{b != a} (#b + 1 <= #a): a C-RASP[] program",
        source="paper",
    )

    def sequence_length(self, length: int) -> int:
        return length + 3

    def draw_input(self, rng: np.random.Generator, length: int) -> list[str]:
        while True:
            ids = rng.integers(0, 26, size=length)
            counts = np.bincount(ids, minlength=26)
            top = counts.max()
            if (counts == top).sum() == 1:
                return [_LETTERS[i] for i in ids.tolist()]

    def answer(self, input_tokens: list[str]) -> list[str]:
        self._check_tokens(input_tokens)
        if not input_tokens:
            raise TaskError("majority of an empty input is undefined")
        common = Counter(input_tokens).most_common(2)
        if len(common) == 2 and common[0][1] == common[1][1]:
            raise TaskError(
                f"majority is undefined on a tie ({common[0][0]!r} and {common[1][0]!r} "
                f"both occur {common[0][1]} times)"
            )
        return [common[0][0]]


@register
class Sort(AlgorithmicTask):
    """Sort distinct tokens.

    Encoding: ``<bos> x_1 ... x_n <sep> y_1 ... y_n <eos>``; the x_i are n *distinct* tokens drawn
    uniformly without replacement from the 150 tokens "0" ... "149", and y is x sorted ascending by
    numeric id.  Length = n (1 <= n <= 150).  Supervised: the n answer tokens and ``<eos>``
    (predicted at the positions of ``<sep>``, y_1, ..., y_n).

    Example (length 3)::

        inputs : <bos> 17 3 99 <sep> 3 17 99
        targets:   .    .  .  .   3  17 99 <eos>
    """

    name = "sort"
    title = "Sort"
    symbols = tuple(_NUMBERS)
    min_length = 1
    prediction = Prediction(
        ape=True, nope=True,
        reason="next = smallest input token larger than the current one: existence tests and symbol "
               "comparisons, C-RASP[]",
        source="paper",
    )

    def feasible(self, length: int) -> bool:
        return self.min_length <= length <= len(self.symbols)

    def sequence_length(self, length: int) -> int:
        return 2 * length + 2

    def draw_input(self, rng: np.random.Generator, length: int) -> list[str]:
        return [_NUMBERS[i] for i in rng.choice(len(_NUMBERS), size=length, replace=False).tolist()]

    def answer(self, input_tokens: list[str]) -> list[str]:
        self._check_tokens(input_tokens)
        return sorted(input_tokens, key=int)


@register
class UniqueCopy(AlgorithmicTask):
    """Copy a string of distinct tokens.

    Encoding: ``<bos> x_1 ... x_n <sep> x_1 ... x_n <eos>``; the x_i are n distinct tokens drawn
    uniformly without replacement from "0" ... "149".  Length = n (1 <= n <= 150).
    Supervised: the n copied tokens and ``<eos>``.

    Example (length 3)::

        inputs : <bos> 17 3 99 <sep> 17 3 99
        targets:   .    .  .  .  17   3 99 <eos>
    """

    name = "unique_copy"
    title = "Copy Unique"
    symbols = tuple(_NUMBERS)
    min_length = 1
    prediction = Prediction(
        ape=True, nope=False,
        reason="induction head: needs the local predecessor relation j = i - 1, in C-RASP[local] but not C-RASP[]",
        source="paper",
    )

    def feasible(self, length: int) -> bool:
        return self.min_length <= length <= len(self.symbols)

    def sequence_length(self, length: int) -> int:
        return 2 * length + 2

    def draw_input(self, rng: np.random.Generator, length: int) -> list[str]:
        return [_NUMBERS[i] for i in rng.choice(len(_NUMBERS), size=length, replace=False).tolist()]

    def answer(self, input_tokens: list[str]) -> list[str]:
        self._check_tokens(input_tokens)
        return list(input_tokens)


@register
class RepeatCopy(AlgorithmicTask):
    """Copy a string with repeated tokens.

    Encoding: ``<bos> x_1 ... x_n <sep> x_1 ... x_n <eos>`` with x_i i.i.d. uniform in {a, b}.
    Length = n >= 1.  Supervised: the n copied tokens and ``<eos>``.

    Example (length 4)::

        inputs : <bos> a b b a <sep> a b b a
        targets:   .   . . . .   a   b b a <eos>
    """

    name = "repeat_copy"
    title = "Copy Repeat"
    symbols = ("a", "b")
    min_length = 1
    prediction = Prediction(
        ape=False, nope=False,
        reason="copying with repeated tokens needs linear communication (Theorem 12): "
               "no C-RASP[periodic, local] program",
        source="paper",
    )

    def sequence_length(self, length: int) -> int:
        return 2 * length + 2

    def draw_input(self, rng: np.random.Generator, length: int) -> list[str]:
        return [self.symbols[i] for i in rng.integers(0, 2, size=length).tolist()]

    def answer(self, input_tokens: list[str]) -> list[str]:
        self._check_tokens(input_tokens)
        return list(input_tokens)


@register
class Parity(AlgorithmicTask):
    """Parity of the number of ones.

    Encoding: ``<bos> x_1 ... x_n <sep> y <eos>`` with x_i in {0, 1}; y = ``e`` if the number of 1s
    is even, ``o`` if odd.  The number of ones is uniform in [0, n], positions shuffled.
    Length = n >= 0 (the empty input, answer ``e``, is allowed as in the authors' code).
    Supervised: the positions of ``<sep>`` (target y) and y (target ``<eos>``).

    Example (length 3)::

        inputs : <bos> 0 1 1 <sep> e
        targets:   .   . . .   e   <eos>
    """

    name = "parity"
    title = "Parity"
    symbols = ("0", "1")
    answers = ("e", "o")
    min_length = 0
    prediction = Prediction(
        ape=False, nope=False,
        reason="PARITY is not in C-RASP, and periodic/local positional predicates do not help with "
               "the parity of a count",
        source="paper",
    )

    def sequence_length(self, length: int) -> int:
        return length + 3

    def draw_input(self, rng: np.random.Generator, length: int) -> list[str]:
        n_one = int(rng.integers(0, length + 1))
        bits = np.zeros(length, dtype=np.int8)
        bits[:n_one] = 1
        rng.shuffle(bits)
        return ["1" if b else "0" for b in bits.tolist()]

    def answer(self, input_tokens: list[str]) -> list[str]:
        self._check_tokens(input_tokens)
        ones = sum(1 for t in input_tokens if t == "1")
        return ["e" if ones % 2 == 0 else "o"]


@register
class Addition(AlgorithmicTask):
    """Binary addition, most significant bit first.

    Encoding: ``<bos> a_1 ... a_p + b_1 ... b_q = s_1 ... s_m <eos>`` where a, b are binary numbers
    without leading zeros (a one-digit operand may be 0), MSB first, and s = a + b in binary, MSB
    first, without leading zeros.  There is no ``<sep>``: ``=`` plays its role.
    Length = p + q + 2 (it counts ``+`` and ``=``, as in the paper), so length >= 4.  The operand
    length p is uniform in [1, length - 3].  ``sequence_length`` uses the longest possible sum for
    the length (m = length - 2).  Supervised: the sum bits and ``<eos>`` (predicted at the
    positions of ``=``, s_1, ..., s_m).

    Example (length 7: 101 + 11)::

        inputs : <bos> 1 0 1 + 1 1 = 1 0 0 0
        targets:   .   . . . . . . 1 0 0 0 <eos>
    """

    name = "addition"
    title = "Addition"
    separator = "="
    symbols = ("0", "1", "+", "=")
    min_length = 4
    prediction = Prediction(
        ape=False, nope=False,
        reason="carry propagation over unbounded distance: no C-RASP[periodic, local] program found",
        source="paper",
    )

    def sequence_length(self, length: int) -> int:
        # <bos> + length tokens (ending with '=') + the longest sum (length - 2 bits)
        return 1 + length + (length - 2)

    def draw_input(self, rng: np.random.Generator, length: int) -> list[str]:
        p = int(rng.integers(1, length - 2))  # uniform in [1, length - 3]
        q = length - 2 - p
        return [*_binary_operand(rng, p), "+", *_binary_operand(rng, q), "="]

    def make_example(self, x: list[str], y: list[str], length: int) -> Example:
        # x already ends with '=' (the separator counts towards the length)
        seq = [BOS, *x, *y, EOS]
        n_unsup = len(x)
        targets: list[str | None] = [None] * n_unsup + seq[n_unsup + 1:]
        return Example(inputs=seq[:-1], targets=targets, length=length)

    def answer(self, input_tokens: list[str]) -> list[str]:
        """Sum bits for ``a + b =`` (the trailing ``=`` may be omitted)."""
        self._check_tokens(input_tokens)
        toks = list(input_tokens)
        if toks and toks[-1] == "=":
            toks = toks[:-1]
        if toks.count("+") != 1 or "=" in toks:
            raise TaskError(f"addition input must look like 'a + b =', got {' '.join(input_tokens)!r}")
        k = toks.index("+")
        a, b = toks[:k], toks[k + 1:]
        for op in (a, b):
            if not op:
                raise TaskError("addition operand is empty")
            if len(op) > 1 and op[0] == "0":
                raise TaskError(f"addition operand {''.join(op)!r} has a leading zero")
        total = _bits_to_int(a) + _bits_to_int(b)
        return list(format(total, "b"))


def _binary_operand(rng: np.random.Generator, n: int) -> list[str]:
    """A uniformly random n-bit number without leading zeros (n = 1: '0' or '1')."""
    if n == 1:
        return ["1" if rng.integers(0, 2) else "0"]
    return ["1"] + ["1" if b else "0" for b in rng.integers(0, 2, size=n - 1).tolist()]


def _bits_to_int(bits: Sequence[str]) -> int:
    value = 0
    for b in bits:
        value = 2 * value + (b == "1")
    return value
