"""The idealized learner: correctness of the vectorized enumeration against lengen's interpreter,
minimality against a naive enumeration of syntax trees, and known minimal programs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lengen.crasp import check, evaluate, parse
from lengen.crasp.ast import (
    Add,
    And,
    BoolConst,
    Compare,
    Count,
    CountConst,
    Definition,
    Not,
    Or,
    Program,
    Scale,
    Sub,
    Token,
)
from lengen.identify.search import (
    BOS,
    Enumerator,
    Probe,
    SearchSpace,
    parse_fragment,
    probe_labels,
    search,
    search_outputs,
)
from lengen.identify.targets import (
    TaskMembershipTarget,
    all_words,
    answer_target,
    label_targets,
    predicate_target,
)


def test_parse_fragment():
    assert parse_fragment("C-RASP[periodic, local]") == (True, True)
    assert parse_fragment("periodic,local") == (True, True)
    assert parse_fragment("local") == (False, True)
    assert parse_fragment("C-RASP[periodic]") == (True, False)
    for none in ("none", "", "[]", "C-RASP[]", None):
        assert parse_fragment(none) == (False, False)
    with pytest.raises(ValueError, match="unknown fragment"):
        parse_fragment("periodic,global")


def test_search_space_phases_and_relations():
    assert SearchSpace(periodic=True, max_period=4).phases == 12
    assert SearchSpace(periodic=True, moduli=(2, 4)).phases == 4
    assert SearchSpace().phases == 1
    rels = SearchSpace(local=True, max_distance=2).relations()
    assert rels == [("all", 0), ("shift", 0), ("shift", 1), ("shift", 2), ("window", 1), ("window", 2)]


# ---------------------------------------------------------------------------------------------
# The vectorized evaluation agrees with the interpreter on every class


def _probe_program(expr, name="out"):
    return Program([Definition(name, expr)])


@pytest.mark.parametrize("fragment,size,least", [("C-RASP[]", 6, 100), ("C-RASP[periodic, local]", 5, 1000)])
def test_every_class_agrees_with_the_interpreter(fragment, size, least):
    """Every Boolean and count expression kept by the enumeration (with periodic predicates and
    local counts too), turned into a real program, evaluated by lengen.crasp's interpreter on
    every probe input at every phase, has exactly the values the search stored."""
    space = SearchSpace.for_fragment(fragment, moduli=(2, 3), max_distance=2)
    probe = Probe(all_words("ab", 3), "ab", space.phases)
    en = Enumerator(probe, space, np.zeros(probe.P, bool), np.zeros(probe.P, bool))
    en.explore(size)
    checked = 0
    for stores in (en.bools, en.counts):
        for store in stores.values():
            values = en.values(store)
            for k, cid in enumerate(store.ids.tolist()):
                expr = en.node(int(cid))
                got = probe.interpreter_values(_probe_program(expr), "out")
                np.testing.assert_array_equal(got, values[k].astype(np.int64), err_msg=str(expr))
                checked += 1
    assert checked > least


# ---------------------------------------------------------------------------------------------
# Minimality: a naive enumeration of every syntax tree


def _naive_trees(max_size: int, tokens, constants=(0, 1, 2)):
    """Every Boolean and count syntax tree of C-RASP[] (the search's grammar, all six comparisons,
    both orders of every binary operation) by size."""
    B = {1: [BoolConst(False), BoolConst(True)] + [Token(t) for t in tokens]}
    C = {1: [CountConst(c) for c in constants]}
    for s in range(2, max_size + 1):
        bs = [Not(x) for x in B.get(s - 1, [])]
        cs = [Count(x) for x in B.get(s - 1, [])] + [Scale(2, x) for x in C.get(s - 1, [])]
        for s1 in range(1, s - 1):
            s2 = s - 1 - s1
            for x, y in itertools.product(B.get(s1, []), B.get(s2, [])):
                bs += [And(x, y), Or(x, y)]
            for x, y in itertools.product(C.get(s1, []), C.get(s2, [])):
                bs += [Compare(op, x, y) for op in ("<", "<=", "==", "!=", ">", ">=")]
                cs += [Add(x, y), Sub(x, y)]
        B[s], C[s] = bs, cs
    return B, C


def test_enumeration_is_complete_and_minimal():
    """For every value vector that some syntax tree of size <= 5 takes on the probe set, the
    search keeps a class with exactly that vector at exactly the smallest such size."""
    words = [list(w) for w in itertools.product("ab", repeat=3)]
    batch = [[BOS, *w] for w in words]
    B, _ = _naive_trees(5, [BOS, "a", "b"])
    naive: dict[bytes, int] = {}
    for s in sorted(B):
        for e in B[s]:
            v = evaluate(_probe_program(e), batch)["out"]
            naive.setdefault(v.tobytes(), s)
    space = SearchSpace()
    probe = Probe(all_words("ab", 3), "ab", 1)
    en = Enumerator(probe, space, np.zeros(probe.P, bool), np.zeros(probe.P, bool))
    en.explore(5)
    found: dict[bytes, int] = {}
    for s, store in en.bools.items():
        for cid in store.ids.tolist():
            v = evaluate(_probe_program(en.node(int(cid))), batch)["out"]
            assert v.tobytes() not in found, "two kept classes with the same values"
            found[v.tobytes()] = s
    assert found == naive


# ---------------------------------------------------------------------------------------------
# Known minimal programs


def test_majority_predicate():
    res = search(predicate_target(lambda s: s.count("a") > s.count("b"), "ab", "maj"), 6)
    assert res.found and res.size == 5 and res.depth == 1
    assert res.expression == "#[j <= i] Q(b) < #[j <= i] Q(a)"
    assert res.fragment == "C-RASP[]"
    # the text is a real program: parsed, measured and run by lengen.crasp
    prog = parse(res.text)
    assert prog.info().size == res.size
    assert evaluate(prog, [[BOS, "a", "b", "a"]])["accept"].tolist() == [[False, True, False, True]]


def test_aa_star_needs_a_periodic_predicate():
    target = TaskMembershipTarget("aa_star")
    res = search(target, 8, "periodic", 6)
    assert res.found and res.size == 5 and res.fragment == "C-RASP[periodic]"
    assert res.program.info().moduli == (2,)
    none = search(target, 8, "none", 6)
    assert none.status == "exhausted" and none.program is None and none.completed_size == 6


def test_tomita1_membership_and_unsupervised_positions():
    res = search(TaskMembershipTarget("tomita1"), 7, "none", 6)
    assert res.found and res.size == 4  # no 0 so far: #[j <= i] Q(0) <= 0
    # binary majority: ties are don't-care positions
    maj = search(answer_target("bin_majority"), 6, "none", 6)
    assert maj.found and maj.size == 5


def test_tomita4_language_framing_passes_the_library_checker():
    res = search_outputs(label_targets("tomita4"), 7, "local", 6, name="tomita4")
    assert res.found and res.program is not None
    assert res.program.info().fragment == "C-RASP[local]"
    assert check(res.program, "tomita4", max_len=100, n_random=20, exhaustive_len=8).ok


def test_timeout_and_memory_limits_stop_early():
    target = answer_target("parity")
    res = search(target, 6, "periodic,local", 12, time_limit=0.3)
    assert res.status == "timeout" and not res.found
    res = search(target, 6, "periodic,local", 12, max_classes=500)
    assert res.status == "memory"


def test_probe_labels_care_mask():
    target = answer_target("bin_majority")
    words = all_words("01", 2)
    label, care = probe_labels(target, words)
    idx = {w: k for k, w in enumerate(words)}
    assert not care[idx[()]] and not care[idx[("0", "1")]]  # ties
    assert care[idx[("1",)]] and label[idx[("1",)]]
    assert care[idx[("0", "0")]] and not label[idx[("0", "0")]]
