"""Checking compiled models against the interpreter (the oracle), and measuring numeric drift."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from .circuit import BOS
from .compiled import CompiledModel, as_tokens, compile


@dataclass
class VerifyReport:
    """Outcome of :func:`verify`.  ``bool(report)`` is ``report.ok``.

    ``bool_wrong`` / ``count_wrong``: how many (input, position, definition) values of Boolean /
    count definitions differ from the interpreter's; ``ok`` iff both are 0.  The Booleans are what
    the transformer computes (its outputs); a count is *read back* from its fraction C / i by
    dividing by 1/i, which needs C / i to relative precision 1/(2C).
    ``bool_margin``: the largest distance of a Boolean read-out from 0/1 (wrong only past 1/2);
    ``count_error``: the largest distance of a count read-out from the interpreter's integer;
    ``slot_error``: the largest rounding error of a comparison slot g = (w + 1/2)/i in units of its
    margin: |2 i g − (2w + 1)|, with 2w + 1 taken from a float64 run (a comparison can flip only when
    this exceeds |2w + 1| >= 1) -- the measure of numeric drift.
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
    slot_error: float = 0.0
    bool_wrong: int = 0
    count_wrong: int = 0
    mismatch: dict | None = None
    seconds: float = 0.0

    def __bool__(self) -> bool:
        return self.ok

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def summary(self) -> str:
        article = "an" if self.model.startswith("APE") else "a"
        head = (f"{'ok' if self.ok else 'FAILED'}: {self.program or 'program'} as {article} {self.model} "
                f"in {self.dtype}: {self.n_inputs} inputs up to length {self.max_len}, {self.n_positions} positions, every definition "
                f"equal to the interpreter's (largest Boolean deviation {self.bool_margin:.2e}, "
                f"count deviation {self.count_error:.2e}, comparison slots within {self.slot_error:.2e} "
                "of their margin)")
        if self.mismatch:
            head = head.replace("every definition equal to the interpreter's",
                                f"MISMATCH: {self.bool_wrong} Boolean and {self.count_wrong} count values wrong")
            head += f"\nfirst mismatch: {self.mismatch}"
        return head


def random_inputs(compiled: CompiledModel, rng: np.random.Generator, length: int) -> list[str]:
    """``<bos>`` and length - 1 random tokens: those the program tests (and one it does not).

    Half the strings draw tokens independently (uniform, or with random frequencies, so that counts
    are sometimes balanced and sometimes not); the other half are a few long runs of one token
    (``a a a b b c c c ...``), which keeps counter and star-free languages alive for long."""
    tested = [t for t in compiled.program.tokens if t != BOS]
    spare = [t for t in compiled.vocab if t not in tested and t != BOS]
    pool = tested + spare[:1]
    n = max(0, length - 1)
    if not pool or length < 1:
        return [BOS] * min(length, 1)
    kind = rng.integers(3)
    if kind == 0:
        idx = rng.integers(len(pool), size=n)
    elif kind == 1:
        idx = rng.choice(len(pool), size=n, p=rng.dirichlet(np.full(len(pool), 0.7)))
    else:  # runs: cut the string at a few random places, one token per piece
        cuts = np.sort(rng.integers(0, n + 1, size=int(rng.integers(1, 7))))
        idx = np.zeros(n, dtype=np.int64)
        for a, b in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [n]])):
            idx[a:b] = rng.integers(len(pool))
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
    from ..interpreter import evaluate

    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    if inputs is None:
        if compiled.max_len is not None:  # an APE export: no longer than its positions
            lengths = sorted({min(n, compiled.max_len) for n in lengths})
        inputs = [random_inputs(compiled, rng, n) for n in lengths for _ in range(n_per_length)]
    if offsets is None:
        periodic = compiled.layout.period > 1
        offsets = []
        for s in inputs:
            hi = 1000 if compiled.max_len is None else max(1, compiled.max_len - len(s) + 1)
            offsets.append(int(rng.integers(0, hi)) if periodic else 0)
    bool_dev = count_dev = slot_dev = 0.0
    bool_wrong = count_wrong = 0
    n_pos = 0
    mismatch = None
    slots = [k for k, c in enumerate(compiled.coords) if c.kind == "slot"]
    rows = [as_tokens(s) for s in inputs]
    groups: dict[int, list[int]] = {}  # inputs of one length run as one batch (a few thousand tokens)
    for k, r in enumerate(rows):
        groups.setdefault(len(r), []).append(k)
    for n, members in sorted(groups.items()):
        per_batch = max(1, 4096 // max(1, n))
        for c0 in range(0, len(members), per_batch):
            ks = members[c0:c0 + per_batch]
            batch, offs = [rows[k] for k in ks], [int(offsets[k]) for k in ks]
            want = evaluate(compiled.program, batch, np.asarray(offs))
            got, x = compiled.values(batch, offs, dtype, with_residual=True)
            n_pos += n * len(ks)
            if slots:
                i = np.arange(1, n + 1, dtype=np.float64)[None, :, None]
                v = 2.0 * x[..., slots] * i  # 2 i g, which should be the odd integer 2w + 1
                ref = v if dtype == torch.float64 else 2.0 * compiled.residual(batch, offs)[0][..., slots] * i
                odd = 2.0 * np.rint((ref - 1.0) / 2.0) + 1.0
                slot_dev = max(slot_dev, float(np.max(np.abs(v - odd), initial=0.0)))
            for name, (kind, _) in compiled.readouts.items():
                g, w = got[name], want[name]  # (b, n)
                if kind == "bool":
                    bool_dev = max(bool_dev, float(np.max(np.abs(g - w), initial=0.0)))
                    bad = np.argwhere((g > 0.5) != w)
                    bool_wrong += len(bad)
                else:
                    count_dev = max(count_dev, float(np.max(np.abs(g - w), initial=0.0)))
                    bad = np.argwhere(np.rint(g).astype(np.int64) != w)
                    count_wrong += len(bad)
                if bad.size and mismatch is None:
                    b, p = (int(t) for t in bad[0])
                    mismatch = {"definition": name, "input": ks[b], "length": n, "offset": offs[b], "position": p + 1,
                                "token": batch[b][p], "expected": w[b, p].item(), "got": float(g[b, p])}
    return VerifyReport(
        ok=mismatch is None, program=compiled.program.name,
        model="APE GPT" if compiled.max_len is not None else "Limit Transformer",
        dtype=str(dtype).replace("torch.", ""), n_inputs=len(inputs), n_positions=n_pos,
        max_len=max((len(as_tokens(s)) for s in inputs), default=0), bool_margin=bool_dev, count_error=count_dev,
        slot_error=slot_dev, bool_wrong=bool_wrong, count_wrong=count_wrong, mismatch=mismatch,
        seconds=time.perf_counter() - start,
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
ones  := #[j <= i] Q(1)
zeros := #[j <= i] Q(0)
all   := #[j <= i] true
more  := ones > zeros
same  := ones == zeros
half  := 2 * ones == all
"""


def run_inputs(length: int, runs: int = 2, a: str = "1", b: str = "0") -> list[str]:
    """``<bos>`` and ``runs`` alternating runs ``a a a ... b b b ... a a a ...`` of equal length: the
    worst inputs we found for float32 (a count over a long run adds the same rounded 1/i again and
    again, so its rounding errors do not cancel)."""
    m = max(1, (length - 1) // runs)
    out = [BOS]
    for r in range(runs):
        out += [a if r % 2 == 0 else b] * m
    return (out + [b] * length)[:length]


def float32_frontier(length: int = 8000) -> dict[str, Any]:
    """The first position at which the float32 Limit Transformer for :data:`FRONTIER_PROGRAM`
    (comparisons of counts, at and around equality) disagrees with the interpreter, on
    :func:`run_inputs` (2 and 4 runs) and :func:`balanced_inputs` of the given length.

    Returns {"first_boolean_error": position or None, "first_count_error": position or None,
    "length": length}: a Boolean (comparison) error is the transformer computing a wrong output; a
    count error is the read-out C = (C/i)/(1/i) being off by 1/2 or more.  Measured on CPU (PyTorch
    2.13, one thread): see the package docstring."""
    from ..interpreter import evaluate

    compiled = compile(FRONTIER_PROGRAM, ["<pad>", BOS, "0", "1"])
    first: dict[str, int | None] = {"bool": None, "count": None}
    for s in (run_inputs(length, 2), run_inputs(length, 4), balanced_inputs(length)):
        got = compiled.values([s], 0, torch.float32)
        want = evaluate(compiled.program, [s])
        for name, (kind, _) in compiled.readouts.items():
            wrong = ((got[name] > 0.5) != want[name]) if kind == "bool" else (np.rint(got[name]) != want[name])
            pos = np.flatnonzero(wrong[0])
            if pos.size and (first[kind] is None or pos[0] + 1 < first[kind]):  # type: ignore[operator]
                first[kind] = int(pos[0]) + 1
    return {"length": length, "first_boolean_error": first["bool"], "first_count_error": first["count"]}


def library_report(names: Sequence[str] | None = None, length: int = 10_000, n_random: int = 2, seed: int = 0,
                   float32_lengths: Sequence[int] = (500, 1000, 2000, 4000, 5000),
                   ape_len: int | None = None) -> list[dict]:
    """Compile every library program (or ``names``) and verify it on ``n_random`` random inputs of
    ``length`` in float64, in float32 at each of ``float32_lengths`` (stopping at the first failure),
    and, with ``ape_len``, as an APE GPT with that many positions (float64).  One dict per program
    (see :func:`report_table`).  Minutes at length 10,000 (unique_copy alone takes about five)."""
    from .. import library

    rows = []
    for name in names or [*library.names(), "unique_copy.nope"]:
        t0 = time.perf_counter()
        c = compile(library.load(name))
        s = c.summary_dict()
        row: dict[str, Any] = {"program": name, "fragment": s["fragment"]}
        for k in ("layers", "heads", "d_head", "d_model", "d_mlp", "period", "window", "parameters"):
            row[k] = s[k]
        r64 = verify(c, lengths=(length,), n_per_length=n_random, seed=seed)
        row.update(length=length, float64_ok=r64.ok, float64_slot_error=r64.slot_error, float64_mismatch=r64.mismatch)
        exact32 = 0
        for n in float32_lengths:
            r32 = verify(c, lengths=(n,), n_per_length=n_random + 1, seed=seed + n, dtype=torch.float32)
            row[f"float32_{n}"] = {"ok": r32.ok, "bool_wrong": r32.bool_wrong, "count_wrong": r32.count_wrong,
                                   "slot_error": r32.slot_error, "count_error": r32.count_error}
            if not r32.ok:
                break
            exact32 = n
        row["float32_exact_up_to"] = exact32
        if ape_len:
            a = c.to_ape(ape_len)
            ra = verify(a, lengths=(ape_len,), n_per_length=n_random, seed=seed)
            row.update(ape_len=ape_len, ape_layers=a.layout.n_layer, ape_d_model=a.layout.d_model, ape_ok=ra.ok)
        row["seconds"] = round(time.perf_counter() - t0, 1)
        rows.append(row)
    return rows


def report_table(rows: Sequence[dict]) -> str:
    """A Markdown table of :func:`library_report` rows."""
    out = ["| program | fragment | layers | heads | d_model | d_mlp | Δ | τ | float64 | float32 exact up to "
           "| APE export |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ape = (f"{r['ape_layers']} layers, d {r['ape_d_model']}: {'exact' if r['ape_ok'] else 'FAILS'} @ {r['ape_len']}"
               if "ape_len" in r else "")
        out.append(f"| {r['program']} | {r['fragment']} | {r['layers']} | {r['heads']} | {r['d_model']} | "
                   f"{r['d_mlp']} | "
                   f"{r['period']} | {r['window']} | {'exact' if r['float64_ok'] else 'FAILS'} @ {r['length']} | "
                   f"{r['float32_exact_up_to']} | {ape} |")
    return "\n".join(out)
