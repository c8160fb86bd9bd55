"""Compile a C-RASP[periodic, local] program into a Limit Transformer, and export it to an APE GPT.

>>> from lengen.crasp import parse
>>> from lengen.crasp.compile import compile
>>> prog = parse('''
... ones   := #[j <= i] Q(1)
... zeros  := #[j <= i] Q(0)
... next_1 := Q(<sep>) and ones > zeros
... ''')
>>> model = compile(prog, ["<pad>", "<bos>", "0", "1", "<sep>"])
>>> model.run("<bos> 1 0 1 <sep>")["next_1"].tolist()
[False, False, False, False, True]
>>> model.run("<bos> 1 0 1 <sep>")["ones"].tolist()
[0, 1, 1, 2, 2]

This is the translation theorem of Huang et al. made executable: every program of
C-RASP[periodic, local] is computed by a Limit Transformer (:mod:`lengen.limit`) with PERIODIC
positional encodings and LOCAL positional attention terms φ.  The construction follows Yang &
Chiang (2024, "Counting Like Transformers").  The weights are written by hand, nothing is trained.

Conventions
-----------
* **Inputs start with ``<bos>``** (every task of lengen feeds ``<bos> ...``) and contain no other
  ``<bos>``: the ``<bos>`` at tensor index 0 is the attention sink that gives every position the
  number 1/i.  ``<bos>`` is part of the string, so it is C-RASP position 1 and is counted like any
  other position.  :meth:`CompiledModel.encode` checks this.
* Tensor index t (0-based) is C-RASP position i = t + 1.  Position ids are ``offset + t`` and a
  periodic predicate ``i % m == r`` holds at position id ``pid`` iff ``(pid + 1) % m == r``, so
  the model's offset is the interpreter's ``offset``.
* Every Boolean definition is readable from the final residual stream: its value is an affine
  function ``w · x + c`` of the residual x (a coordinate, or 1 − a coordinate for a negation), and
  it is true iff that value is > 1/2 (it is 0 or 1 up to rounding).  Every count definition C is
  stored as the fraction C / i in a coordinate, and read back by dividing by the coordinate that
  holds 1/i.  :attr:`CompiledModel.readouts` lists them; :meth:`CompiledModel.run` applies them.
* The logits: for each token a with a Boolean ``next_a``, logit(a) = +10 where ``next_a`` holds and
  −10 elsewhere; other tokens get −10.  With ``task=`` a formal language, the logits are those of
  the task's label tokens (``[01]``, ``[in]``, ...), assembled from ``next_<symbol>``/``accept``
  as :mod:`lengen.crasp.checker` does.  So a compiled model can be evaluated like a trained one
  (``lengen.evaluate.correctness``).

The construction (one residual coordinate per value, ReLU MLPs, no LayerNorm except in one place)
--------------------------------------------------------------------------------------------------
* **Embeddings.**  A coordinate ``1`` (constant), one per token tested by ``Q(...)``, and one per
  periodic predicate (m, r) -- the latter in the periodic table p_{pid mod Δ}, Δ the lcm of the
  moduli (PERIODIC).  ``Q``, ``i % m == r`` and constants are thus available before layer 0.
* **Counts by uniform attention.**  A head whose logits are all 0 (W_Q = W_K = 0, φ = 0) averages
  its values over positions 1..i: with the value P(j) it outputs #[j <= i] P / i.  One such head
  per layer averages every count body of that layer (one value dimension each).  The value
  [j is <bos>] gives u = 1/i (the "sink"), needed for constants.  Counts are kept as fractions
  C / i: attention cannot output unbounded numbers.
* **Local counts from φ.**  ``#[j <= i, j == i - k] P`` is a head with φ(k) = 60 and φ(d) = 0
  otherwise (so τ = the largest k): it puts weight 1 − O(i e^{-60}) on position i − k and reads
  P there.  Where i <= k there is no such position: the MLP multiplies the head's output by
  [i > k], read from u: ReLU(h + k − k(k+1)u) − ReLU(k − k(k+1)u) equals h when u <= 1/(k+1) and
  0 when u >= 1/k.  ``#[j <= i, i - j <= k] P`` is P(i) plus the shifts by 1..k.
* **Comparisons.**  ``C1 <= C2`` holds iff w = C2 − C1 >= 0 for the integer w, i.e. iff
  g = (w + 1/2)/i > 0.  g is linear in the fractions, so the layers that produce them add their
  contributions straight into a "slot" coordinate for g (the residual stream is a sum).  The
  margin |g| >= 1/(2i) shrinks with i, and a ReLU MLP with fixed weights cannot read the sign of
  a number at every scale: this is where the construction needs LayerNorm.  As in Yang & Chiang,
  LayerNorm of the pair (g, −g) is (±1, ∓1) at every scale; the Limit Transformer therefore
  replaces the LayerNorm in front of each MLP by :class:`lengen.limit.PairSignNorm`, which applies
  exactly this to the slot coordinates and leaves every other coordinate alone (a LayerNorm over the
  *whole* residual would divide every coordinate by the stream's overall size, which the O(1)
  Booleans dominate, so g's sign would again be invisible at large i).  ``==`` is two slots
  (w >= 0 and −w >= 0); a comparison whose counts are all local (bounded) skips the slot and
  compares the integer directly.
* **Booleans by ReLU MLPs.**  A step with margin: step(y) = ReLU(y + 1/2) − ReLU(y − 1/2) is
  exactly 0 for y <= −1/2 and exactly 1 for y >= 1/2.  AND of m literals is step(2 Σ − 2m + 1),
  OR is step(2 Σ − 1), NOT is 1 − x (free: an affine form), a comparison is step(sign).  Chains of
  ``and`` (or ``or``), also through named definitions and De Morgan, are flattened into one gate,
  so sort's 150-step chains cost one layer.  Each gate's output is exactly 0 or 1 (up to rounding),
  so errors do not build up through layers.
* **Conditional counts.**  ``P ? C1 : C2`` = P·C1 + (1 − P)·C2; a term [guard]·(C/i) with C/i in
  [0, 1] is the single unit ReLU(C/i + Σ guard literals − #literals).
* **Layers.**  Each value gets the earliest layer at which its inputs exist (attention of layer l
  reads what MLP l − 1 wrote; MLP l reads what attention l wrote).  ``n_head`` is the largest
  number of heads in a layer (one uniform head + one per shift distance), d_head the largest number
  of values a head carries (and at least width / n_head, since lengen's GPT ties d_model =
  n_head · d_head), d_mlp the largest number of MLP units in a layer.

Numerics: float64, float32, and the two known failure classes
-------------------------------------------------------------
Everything is exact except (a) the averages C/i, computed by softmax and a matrix product, whose
rounding error grows with i, (b) the local heads' leak of weight O(i e^{-60}) to other positions
(harmless below i ≈ 1e25), and (c) the sign normalization's ε = 1e-24 (harmless below i ≈ 1e11).
The comparison margin is 1/(2i), so (a) decides where a float format stops being exact.

* float64: verified exact at every position of random inputs of length 10,000 for every program of
  the library and for random programs (``tests/crasp/test_compile.py``); the rounding error of
  C/i is ~1e-16 · sqrt(i), far below 1/(2i) at any length a computer can run.
* float32: stays exact up to about length 16,000 and fails from about 32,000 on (CPU, PyTorch
  2.13): :func:`float32_frontier` runs the adversarial case -- ``ones > zeros`` on strings where
  the two counts stay within one of each other, so the slot g is ±1/(2i) at every position -- at
  doubling lengths.  Measured: exact at 1,000 ... 16,384 ; first failure at 32,768 (the error of
  C/i, ~ 6e-8 · sqrt(i), reaches the margin 1/(2i)).  So float32 compiled models are exact for
  every length the paper's experiments use (<= 700) by a factor of 20.
* Tests for the two failure classes tracr suffered from: counts compared at lengths where 1/i is
  tiny (equality of counts at length 10,000), and silent mis-compilation (a ``Cond`` whose else
  branch matters, comparisons at equality, every comparison operator, random programs).

Export to an APE GPT (:meth:`CompiledModel.to_ape`)
---------------------------------------------------
For a maximum length N, the same weights run in an ordinary ``GPT(pe="ape", n_positions=N)``:

* PERIODIC encodings: row t of the position table is p_{t mod Δ}.
* LOCAL φ becomes a positional product p_iᵀ W_Qᵀ W_K p_j.  Two more coordinates hold position t
  as a point on a circle, (cos θt, sin θt) with θ = 2π / (N + τ + 1).  The query of a shift-k
  head rotates its point back by θk, so q_i · k_j = λ cos(θ (i − k − j)): largest (λ) exactly at
  j = i − k and at least λ (1 − cos θ) below that elsewhere; λ = 60 / (1 − cos θ) gives the same
  margin 60 as φ.  (λ grows like N², so float32 loses this margin at a few thousand positions:
  check in float64.)  This only works up to N: beyond it the circle wraps around.
* Without PairSignNorm, the comparison units read the slot g with weight 4N instead of its sign:
  |4N g| >= 2 for i <= N.  This is the "finite precision" version of the comparison, and the
  reason the export has a maximum length.
The exported model is checked up to N like the Limit Transformer (:meth:`CompiledModel.verify`).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence, Union

import numpy as np
import torch
import torch.nn as nn

from lengen.limit import LimitConfig, LimitTransformer
from lengen.model import GPT, ModelConfig

from .ast import (
    ACCEPT,
    OUTPUT_PREFIX,
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
from .errors import CRASPError

BOS = "<bos>"
LOCAL_LOGIT = 60.0  # φ(k) of a shift-k head: the target gets weight 1 - O(i e^-60)
OUTPUT_LOGIT = 10.0  # logit of a token whose next_ holds (its negative otherwise)
MAX_PERIOD = 5040  # largest period Δ (lcm of the moduli) the compiler accepts
MAX_DISTANCE = 64  # largest local distance k (one head per distance)
SIGN_EPS = 1e-24  # ε of the pair LayerNorm that reads the sign of a comparison slot


class CompileError(CRASPError):
    """The program uses something the compiler does not support, or the vocabulary does not fit."""

    kind = "compile"


# ---------------------------------------------------------------------------------------------
# Affine forms over residual coordinates


@dataclass(frozen=True)
class Lin:
    """An affine function ``Σ coef · x[coord] + const`` of the residual stream x.

    Boolean literals are Lins whose value is 0 or 1: a coordinate, ``1 - coordinate``, or a constant.
    Lins are hashable, so they serve as keys (e.g. "the count of this body").
    """

    terms: tuple[tuple[int, float], ...] = ()
    const: float = 0.0

    @staticmethod
    def make(terms: dict[int, float], const: float = 0.0) -> "Lin":
        return Lin(tuple(sorted((c, float(v)) for c, v in terms.items() if v != 0)), float(const))

    @staticmethod
    def coord(c: int, coef: float = 1.0) -> "Lin":
        return Lin(((c, float(coef)),), 0.0)

    @staticmethod
    def constant(v: float) -> "Lin":
        return Lin((), float(v))

    def as_dict(self) -> dict[int, float]:
        return dict(self.terms)

    def __add__(self, other: "Lin | float") -> "Lin":
        if not isinstance(other, Lin):
            return Lin(self.terms, self.const + float(other))
        d = self.as_dict()
        for c, v in other.terms:
            d[c] = d.get(c, 0.0) + v
        return Lin.make(d, self.const + other.const)

    def __mul__(self, s: float) -> "Lin":
        return Lin.make({c: v * s for c, v in self.terms}, self.const * s)

    def __sub__(self, other: "Lin | float") -> "Lin":
        return self + (other * -1.0 if isinstance(other, Lin) else -float(other))

    def neg(self) -> "Lin":
        """1 - self: the negation of a Boolean literal."""
        return self * -1.0 + 1.0

    @property
    def is_const(self) -> bool:
        return not self.terms

    def coords(self) -> list[int]:
        return [c for c, _ in self.terms]

    def value(self, x: np.ndarray) -> np.ndarray:
        """Evaluate on residual vectors x (..., d)."""
        out = np.full(x.shape[:-1], self.const, dtype=np.float64)
        for c, v in self.terms:
            out = out + v * x[..., c]
        return out


Leaf = tuple  # ("one",) | ("g", Lin) global count | ("b", Lin) the Boolean at i | ("s", Lin, k) shift by k
Terms = dict  # {(guard: tuple[Lin, ...], leaf: Leaf): coefficient}
ONE: Leaf = ("one",)


def _head_block(t: int) -> int:
    """The first layer whose attention can read a value that appears at time t."""
    return max(0, -(-(t + 1) // 2))


def _mlp_block(t: int) -> int:
    """The first layer whose MLP can read a value that appears at time t."""
    return max(0, -(-t // 2))


# Time of a value: -1 = embeddings, 2l = after the attention of layer l, 2l + 1 = after its MLP.


@dataclass
class Coord:
    """One coordinate of the residual stream: what it holds and when it is complete."""

    name: str
    kind: str  # one, token, periodic, u, count, shift_raw, shift, gate, compare, slot, acc, circle
    time: int = -1


@dataclass
class Head:
    """An attention head: ``uniform`` (all logits 0) or ``shift`` (φ(k) = LOCAL_LOGIT).

    ``values[r]`` is the value of dimension r (a Lin of the key position's residual) and
    ``writes[r]`` where the head's output in dimension r goes: [(coordinate, coefficient)].
    """

    block: int
    kind: str
    k: int = 0
    values: list[Lin] = field(default_factory=list)
    writes: list[list[tuple[int, float]]] = field(default_factory=list)

    def dim(self, value: Lin) -> int:
        for r, v in enumerate(self.values):
            if v == value:
                return r
        self.values.append(value)
        self.writes.append([])
        return len(self.values) - 1


@dataclass
class Unit:
    """One ReLU unit of the MLP of layer ``block``: ReLU(inp · x) added to the ``writes``.
    ``slot``: the comparison slot it reads (normalized by PairSignNorm in the Limit Transformer,
    scaled by 4N in the APE export)."""

    block: int
    inp: Lin
    writes: list[tuple[int, float]] = field(default_factory=list)
    slot: int | None = None


# ---------------------------------------------------------------------------------------------
# Validation


def _as_vocab(vocab: Any) -> list[str]:
    if vocab is None:
        return []
    tokens = getattr(vocab, "tokens", vocab)
    return [str(t) for t in tokens]


def default_vocab(program: Program) -> list[str]:
    """``<pad>``, ``<bos>``, the tokens the program tests and the tokens its outputs name."""
    toks = ["<pad>", BOS]
    for t in [*program.tokens, *program.outputs(OUTPUT_PREFIX)]:
        if t not in toks:
            toks.append(t)
    return toks


def validate(program: Program, vocab: Sequence[str]) -> None:
    """Raise :class:`CompileError` naming the construct if ``program`` cannot be compiled for
    ``vocab``; return None otherwise."""
    vocab_set = set(vocab)
    where = program.name or "program"
    if BOS not in vocab_set:
        raise CompileError(
            f"the vocabulary has no {BOS!r}: compiled models read 1/i from the {BOS} at position 1 "
            "(every input must start with it)"
        )
    moduli: list[tuple[int, str]] = []
    known = (Token, BoolConst, Periodic, Not, And, Or, Compare, BoolRef, Count, CountConst, Add, Sub, Scale,
             Cond, CountRef)
    for d in program.definitions:
        for n in d.expr.walk():
            line = f"line {d.line}, " if d.line else ""
            if not isinstance(n, known):
                raise CompileError(f"{where}: {line}{d.name}: unsupported construct {type(n).__name__}")
            if isinstance(n, Token) and n.token not in vocab_set:
                raise CompileError(
                    f"{where}: {line}{d.name}: Q({n.token}) tests a token that is not in the vocabulary"
                )
            if isinstance(n, Periodic) and n.modulus > 1:
                moduli.append((n.modulus, d.name))
            if isinstance(n, Count) and n.relation.is_local and n.relation.k > MAX_DISTANCE:
                raise CompileError(
                    f"{where}: {line}{d.name}: the local count '#[{n.relation}]' looks {n.relation.k} positions "
                    f"back; the compiler supports distances up to {MAX_DISTANCE} (one attention head per distance)"
                )
    period = 1
    for m, name in moduli:
        period = math.lcm(period, m)
        if period > MAX_PERIOD:
            raise CompileError(
                f"{where}: {name}: the periodic predicates need a period (lcm of the moduli) of {period}, "
                f"more than the {MAX_PERIOD} rows of positional encodings the compiler builds"
            )


# ---------------------------------------------------------------------------------------------
# The compiler proper: from definitions to coordinates, heads and units


class _Builder:
    """Turns a program into a circuit of coordinates, attention heads and MLP units."""

    def __init__(self, program: Program, vocab: list[str], sign_norm: bool = True) -> None:
        self.program = program
        self.vocab = vocab
        self.sign_norm = sign_norm  # True: Limit Transformer (PairSignNorm); False: APE export (slope 4N)
        self.coords: list[Coord] = []
        self.heads: list[Head] = []
        self.units: list[Unit] = []
        self.slots: list[int] = []
        self.one = self._new("1", "one")
        self.token: dict[str, int] = {BOS: self._new(f"Q({BOS})", "token")}
        for t in program.tokens:
            if t not in self.token:
                self.token[t] = self._new(f"Q({t})", "token")
        self.periodic: dict[tuple[int, int], int] = {}
        self.period = 1
        self.window = 0
        self._u: int | None = None
        self._uniform: dict[int, Head] = {}
        self._shift_heads: dict[tuple[int, int], Head] = {}
        self._gcoord: dict[Lin, int] = {}
        self._shift: dict[tuple[Lin, int], int] = {}
        self._gates: dict[tuple[str, frozenset], Lin] = {}
        self._products: dict[tuple[int, tuple[Lin, ...]], Unit] = {}
        self._crisp: dict[Lin, Lin] = {}
        self._bool: dict[Node, Lin] = {}
        self._terms: dict[Node, Terms] = {}
        self._ops: dict[tuple[Node, str, bool], tuple[Lin, ...]] = {}
        self.readouts: dict[str, tuple[str, Any]] = {}  # name -> ("bool", Lin) | ("count", coord)

    # -- coordinates and time -----------------------------------------------------------------
    def _new(self, name: str, kind: str, t: int = -1) -> int:
        self.coords.append(Coord(name, kind, t))
        return len(self.coords) - 1

    def _touch(self, c: int, t: int) -> None:
        self.coords[c].time = max(self.coords[c].time, t)

    def time(self, lin: Lin) -> int:
        return max((self.coords[c].time for c in lin.coords()), default=-1)

    def _label(self, lin: Lin) -> str:
        if lin.is_const:
            return str(int(lin.const)) if lin.const in (0.0, 1.0) else f"{lin.const:g}"
        if len(lin.terms) == 1 and lin.terms[0][1] == 1.0 and lin.const == 0.0:
            return self.coords[lin.terms[0][0]].name
        if len(lin.terms) == 1 and lin.terms[0][1] == -1.0 and lin.const == 1.0:
            return "not " + self.coords[lin.terms[0][0]].name
        return " + ".join(f"{v:g}*{self.coords[c].name}" for c, v in lin.terms) + (f" + {lin.const:g}" if lin.const else "")

    # -- attention heads ------------------------------------------------------------------------
    def _uniform_head(self, block: int) -> Head:
        if block not in self._uniform:
            h = Head(block, "uniform")
            self._uniform[block] = h
            self.heads.append(h)
        return self._uniform[block]

    def _shift_head(self, block: int, k: int) -> Head:
        if (block, k) not in self._shift_heads:
            h = Head(block, "shift", k)
            self._shift_heads[(block, k)] = h
            self.heads.append(h)
            self.window = max(self.window, k)
        return self._shift_heads[(block, k)]

    def _write_head(self, head: Head, r: int, c: int, coef: float) -> None:
        head.writes[r].append((c, coef))
        self._touch(c, 2 * head.block)

    def _write_unit(self, unit: Unit, c: int, coef: float) -> None:
        unit.writes.append((c, coef))
        self._touch(c, 2 * unit.block + 1)

    def u(self) -> int:
        """The coordinate holding u = 1/i (the average of [token is <bos>] over positions 1..i)."""
        if self._u is None:
            self._u = self._new("1/i", "u")
            head = self._uniform_head(0)
            self._write_head(head, head.dim(Lin.coord(self.token[BOS])), self._u, 1.0)
        return self._u

    def _global(self, body: Lin) -> tuple[Head, int]:
        """The uniform head and value dimension computing #[j <= i] body / i (body crisp)."""
        head = self._uniform_head(_head_block(self.time(body)))
        return head, head.dim(body)

    def gcoord(self, body: Lin) -> int:
        """A coordinate holding #[j <= i] body / i."""
        if body not in self._gcoord:
            head, r = self._global(body)
            c = self._new(f"#[j<=i] {self._label(body)} / i", "count")
            self._write_head(head, r, c, 1.0)
            self._gcoord[body] = c
        return self._gcoord[body]

    def shift(self, body: Lin, k: int) -> int:
        """A coordinate holding body(i - k) (0 when i <= k), exactly 0 or 1."""
        key = (body, k)
        if key not in self._shift:
            head = self._shift_head(_head_block(self.time(body)), k)
            raw = self._new(f"attn[i-{k}] {self._label(body)}", "shift_raw")
            self._write_head(head, head.dim(body), raw, 1.0)
            u = self.u()
            b = self._new(f"{self._label(body)} at i-{k}", "shift")
            block = _mlp_block(max(self.coords[raw].time, self.coords[u].time))
            S = float(k * (k + 1))
            # ReLU(h + k - S u) - ReLU(k - S u): h where u <= 1/(k+1) (i > k), 0 where u >= 1/k (i <= k)
            u1 = Unit(block, Lin.make({raw: 1.0, u: -S}, float(k)))
            u2 = Unit(block, Lin.make({u: -S}, float(k)))
            self.units += [u1, u2]
            self._write_unit(u1, b, 1.0)
            self._write_unit(u2, b, -1.0)
            self._shift[key] = b
        return self._shift[key]

    # -- MLP gadgets ----------------------------------------------------------------------------
    def step(self, block: int, y: Lin, out: int, coef: float = 1.0, slot: int | None = None) -> None:
        """Add coef * step(y) to ``out``: step(y) = ReLU(y + 1/2) - ReLU(y - 1/2), which is 0 for
        y <= -1/2 and 1 for y >= 1/2."""
        a, b = Unit(block, y + 0.5, slot=slot), Unit(block, y - 0.5, slot=slot)
        self.units += [a, b]
        self._write_unit(a, out, coef)
        self._write_unit(b, out, -coef)

    def gate(self, op: str, lits: Iterable[Lin], name: str | None = None) -> Lin:
        """AND / OR of Boolean literals, as one step unit pair (constants folded away)."""
        absorbing, neutral = (0.0, 1.0) if op == "and" else (1.0, 0.0)
        uniq: dict[Lin, None] = {}
        for lit in lits:
            if lit.is_const:
                if lit.const == absorbing:
                    return Lin.constant(absorbing)
                continue  # the neutral constant
            uniq[lit] = None
        if any(lit.neg() in uniq for lit in uniq):  # x and not x / x or not x
            return Lin.constant(absorbing)
        if not uniq:
            return Lin.constant(neutral)
        if len(uniq) == 1:
            return next(iter(uniq))
        key = (op, frozenset(uniq))
        if key not in self._gates:
            items = list(uniq)
            m = len(items)
            total = Lin()
            for lit in items:
                total = total + lit
            y = total * 2.0 + (1.0 - 2.0 * m if op == "and" else -1.0)  # >= 1 if the gate holds, <= -1 if not
            label = name or f" {op} ".join(self._label(lit) for lit in items[:4]) + (" ..." if m > 4 else "")
            out = self._new(label, "gate")
            self.step(_mlp_block(self.time(y)), y, out)
            self._gates[key] = Lin.coord(out)
        return self._gates[key]

    def is_soft(self, lin: Lin) -> bool:
        """Whether ``lin`` reads a comparison slot: then it is a literal only at the input of an MLP,
        where PairSignNorm has replaced the slot g by its sign."""
        return any(self.coords[c].kind == "slot" for c in lin.coords())

    def crisp(self, lin: Lin) -> Lin:
        """``lin`` as a literal of the residual stream itself (for attention values and read-outs):
        a soft literal gets a step unit pair writing it into its own coordinate."""
        if not self.is_soft(lin):
            return lin
        if lin not in self._crisp:
            out = self._new(self._label(lin), "compare")
            self.step(_mlp_block(self.time(lin)), lin * 2.0 - 1.0, out)
            self._crisp[lin] = Lin.coord(out)
        return self._crisp[lin]

    def product(self, x: int, lits: tuple[Lin, ...]) -> Unit:
        """The unit ReLU(x + Σ lits - len(lits)) = x · AND(lits), for x in [0, 1] and crisp lits."""
        key = (x, lits)
        if key not in self._products:
            inp = Lin.coord(x)
            for lit in lits:
                inp = inp + lit
            inp = inp - float(len(lits))
            unit = Unit(_mlp_block(self.time(inp)), inp)
            self.units.append(unit)
            self._products[key] = unit
        return self._products[key]

    # -- counts as sums of guarded terms ---------------------------------------------------------
    def terms(self, node: Node) -> Terms:
        """A count expression as {(guard literals, leaf): coefficient}: the sum over terms of
        coefficient * [all guard literals hold] * leaf value."""
        if node in self._terms:
            return self._terms[node]
        out: Terms = {}
        if isinstance(node, CountConst):
            out = {((), ONE): float(node.value)}
        elif isinstance(node, CountRef):
            out = self.terms(self.program[node.name].expr)
        elif isinstance(node, (Add, Sub)):
            out = _merge(self.terms(node.left), self.terms(node.right), 1.0 if isinstance(node, Add) else -1.0)
        elif isinstance(node, Scale):
            out = {k: v * node.factor for k, v in self.terms(node.arg).items()}
        elif isinstance(node, Cond):
            test = self.bool_lin(node.test)
            out = _merge(_guard(self.terms(node.then), test), _guard(self.terms(node.orelse), test.neg()), 1.0)
        elif isinstance(node, Count):
            body = self.bool_lin(node.body)
            rel = node.relation
            if rel.kind == "shift" and rel.k == 0:
                out = _bool_leaf(body)  # the body at i itself: any literal will do (MLPs read it)
                self._terms[node] = out
                return out
            body = self.crisp(body)  # attention reads it: it must be in the residual stream
            if rel.kind == "all":
                out = {} if body == Lin.constant(0.0) else {((), ("g", body)): 1.0}
            elif body == Lin.constant(0.0):
                out = {}
            elif rel.kind == "shift":
                out = {((), ("s", body, rel.k)): 1.0}
            else:  # window: the body at i, i - 1, ..., i - k
                out = _bool_leaf(body)
                for d in range(1, rel.k + 1):
                    out = _merge(out, {((), ("s", body, d)): 1.0}, 1.0)
        else:  # pragma: no cover - validate() rejects other nodes
            raise CompileError(f"not a count expression: {node!r}")
        out = {k: v for k, v in out.items() if v != 0}
        self._terms[node] = out
        return out

    def leaf_lit(self, leaf: Leaf) -> Lin:
        """The value of a bounded leaf ('b' or 's') at position i, as a crisp literal."""
        if leaf[0] == "b":
            return leaf[1]
        return Lin.coord(self.shift(leaf[1], leaf[2]))

    def accumulate(self, terms: Terms, name: str, kind: str) -> int:
        """A coordinate holding (Σ terms) / i: heads and units add their parts into it."""
        c = self._new(name, kind)
        for (guard, leaf), coef in terms.items():
            if not guard and leaf[0] == "g":  # C/i straight from the uniform head
                head, r = self._global(leaf[1])
                self._write_head(head, r, c, coef)
            elif not guard and leaf[0] == "one":  # coef / i from the sink head
                u = self.u()
                head = self._uniform_head(0)
                self._write_head(head, head.dim(Lin.coord(self.token[BOS])), c, coef)
                assert self.coords[u].time == 0
            else:  # x * AND(literals) with x = C/i or x = 1/i
                x = self.gcoord(leaf[1]) if leaf[0] == "g" else self.u()
                lits = tuple(guard) + ((self.leaf_lit(leaf),) if leaf[0] in ("b", "s") else ())
                self._write_unit(self.product(x, tuple(sorted(set(lits), key=_lin_key))), c, coef)
        return c

    # -- Booleans -------------------------------------------------------------------------------
    def bool_lin(self, node: Node) -> Lin:
        """The literal (a Lin that is 0 or 1) computing a Boolean expression."""
        if node in self._bool:
            return self._bool[node]
        if isinstance(node, Token):
            out = Lin.coord(self.token[node.token])
        elif isinstance(node, BoolConst):
            out = Lin.constant(1.0 if node.value else 0.0)
        elif isinstance(node, Periodic):
            if node.modulus == 1:
                out = Lin.constant(1.0)
            else:
                key = (node.modulus, node.residue)
                if key not in self.periodic:
                    self.periodic[key] = self._new(f"i%{node.modulus}=={node.residue}", "periodic")
                    self.period = math.lcm(self.period, node.modulus)
                out = Lin.coord(self.periodic[key])
        elif isinstance(node, Not):
            out = self.bool_lin(node.arg).neg()
        elif isinstance(node, BoolRef):
            out = self.bool_lin(self.program[node.name].expr)
        elif isinstance(node, (And, Or)):
            op = "and" if isinstance(node, And) else "or"
            out = self.gate(op, self.operands(node, op, False))
        elif isinstance(node, Compare):
            out = self.compare(node)
        else:  # pragma: no cover - validate() rejects other nodes
            raise CompileError(f"not a Boolean expression: {node!r}")
        self._bool[node] = out
        return out

    def operands(self, node: Node, op: str, neg: bool) -> tuple[Lin, ...]:
        """Literals whose AND (op="and") or OR equals ``node`` (negated if ``neg``): nested gates
        of the same kind, also through names and De Morgan, are flattened into one."""
        key = (node, op, neg)
        if key in self._ops:
            return self._ops[key]
        if isinstance(node, BoolRef):
            out = self.operands(self.program[node.name].expr, op, neg)
        elif isinstance(node, Not):
            out = self.operands(node.arg, op, not neg)
        elif isinstance(node, (And, Or)) and (("and" if isinstance(node, And) else "or") == op) != neg:
            out = tuple(dict.fromkeys(self.operands(node.left, op, neg) + self.operands(node.right, op, neg)))
        else:
            lit = self.bool_lin(node)
            out = (lit.neg() if neg else lit,)
        self._ops[key] = out
        return out

    def compare(self, node: Compare) -> Lin:
        """A comparison of counts, as a crisp literal."""
        left, right = self.terms(node.left), self.terms(node.right)
        diff_lr, diff_rl = _merge(left, right, -1.0), _merge(right, left, -1.0)
        minus_one = {((), ONE): -1.0}
        ws = {  # the comparison holds iff every w >= 0 (w an integer-valued count expression)
            "<=": [diff_rl], "<": [_merge(diff_rl, minus_one, 1.0)],
            ">=": [diff_lr], ">": [_merge(diff_lr, minus_one, 1.0)],
            "==": [diff_lr, diff_rl], "!=": [diff_lr, diff_rl],
        }[node.op]
        name = str(node)
        local = all(not g and leaf[0] in ("one", "b", "s") for w in ws for (g, leaf) in w)
        if not local and self.sign_norm:
            # the literal [g > 0] is (1 + s) / 2 with s = sign(g) = the slot after PairSignNorm
            signs = []
            for w in ws:
                slot = self.accumulate(_merge(w, {((), ONE): 0.5}, 1.0), f"slot[{name}]", "slot")
                self.slots.append(slot)
                signs.append(Lin.coord(slot, 0.5) + 0.5)
            if len(signs) == 1:
                return signs[0]
            eq = signs[0] + signs[1] - 1.0  # [w >= 0] + [-w >= 0] - 1 = [w == 0]
            return eq if node.op == "==" else eq.neg()
        out = self._new(name, "compare")
        for w in ws:
            if local:  # a bounded integer: compare it directly, step(2w + 1)
                y = Lin()
                for (_, leaf), coef in w.items():
                    y = y + (Lin.constant(coef) if leaf[0] == "one" else self.leaf_lit(leaf) * coef)
                y = y * 2.0 + 1.0
                self.step(_mlp_block(self.time(y)), y, out)
            else:  # g = (w + 1/2) / i in a slot, read through its sign
                slot = self.accumulate(_merge(w, {((), ONE): 0.5}, 1.0), f"slot[{name}]", "slot")
                self.slots.append(slot)
                self.step(_mlp_block(self.coords[slot].time), Lin.coord(slot), out, slot=slot)
        if len(ws) == 1:
            return Lin.coord(out)
        eq = Lin.coord(out) - 1.0  # step(w >= 0) + step(-w >= 0) - 1 = [w == 0]
        return eq if node.op == "==" else eq.neg()

    # -- definitions and outputs -----------------------------------------------------------------
    def build(self) -> None:
        for d in self.program.definitions:
            if d.type is Type.BOOL:
                lit = self.crisp(self.bool_lin(d.expr))
                if len(lit.terms) == 1 and lit.terms[0][1] == 1.0 and self.coords[lit.terms[0][0]].kind == "gate":
                    self.coords[lit.terms[0][0]].name = d.name  # name the gate after its definition
                self.readouts[d.name] = ("bool", lit)
            else:
                terms = self.terms(d.expr)
                self.u()
                only = list(terms.items())
                if len(only) == 1 and not only[0][0][0] and only[0][0][1][0] == "g" and only[0][1] == 1.0:
                    c = self.gcoord(only[0][0][1][1])
                    self.coords[c].name = f"{d.name} / i"
                else:
                    c = self.accumulate(terms, f"{d.name} / i", "acc")
                self.readouts[d.name] = ("count", c)

    def n_layer(self) -> int:
        blocks = [h.block for h in self.heads] + [u.block for u in self.units]
        return max(blocks, default=0) + 1


def _lin_key(lin: Lin) -> tuple:
    return (lin.terms, lin.const)


def _merge(a: Terms, b: Terms, sign: float) -> Terms:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0.0) + sign * v
    return {k: v for k, v in out.items() if v != 0}


def _guard(terms: Terms, lit: Lin) -> Terms:
    """Multiply every term by the literal ``lit``."""
    if lit.is_const:
        return dict(terms) if lit.const == 1.0 else {}
    out: Terms = {}
    for (g, leaf), v in terms.items():
        if lit.neg() in g:
            continue
        key = (tuple(sorted(set(g) | {lit}, key=_lin_key)), leaf)
        out[key] = out.get(key, 0.0) + v
    return out


def _bool_leaf(lit: Lin) -> Terms:
    if lit.is_const:
        return {((), ONE): 1.0} if lit.const == 1.0 else {}
    return {((), ("b", lit)): 1.0}


# ---------------------------------------------------------------------------------------------
# Output logits


def _output_literals(builder: _Builder, task: Any) -> dict[str, Lin]:
    """token -> the literal that says "this token is the prediction"."""
    program = builder.program
    outs = program.outputs(OUTPUT_PREFIX)
    mode = getattr(task, "label_mode", None) if task is not None else None
    if mode is None:
        return {tok: builder.readouts[name][1] for tok, name in outs.items() if tok in builder.vocab}  # crisp
    accept = builder.readouts[ACCEPT][1] if ACCEPT in program and program[ACCEPT].type is Type.BOOL else None
    if mode == "member":
        from lengen.tasks.languages import IN, OUT

        if accept is None:
            raise CompileError(f"task {task.name!r} has membership labels: the program needs a Boolean 'accept'")
        return {IN: accept, OUT: accept.neg()}
    from lengen.tasks.languages import legal_next_label

    alphabet = list(task.alphabet)
    labels = list(task.label_tokens)
    width = {len(t) - 2 for t in labels}
    cols: list[Lin] = [builder.readouts[outs[a]][1] if a in outs else Lin.constant(0.0) for a in alphabet]
    names = list(alphabet)
    if width == {len(alphabet) + 1}:
        if accept is None:
            raise CompileError(f"task {task.name!r} has an end column in its labels: the program needs 'accept'")
        cols.append(accept)
        names.append(next((lab[-2] for lab in labels if lab[-2] != "-"), "$"))
    out: dict[str, Lin] = {}
    for bits in itertools.product((False, True), repeat=len(cols)):
        lab = legal_next_label(names, list(bits))
        if lab in builder.vocab:
            out[lab] = builder.gate("and", [c if b else c.neg() for c, b in zip(cols, bits)], name=f"label {lab}")
    return out


# ---------------------------------------------------------------------------------------------
# Weights


@dataclass
class Layout:
    """Sizes of the compiled model."""

    n_layer: int
    n_head: int
    d_head: int
    d_model: int
    d_mlp: int
    width: int  # residual coordinates in use (<= d_model)
    period: int
    window: int
    head_index: dict[int, int]  # id(Head) -> index of the head in its layer


def _layout(b: _Builder, extra: int = 0, min_d_head: int = 1) -> Layout:
    n_layer = b.n_layer()
    per_block: dict[int, list[Head]] = {}
    for h in b.heads:
        per_block.setdefault(h.block, []).append(h)
    index: dict[int, int] = {}
    for hs in per_block.values():
        hs.sort(key=lambda h: (h.kind != "uniform", h.k))
        for i, h in enumerate(hs):
            index[id(h)] = i
    n_head = max((len(hs) for hs in per_block.values()), default=1)
    width = len(b.coords) + extra
    d_head = max([min_d_head, 1, math.ceil(width / n_head)] + [len(h.values) for h in b.heads])
    units: dict[int, int] = {}
    for u in b.units:
        units[u.block] = units.get(u.block, 0) + 1
    return Layout(n_layer, n_head, d_head, n_head * d_head, max(units.values(), default=1), width,
                  b.period, b.window, index)


def _fill(model: GPT, b: _Builder, lay: Layout, outputs: dict[str, Lin], vocab: list[str],
          ape_len: int | None = None, circle: tuple[int, int] | None = None) -> None:
    """Write the circuit into the model's parameters.  ``ape_len`` = N for the APE export."""
    d, dh = lay.d_model, lay.d_head
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        # token embeddings: the constant 1 and the token's own coordinate
        for i, tok in enumerate(vocab):
            model.wte.weight[i, b.one] = 1.0
            if tok in b.token:
                model.wte.weight[i, b.token[tok]] = 1.0
        # positional encodings: periodic indicators (and the circle for the APE export)
        rows = lay.period if ape_len is None else ape_len
        table = torch.zeros(rows, d, dtype=torch.float64)
        for (m, r), c in b.periodic.items():
            for t in range(rows):
                table[t, c] = float((t + 1) % m == r)  # position id t is C-RASP position t + 1
        if ape_len is not None:
            assert circle is not None and model.wpe is not None
            theta = 2 * math.pi / (ape_len + lay.window + 1)
            t = torch.arange(ape_len, dtype=torch.float64)
            table[:, circle[0]] = torch.cos(theta * t)
            table[:, circle[1]] = torch.sin(theta * t)
            model.wpe.weight.copy_(table)
        elif isinstance(model, LimitTransformer) and model.pe_table is not None:
            model.pe_table.copy_(table)
        # attention heads
        for h in b.heads:
            attn = model.blocks[h.block].attn
            base = lay.head_index[id(h)] * dh
            for r, (val, writes) in enumerate(zip(h.values, h.writes)):
                for c, v in val.terms:
                    attn.qkv.weight[2 * d + base + r, c] = v
                attn.qkv.bias[2 * d + base + r] = val.const
                for c, v in writes:
                    attn.out.weight[c, base + r] += v
            if h.kind == "shift":
                if ape_len is None:
                    attn.phi[lay.head_index[id(h)], h.k] = LOCAL_LOGIT
                else:  # q_i . k_j = lam cos(theta (i - k - j)), scaled for the 1/sqrt(d_head) of attention
                    theta = 2 * math.pi / (ape_len + lay.window + 1)
                    lam = LOCAL_LOGIT / (2 * math.sin(theta / 2) ** 2) * math.sqrt(dh)
                    cb, sb = math.cos(theta * h.k), math.sin(theta * h.k)
                    cx, sx = circle  # type: ignore[misc]
                    attn.qkv.weight[base + 0, cx] = lam * cb
                    attn.qkv.weight[base + 0, sx] = lam * sb
                    attn.qkv.weight[base + 1, cx] = -lam * sb
                    attn.qkv.weight[base + 1, sx] = lam * cb
                    attn.qkv.weight[d + base + 0, cx] = 1.0
                    attn.qkv.weight[d + base + 1, sx] = 1.0
        # MLP units
        counter: dict[int, int] = {}
        for u in b.units:
            j = counter.get(u.block, 0)
            counter[u.block] = j + 1
            mlp = model.blocks[u.block].mlp
            for c, v in u.inp.terms:
                scale = 4.0 * ape_len if (ape_len is not None and c == u.slot) else 1.0
                mlp.fc.weight[j, c] = v * scale
            mlp.fc.bias[j] = u.inp.const
            for c, v in u.writes:
                mlp.proj.weight[c, j] += v
        # output logits: +L where the output literal holds, -L elsewhere
        for i, tok in enumerate(vocab):
            lit = outputs.get(tok)
            if lit is None:
                model.lm_head.weight[i, b.one] = -OUTPUT_LOGIT
                continue
            for c, v in lit.terms:
                model.lm_head.weight[i, c] += 2 * OUTPUT_LOGIT * v
            model.lm_head.weight[i, b.one] += OUTPUT_LOGIT * (2 * lit.const - 1)


# ---------------------------------------------------------------------------------------------
# The compiled model


Strings = Sequence[Union[str, Sequence[str]]]


def _tokens(s: str | Sequence[str]) -> list[str]:
    return s.split() if isinstance(s, str) else list(s)


@dataclass
class CompiledModel:
    """A transformer computing a C-RASP program, with the map from its residual stream back to
    the program's definitions.

    ``model``: a :class:`~lengen.limit.LimitTransformer` (from :func:`compile`) or an APE
    :class:`~lengen.model.GPT` (from :meth:`to_ape`); its token ids are indices into ``vocab``.
    ``readouts``: definition name -> ("bool", Lin) or ("count", coordinate of C / i).
    ``max_len``: None for the Limit Transformer (any length), N for an APE export.
    """

    program: Program
    vocab: list[str]
    model: GPT
    readouts: dict[str, tuple[str, Any]]
    layout: Layout
    coords: list[Coord]
    u_coord: int | None
    outputs: dict[str, Lin]
    max_len: int | None = None
    builder: Any = field(default=None, repr=False)
    task: Any = field(default=None, repr=False)
    _cast: dict[torch.dtype, GPT] = field(default_factory=dict, repr=False)

    # -- running -----------------------------------------------------------------------------
    def encode(self, batch: Strings) -> torch.Tensor:
        """Token strings (all of one length, each starting with ``<bos>``) -> ids (B, T)."""
        rows = [_tokens(s) for s in batch]
        index = {t: k for k, t in enumerate(self.vocab)}
        n = len(rows[0]) if rows else 0
        for b, r in enumerate(rows):
            if len(r) != n:
                raise ValueError(f"strings must have equal lengths (string 0 has {n} tokens, string {b} has {len(r)})")
            if not r or r[0] != BOS:
                raise CompileError(f"input {b} does not start with {BOS}: compiled models need the {BOS} at position 1")
            for p, t in enumerate(r):
                if t not in index:
                    raise CompileError(f"input token {t!r} (string {b}, position {p + 1}) is not in the vocabulary")
                if t == BOS and p > 0:
                    raise CompileError(f"input {b} has a second {BOS} at position {p + 1}; only position 1 may hold it")
            if self.max_len is not None and len(r) > self.max_len:
                raise CompileError(f"input {b} has {len(r)} tokens; this APE export handles at most {self.max_len}")
        return torch.tensor([[index[t] for t in r] for r in rows], dtype=torch.long).reshape(len(rows), n)

    def _model(self, dtype: torch.dtype) -> GPT:
        if dtype not in self._cast:
            self._cast[dtype] = self.model.to(dtype) if self.model.wte.weight.dtype == dtype else _copy_as(self.model, dtype)
        return self._cast[dtype]

    def residual(self, batch: Strings, offset: int | Sequence[int] = 0, dtype: torch.dtype = torch.float64
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Run the transformer; returns (final residual stream (B, T, d), logits (B, T, V)) as float64 arrays."""
        ids = self.encode(batch)
        B, T = ids.shape
        off = torch.as_tensor(np.broadcast_to(np.asarray(offset, dtype=np.int64), (B,)).copy())
        positions = off[:, None] + torch.arange(T)[None, :]
        if self.max_len is not None and int(positions.max()) >= self.max_len:
            raise CompileError(f"position ids reach {int(positions.max())}; this APE export has {self.max_len} positions")
        model = self._model(dtype)
        store: list[torch.Tensor] = []
        handle = model.ln_f.register_forward_hook(lambda mod, inp, out: store.append(inp[0]))
        try:
            with torch.no_grad():
                logits = model(ids, positions)
        finally:
            handle.remove()
        return store[0].double().numpy(), logits.double().numpy()

    def values(self, batch: Strings, offset: int | Sequence[int] = 0, dtype: torch.dtype = torch.float64
               ) -> dict[str, np.ndarray]:
        """The real-valued read-outs (B, T): Booleans as numbers near 0/1, counts as numbers near integers."""
        x, _ = self.residual(batch, offset, dtype)
        out: dict[str, np.ndarray] = {}
        inv_u = None
        for name, (kind, what) in self.readouts.items():
            if kind == "bool":
                out[name] = what.value(x)
            else:
                if inv_u is None:
                    inv_u = 1.0 / x[..., self.u_coord]
                out[name] = x[..., what] * inv_u
        return out

    def evaluate(self, batch: Strings, offset: int | Sequence[int] = 0, dtype: torch.dtype = torch.float64
                 ) -> dict[str, np.ndarray]:
        """Like :func:`lengen.crasp.evaluate`: every definition at every position, (B, n) arrays of
        bool (Booleans) and int64 (counts), read from the transformer's residual stream."""
        vals = self.values(batch, offset, dtype)
        return {k: (v > 0.5) if self.readouts[k][0] == "bool" else np.rint(v).astype(np.int64) for k, v in vals.items()}

    def run(self, tokens: str | Sequence[str], offset: int = 0, dtype: torch.dtype = torch.float64) -> dict[str, np.ndarray]:
        """Every definition's values on one string (1-D arrays, index p - 1 = position p)."""
        return {k: v[0] for k, v in self.evaluate([_tokens(tokens)], offset, dtype).items()}

    def logits(self, tokens: str | Sequence[str], offset: int = 0, dtype: torch.dtype = torch.float64) -> np.ndarray:
        """The output logits (T, V) on one string."""
        return self.residual([_tokens(tokens)], offset, dtype)[1][0]

    # -- describing ---------------------------------------------------------------------------
    def summary_dict(self) -> dict:
        lay = self.layout
        kinds: dict[str, int] = {}
        for c in self.coords:
            kinds[c.kind] = kinds.get(c.kind, 0) + 1
        b = self.builder
        layers = []
        for l in range(lay.n_layer):
            hs = sorted([h for h in b.heads if h.block == l], key=lambda h: lay.head_index[id(h)])
            layers.append({
                "heads": [{"kind": h.kind, "k": h.k, "values": len(h.values)} for h in hs],
                "mlp_units": sum(1 for u in b.units if u.block == l),
            })
        return {
            "program": self.program.name,
            "fragment": self.program.info().fragment,
            "model": "APE GPT" if self.max_len is not None else "Limit Transformer",
            "max_len": self.max_len,
            "layers": lay.n_layer,
            "heads": lay.n_head,
            "d_head": lay.d_head,
            "d_model": lay.d_model,
            "width_used": lay.width,
            "d_mlp": lay.d_mlp,
            "period": lay.period,
            "window": lay.window,
            "parameters": self.model.num_parameters(),
            "coordinates": kinds,
            "per_layer": layers,
        }

    def summary(self) -> str:
        """Layers, heads and width of the compiled model, and what each layer does."""
        s = self.summary_dict()
        kind = s["model"] + (f" (positions < {s['max_len']})" if s["max_len"] else "")
        lines = [
            f"{s['program'] or 'program'} ({s['fragment']}) compiled to a {kind}:",
            f"  {s['layers']} layers, {s['heads']} heads of width {s['d_head']}, d_model {s['d_model']} "
            f"({s['width_used']} coordinates used), d_mlp {s['d_mlp']}, period {s['period']}, window {s['window']}, "
            f"{s['parameters']} parameters",
            "  residual coordinates: " + ", ".join(f"{v} {k}" for k, v in s["coordinates"].items()),
        ]
        for l, layer in enumerate(s["per_layer"]):
            heads = "; ".join(
                (f"uniform head averaging {h['values']} values" if h["kind"] == "uniform" else
                 f"shift-{h['k']} head reading {h['values']} values") for h in layer["heads"]
            ) or "no heads"
            lines.append(f"  layer {l}: {heads}; MLP with {layer['mlp_units']} ReLU units")
        return "\n".join(lines)

    # -- export -------------------------------------------------------------------------------
    def to_ape(self, max_len: int) -> "CompiledModel":
        """The same computation in an ordinary ``GPT(pe="ape", n_positions=max_len)`` (see the
        module docstring): correct for inputs whose position ids stay below ``max_len``."""
        if max_len < 1:
            raise ValueError("max_len must be >= 1")
        b = _Builder(self.program, self.vocab, sign_norm=False)  # comparisons by slope, not by sign
        b.build()
        outputs = _output_literals(b, self.task)
        lay = _layout(b, extra=2, min_d_head=2 if any(h.kind == "shift" for h in b.heads) else 1)
        circle = (len(b.coords), len(b.coords) + 1)
        cfg = ModelConfig(
            vocab_size=len(self.vocab), n_positions=max_len, n_layer=lay.n_layer, n_head=lay.n_head,
            d_model=lay.d_model, d_mlp=lay.d_mlp, pe="ape", activation="relu", layer_norm=False,
            tie_embeddings=False,
        )
        model = GPT(cfg).double().eval()
        _fill(model, b, lay, outputs, self.vocab, ape_len=max_len, circle=circle)
        coords = list(b.coords) + [Coord("cos(theta t)", "circle"), Coord("sin(theta t)", "circle")]
        return CompiledModel(self.program, self.vocab, model, b.readouts, lay, coords, b._u, outputs,
                             max_len=max_len, builder=b, task=self.task)

    # -- checking -----------------------------------------------------------------------------
    def verify(self, **kw: Any) -> "VerifyReport":
        """Compare with the interpreter; see :func:`verify`."""
        return verify(self, **kw)


def _copy_as(model: GPT, dtype: torch.dtype) -> GPT:
    import copy

    return copy.deepcopy(model).to(dtype)


def compile(program: Program | str, vocab: Any = None, *, task: Any = None) -> CompiledModel:  # noqa: A001
    """Compile ``program`` into a :class:`~lengen.limit.LimitTransformer`.

    ``vocab``: the token strings (a list, or a :class:`lengen.tasks.Vocab`); token ids are their
    indices.  Default: the program's own vocabulary if it was parsed with one, else
    :func:`default_vocab`.  It must contain ``<bos>`` and every token the program tests.
    ``task``: a formal-language task (or its name) whose label tokens become the logits; by default
    the logits come from the ``next_<token>`` definitions.

    Raises :class:`CompileError` (naming the construct) for programs it cannot compile.
    """
    if isinstance(program, str):
        from .parser import parse

        program = parse(program)
    if isinstance(task, str):
        from lengen.tasks import get_task

        task = get_task(task)
    tokens = _as_vocab(vocab) or (list(program.vocab) if program.vocab else default_vocab(program))
    if task is not None and not _as_vocab(vocab):
        tokens = list(task.vocab.tokens)
    validate(program, tokens)
    b = _Builder(program, tokens)
    b.build()
    outputs = _output_literals(b, task)
    lay = _layout(b)
    cfg = LimitConfig(
        vocab_size=len(tokens), n_layer=lay.n_layer, n_head=lay.n_head, d_model=lay.d_model, d_mlp=lay.d_mlp,
        activation="relu", layer_norm=False, tie_embeddings=False, pe="periodic", period=lay.period,
        window=lay.window, sign_coords=tuple(b.slots), sign_eps=SIGN_EPS,
    )
    model = LimitTransformer(cfg).double().eval()
    _fill(model, b, lay, outputs, tokens)
    return CompiledModel(program, tokens, model, b.readouts, lay, b.coords, b._u, outputs, builder=b, task=task)


# ---------------------------------------------------------------------------------------------
# Verification against the interpreter


@dataclass
class VerifyReport:
    """Outcome of :func:`verify`.  ``bool(report)`` is ``report.ok``.

    ``bool_margin``: the largest distance of a Boolean read-out from 0/1 (it is wrong only past
    1/2); ``count_error``: the largest distance of a count read-out from its integer.
    ``mismatch``: the first disagreement (definition, input index, 1-based position, expected, got).
    """

    ok: bool
    program: str | None
    model: str
    dtype: str
    n_inputs: int
    n_positions: int
    max_len: int
    bool_margin: float
    count_error: float
    mismatch: dict | None = None
    seconds: float = 0.0

    def __bool__(self) -> bool:
        return self.ok

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def summary(self) -> str:
        head = (f"{'ok' if self.ok else 'FAILED'}: {self.program or 'program'} as a {self.model} in {self.dtype}: "
                f"{self.n_inputs} inputs up to length {self.max_len}, {self.n_positions} positions, every definition "
                f"equal to the interpreter's (largest Boolean deviation {self.bool_margin:.2e}, "
                f"count deviation {self.count_error:.2e})")
        if self.mismatch:
            head = head.replace("every definition equal to the interpreter's", "MISMATCH")
            head += f"\nfirst mismatch: {self.mismatch}"
        return head


def random_inputs(compiled: CompiledModel, rng: np.random.Generator, length: int) -> list[str]:
    """``<bos>`` and length - 1 random tokens: those the program tests (and one it does not), with
    random frequencies, so that counts are sometimes balanced and sometimes not."""
    tested = [t for t in compiled.program.tokens if t != BOS]
    spare = [t for t in compiled.vocab if t not in tested and t != BOS]
    pool = tested + spare[:1]
    if not pool:
        return [BOS] * min(length, 1)
    if rng.random() < 0.5 or len(pool) == 1:
        p = np.full(len(pool), 1.0 / len(pool))
    else:
        p = rng.dirichlet(np.full(len(pool), 0.7))
    idx = rng.choice(len(pool), size=max(0, length - 1), p=p)
    return [BOS] + [pool[k] for k in idx]


def verify(
    compiled: CompiledModel,
    lengths: Sequence[int] = (1, 2, 3, 5, 8, 13, 40, 200),
    n_per_length: int = 2,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    inputs: Sequence[Sequence[str]] | None = None,
    offsets: Sequence[int] | None = None,
) -> VerifyReport:
    """Run the compiled model and the interpreter on the same inputs and compare every definition
    at every position.

    Inputs: ``inputs`` if given, else ``n_per_length`` random strings (:func:`random_inputs`) of each
    length.  Offsets: ``offsets`` if given, else random offsets in [0, 1000) when the program uses
    periodic predicates (kept below the export's ``max_len``).
    """
    from .interpreter import evaluate

    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    if inputs is None:
        inputs = [random_inputs(compiled, rng, n) for n in lengths for _ in range(n_per_length)]
    if offsets is None:
        periodic = compiled.layout.period > 1
        offsets = []
        for s in inputs:
            hi = 1000 if compiled.max_len is None else max(1, compiled.max_len - len(s) + 1)
            offsets.append(int(rng.integers(0, hi)) if periodic else 0)
    bool_dev = count_dev = 0.0
    n_pos = 0
    mismatch = None
    for k, (s, off) in enumerate(zip(inputs, offsets)):
        s = _tokens(s)
        want = evaluate(compiled.program, [s], off)
        got = compiled.values([s], off, dtype)
        n_pos += len(s)
        for name, (kind, _) in compiled.readouts.items():
            g, w = got[name][0], want[name][0]
            if kind == "bool":
                bool_dev = max(bool_dev, float(np.max(np.abs(g - w), initial=0.0)))
                bad = np.flatnonzero((g > 0.5) != w)
            else:
                count_dev = max(count_dev, float(np.max(np.abs(g - w), initial=0.0)))
                bad = np.flatnonzero(np.rint(g).astype(np.int64) != w)
            if bad.size and mismatch is None:
                p = int(bad[0])
                mismatch = {"definition": name, "input": k, "length": len(s), "offset": off, "position": p + 1,
                            "expected": w[p].item(), "got": float(g[p])}
    return VerifyReport(
        ok=mismatch is None, program=compiled.program.name,
        model="APE GPT" if compiled.max_len is not None else "Limit Transformer",
        dtype=str(dtype).replace("torch.", ""), n_inputs=len(inputs), n_positions=n_pos,
        max_len=max((len(_tokens(s)) for s in inputs), default=0), bool_margin=bool_dev, count_error=count_dev,
        mismatch=mismatch, seconds=time.perf_counter() - start,
    )


def balanced_inputs(length: int, seed: int = 0, a: str = "1", b: str = "0") -> list[str]:
    """``<bos>`` and a string over {a, b} whose counts of a and b never differ by more than one:
    every comparison of the two counts is decided by a margin of exactly 1/(2i)."""
    rng = np.random.default_rng(seed)
    out = [BOS]
    for _ in range((length - 1) // 2):
        out += [a, b] if rng.random() < 0.5 else [b, a]
    if len(out) < length:
        out.append(a)
    return out


FRONTIER_PROGRAM = """
ones     := #[j <= i] Q(1)
zeros    := #[j <= i] Q(0)
more     := ones > zeros
less     := ones < zeros
same     := ones == zeros
"""


def float32_frontier(lengths: Sequence[int] = (1024, 2048, 4096, 8192, 16384, 32768, 65536),
                     n_inputs: int = 2) -> list[tuple[int, bool, float]]:
    """Run the adversarial comparison program :data:`FRONTIER_PROGRAM` in float32 on
    :func:`balanced_inputs` of each length; returns [(length, exact?, largest Boolean deviation)].
    Stops after the first failure."""
    compiled = compile(FRONTIER_PROGRAM, ["<pad>", BOS, "0", "1"])
    out = []
    for n in lengths:
        rep = verify(compiled, inputs=[balanced_inputs(n, seed=s) for s in range(n_inputs)],
                     offsets=[0] * n_inputs, dtype=torch.float32)
        out.append((n, rep.ok, rep.bool_margin))
        if not rep.ok:
            break
    return out


# ---------------------------------------------------------------------------------------------
# Command line: lengen crasp compile FILE [--check --max-len N] [--dtype] [--ape] [--json]


def _load_program(spec: str, vocab_task: str | None) -> Program:
    from pathlib import Path

    from . import library
    from .parser import parse

    vocab = None
    if vocab_task:
        from lengen.tasks import get_task

        vocab = get_task(vocab_task).vocab.tokens
    p = Path(spec)
    if p.is_file():
        return parse(p.read_text(encoding="utf-8"), vocab=vocab, name=str(p))
    if p.exists():
        raise FileNotFoundError(f"{spec} is not a file")
    if "/" not in spec and not spec.endswith(".crasp") and spec in library.names() + sum(
            (library.variants(n) for n in library.names()), []):
        prog = library.load(spec) if vocab is None else parse(library._read(spec) or "", vocab=vocab, name=f"{spec}.crasp")
        if prog is not None:
            return prog
    raise FileNotFoundError(f"no such file: {spec} (nor a library program; the library has: {', '.join(library.names())})")


def cmd_compile(args: argparse.Namespace) -> int:
    """``lengen crasp compile``: compile, print the summary, optionally check against the interpreter."""
    try:
        from lengen.tasks import TaskError

        prog = _load_program(args.file, args.vocab_from_task)
        compiled = compile(prog, None, task=None)
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
    c.add_argument("--max-len", type=int, default=1000, help="longest checked input; with --ape the model's positions")
    c.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    c.add_argument("--random", type=int, default=2, metavar="K", help="random inputs per checked length (default 2)")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--ape", action="store_true", help="export to an APE GPT with --max-len positions and use that")
    c.add_argument("--vocab-from-task", metavar="T", help="compile for task T's vocabulary")
    c.add_argument("--json", action="store_true", help="print the summary (and check) as JSON")
    c.set_defaults(func=cmd_compile)
    return c
