"""From a C-RASP program to a *circuit*: residual coordinates, attention heads and ReLU units.

:class:`CircuitBuilder` walks the definitions in order and gives every value a coordinate of the
residual stream, an attention head dimension (counts) or MLP units (Booleans, comparisons,
conditional counts), each in the earliest layer at which its inputs exist.  Nothing here touches
a tensor: :mod:`.weights` turns the circuit into the weights of a transformer.  The design is
explained in :mod:`lengen.crasp.compiler`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from ..ast import (
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
from ..errors import CRASPError
from ..interpreter import COMPARISON_UFUNCS

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
    _index: dict[Lin, int] = field(default_factory=dict, repr=False)

    def dim(self, value: Lin) -> int:
        """The value dimension carrying ``value`` (a new one the first time)."""
        if value not in self._index:
            self._index[value] = len(self.values)
            self.values.append(value)
            self.writes.append([])
        return self._index[value]


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


def as_vocab(vocab: Any) -> list[str]:
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


class CircuitBuilder:
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
        text = " + ".join(f"{v:g}*{self.coords[c].name}" for c, v in lin.terms)
        return text + (f" + {lin.const:g}" if lin.const else "")

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
        """A comparison of counts as a literal.  Counts with a global leaf go through slots g =
        (w + 1/2) / i: in the Limit Transformer the literal is (1 + sign g) / 2, readable only by
        MLPs (PairSignNorm replaces g by its sign there; :meth:`crisp` writes it into the stream
        when attention or a read-out needs it); in the APE export, a step of 4N g into a coordinate.
        Comparisons of local counts only: a step of the integer 2w + 1 into a coordinate."""
        left, right = self.terms(node.left), self.terms(node.right)
        diff_lr, diff_rl = _merge(left, right, -1.0), _merge(right, left, -1.0)
        ws, negate = _conditions(node.op, diff_lr, diff_rl)
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
            return eq.neg() if negate else eq
        if local:  # one Boolean inside (exists[j <= i, j == i - 1] P): the comparison is it or its negation
            lits = {self.leaf_lit(leaf) for w in ws for (_, leaf) in w if leaf[0] != "one"}
            if len(lits) <= 1:
                lit = next(iter(lits), Lin.constant(0.0))
                # every non-constant leaf is this one Boolean x (leaves that cancel in the difference
                # do not change the outcome): evaluate the comparison for x = 0 and x = 1
                truth = [_holds(node.op, _leaf_sum(left, x), _leaf_sum(right, x)) for x in (0, 1)]
                return Lin.constant(float(truth[0])) if truth[0] == truth[1] else (lit if truth[1] else lit.neg())
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
        return eq.neg() if negate else eq

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


def _holds(op: str, left: float, right: float) -> bool:
    """Whether ``left op right``, by the interpreter's table of comparison operators."""
    return bool(COMPARISON_UFUNCS[op](left, right))


def _conditions(op: str, diff_lr: Terms, diff_rl: Terms) -> tuple[list[Terms], bool]:
    """``left op right`` as integer-valued count expressions w with "every w >= 0", and whether the
    result is then negated.  Which of left < right, left == right, left > right satisfy ``op`` is
    read from the interpreter's table, so compiler and interpreter share one meaning of each
    operator: e.g. ``<=`` gives [right - left], ``<`` [right - left - 1], ``!=`` the pair
    [left - right, right - left] negated."""
    below, equal, above = (_holds(op, d, 0) for d in (-1, 0, 1))
    if below == above:  # == (F, T, F) or != (T, F, T): both differences >= 0, negated for !=
        if equal == below:
            raise CompileError(f"comparison {op!r} is constant")
        return [diff_lr, diff_rl], below
    w = diff_rl if below else diff_lr  # <=, < hold when right - left is large enough; >=, > when left - right is
    return [w if equal else _merge(w, {((), ONE): -1.0}, 1.0)], False


def _leaf_sum(terms: Terms, x: float) -> float:
    """The value of unguarded terms when every non-constant leaf has the value x."""
    return sum(c * (1.0 if leaf[0] == "one" else x) for (_, leaf), c in terms.items())


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


def output_literals(builder: CircuitBuilder, task: Any) -> dict[str, Lin]:
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
