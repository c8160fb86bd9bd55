"""A deliberately naive C-RASP evaluator: the test oracle for lengen.crasp.interpreter.

It follows the definitions of the semantics literally -- one position at a time, a count loops
over every j from 1 to i and tests the relation -- and shares no code with the vectorized
interpreter (only the AST classes).  Positions are 1-based; ``offset`` shifts the positions seen by
periodic predicates only.
"""

from __future__ import annotations

from typing import Sequence

from lengen.crasp.ast import (
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
)


def _related(kind: str, k: int, i: int, j: int) -> bool:
    """Is j counted at i? (1 <= j <= i always.)"""
    if kind == "all":
        return True
    if kind == "shift":
        return j == i - k
    if kind == "window":
        return i - j <= k
    raise AssertionError(kind)


class NaiveEvaluator:
    def __init__(self, program: Program, tokens: Sequence[str], offset: int = 0) -> None:
        self.program = program
        self.tokens = list(tokens)
        self.offset = offset
        self.memo: dict[tuple[str, int], object] = {}

    def definition(self, name: str, i: int) -> object:
        key = (name, i)
        if key not in self.memo:
            self.memo[key] = self.value(self.program[name].expr, i)
        return self.memo[key]

    def value(self, node: Node, i: int) -> object:  # noqa: C901
        if isinstance(node, Token):
            return self.tokens[i - 1] == node.token
        if isinstance(node, BoolConst):
            return node.value
        if isinstance(node, Periodic):
            return (self.offset + i) % node.modulus == node.residue
        if isinstance(node, (BoolRef, CountRef)):
            return self.definition(node.name, i)
        if isinstance(node, Not):
            return not self.value(node.arg, i)
        if isinstance(node, And):
            return bool(self.value(node.left, i)) and bool(self.value(node.right, i))
        if isinstance(node, Or):
            return bool(self.value(node.left, i)) or bool(self.value(node.right, i))
        if isinstance(node, Compare):
            a, b = self.value(node.left, i), self.value(node.right, i)
            return {
                "<": a < b, "<=": a <= b, "==": a == b, "!=": a != b, ">": a > b, ">=": a >= b,  # type: ignore[operator]
            }[node.op]
        if isinstance(node, Count):
            total = 0
            for j in range(1, i + 1):
                if _related(node.relation.kind, node.relation.k, i, j) and self.value(node.body, j):
                    total += 1
            return total
        if isinstance(node, CountConst):
            return node.value
        if isinstance(node, Add):
            return self.value(node.left, i) + self.value(node.right, i)  # type: ignore[operator]
        if isinstance(node, Sub):
            return self.value(node.left, i) - self.value(node.right, i)  # type: ignore[operator]
        if isinstance(node, Scale):
            return node.factor * self.value(node.arg, i)  # type: ignore[operator]
        if isinstance(node, Cond):
            return self.value(node.then, i) if self.value(node.test, i) else self.value(node.orelse, i)
        raise AssertionError(f"unknown node {node!r}")


def naive_evaluate(program: Program, tokens: Sequence[str], offset: int = 0) -> dict[str, list]:
    """name -> [value at position 1, ..., value at position n] (Python bools and ints)."""
    ev = NaiveEvaluator(program, tokens, offset)
    return {d.name: [ev.definition(d.name, i) for i in range(1, len(tokens) + 1)] for d in program.definitions}
