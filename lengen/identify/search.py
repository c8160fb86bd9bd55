"""The idealized inference procedure over C-RASP programs: the least complex program that agrees
with a target on every input up to length n.

Huang et al.'s idealized learner sees every input up to a length bound and returns the
*simplest* hypothesis that fits all of them (simplest by a regularizer).  Here the hypotheses are
C-RASP programs and "simplest" is the complexity order below; :func:`search` runs this learner,
and :mod:`lengen.identify.identification` runs it for n = 1, 2, ... to watch whether its choice
settles (identification in the limit).

What is searched
----------------
One Boolean output definition ``accept := <expr>`` (or ``next_a := <expr>`` for a column of a
task's labels), where ``<expr>`` is a single expression of the core syntax of
:mod:`lengen.crasp.ast` built from:

* Booleans: ``Q(a)`` for every symbol a and ``<bos>``; ``true``, ``false``; ``not P``,
  ``P and P``, ``P or P``; ``C < C``, ``C <= C``, ``C == C``, ``C != C`` (``>`` and ``>=`` are the
  same comparisons mirrored); with *periodic*: ``i % m == r`` for 2 <= m <= M, 0 <= r < m;
* counts: ``#[j <= i] P``; with *local*: ``#[j <= i, j == i - k] P`` for 0 <= k <= K and
  ``#[j <= i, i - j <= k] P`` for 1 <= k <= K; integer constants from ``constants``
  (default 0, 1, 2); ``C + C``, ``C - C``; ``f * C`` for f in ``scales`` (default 2); and, only
  with ``conditional=True``, ``P ? C : C``.

The fragment (C-RASP[], [periodic], [local], [periodic, local]) decides which of the optional
operations are available.  Programs are evaluated on ``<bos> w`` (see
:mod:`lengen.identify.targets`), and, where periodic predicates are allowed, **at every phase**:
the program must agree with the target at every position offset (lengen's training shifts
positions at random), so the probe set holds each input at the offsets 0 .. lcm(2..M) - 1, which
covers every residue any allowed modulus can see.

The complexity order
--------------------
1. **size**: the number of core operations (nodes of the syntax tree; the relation of a count and
   the factor of ``f * C`` are part of their node).  This is exactly
   ``Program.info().size`` of the one-definition program the search returns;
2. **depth**: the largest number of nested counts (``Program.info().depth``);
3. **constants**: the largest modulus m of a periodic predicate, then the largest local
   distance k, then the sum of the absolute values of the integer constants and factors.

The search is **bottom-up by size with observational-equivalence pruning**.  The *probe set* is
every prefix of every input up to length n (the nodes of the prefix trie of the domain) at every
phase.  All expressions of size s are built from the kept expressions of smaller sizes and
evaluated, vectorized with numpy, at all probe positions at once; an expression whose vector of
values equals that of an expression kept earlier is dropped (two such expressions are
interchangeable inside any larger program on the probe set, so nothing smaller is ever lost), and
among new expressions of the same size with equal values the one first in the order above is
kept.  The first size at which some Boolean expression agrees with the target at every supervised
position is the minimal size, and among the matches of that size the least in the order (then the
shortest text) is returned.  Values are compared through 64-bit fingerprints; a fingerprint
collision could only hide a smaller program, never return a wrong one, since the returned program
is re-parsed by :func:`lengen.crasp.parse` and re-checked by the interpreter
(:func:`lengen.crasp.evaluate`) on the whole probe set.

Counts are evaluated on the trie: the count at a prefix is the count at its parent plus the
body's value at the prefix, one vectorized step per length; local counts read ancestors.
Minimality is relative to this grammar, its constants and the bounds M and K.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np

from lengen.crasp.ast import (
    ALL,
    Add,
    And,
    BoolConst,
    Compare,
    Cond,
    Count,
    CountConst,
    Definition,
    Node,
    Not,
    Or,
    Periodic,
    Program,
    Scale,
    Sub,
    Token,
    fragment_name,
    shift,
    window,
)

from .targets import ENUMERATION_BUDGET, Target, TargetError, Word, all_words

BOS = "<bos>"

#: Elements (rows x columns) per vectorized block of candidates.
BLOCK_ELEMENTS = 1 << 21

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


class SearchError(ValueError):
    """A search that cannot run (an empty domain, a probe set too large)."""


# ---------------------------------------------------------------------------------------------
# The search space


def parse_fragment(spec: str | Sequence[str] | None) -> tuple[bool, bool]:
    """``(periodic, local)`` from a fragment name (``"C-RASP[periodic, local]"``), a comma list
    (``"periodic,local"``, ``"local"``), ``"none"``/``""``/``"[]"`` for C-RASP[], or a list."""
    if spec is None:
        return False, False
    if not isinstance(spec, str):
        spec = ",".join(spec)
    s = spec.strip().lower().replace("c-rasp", "").replace("crasp", "").strip("[] ")
    if s in ("", "none", "nope"):
        return False, False
    if s in ("all", "ape", "pos"):
        return True, True
    parts = {p.strip() for p in s.split(",") if p.strip()}
    unknown = parts - {"periodic", "local"}
    if unknown:
        raise ValueError(f"unknown fragment part(s) {', '.join(sorted(unknown))}: use periodic, local, both (periodic,local) or none")
    return "periodic" in parts, "local" in parts


@dataclass(frozen=True)
class SearchSpace:
    """The grammar searched (see the module docstring)."""

    periodic: bool = False
    local: bool = False
    max_period: int = 4  # M: moduli 2..M (unless ``moduli`` lists them)
    max_distance: int = 2  # K: local distances
    constants: tuple[int, ...] = (0, 1, 2)
    scales: tuple[int, ...] = (2,)
    conditional: bool = False
    moduli: tuple[int, ...] | None = None  # explicit moduli instead of 2..M

    def periods(self) -> tuple[int, ...]:
        """The moduli m of the periodic predicates ``i % m == r`` (none without periodic)."""
        if not self.periodic:
            return ()
        return tuple(self.moduli) if self.moduli is not None else tuple(range(2, self.max_period + 1))

    @property
    def fragment(self) -> str:
        return fragment_name(self.periodic, self.local)

    @property
    def phases(self) -> int:
        """How many offsets the probe set holds: the lcm of the moduli (lcm(2..M)), 1 without periodic."""
        out = 1
        for m in self.periods():
            out = out * m // math.gcd(out, m)
        return out

    @classmethod
    def for_fragment(cls, fragment: str | Sequence[str] | None, **kw: Any) -> "SearchSpace":
        periodic, local = parse_fragment(fragment)
        return cls(periodic=periodic, local=local, **kw)

    def relations(self) -> list[tuple[str, int]]:
        rels = [("all", 0)]
        if self.local:
            rels += [("shift", k) for k in range(0, self.max_distance + 1)]
            rels += [("window", k) for k in range(1, self.max_distance + 1)]
        return rels

    def as_dict(self) -> dict:
        return {
            "fragment": self.fragment, "moduli": list(self.periods()) or None,
            "max_distance": self.max_distance if self.local else None, "constants": list(self.constants),
            "scales": list(self.scales), "conditional": self.conditional,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "SearchSpace":
        """The space :meth:`as_dict` describes (as stored in result files); the moduli are kept
        explicitly, so ``from_dict(s.as_dict()).periods() == s.periods()``."""
        periodic, local = parse_fragment(d["fragment"])
        moduli = tuple(d["moduli"]) if d.get("moduli") else None
        return cls(periodic=periodic, local=local, moduli=moduli,
                   max_distance=d.get("max_distance") or 2, constants=tuple(d.get("constants", (0, 1, 2))),
                   scales=tuple(d.get("scales", (2,))), conditional=bool(d.get("conditional", False)))


# ---------------------------------------------------------------------------------------------
# The probe set: the prefix trie of the domain, at every phase


class Probe:
    """Every prefix of every input up to length n, at every phase (see the module docstring).

    Nodes are ordered by depth (the number of symbols of the prefix), so the nodes of one depth
    form a contiguous slice and parents come before children.  Node arrays: ``parent`` (index,
    or ``P`` for the root: the padding column), ``depth``, ``tok`` (0 = ``<bos>``, 1 + index in the
    alphabet otherwise), ``offset`` (the phase), ``word`` (index into ``words``)."""

    def __init__(self, words: Sequence[Word], alphabet: Sequence[str], phases: int = 1) -> None:
        words = sorted(set(words), key=lambda w: (len(w), w))
        if not words or words[0] != ():
            raise SearchError("the probe set must contain the empty word (it is prefix-closed)")
        self.alphabet = tuple(alphabet)
        self.tokens = (BOS, *self.alphabet)
        sym = {a: k + 1 for k, a in enumerate(self.alphabet)}
        index = {w: k for k, w in enumerate(words)}
        nb = len(words)
        base_parent = np.full(nb, -1, dtype=np.int64)
        base_depth = np.zeros(nb, dtype=np.int64)
        base_tok = np.zeros(nb, dtype=np.int64)
        for k, w in enumerate(words):
            if w:
                p = index.get(w[:-1])
                if p is None:
                    raise SearchError(f"the domain is not prefix-closed: {w[:-1]!r} is missing")
                base_parent[k] = p
                base_depth[k] = len(w)
                base_tok[k] = sym[w[-1]]
        self.words: list[Word] = list(words)
        self.n = int(base_depth.max())
        self.phases = phases
        L = phases
        # depth d occupies base indices [start[d], start[d] + cnt[d])
        cnt = np.bincount(base_depth, minlength=self.n + 1)
        start = np.concatenate([[0], np.cumsum(cnt)[:-1]])
        # global index of (copy c, base k): L * start[d] + c * cnt[d] + (k - start[d])
        P = nb * L
        glob = np.empty((L, nb), dtype=np.int64)
        for c in range(L):
            glob[c] = L * start[base_depth] + c * cnt[base_depth] + (np.arange(nb) - start[base_depth])
        self.P = P
        self.parent = np.full(P, P, dtype=np.int64)
        self.depth = np.empty(P, dtype=np.int64)
        self.tok = np.empty(P, dtype=np.int64)
        self.offset = np.empty(P, dtype=np.int64)
        self.word = np.empty(P, dtype=np.int64)
        for c in range(L):
            g = glob[c]
            has = base_parent >= 0
            self.parent[g[has]] = glob[c][base_parent[has]]
            self.depth[g] = base_depth
            self.tok[g] = base_tok
            self.offset[g] = c
            self.word[g] = np.arange(nb)
        self.glob = glob
        self.levels = [slice(int(L * start[d]), int(L * (start[d] + cnt[d]))) for d in range(self.n + 1)]
        self.position = self.offset + self.depth + 1  # absolute 1-based position
        self._anc: dict[int, np.ndarray] = {0: np.arange(P, dtype=np.int64)}
        # storage widths: Boolean rows packed into a multiple of 8 bytes, count rows into a multiple of 4 int16
        self.Wb = ((P + 63) // 64) * 8
        self.Pc = ((P + 3) // 4) * 4
        valid = np.zeros(self.Wb * 8, dtype=bool)
        valid[:P] = True
        self.valid_packed = np.packbits(valid)

    def ancestor(self, k: int) -> np.ndarray:
        """The k-th ancestor of every node, ``P`` where there is none."""
        if k not in self._anc:
            prev = self.ancestor(k - 1)
            padded = np.append(self.parent, self.P)
            self._anc[k] = padded[prev]
        return self._anc[k]

    def leaves(self) -> list[int]:
        """Base indices of the words that are not a proper prefix of another word of the domain."""
        has_child = np.zeros(len(self.words), dtype=bool)
        index = {w: k for k, w in enumerate(self.words)}
        for w in self.words:
            if w:
                has_child[index[w[:-1]]] = True
        return [k for k in range(len(self.words)) if not has_child[k]]

    def interpreter_values(self, program: Program, name: str) -> np.ndarray:
        """The value of definition ``name`` at every probe node (P,), computed by lengen's
        interpreter on ``<bos> w`` for every maximal word w, at every phase."""
        from lengen.crasp import evaluate_ragged

        leaves = self.leaves()
        strings = [[BOS, *self.words[k]] for k in leaves]
        out = np.zeros(self.P, dtype=np.int64)
        index = {w: k for k, w in enumerate(self.words)}
        for off in range(self.phases):
            vals = evaluate_ragged(program, strings, [off] * len(strings))
            for k, v in zip(leaves, vals):
                w = self.words[k]
                got = v[name]
                for t in range(len(w) + 1):
                    out[self.glob[off, index[w[:t]]]] = int(got[t])
        return out

    # -- packing -------------------------------------------------------------------------------
    def pack(self, X: np.ndarray) -> np.ndarray:
        """Boolean rows (B, P) to packed rows (B, Wb) uint8 (padding bits 0)."""
        out = np.zeros((X.shape[0], self.Wb), dtype=np.uint8)
        packed = np.packbits(X, axis=1)
        out[:, : packed.shape[1]] = packed
        return out

    def unpack(self, V: np.ndarray) -> np.ndarray:
        return np.unpackbits(V, axis=1, count=self.P)

    def spread(self, base_values: np.ndarray) -> np.ndarray:
        """A per-word array (len(words),) to a per-node array (P,) (the same value at every phase)."""
        return np.asarray(base_values)[self.word]

    # -- count evaluation ----------------------------------------------------------------------
    def prefix_count(self, X: np.ndarray) -> np.ndarray:
        """``#[j <= i] X`` for Boolean rows X (B, P): (B, Pc) int16."""
        out = np.zeros((X.shape[0], self.Pc), dtype=np.int16)
        sl0 = self.levels[0]
        out[:, sl0] = X[:, sl0]
        for sl in self.levels[1:]:
            out[:, sl] = out[:, self.parent[sl]] + X[:, sl]
        return out

    def count(self, X: np.ndarray, kind: str, k: int) -> np.ndarray:
        """The count of Boolean rows X (B, P) over one relation: (B, Pc) int16."""
        if kind == "all":
            return self.prefix_count(X)
        B = X.shape[0]
        out = np.zeros((B, self.Pc), dtype=np.int16)
        if kind == "shift":
            pad = np.zeros((B, self.P + 1), dtype=np.int16)
            pad[:, : self.P] = X
            out[:, : self.P] = pad[:, self.ancestor(k)]
            return out
        S = self.prefix_count(X)
        pad = np.zeros((B, self.P + 1), dtype=np.int16)
        pad[:, : self.P] = S[:, : self.P]
        out[:, : self.P] = S[:, : self.P] - pad[:, self.ancestor(k + 1)]
        return out


def _fingerprint(V: np.ndarray, salt: np.ndarray) -> np.ndarray:
    """64-bit fingerprints of the rows of a C-contiguous array whose rows are a multiple of 8 bytes."""
    X = np.ascontiguousarray(V).view(np.uint64)
    x = X + salt[: X.shape[1]]
    x ^= x >> np.uint64(30)
    x *= _MIX1
    x ^= x >> np.uint64(27)
    x *= _MIX2
    x ^= x >> np.uint64(31)
    return x.sum(axis=1, dtype=np.uint64)


# ---------------------------------------------------------------------------------------------
# Enumeration


def _key(kd: Any, km: Any, kk: Any, kc: Any) -> Any:
    """The secondary order (depth, max modulus, max distance, constant sum) as one integer."""
    return ((np.asarray(kd, np.int64) * 64 + km) * 64 + kk) * 4096 + np.minimum(kc, 4095)


@dataclass
class _Store:
    """The kept expressions of one type and size: values, class ids and key components."""

    vals: np.ndarray
    ids: np.ndarray
    kd: np.ndarray
    km: np.ndarray
    kk: np.ndarray
    kc: np.ndarray
    mx: np.ndarray  # max |value| (counts), 0 for Booleans

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class _Batch:
    """Candidate expressions of one operation: values (rows), key components, children."""

    vals: np.ndarray
    kd: np.ndarray
    km: np.ndarray
    kk: np.ndarray
    kc: np.ndarray
    mx: np.ndarray
    op: str
    param: Any
    left: np.ndarray | None = None
    right: np.ndarray | None = None
    third: np.ndarray | None = None


@dataclass
class _Pending:
    """The fresh candidates of one batch, kept until the end of the level."""

    h: np.ndarray
    key: np.ndarray
    vals: np.ndarray
    comps: np.ndarray  # (N, 5): kd, km, kk, kc, mx
    meta: np.ndarray  # (N, 5): op code, param index, left, right, third


class _Stop(Exception):
    def __init__(self, status: str) -> None:
        self.status = status


def _empty(n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.int64)


class Enumerator:
    """Bottom-up enumeration of Boolean and count expressions by size (see the module docstring).

    ``target``/``care``: per-node Boolean arrays (P,): the label, and whether the position is
    supervised.  :meth:`run` returns the class ids of the minimal matching expressions."""

    def __init__(self, probe: Probe, space: SearchSpace, target: np.ndarray, care: np.ndarray,
                 time_limit: float | None = None, max_classes: int = 3_000_000, seed: int = 0,
                 max_bytes: float = 2e9) -> None:
        self.probe = probe
        self.space = space
        # class metadata, one row per kept expression: op code, param index, children (-1: none)
        self.meta = np.zeros((0, 5), dtype=np.int64)
        self.size_of = np.zeros(0, dtype=np.int64)
        self.ops: list[str] = []
        self.params: list[Any] = []
        self._param_index: dict[Any, int] = {}
        self.bools: dict[int, _Store] = {}
        self.counts: dict[int, _Store] = {}
        self.seen = {"b": np.zeros(0, np.uint64), "c": np.zeros(0, np.uint64)}
        rng = np.random.default_rng(seed + 12345)
        width = max(probe.Wb // 8, probe.Pc // 4) + 1
        self.salt = rng.integers(0, 2**62, size=width, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.target = probe.pack(target[None, :].astype(bool))[0]
        self.care = probe.pack(care[None, :].astype(bool))[0]
        self.deadline = None if time_limit is None else time.perf_counter() + time_limit
        self.max_classes = max_classes
        self.candidates: dict[int, int] = {}
        self.completed = 0
        self._n_pending = 0
        self.max_bytes = max_bytes
        self._bytes = 0  # values kept in stores and pending

    # -- bookkeeping ---------------------------------------------------------------------------
    def _tick(self) -> None:
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise _Stop("timeout")

    def _code(self, op: str, param: Any) -> tuple[int, int]:
        if op not in self.ops:
            self.ops.append(op)
        key = (op, param)
        if key not in self._param_index:
            self._param_index[key] = len(self.params)
            self.params.append(param)
        return self.ops.index(op), self._param_index[key]

    def _admit(self, typ: str, batch: _Batch, pending: list[_Pending], size: int) -> None:
        """Keep the candidates of ``batch`` whose values are new (not seen at a smaller size), one
        per value (the least in the order); duplicates across batches are resolved in :meth:`_commit`."""
        self._tick()
        N = len(batch.vals)
        if not N:
            return
        self.candidates[size] = self.candidates.get(size, 0) + N
        h = _fingerprint(batch.vals, self.salt)
        seen = self.seen[typ]
        if seen.size:
            pos = np.minimum(np.searchsorted(seen, h), seen.size - 1)
            fresh = np.flatnonzero(seen[pos] != h)
        else:
            fresh = np.arange(N)
        if not fresh.size:
            return
        key = np.broadcast_to(_key(batch.kd, batch.km, batch.kk, batch.kc), (N,))
        op, par = self._code(batch.op, batch.param)
        meta = np.full((len(fresh), 5), -1, dtype=np.int64)
        meta[:, 0] = op
        meta[:, 1] = par
        for col, arr in ((2, batch.left), (3, batch.right), (4, batch.third)):
            if arr is not None:
                meta[:, col] = arr[fresh]
        hf = h[fresh]
        # per value: the least key, then the smallest children (ids follow the order)
        order = np.lexsort((meta[:, 4], meta[:, 3], meta[:, 2], key[fresh], hf))
        hs = hf[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = hs[1:] != hs[:-1]
        sel = order[first]
        reps = fresh[sel]
        meta = meta[sel]
        comps = np.stack([np.broadcast_to(a, (N,))[reps] for a in (batch.kd, batch.km, batch.kk, batch.kc, batch.mx)], axis=1)
        pending.append(_Pending(h[reps], key[reps], batch.vals[reps], comps, meta))
        self._n_pending += len(reps)
        self._bytes += pending[-1].vals.nbytes
        if len(self.meta) + self._n_pending > self.max_classes or self._bytes > self.max_bytes:
            raise _Stop("memory")

    def _commit(self, typ: str, pending: list[_Pending], size: int) -> _Store:
        """The kept expressions of one level: one per new value, the least in the order."""
        W = self.probe.Wb if typ == "b" else self.probe.Pc
        dtype = np.uint8 if typ == "b" else np.int16
        self._n_pending = 0
        if not pending:
            z = np.zeros(0, dtype=np.int64)
            return _Store(np.zeros((0, W), dtype=dtype), z, z, z, z, z, z)
        h = np.concatenate([p.h for p in pending])
        key = np.concatenate([p.key for p in pending])
        allmeta = np.concatenate([p.meta for p in pending])
        # ties (same key) are broken by the operation and children, never by the fingerprint,
        # so that the choice does not depend on the probe set
        tie = (allmeta[:, 4], allmeta[:, 3], allmeta[:, 2], allmeta[:, 1], allmeta[:, 0])
        order = np.lexsort((*tie, key, h))
        hs = h[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = hs[1:] != hs[:-1]
        chosen = order[first]
        chosen = chosen[np.lexsort(tuple(t[chosen] for t in tie) + (key[chosen],))]  # ids in the order
        self._bytes -= sum(p.vals.nbytes for p in pending)
        vals = np.concatenate([p.vals for p in pending])[chosen]
        self._bytes += vals.nbytes
        comps = np.concatenate([p.comps for p in pending])[chosen]
        meta = allmeta[chosen]
        pending.clear()
        start = len(self.meta)
        ids = np.arange(start, start + len(chosen), dtype=np.int64)
        self.meta = np.concatenate([self.meta, meta])
        self.size_of = np.concatenate([self.size_of, np.full(len(chosen), size, dtype=np.int64)])
        self.seen[typ] = np.union1d(self.seen[typ], h[chosen])
        return _Store(np.ascontiguousarray(vals), ids, comps[:, 0], comps[:, 1], comps[:, 2], comps[:, 3], comps[:, 4])

    # -- candidates ------------------------------------------------------------------------------
    def _atoms_bool(self) -> Iterator[_Batch]:
        pr = self.probe
        rows, metas = [np.zeros(pr.P, bool), np.ones(pr.P, bool)], [("bconst", False, 0), ("bconst", True, 0)]
        for t, tok in enumerate(pr.tokens):
            rows.append(pr.tok == t)
            metas.append(("tok", tok, 0))
        if self.space.periodic:
            for m in self.space.periods():
                for r in range(m):
                    rows.append(pr.position % m == r)
                    metas.append(("per", (m, r), m))
        for row, (op, param, m) in zip(rows, metas):
            z = _empty(1)
            yield _Batch(pr.pack(row[None, :]), z, z + m, z, z, z, op, param)

    def _atoms_count(self) -> Iterator[_Batch]:
        pr = self.probe
        for c in self.space.constants:
            row = np.zeros((1, pr.Pc), dtype=np.int16)
            row[0, : pr.P] = c
            z = _empty(1)
            yield _Batch(row, z, z, z, z + abs(c), z + abs(c), "cconst", c)

    def _pair_blocks(self, A: _Store, B: _Store, same: bool, width: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Index pairs (i into A, j into B) in blocks; with ``same`` only j > i."""
        nA, nB = len(A), len(B)
        if not nA or not nB:
            return
        bs = max(1, BLOCK_ELEMENTS // max(1, nB * width))
        for i0 in range(0, nA, bs):
            i1 = min(nA, i0 + bs)
            I = np.repeat(np.arange(i0, i1), nB)
            J = np.tile(np.arange(nB), i1 - i0)
            if same:
                keep = J > I
                I, J = I[keep], J[keep]
            if len(I):
                yield I, J

    def _combine(self, A: _Store, B: _Store, I: np.ndarray, J: np.ndarray) -> tuple[np.ndarray, ...]:
        kd = np.maximum(A.kd[I], B.kd[J])
        km = np.maximum(A.km[I], B.km[J])
        kk = np.maximum(A.kk[I], B.kk[J])
        kc = A.kc[I] + B.kc[J]
        return kd, km, kk, kc

    def _bool_level(self, s: int) -> Iterator[_Batch]:
        pr = self.probe
        if s == 1:
            yield from self._atoms_bool()
            return
        # not
        prev = self.bools.get(s - 1)
        if prev is not None and len(prev):
            for i0 in range(0, len(prev), max(1, BLOCK_ELEMENTS // pr.Wb)):
                sl = slice(i0, i0 + max(1, BLOCK_ELEMENTS // pr.Wb))
                vals = prev.vals[sl] ^ pr.valid_packed[None, :]
                yield _Batch(vals, prev.kd[sl], prev.km[sl], prev.kk[sl], prev.kc[sl], np.zeros(len(vals), np.int64),
                             "not", None, prev.ids[sl])
        # and / or
        for s1 in range(1, (s - 1) // 2 + 1):
            s2 = s - 1 - s1
            A, B = self.bools.get(s1), self.bools.get(s2)
            if A is None or B is None:
                continue
            for I, J in self._pair_blocks(A, B, s1 == s2, pr.Wb):
                kd, km, kk, kc = self._combine(A, B, I, J)
                z = np.zeros(len(I), np.int64)
                a, b = A.vals[I], B.vals[J]
                yield _Batch(a & b, kd, km, kk, kc, z, "and", None, A.ids[I], B.ids[J])
                yield _Batch(a | b, kd, km, kk, kc, z, "or", None, A.ids[I], B.ids[J])
        # comparisons
        P = pr.P
        for s1 in range(1, (s - 1) // 2 + 1):
            s2 = s - 1 - s1
            A, B = self.counts.get(s1), self.counts.get(s2)
            if A is None or B is None:
                continue
            for I, J in self._pair_blocks(A, B, s1 == s2, P):
                kd, km, kk, kc = self._combine(A, B, I, J)
                z = np.zeros(len(I), np.int64)
                a, b = A.vals[I, :P], B.vals[J, :P]
                ia, ib = A.ids[I], B.ids[J]
                yield _Batch(pr.pack(a < b), kd, km, kk, kc, z, "cmp", "<", ia, ib)
                yield _Batch(pr.pack(b < a), kd, km, kk, kc, z, "cmp", "<", ib, ia)
                yield _Batch(pr.pack(a <= b), kd, km, kk, kc, z, "cmp", "<=", ia, ib)
                yield _Batch(pr.pack(b <= a), kd, km, kk, kc, z, "cmp", "<=", ib, ia)
                yield _Batch(pr.pack(a == b), kd, km, kk, kc, z, "cmp", "==", ia, ib)
                yield _Batch(pr.pack(a != b), kd, km, kk, kc, z, "cmp", "!=", ia, ib)

    def _count_level(self, s: int) -> Iterator[_Batch]:
        pr = self.probe
        if s == 1:
            yield from self._atoms_count()
            return
        prev = self.bools.get(s - 1)
        if prev is not None and len(prev):
            rows = max(1, BLOCK_ELEMENTS // max(1, pr.P))
            for i0 in range(0, len(prev), rows):
                sl = slice(i0, i0 + rows)
                X = pr.unpack(prev.vals[sl])
                for kind, k in self.space.relations():
                    vals = pr.count(X, kind, k)
                    n = len(vals)
                    kk = np.maximum(prev.kk[sl], k if kind != "all" else 0)
                    mx = np.full(n, pr.n + 1, dtype=np.int64)
                    yield _Batch(vals, prev.kd[sl] + 1, prev.km[sl], kk, prev.kc[sl], mx, "count", (kind, k), prev.ids[sl])
        # scale
        prevc = self.counts.get(s - 1)
        if prevc is not None and len(prevc):
            for f in self.space.scales:
                ok = np.flatnonzero(prevc.mx * abs(f) < 16000)
                if ok.size:
                    vals = (prevc.vals[ok] * np.int16(f)).astype(np.int16)
                    yield _Batch(vals, prevc.kd[ok], prevc.km[ok], prevc.kk[ok], prevc.kc[ok] + abs(f), prevc.mx[ok] * abs(f),
                                 "scale", f, prevc.ids[ok])
        # add / sub
        for s1 in range(1, (s - 1) // 2 + 1):
            s2 = s - 1 - s1
            A, B = self.counts.get(s1), self.counts.get(s2)
            if A is None or B is None:
                continue
            for I, J in self._pair_blocks(A, B, s1 == s2, pr.Pc):
                ok = (A.mx[I] + B.mx[J]) < 16000
                if not ok.all():
                    I, J = I[ok], J[ok]
                if not len(I):
                    continue
                kd, km, kk, kc = self._combine(A, B, I, J)
                mx = A.mx[I] + B.mx[J]
                a, b = A.vals[I], B.vals[J]
                ia, ib = A.ids[I], B.ids[J]
                yield _Batch(a + b, kd, km, kk, kc, mx, "add", None, ia, ib)
                yield _Batch(a - b, kd, km, kk, kc, mx, "sub", None, ia, ib)
                yield _Batch(b - a, kd, km, kk, kc, mx, "sub", None, ib, ia)
        # conditional
        if self.space.conditional:
            for st in range(1, s - 2):
                T = self.bools.get(st)
                if T is None or not len(T):
                    continue
                for s1 in range(1, s - 1 - st):
                    s2 = s - 1 - st - s1
                    A, B = self.counts.get(s1), self.counts.get(s2)
                    if A is None or B is None:
                        continue
                    for t in range(len(T)):
                        tb = pr.unpack(T.vals[t : t + 1])[0].astype(bool)
                        tpad = np.zeros(pr.Pc, dtype=bool)
                        tpad[: pr.P] = tb
                        for I, J in self._pair_blocks(A, B, False, pr.Pc):
                            vals = np.where(tpad[None, :], A.vals[I], B.vals[J])
                            kd, km, kk, kc = self._combine(A, B, I, J)
                            kd = np.maximum(kd, T.kd[t]); km = np.maximum(km, T.km[t]); kk = np.maximum(kk, T.kk[t])
                            kc = kc + T.kc[t]
                            mx = np.maximum(A.mx[I], B.mx[J])
                            yield _Batch(vals, kd, km, kk, kc, mx, "cond", None,
                                         np.full(len(I), T.ids[t]), A.ids[I], B.ids[J])

    # -- the search ----------------------------------------------------------------------------
    def matches(self, store: _Store) -> np.ndarray:
        """Indices (into the store) of the Boolean expressions that agree with the target."""
        if not len(store):
            return np.zeros(0, dtype=np.int64)
        bad = ((store.vals ^ self.target[None, :]) & self.care[None, :]).any(axis=1)
        return np.flatnonzero(~bad)

    def _batch_hits(self, batch: _Batch) -> list[int]:
        """Register the candidates of ``batch`` that agree with the target; returns their ids."""
        bad = ((batch.vals ^ self.target[None, :]) & self.care[None, :]).any(axis=1)
        idx = np.flatnonzero(~bad)
        if not idx.size:
            return []
        op, par = self._code(batch.op, batch.param)
        meta = np.full((len(idx), 5), -1, dtype=np.int64)
        meta[:, 0] = op
        meta[:, 1] = par
        for col, arr in ((2, batch.left), (3, batch.right), (4, batch.third)):
            if arr is not None:
                meta[:, col] = arr[idx]
        start = len(self.meta)
        self.meta = np.concatenate([self.meta, meta])
        self.size_of = np.concatenate([self.size_of, np.full(len(idx), -1, dtype=np.int64)])
        return list(range(start, start + len(idx)))

    def run(self, max_size: int) -> tuple[str, list[int]]:
        """Enumerate sizes 1..max_size; returns (status, ids of the matches of the minimal size).
        status: ``"found"``, ``"exhausted"`` (no match up to max_size), ``"timeout"``, ``"memory"``.

        Every Boolean candidate is tested against the target as it is generated; the candidates
        of the last size are only tested, not stored."""
        try:
            for s in range(1, max_size + 1):
                final = s == max_size
                hits: list[int] = []
                level_b: list[_Pending] = []
                for batch in self._bool_level(s):
                    hits += self._batch_hits(batch)
                    if final:
                        self._tick()
                        self.candidates[s] = self.candidates.get(s, 0) + len(batch.vals)
                    else:
                        self._admit("b", batch, level_b, s)
                if hits:
                    self.completed = s
                    return "found", hits
                if final:
                    self.completed = s
                    break
                self.bools[s] = self._commit("b", level_b, s)
                if s <= max_size - 2:  # a count of size s is used only inside a comparison (size >= s + 2)
                    level_c: list[_Pending] = []
                    for batch in self._count_level(s):
                        self._admit("c", batch, level_c, s)
                    self.counts[s] = self._commit("c", level_c, s)
                self.completed = s
        except _Stop as stop:
            return stop.status, []
        return "exhausted", []

    def explore(self, max_size: int) -> None:
        """Enumerate and keep every Boolean class up to ``max_size`` and every count class up to
        ``max_size - 2``, without looking at the target (for inspection and tests)."""
        for s in range(1, max_size + 1):
            level_b: list[_Pending] = []
            for batch in self._bool_level(s):
                self._admit("b", batch, level_b, s)
            self.bools[s] = self._commit("b", level_b, s)
            if s <= max_size - 2:
                level_c: list[_Pending] = []
                for batch in self._count_level(s):
                    self._admit("c", batch, level_c, s)
                self.counts[s] = self._commit("c", level_c, s)
            self.completed = s

    def values(self, store: _Store) -> np.ndarray:
        """The values of a store's classes at every probe node: (N, P), bool or int."""
        if store.vals.dtype == np.uint8:
            return self.probe.unpack(store.vals).astype(bool)
        return store.vals[:, : self.probe.P].astype(np.int64)

    # -- expressions -----------------------------------------------------------------------------
    def node(self, cid: int) -> Node:
        """The C-RASP syntax tree of a class."""
        code, pidx, a, b, c = (int(x) for x in self.meta[cid])
        op, param = self.ops[code], self.params[pidx]
        if op == "tok":
            return Token(param)
        if op == "bconst":
            return BoolConst(bool(param))
        if op == "per":
            return Periodic(*param)
        if op == "not":
            return Not(self.node(a))  # type: ignore[arg-type]
        if op == "and":
            return And(self.node(a), self.node(b))  # type: ignore[arg-type]
        if op == "or":
            return Or(self.node(a), self.node(b))  # type: ignore[arg-type]
        if op == "cmp":
            return Compare(param, self.node(a), self.node(b))  # type: ignore[arg-type]
        if op == "count":
            kind, k = param
            rel = ALL if kind == "all" else shift(k) if kind == "shift" else window(k)
            return Count(self.node(a), rel)  # type: ignore[arg-type]
        if op == "cconst":
            return CountConst(int(param))
        if op == "add":
            return Add(self.node(a), self.node(b))  # type: ignore[arg-type]
        if op == "sub":
            return Sub(self.node(a), self.node(b))  # type: ignore[arg-type]
        if op == "scale":
            return Scale(int(param), self.node(a))  # type: ignore[arg-type]
        if op == "cond":
            return Cond(self.node(a), self.node(b), self.node(c))  # type: ignore[arg-type]
        raise AssertionError(op)

    def key_of(self, cid: int) -> tuple[int, int, int, int]:
        e = self.node(cid)
        return expression_key(e)

    def stats(self) -> list[dict]:
        out = []
        for s in sorted(set(self.bools) | set(self.counts)):
            out.append({"size": s, "booleans": len(self.bools.get(s, ())), "counts": len(self.counts.get(s, ())),
                        "candidates": self.candidates.get(s, 0)})
        return out


def expression_key(e: Node) -> tuple[int, int, int, int]:
    """(depth, max modulus, max local distance, constant sum) of an expression."""
    depth = 0
    mod = dist = const = 0

    def walk(n: Node) -> int:
        nonlocal mod, dist, const
        if isinstance(n, Periodic):
            mod = max(mod, n.modulus)
        if isinstance(n, CountConst):
            const += abs(n.value)
        if isinstance(n, Scale):
            const += abs(n.factor)
        if isinstance(n, Count) and n.relation.is_local:
            dist = max(dist, n.relation.k)
        d = max((walk(c) for c in n.children()), default=0)
        return d + 1 if isinstance(n, Count) else d

    depth = walk(e)
    return depth, mod, dist, const


def expression_size(e: Node) -> int:
    return sum(1 for _ in e.walk())


# ---------------------------------------------------------------------------------------------
# The result


@dataclass
class SearchResult:
    """What :func:`search` found.

    ``status``: ``"found"``; ``"exhausted"`` (no program of size <= ``max_size`` agrees with the
    target on the probe set); ``"timeout"`` / ``"memory"`` (stopped early; every program of size
    <= ``completed_size`` was enumerated).  ``program`` is a parsed :class:`lengen.crasp.Program`
    with the one output definition, ``text`` its source."""

    target: str
    output: str
    n: int
    space: SearchSpace
    max_size: int
    status: str
    program: Program | None = None
    text: str | None = None
    size: int | None = None
    depth: int | None = None
    key: tuple[int, int, int, int] | None = None
    completed_size: int = 0
    seconds: float = 0.0
    n_words: int = 0
    n_positions: int = 0
    levels: list[dict] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.status == "found"

    @property
    def expression(self) -> str | None:
        """The right-hand side of the output definition."""
        if self.program is None:
            return None
        return str(self.program.definitions[-1].expr)

    @property
    def fragment(self) -> str | None:
        """The smallest fragment containing the program found."""
        return self.program.info().fragment if self.program is not None else None

    def as_dict(self) -> dict:
        return {
            "target": self.target, "output": self.output, "n": self.n, "search_space": self.space.as_dict(),
            "max_size": self.max_size, "status": self.status, "program": self.text, "size": self.size,
            "depth": self.depth, "fragment": self.fragment, "completed_size": self.completed_size,
            "seconds": round(self.seconds, 3), "inputs": self.n_words, "positions": self.n_positions,
            "levels": self.levels,
        }

    def __str__(self) -> str:
        if self.found:
            return f"{self.text.strip() if self.text else ''}   (size {self.size}, depth {self.depth}, n={self.n}, {self.seconds:.2f} s)"
        return f"no program of size <= {self.completed_size} in {self.space.fragment} ({self.status}, n={self.n})"


# ---------------------------------------------------------------------------------------------


def probe_words(target: Target, n: int, budget: int = ENUMERATION_BUDGET) -> list[Word]:
    """The inputs of the probe set: the target's domain up to length n (all words by default)."""
    dom = target.domain(n)
    if dom is not None:
        return dom
    total = sum(len(target.alphabet) ** t for t in range(n + 1))
    if total > budget:
        raise SearchError(
            f"{total} inputs up to length {n} over {len(target.alphabet)} symbols exceed the budget of {budget}; use a smaller n"
        )
    return all_words(target.alphabet, n)


def probe_labels(target: Target, words: Sequence[Word]) -> tuple[np.ndarray, np.ndarray]:
    """(label, care) per word, computed through ``target.labels`` of the maximal words."""
    index = {w: k for k, w in enumerate(words)}
    label = np.zeros(len(words), dtype=bool)
    care = np.zeros(len(words), dtype=bool)
    done = np.zeros(len(words), dtype=bool)
    for w in sorted(words, key=len, reverse=True):
        k = index[w]
        if done[k]:
            continue
        labs = target.labels(w)
        if len(labs) != len(w) + 1:
            raise TargetError(f"target {target.name!r} returned {len(labs)} labels for a word of length {len(w)}")
        for t in range(len(w), -1, -1):
            kk = index.get(w[:t])
            if kk is None or done[kk]:
                continue
            done[kk] = True
            v = labs[t]
            if v is not None:
                label[kk] = bool(v)
                care[kk] = True
    return label, care


def search(
    target: Target,
    n: int,
    fragment: str | Sequence[str] | None = "C-RASP[]",
    max_size: int = 10,
    *,
    space: SearchSpace | None = None,
    max_period: int = 4,
    moduli: Sequence[int] | None = None,
    max_distance: int = 2,
    constants: Sequence[int] = (0, 1, 2),
    scales: Sequence[int] = (2,),
    conditional: bool = False,
    time_limit: float | None = None,
    max_classes: int = 3_000_000,
    max_bytes: float = 2e9,
    verify: bool = True,
    seed: int = 0,
) -> SearchResult:
    """The least complex program of ``fragment`` that agrees with ``target`` on every input up to
    length ``n`` (at every phase when periodic predicates are allowed), by the order of the module
    docstring, among programs of size <= ``max_size``.

    ``space`` overrides ``fragment``, ``max_period`` (M: moduli 2..M, or the explicit ``moduli``),
    ``max_distance`` (K), ``constants``, ``scales`` and ``conditional``.  ``time_limit``
    (seconds), ``max_classes`` and ``max_bytes`` (memory for the kept values) stop the search
    early (status ``"timeout"``/``"memory"``).  With ``verify`` the program found is printed,
    re-parsed and re-evaluated by :mod:`lengen.crasp`'s interpreter on the whole probe set; a
    disagreement raises ``AssertionError`` (it would be a bug of the search)."""
    t0 = time.perf_counter()
    if space is None:
        space = SearchSpace.for_fragment(fragment, max_period=max_period, max_distance=max_distance,
                                         constants=tuple(constants), scales=tuple(scales), conditional=conditional,
                                         moduli=None if moduli is None else tuple(moduli))
    probe = Probe(probe_words(target, n), target.alphabet, space.phases)
    label, care = probe_labels(target, probe.words)
    en = Enumerator(probe, space, probe.spread(label), probe.spread(care),
                    time_limit=time_limit, max_classes=max_classes, seed=seed, max_bytes=max_bytes)
    status, hits = en.run(max_size)
    res = SearchResult(target=target.name, output=target.output, n=n, space=space, max_size=max_size, status=status,
                       completed_size=en.completed if status in ("found", "exhausted") else max(0, en.completed),
                       n_words=len(probe.words), n_positions=probe.P, levels=en.stats())
    if status == "exhausted":
        res.completed_size = max_size
    if hits:
        best = None
        for cid in hits:
            e = en.node(cid)
            text = str(e)
            cand = (expression_key(e), len(text), text, e)
            if best is None or cand[:3] < best[:3]:
                best = cand
        assert best is not None
        expr = best[3]
        prog = Program([Definition(target.output, expr)], vocab=list(probe.tokens), name=f"search:{target.name}")
        text = prog.to_text()
        from lengen.crasp import parse

        parsed = parse(text, vocab=list(probe.tokens), name=f"search:{target.name}")
        res.program = parsed
        res.text = text
        info = parsed.info()
        res.size = info.size
        res.depth = info.depth
        res.key = expression_key(expr)
        if verify:
            assert info.size == expression_size(expr), "size mismatch between the search and Program.info()"
            verify_on_probe(parsed, target.output, probe, label, care)
    res.seconds = time.perf_counter() - t0
    return res


def verify_on_probe(program: Program, output: str, probe: Probe, label: np.ndarray, care: np.ndarray) -> None:
    """Assert that lengen's interpreter gives ``output`` = ``label`` (per word, base order) wherever
    ``care``, at every probe node (every prefix of every word of the probe, at every phase)."""
    got = probe.interpreter_values(program, output).astype(bool)
    want = probe.spread(label)
    bad = np.flatnonzero(probe.spread(care) & (got != want))
    if bad.size:
        v = int(bad[0])
        w = probe.words[int(probe.word[v])]
        raise AssertionError(
            f"the interpreter disagrees with the search on {' '.join(w) or '(empty)'} at offset {int(probe.offset[v])}: "
            f"program says {bool(got[v])}, target {bool(want[v])}\n{program.to_text()}"
        )


# ---------------------------------------------------------------------------------------------
# Several outputs: a task's own label framing


@dataclass
class ProgramSearchResult:
    """Per-output searches assembled into one program (each output searched separately: the sum
    of their sizes bounds the size of the best joint program from above)."""

    task: str
    n: int
    results: dict[str, SearchResult]
    program: Program | None
    text: str | None
    size: int | None
    seconds: float

    @property
    def found(self) -> bool:
        return self.program is not None

    def as_dict(self) -> dict:
        return {"task": self.task, "n": self.n, "program": self.text, "size": self.size, "seconds": round(self.seconds, 3),
                "outputs": {k: v.as_dict() for k, v in self.results.items()}}


def search_outputs(targets: dict[str, Target], n: int, fragment: str | Sequence[str] | None = "C-RASP[]",
                   max_size: int = 10, name: str = "task", **kw: Any) -> ProgramSearchResult:
    """:func:`search` for every output of ``targets`` (e.g. :func:`~lengen.identify.targets.label_targets`),
    assembled into one program with one definition per output."""
    t0 = time.perf_counter()
    results: dict[str, SearchResult] = {}
    total = kw.pop("time_limit", None)
    for out, tgt in targets.items():
        left = None if total is None else max(0.5, total - (time.perf_counter() - t0))
        results[out] = search(tgt, n, fragment, max_size, time_limit=left, **kw)
    if all(r.found for r in results.values()):
        defs = [r.program.definitions[-1] for r in results.values()]  # type: ignore[union-attr]
        tokens = sorted({t for r in results.values() for t in (r.program.vocab or ())})  # type: ignore[union-attr]
        prog = Program([Definition(d.name, d.expr) for d in defs], vocab=tokens or None, name=f"search:{name}")
        text = prog.to_text()
        from lengen.crasp import parse

        prog = parse(text, vocab=tokens or None, name=f"search:{name}")
        size = prog.info().size
    else:
        prog, text, size = None, None, None
    return ProgramSearchResult(name, n, results, prog, text, size, time.perf_counter() - t0)
