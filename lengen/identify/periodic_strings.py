"""C-RASP programs read along a periodic string: the argument that excludes PARITY.

Low communication does not give a program (PARITY needs one bit, see
:mod:`lengen.identify.communication`), so PARITY needs an argument of its own.  This module
supports the one the book gives for C-RASP[periodic, local]:

*Let B be a block of L symbols, L a multiple of every modulus m of the program's periodic
predicates (``i % m == r``).  Read the program on the infinite string <bos> B B B ... at any
offset.  Then for every residue r in 0 .. L-1 and every definition, the value at the positions
``1 + k L + r`` (1-based; <bos> is position 1, so the k-th block ends at ``1 + k L``) is
eventually constant in k for a Boolean and eventually affine in k for a count.*

In particular the output at the **last position of <bos> B^k** is eventually constant in k.
With B = 0^(L-1) 1 the string <bos> B^k holds k ones, so "the number of 1s is even" alternates
with k and no C-RASP[periodic, local] program computes it.  The proof is by induction over the
definitions (the book's chapter "What cannot generalize"); :func:`block_end_values` lets one watch
it on any program, and :func:`random_program` supplies programs that use every kind of operation.

Conventions: positions are 1-based; ``values[k]`` of :func:`block_end_values` is the value at the
last position of ``<bos> B^k`` (k = 0 is ``<bos>`` alone), read from one trace of
``<bos> B^K`` (every value is a function of the prefix).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..crasp import Program, parse

BOS = "<bos>"


def periodic_string(block: Sequence[str], blocks: int) -> list[str]:
    """``<bos>`` followed by ``blocks`` copies of ``block``."""
    return [BOS] + list(block) * blocks


def block_end_values(program: Program | str, block: Sequence[str], blocks: int, name: str = "accept",
                     offset: int = 0) -> np.ndarray:
    """The value of definition ``name`` at the last position of ``<bos> B^k`` for k = 0 .. blocks
    (an array of length ``blocks + 1``), with absolute positions shifted by ``offset``."""
    program = parse(program) if isinstance(program, str) else program
    if not block:
        raise ValueError("the block must hold at least one symbol")
    trace = program.trace(periodic_string(block, blocks), offset=offset)
    values = np.asarray(trace.values[name])
    return values[:: len(block)][: blocks + 1]


def settling_index(values: Sequence) -> int:
    """The least k such that ``values[k:]`` is constant (``len(values) - 1`` if only the last
    value is; 0 for a constant or empty sequence)."""
    v = np.asarray(values)
    if v.size == 0:
        return 0
    changes = np.flatnonzero(v[1:] != v[:-1])
    return int(changes[-1]) + 1 if changes.size else 0


def eventual_form_index(program: Program | str, block: Sequence[str], blocks: int, offset: int = 0) -> int:
    """The induction claim of the module docstring, measured: on ``<bos> B^blocks`` at ``offset``,
    the least k0 such that from block k0 on, at every residue r, every Boolean is constant in k
    and every count is affine in k (constant first differences), over all definitions.  A value
    near ``blocks`` means the claim was not seen to hold within the string."""
    program = parse(program) if isinstance(program, str) else program
    L = len(block)
    trace = program.trace(periodic_string(block, blocks), offset=offset)
    worst = 0
    for name in program.names:
        v = np.asarray(trace.values[name])
        for r in range(L):
            seq = v[r::L][: blocks + 1]  # 0-based index r + kL is the 1-based position 1 + kL + r
            worst = max(worst, settling_index(seq if seq.dtype == bool else np.diff(seq)))
    return worst


def parity_at_block_ends(block: Sequence[str], blocks: int, one: str = "1") -> np.ndarray:
    """Whether ``<bos> B^k`` holds an even number of ``one`` symbols, for k = 0 .. blocks."""
    ones = sum(1 for t in block if t == one)
    return np.array([(k * ones) % 2 == 0 for k in range(blocks + 1)])


def random_program(rng: np.random.Generator, tokens: Sequence[str], layers: int = 3,
                   moduli: Sequence[int] = (2, 3, 4), distances: Sequence[int] = (1, 2, 3)) -> str:
    """The text of a random C-RASP[periodic, local] program with a Boolean output ``accept``.

    It defines the periodic predicates ``p{m}_{r} := i % m == r`` for the given moduli, then
    ``layers`` rounds, each adding a comparison of counts (integer factor, constant), a count of
    a Boolean combination (over all earlier positions, at distance exactly k, or in a window of
    k), and a conditional count; ``accept`` combines the last comparison with an earlier Boolean.
    Every kind of operation of C-RASP[periodic, local] occurs with positive probability."""
    lines: list[str] = []
    booleans = [f"Q({t})" for t in tokens]
    for m in moduli:
        r = int(rng.integers(m))
        lines.append(f"p{m}_{r} := i % {m} == {r}")
        booleans.append(f"p{m}_{r}")
    counts = [f"#[j <= i] Q({t})" for t in tokens]
    ops = ["<", "<=", "==", ">", "!="]
    for k in range(layers):
        body = booleans[int(rng.integers(len(booleans)))]
        if rng.random() < 0.6:
            other = booleans[int(rng.integers(len(booleans)))]
            body = f"({body} {rng.choice(['and', 'or'])} {rng.choice(['', 'not '])}{other})"
        rel = rng.choice(["all", "shift", "window"])
        if rel == "all":
            head = "#[j <= i]"
        elif rel == "shift":
            head = f"#[j <= i, j == i - {int(rng.choice(distances))}]"
        else:
            head = f"#[j <= i, i - j <= {int(rng.choice(distances))}]"
        lines.append(f"c{k} := {head} {body}")
        counts.append(f"c{k}")
        x, y = (counts[int(t)] for t in rng.integers(len(counts), size=2))
        lines.append(f"b{k} := {int(rng.integers(1, 4))} * ({x}) - ({y}) {rng.choice(ops)} {int(rng.integers(-4, 5))}")
        booleans.append(f"b{k}")
        cond = booleans[int(rng.integers(len(booleans)))]
        x, y = (counts[int(t)] for t in rng.integers(len(counts), size=2))
        lines.append(f"d{k} := {cond} ? ({x}) : ({y}) + 1")
        counts.append(f"d{k}")
        if rng.random() < 0.5:
            lines.append(f"e{k} := d{k} {rng.choice(ops)} c{k}")
            booleans.append(f"e{k}")
    last = booleans[-1]
    other = booleans[int(rng.integers(len(booleans)))]
    lines.append(f"accept := {last} {rng.choice(['and', 'or'])} {rng.choice(['', 'not '])}{other}")
    return "\n".join(lines)
