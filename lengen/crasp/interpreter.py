"""A vectorized interpreter: every definition at every position of a batch of strings at once.

Values are numpy arrays of shape ``(B, n)`` -- ``B`` strings of length ``n`` -- with dtype
``bool`` for Boolean definitions and ``int64`` for counts; column ``p - 1`` holds the value at
(1-based) position ``p``.  A count ``#[j <= i] P`` is a prefix sum (``cumsum``) of ``P`` along the
positions; a local count ``#[j <= i, j == i - k] P`` is ``P`` shifted right by k; a window count
``#[j <= i, i - j <= k] P`` is a difference of two prefix sums.  Every operation is a constant
number of passes over the ``B * n`` values, so the cost is linear in the length.

Periodic predicates see absolute positions: with ``offset = o``, position p of a string is
treated as position ``o + p`` (so ``i % m == r`` holds at p iff ``(o + p) % m == r``).  ``offset``
may be one integer for the whole batch or one per string.  Counts and local relations only
ever range over the string's own positions, whatever the offset.

Inputs are token strings: a batch is a list of token lists (or of whitespace-separated strings).
Tokens that the program never tests with ``Q(...)`` are allowed (they satisfy no ``Q``), unless
the program was parsed with a vocabulary, in which case tokens outside it raise
:class:`~lengen.crasp.errors.VocabularyError`.
"""

from __future__ import annotations

from typing import Any, Sequence, Union

import numpy as np

from .ast import (
    Add,
    And,
    BoolConst,
    BoolRef,
    Compare,
    Cond,
    Count,
    CountConst,
    CountRef,
    Node,
    Not,
    Or,
    Periodic,
    Program,
    Scale,
    Sub,
    Token,
    Type,
)
from .errors import VocabularyError

Strings = Sequence[Union[str, Sequence[str]]]
Offset = Union[int, Sequence[int], np.ndarray]

_CMP = {
    "<": np.less,
    "<=": np.less_equal,
    "==": np.equal,
    "!=": np.not_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def as_tokens(s: str | Sequence[str]) -> list[str]:
    """A string of whitespace-separated tokens, or a sequence of tokens, as a list of tokens."""
    return s.split() if isinstance(s, str) else list(s)


def encode(program: Program, batch: Strings) -> np.ndarray:
    """Token strings to an ``int32`` array of shape (B, n): the index of each token in
    ``program.tokens``, or -1 for a token the program never tests.  All strings must have the
    same length.  Raises :class:`VocabularyError` for a token outside ``program.vocab``."""
    rows = [as_tokens(s) for s in batch]
    if not rows:
        return np.zeros((0, 0), dtype=np.int32)
    n = len(rows[0])
    for b, r in enumerate(rows):
        if len(r) != n:
            raise ValueError(
                f"evaluate() needs strings of equal length (string 0 has {n} tokens, string {b} has {len(r)}); "
                "use evaluate_ragged() for strings of different lengths"
            )
    if program.vocab is not None:
        allowed = set(program.vocab)
        for b, r in enumerate(rows):
            for p, t in enumerate(r):
                if t not in allowed:
                    raise VocabularyError(
                        f"input token {t!r} (string {b}, position {p + 1}) is not in the vocabulary "
                        f"of the program ({' '.join(program.vocab[:30])}{' ...' if len(program.vocab) > 30 else ''})"
                    )
    index = {t: k for k, t in enumerate(program.tokens)}
    ids = np.fromiter((index.get(t, -1) for r in rows for t in r), dtype=np.int32, count=len(rows) * n)
    return ids.reshape(len(rows), n)


def _positions(offset: Offset, B: int, n: int) -> np.ndarray:
    """Absolute 1-based positions, shape (1, n) or (B, n)."""
    p = np.arange(1, n + 1, dtype=np.int64)[None, :]
    off = np.asarray(offset, dtype=np.int64)
    if off.ndim == 0:
        return p + int(off)
    if off.shape != (B,):
        raise ValueError(f"offset must be an integer or one integer per string ({B}), got shape {off.shape}")
    return p + off[:, None]


class _Evaluator:
    def __init__(self, program: Program, ids: np.ndarray, offset: Offset) -> None:
        self.program = program
        self.ids = ids
        self.B, self.n = ids.shape
        self.offset = offset
        self.values: dict[str, np.ndarray] = {}
        self._pos: np.ndarray | None = None
        self._index = {t: k for k, t in enumerate(program.tokens)}

    def positions(self) -> np.ndarray:
        if self._pos is None:
            self._pos = _positions(self.offset, self.B, self.n)
        return self._pos

    def full(self, v: np.ndarray) -> np.ndarray:
        """Broadcast a value to (rows, n) so that it can be summed along positions."""
        if v.shape[1] == self.n:
            return v
        return np.broadcast_to(v, (v.shape[0], self.n))

    def ev(self, node: Node) -> np.ndarray:  # noqa: C901 - one branch per node type
        if isinstance(node, Token):
            return self.ids == self._index[node.token]
        if isinstance(node, (BoolRef, CountRef)):
            return self.values[node.name]
        if isinstance(node, And):
            return np.logical_and(self.ev(node.left), self.ev(node.right))
        if isinstance(node, Or):
            return np.logical_or(self.ev(node.left), self.ev(node.right))
        if isinstance(node, Not):
            return np.logical_not(self.ev(node.arg))
        if isinstance(node, Compare):
            return _CMP[node.op](self.ev(node.left), self.ev(node.right))
        if isinstance(node, Count):
            return self.count(node)
        if isinstance(node, Add):
            return np.add(self.ev(node.left), self.ev(node.right))
        if isinstance(node, Sub):
            return np.subtract(self.ev(node.left), self.ev(node.right))
        if isinstance(node, Scale):
            return np.multiply(self.ev(node.arg), np.int64(node.factor))
        if isinstance(node, Cond):
            return np.where(self.ev(node.test), self.ev(node.then), self.ev(node.orelse))
        if isinstance(node, CountConst):
            return np.full((1, 1), node.value, dtype=np.int64)
        if isinstance(node, BoolConst):
            return np.full((1, 1), node.value, dtype=bool)
        if isinstance(node, Periodic):
            return self.positions() % node.modulus == node.residue
        raise TypeError(f"not a C-RASP node: {node!r}")

    def count(self, node: Count) -> np.ndarray:
        body = self.full(self.ev(node.body))
        rel = node.relation
        n = self.n
        if rel.kind == "all":
            return np.cumsum(body, axis=1, dtype=np.int64)
        k = rel.k
        if rel.kind == "shift":  # value at i is P(i - k), or 0 when i - k < 1
            out = np.zeros(body.shape, dtype=np.int64)
            if k < n:
                out[:, k:] = body[:, : n - k]
            return out
        # window: #{j : i - k <= j <= i, P(j)} = S(i) - S(i - k - 1), S the prefix sum (S(0) = 0)
        s = np.cumsum(body, axis=1, dtype=np.int64)
        if k + 1 >= n:
            return s
        out = np.empty_like(s)
        out[:, : k + 1] = s[:, : k + 1]
        np.subtract(s[:, k + 1 :], s[:, : n - k - 1], out=out[:, k + 1 :])
        return out

    def run(self) -> dict[str, np.ndarray]:
        shape = (self.B, self.n)
        out: dict[str, np.ndarray] = {}
        for d in self.program.definitions:
            v = self.ev(d.expr)
            dtype = bool if d.type is Type.BOOL else np.int64
            if v.shape != shape or v.dtype != dtype:
                v = np.broadcast_to(v, shape).astype(dtype, copy=True)
            self.values[d.name] = v
            out[d.name] = v
        return out


def evaluate(program: Program, batch: Strings | np.ndarray, offset: Offset = 0) -> dict[str, np.ndarray]:
    """Every definition's value at every position of a batch of equal-length strings.

    ``batch``: a list of token lists (or of whitespace-separated strings), all of the same
    length n; or an integer array of shape (B, n) already encoded with :func:`encode`.
    ``offset``: an integer, or one integer per string; position p (1-based) of a string is the
    absolute position ``offset + p`` for periodic predicates.

    Returns a dict, in definition order, mapping each name to an array of shape (B, n):
    ``bool`` for Boolean definitions, ``int64`` for counts; ``[b, p - 1]`` is the value at
    position p of string b.
    """
    if isinstance(batch, np.ndarray) and batch.dtype.kind in "iu":
        ids = batch
        if ids.ndim != 2:
            raise ValueError(f"encoded inputs must have shape (B, n), got {ids.shape}")
    else:
        ids = encode(program, batch)  # type: ignore[arg-type]
    return _Evaluator(program, ids, offset).run()


def evaluate_ragged(program: Program, strings: Strings, offset: Offset = 0) -> list[dict[str, np.ndarray]]:
    """Like :func:`evaluate` for strings of different lengths (grouped by length internally).

    Returns one dict per string, mapping each name to a 1-D array of the string's length.
    ``offset`` is one integer or one per string.
    """
    rows = [as_tokens(s) for s in strings]
    offs = np.broadcast_to(np.asarray(offset, dtype=np.int64), (len(rows),))
    groups: dict[int, list[int]] = {}
    for k, r in enumerate(rows):
        groups.setdefault(len(r), []).append(k)
    results: list[Any] = [None] * len(rows)
    for _, members in groups.items():
        vals = evaluate(program, [rows[k] for k in members], offs[members])
        for pos, k in enumerate(members):
            results[k] = {name: v[pos] for name, v in vals.items()}
    return results


def run(program: Program, tokens: str | Sequence[str], offset: int = 0) -> dict[str, np.ndarray]:
    """Every definition's values on one string: name -> 1-D array (index p - 1 = position p)."""
    vals = evaluate(program, [as_tokens(tokens)], offset)
    return {k: v[0] for k, v in vals.items()}
