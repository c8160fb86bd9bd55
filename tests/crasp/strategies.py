"""Hypothesis strategies: random well-typed C-RASP[periodic, local] programs and inputs."""

from __future__ import annotations

from hypothesis import strategies as st

from lengen.crasp.ast import (
    COMPARISONS,
    Add,
    And,
    BoolConst,
    BoolRef,
    Compare,
    Cond,
    Count,
    CountConst,
    CountRef,
    Definition,
    Node,
    Not,
    Or,
    Periodic,
    Program,
    Relation,
    Scale,
    Sub,
    Token,
    Type,
)

TOKENS = ("a", "b", "<bos>", "0")
INPUT_TOKENS = TOKENS + ("z",)  # z: a token no program tests

relations = st.one_of(
    st.just(Relation("all")),
    st.builds(Relation, st.just("shift"), st.integers(0, 3)),
    st.builds(Relation, st.just("window"), st.integers(0, 3)),
)


@st.composite
def periodic(draw) -> Node:  # type: ignore[no-untyped-def]
    m = draw(st.integers(1, 4))
    return Periodic(m, draw(st.integers(0, m - 1)))


def expr(draw, t: Type, env: dict[str, Type], budget: int) -> Node:  # type: ignore[no-untyped-def]
    """A random expression of type t using the names in env."""
    names = [n for n, ty in env.items() if ty is t]
    if t is Type.BOOL:
        leaves = ["token", "const", "periodic"] + (["ref"] if names else [])
        kinds = leaves + (["not", "and", "or", "cmp"] if budget > 0 else [])
        k = draw(st.sampled_from(kinds))
        if k == "token":
            return Token(draw(st.sampled_from(TOKENS)))
        if k == "const":
            return BoolConst(draw(st.booleans()))
        if k == "periodic":
            return draw(periodic())
        if k == "ref":
            return BoolRef(draw(st.sampled_from(names)))
        if k == "not":
            return Not(expr(draw, Type.BOOL, env, budget - 1))
        if k in ("and", "or"):
            cls = And if k == "and" else Or
            return cls(expr(draw, Type.BOOL, env, budget - 1), expr(draw, Type.BOOL, env, budget - 1))
        return Compare(draw(st.sampled_from(COMPARISONS)), expr(draw, Type.COUNT, env, budget - 1),
                       expr(draw, Type.COUNT, env, budget - 1))
    leaves = ["const"] + (["ref"] if names else [])
    kinds = leaves + (["count", "count", "add", "sub", "scale", "cond"] if budget > 0 else [])
    k = draw(st.sampled_from(kinds))
    if k == "const":
        return CountConst(draw(st.integers(-3, 5)))
    if k == "ref":
        return CountRef(draw(st.sampled_from(names)))
    if k == "count":
        return Count(expr(draw, Type.BOOL, env, budget - 1), draw(relations))
    if k in ("add", "sub"):
        cls = Add if k == "add" else Sub
        return cls(expr(draw, Type.COUNT, env, budget - 1), expr(draw, Type.COUNT, env, budget - 1))
    if k == "scale":
        return Scale(draw(st.integers(-3, 3)), expr(draw, Type.COUNT, env, budget - 1))
    return Cond(expr(draw, Type.BOOL, env, budget - 1), expr(draw, Type.COUNT, env, budget - 1),
                expr(draw, Type.COUNT, env, budget - 1))


@st.composite
def programs(draw, max_definitions: int = 6, max_depth: int = 3) -> Program:  # type: ignore[no-untyped-def]
    env: dict[str, Type] = {}
    defs = []
    for k in range(draw(st.integers(1, max_definitions))):
        t = draw(st.sampled_from([Type.BOOL, Type.COUNT]))
        name = f"{'p' if t is Type.BOOL else 'c'}{k}"
        defs.append(Definition(name, expr(draw, t, env, draw(st.integers(0, max_depth)))))
        env[name] = t
    return Program(defs)


def strings(length: int):  # type: ignore[no-untyped-def]
    return st.lists(st.sampled_from(INPUT_TOKENS), min_size=length, max_size=length)


@st.composite
def batches(draw, max_len: int = 10, max_batch: int = 3):  # type: ignore[no-untyped-def]
    n = draw(st.integers(0, max_len))
    return draw(st.lists(strings(n), min_size=1, max_size=max_batch))
