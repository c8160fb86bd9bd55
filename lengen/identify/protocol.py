"""Alice's message for a C-RASP[periodic, local] program: the protocol behind the communication bound.

The game is that of :mod:`lengen.identify.communication`: on a string ``<bos> w`` (plus an
optional suffix such as ``<sep>``) with ``w`` of length n, Alice holds ``<bos>`` and the first
``h = n // 2`` symbols, Bob the rest; both know n and the position offset.  For a program P,
Alice sends

* the value at her last position of every **prefix count** ``#[j <= i] B`` occurring anywhere in
  P (named or not, nested or not): each is an integer in 0 .. h + 1, so ``ceil(log2(h + 2))``
  bits;
* the value at her last ``tau`` positions of the **body** of every **local count**
  (``#[j <= i, j == i - k] B`` or ``#[j <= i, i - j <= k] B``), where ``tau`` is the largest local
  distance in P: one bit each.

From this message Bob evaluates every definition at each of his positions, left to right: tokens
and periodic predicates he reads off his own symbols and their absolute positions, pointwise
operations he applies, a prefix count is Alice's value plus the number of his positions so far
at which its body holds, and a local count reaches back at most ``tau`` positions, into his own
part or into the boundary values Alice sent.  So **the message determines everything P
computes at Bob's positions**, and its length is ``K ceil(log2(h + 2)) + L tau`` bits for K
prefix counts and L local counts: O(log n).

:func:`alice_messages` computes the messages; :func:`check_protocol` verifies the claim above
exhaustively at one length (no two halves with the same message lead, with the same Bob half,
to different values at Bob's positions) and counts messages and distinct rows.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..crasp import Program, parse
from ..crasp.ast import Count, Definition

BOS = "<bos>"


@dataclass
class MessagePlan:
    """What Alice sends for a program: ``program`` is P with one extra definition per prefix count
    (``count_names``) and per local-count body (``body_names``); ``window`` is tau."""

    program: Program
    count_names: list[str]
    body_names: list[str]
    window: int

    def bits(self, n: int) -> int:
        """The length of the message for inputs of length n (module docstring)."""
        h = n // 2
        return len(self.count_names) * math.ceil(math.log2(h + 2)) + len(self.body_names) * self.window


def message_plan(program: Program | str) -> MessagePlan:
    """The prefix counts and local-count bodies of ``program`` that Alice's message holds."""
    program = parse(program) if isinstance(program, str) else program
    counts: dict = {}
    bodies: dict = {}
    for d in program.definitions:
        for node in d.expr.walk():
            if isinstance(node, Count):
                if node.relation.is_local:
                    bodies.setdefault(node.body, None)
                else:
                    counts.setdefault(node, None)
    used = set(program.names)

    def fresh(stem: str) -> str:
        k = 0
        while f"{stem}{k}" in used:
            k += 1
        used.add(f"{stem}{k}")
        return f"{stem}{k}"

    extra = [Definition(fresh("msg_count"), node) for node in counts]
    count_names = [d.name for d in extra]
    body_defs = [Definition(fresh("msg_body"), node) for node in bodies]
    augmented = Program([*program.definitions, *extra, *body_defs], vocab=program.vocab, name=program.name)
    window = program.info().max_distance or 0
    return MessagePlan(augmented, count_names, [d.name for d in body_defs], window)


def alice_messages(program: Program | str | MessagePlan, halves: Sequence[Sequence[str]],
                   offset: int = 0) -> list[tuple]:
    """Alice's message for each half (all of the same length h): computed on ``<bos> x``."""
    plan = program if isinstance(program, MessagePlan) else message_plan(program)
    if not halves:
        return []
    values = plan.program.evaluate([[BOS, *x] for x in halves], offset)
    w = plan.window
    out = []
    for b in range(len(halves)):
        msg = tuple(int(values[c][b, -1]) for c in plan.count_names)
        msg += tuple(tuple(bool(v) for v in values[name][b, -w:]) for name in plan.body_names) if w else ()
        out.append(msg)
    return out


@dataclass
class ProtocolCheck:
    """The result of :func:`check_protocol` at one length n."""

    n: int
    halves: int  # Alice halves (all words of length n // 2)
    messages: int  # distinct messages among them
    rows: int  # distinct rows: Bob's view (the program's outputs at his positions) over all his halves
    consistent: bool  # no two halves with the same message have different rows
    bits: int  # the message length of the plan

    def as_dict(self) -> dict:
        return {"n": self.n, "halves": self.halves, "messages": self.messages, "rows": self.rows,
                "consistent": self.consistent, "bits": self.bits}


def check_protocol(program: Program | str | MessagePlan, alphabet: Sequence[str], n: int, suffix: Sequence[str] = (),
                   outputs: Sequence[str] | None = None, offset: int = 0) -> ProtocolCheck:
    """Verify, on every word of length n over ``alphabet``, that Alice's message determines the
    program's ``outputs`` (default: its output definitions) at every position of Bob's part
    (his symbols and ``suffix``).  Exhaustive: ``len(alphabet) ** n`` strings.  A
    :class:`MessagePlan` may be passed instead of a program (to test a smaller message)."""
    plan = program if isinstance(program, MessagePlan) else message_plan(program)
    names = list(outputs) if outputs is not None else list(plan.program.info().outputs)
    if not names:
        raise ValueError("the program has no output definitions (next_... or accept); pass outputs=")
    h = n // 2
    halves = [tuple(x) for x in itertools.product(alphabet, repeat=h)]
    tails = [tuple(y) for y in itertools.product(alphabet, repeat=n - h)]
    msgs = alice_messages(plan, halves, offset)
    strings = [[BOS, *x, *y, *suffix] for x in halves for y in tails]
    values = plan.program.evaluate(strings, offset) if strings else {}
    bob = np.concatenate([np.asarray(values[name])[:, h + 1:] for name in names], axis=1) if strings else None
    rows: dict[tuple, bytes] = {}
    seen: dict[tuple, bytes] = {}
    consistent = True
    for a, (x, m) in enumerate(zip(halves, msgs)):
        row = bob[a * len(tails):(a + 1) * len(tails)].tobytes() if bob is not None else b""
        rows[x] = row
        if seen.setdefault(m, row) != row:
            consistent = False
    return ProtocolCheck(n, len(halves), len(set(msgs)), len(set(rows.values())), consistent, plan.bits(n))


def protocol_table(checks: dict[str, Sequence[ProtocolCheck]], plans: dict[str, MessagePlan] | None = None) -> str:
    """An HTML table of :func:`check_protocol` results, one row per (program, n); with ``plans``,
    the program cell also gives K (prefix counts), L (local bodies) and tau."""
    from .communication import html_table

    rows = []
    for name, cs in checks.items():
        plan = (plans or {}).get(name)
        label = name if plan is None else f"{name} (K={len(plan.count_names)}, L={len(plan.body_names)}, τ={plan.window})"
        for c in cs:
            rows.append([label, c.n, c.halves, c.messages, c.rows, c.bits, "yes" if c.consistent else "NO"])
    return html_table(["program", "n", "Alice halves", "messages", "distinct rows", "bits sent", "consistent"], rows)
