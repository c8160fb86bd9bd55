"""A vectorized interpreter: every definition at every position of a batch of strings at once.

Values are numpy arrays of shape ``(B, n)`` -- ``B`` strings of length ``n`` -- with dtype
``bool`` for Boolean definitions and ``int64`` for counts; column ``p - 1`` holds the value at
(1-based) position ``p``.  A count ``#[j <= i] P`` is a prefix sum (``cumsum``) of ``P`` along the
positions; a local count ``#[j <= i, j == i - k] P`` is ``P`` shifted right by k; a window count
``#[j <= i, i - j <= k] P`` is a difference of two prefix sums.  Every operation is a constant
number of passes over the ``B * n`` values, so the cost is linear in the length.  Large batches
are processed a block of strings at a time, with the intermediate arrays recycled from a pool,
so that they stay in the CPU cache (see ``benchmarks/crasp_interpreter.py`` for the speed).

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

#: Batches larger than this many (string, position) pairs are evaluated a block of rows at a time.
CHUNK_ELEMENTS = 1 << 15

#: The comparison operators of C-RASP and their meaning, as numpy ufuncs (the compiler derives its
#: comparison gadgets from this table too, so the two agree by construction).
COMPARISON_UFUNCS = {
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


class _Pool:
    """Free arrays by (shape, dtype), reused across the nodes and the blocks of one evaluation.

    Reusing buffers instead of allocating fresh ones keeps the working set in the CPU cache and
    avoids page faults, which otherwise dominate the cost of the elementwise operations."""

    def __init__(self) -> None:
        self.free: dict[tuple[tuple[int, ...], Any], list[np.ndarray]] = {}

    def get(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        lst = self.free.get((shape, np.dtype(dtype)))
        return lst.pop() if lst else np.empty(shape, dtype=dtype)

    def put(self, arr: np.ndarray) -> None:
        self.free.setdefault((arr.shape, arr.dtype), []).append(arr)


class _Evaluator:
    """Evaluates the definitions of a program on one block of equal-length strings.

    ``ev`` returns ``(array, owned)``: ``owned`` arrays are temporaries of this evaluator that
    may be overwritten or returned to the pool once used; the others (definition values,
    constants) must not be modified.  Arrays have shape (rows, n) or broadcast shapes such as
    (1, n) (periodic predicates with one offset) and (1, 1) (constants).
    """

    def __init__(self, program: Program, ids: np.ndarray, offset: Offset, pool: _Pool) -> None:
        self.program = program
        self.ids = ids
        self.B, self.n = ids.shape
        self.offset = offset
        self.pool = pool
        self.values: dict[str, np.ndarray] = {}
        self._pos: np.ndarray | None = None
        self._index = {t: k for k, t in enumerate(program.tokens)}

    def positions(self) -> np.ndarray:
        if self._pos is None:
            self._pos = _positions(self.offset, self.B, self.n)
        return self._pos

    def release(self, arr: np.ndarray, owned: bool) -> None:
        if owned:
            self.pool.put(arr)

    def target(self, shape: tuple[int, ...], dtype: Any, *candidates: tuple[np.ndarray, bool]) -> tuple[np.ndarray, int]:
        """An output buffer: an owned operand of the right shape and dtype if there is one
        (elementwise ufuncs may write over an input), else a pooled array.  Returns the buffer
        and the index of the operand it reuses (-1 for none)."""
        for k, (arr, owned) in enumerate(candidates):
            if owned and arr.shape == shape and arr.dtype == dtype:
                return arr, k
        return self.pool.get(shape, dtype), -1

    def binary(self, ufunc: Any, left: Node, right: Node, dtype: Any) -> tuple[np.ndarray, bool]:
        a = self.ev(left)
        b = self.ev(right)
        shape = np.broadcast_shapes(a[0].shape, b[0].shape)
        out, used = self.target(shape, np.dtype(dtype), a, b)
        ufunc(a[0], b[0], out=out)
        for k, (arr, owned) in enumerate((a, b)):
            if k != used:
                self.release(arr, owned)
        return out, True

    def ev(self, node: Node) -> tuple[np.ndarray, bool]:  # noqa: C901 - one branch per node type
        if isinstance(node, Token):
            out = self.pool.get(self.ids.shape, bool)
            np.equal(self.ids, self._index[node.token], out=out)
            return out, True
        if isinstance(node, (BoolRef, CountRef)):
            return self.values[node.name], False
        if isinstance(node, And):
            return self.binary(np.logical_and, node.left, node.right, bool)
        if isinstance(node, Or):
            return self.binary(np.logical_or, node.left, node.right, bool)
        if isinstance(node, Compare):
            return self.binary(COMPARISON_UFUNCS[node.op], node.left, node.right, bool)
        if isinstance(node, Add):
            return self.binary(np.add, node.left, node.right, np.int64)
        if isinstance(node, Sub):
            return self.binary(np.subtract, node.left, node.right, np.int64)
        if isinstance(node, Not):
            a = self.ev(node.arg)
            out, used = self.target(a[0].shape, np.dtype(bool), a)
            np.logical_not(a[0], out=out)
            if used < 0:
                self.release(*a)
            return out, True
        if isinstance(node, Scale):
            a = self.ev(node.arg)
            out, used = self.target(a[0].shape, np.dtype(np.int64), a)
            np.multiply(a[0], np.int64(node.factor), out=out)
            if used < 0:
                self.release(*a)
            return out, True
        if isinstance(node, Count):
            return self.count(node)
        if isinstance(node, Cond):
            t, a, b = self.ev(node.test), self.ev(node.then), self.ev(node.orelse)
            shape = np.broadcast_shapes(t[0].shape, a[0].shape, b[0].shape)
            out, used = self.target(shape, np.dtype(np.int64), b)
            if used < 0:
                np.copyto(out, b[0])
                self.release(*b)
            np.copyto(out, a[0], where=t[0])
            self.release(*a)
            self.release(*t)
            return out, True
        if isinstance(node, CountConst):
            return np.full((1, 1), node.value, dtype=np.int64), False
        if isinstance(node, BoolConst):
            return np.full((1, 1), node.value, dtype=bool), False
        if isinstance(node, Periodic):
            pos = self.positions()
            tmp = self.pool.get(pos.shape, np.int64)
            np.remainder(pos, node.modulus, out=tmp)
            out = self.pool.get(pos.shape, bool)
            np.equal(tmp, node.residue, out=out)
            self.pool.put(tmp)
            return out, True
        raise TypeError(f"not a C-RASP node: {node!r}")

    def prefix_sum(self, body: np.ndarray) -> np.ndarray:
        """Row-wise inclusive prefix sums of a Boolean (rows, n) array, as int64.

        (``np.cumsum`` into a given ``out`` array; on numpy 2.x this is also more than ten times
        faster than letting ``cumsum`` allocate an int64 result for a Boolean input.)"""
        out = self.pool.get(body.shape, np.int64)
        np.cumsum(body, axis=1, dtype=np.int64, out=out)
        return out

    def count(self, node: Count) -> tuple[np.ndarray, bool]:
        body, owned = self.ev(node.body)
        full = body if body.shape[1] == self.n else np.broadcast_to(body, (body.shape[0], self.n))
        rel, n = node.relation, self.n
        k = rel.k
        if rel.kind == "all":
            out = self.prefix_sum(full)
        elif rel.kind == "shift":  # value at i is P(i - k), or 0 when i - k < 1
            out = self.pool.get(full.shape, np.int64)
            out[:, : min(k, n)] = 0
            if k < n:
                out[:, k:] = full[:, : n - k]
        else:  # window: #{j : i - k <= j <= i, P(j)} = S(i) - S(i - k - 1), S the prefix sum (S(0) = 0)
            s = self.prefix_sum(full)
            if k + 1 >= n:
                out = s
            else:
                out = self.pool.get(full.shape, np.int64)
                out[:, : k + 1] = s[:, : k + 1]
                np.subtract(s[:, k + 1 :], s[:, : n - k - 1], out=out[:, k + 1 :])
                self.pool.put(s)
        self.release(body, owned)
        return out, True

    def run(self, outputs: dict[str, np.ndarray] | None, rows: slice, last_use: dict[str, int]) -> dict[str, np.ndarray]:
        """Evaluate every definition.  With ``outputs``, copy each value into ``outputs[name][rows]``
        and recycle its buffer after its last use; without, return the values themselves."""
        shape = (self.B, self.n)
        result: dict[str, np.ndarray] = {}
        expire: dict[int, list[str]] = {}
        for name, k in last_use.items():
            expire.setdefault(k, []).append(name)
        for k, d in enumerate(self.program.definitions):
            v, owned = self.ev(d.expr)
            dtype = np.dtype(bool) if d.type is Type.BOOL else np.dtype(np.int64)
            if v.shape != shape or v.dtype != dtype or not owned:
                full = self.pool.get(shape, dtype) if outputs is not None else np.empty(shape, dtype)
                np.copyto(full, v)
                self.release(v, owned)
                v = full
            self.values[d.name] = v
            if outputs is None:
                result[d.name] = v
                continue
            outputs[d.name][rows] = v
            for name in expire.get(k, ()):
                self.pool.put(self.values.pop(name))
        return result if outputs is None else outputs


def _last_use(program: Program) -> dict[str, int]:
    """For each definition, the index of the last definition that reads it (or its own)."""
    last = {d.name: k for k, d in enumerate(program.definitions)}
    for k, d in enumerate(program.definitions):
        for node in d.expr.walk():
            if isinstance(node, (BoolRef, CountRef)):
                last[node.name] = k
    return last


def evaluate(
    program: Program,
    batch: Strings | np.ndarray,
    offset: Offset = 0,
    out: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Every definition's value at every position of a batch of equal-length strings.

    ``batch``: a list of token lists (or of whitespace-separated strings), all of the same
    length n; or an integer array of shape (B, n) already encoded with :func:`encode`.
    ``offset``: an integer, or one integer per string; position p (1-based) of a string is the
    absolute position ``offset + p`` for periodic predicates.

    Returns a dict, in definition order, mapping each name to an array of shape (B, n):
    ``bool`` for Boolean definitions, ``int64`` for counts; ``[b, p - 1]`` is the value at
    position p of string b.

    ``out``: optionally, arrays to write the values into (for instance the result of an earlier
    call on a batch of the same shape), which saves allocating fresh memory on repeated calls;
    missing or mismatched entries are allocated.  The returned dict is then ``out`` itself.
    """
    if isinstance(batch, np.ndarray) and batch.dtype.kind in "iu":
        ids = batch
        if ids.ndim != 2:
            raise ValueError(f"encoded inputs must have shape (B, n), got {ids.shape}")
    else:
        ids = encode(program, batch)  # type: ignore[arg-type]
    B, n = ids.shape
    off = np.asarray(offset, dtype=np.int64)
    if off.ndim not in (0, 1) or (off.ndim == 1 and off.shape != (B,)):
        raise ValueError(f"offset must be an integer or one integer per string ({B}), got shape {off.shape}")
    pool = _Pool()
    rows = max(1, CHUNK_ELEMENTS // max(n, 1))
    if B <= rows and out is None:
        return _Evaluator(program, ids, off, pool).run(None, slice(None), {})
    # Large batches: evaluate a block of rows at a time, so that the arrays of a block stay in
    # the CPU cache and are recycled from block to block; each value is copied into the output.
    given = out if out is not None else {}
    out = given
    missing: dict[np.dtype, list[str]] = {}
    for d in program.definitions:
        dtype = np.dtype(bool) if d.type is Type.BOOL else np.dtype(np.int64)
        arr = given.get(d.name)
        if not (isinstance(arr, np.ndarray) and arr.shape == (B, n) and arr.dtype == dtype and arr.flags.writeable):
            missing.setdefault(dtype, []).append(d.name)
    for dtype, names in missing.items():
        # one allocation per dtype: large enough for numpy to ask the kernel for huge pages,
        # which makes first-touching the output memory much cheaper than many 2 MB arrays
        block = np.empty((len(names), B, n), dtype=dtype)
        for k, name in enumerate(names):
            given[name] = block[k]
    last = _last_use(program)
    for start in range(0, B, rows):
        stop = min(B, start + rows)
        block_off = off if off.ndim == 0 else off[start:stop]
        _Evaluator(program, ids[start:stop], block_off, pool).run(out, slice(start, stop), last)
    return out


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
