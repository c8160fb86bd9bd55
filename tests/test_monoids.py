"""Syntactic monoids: minimization, star-freeness (aperiodicity) and AC⁰ (quasi-aperiodicity)."""

from __future__ import annotations

import itertools

import pytest

from lengen.tasks import get_task, task_names
from lengen.tasks.monoids import classical_measures, minimize, syntactic_monoid, transition_monoid

# Textbook DFAs (complete; the last state of each cycle DFA is a dead state).
AB_STAR = ([[1, 2], [2, 0], [2, 2]], 0, {0}, ("a", "b"))  # (ab)*: star-free, = (b Σ* + Σ* a + Σ* (aa+bb) Σ*)^c
AA_STAR = ([[1], [0]], 0, {0}, ("a",))  # (aa)*: not star-free, in AC⁰
PARITY = ([[0, 1], [1, 0]], 0, {0}, ("0", "1"))  # even number of 1s: not star-free, not in AC⁰
ENDS_IN_B = ([[0, 1], [0, 1]], 0, {1}, ("a", "b"))  # Σ*b: star-free
MOD3_LENGTH = ([[1, 1], [2, 2], [0, 0]], 0, {0}, ("a", "b"))  # |w| = 0 mod 3: not star-free, in AC⁰


def _accepts(dfa, word):
    delta, q, acc, alphabet = dfa
    for s in word:
        q = delta[q][alphabet.index(s)]
    return q in acc


@pytest.mark.parametrize("dfa, star_free, ac0", [
    (AB_STAR, True, True),
    (AA_STAR, False, True),
    (PARITY, False, False),
    (ENDS_IN_B, True, True),
    (MOD3_LENGTH, False, True),
])
def test_textbook_cases(dfa, star_free, ac0):
    delta, start, acc, alphabet = dfa
    m = syntactic_monoid(delta, start, acc, alphabet)
    assert m.is_aperiodic() == star_free
    assert m.is_quasi_aperiodic() == ac0


def test_aa_star_is_z2_and_each_length_has_one_image():
    m = syntactic_monoid(*AA_STAR[:3], alphabet=AA_STAR[3])
    assert m.size == 2
    assert m.group_generated(m.eta("a")) == [m.eta("a"), m.eta("aa")]  # Z2 = {a, aa = 1}
    images, start, period = m.length_images()
    assert all(len(img) == 1 for img in images)  # a word of length t is a^t: one image per length
    assert (start, period) == (0, 2) and m.stability_index() == 2


def test_parity_witness_is_a_length_with_both_parities():
    m = syntactic_monoid(*PARITY[:3], alphabet=PARITY[3])
    w = m.quasi_aperiodic_witness()
    assert w is not None
    t, group = w
    assert t == 1 and set(group) == {m.eta("0"), m.eta("1")}


def test_minimize_merges_equivalent_states_and_drops_unreachable_ones():
    # (aa)* with a duplicated even state and an unreachable state 3
    delta = [[1], [2], [1], [0]]
    d, start, acc = minimize(delta, 0, {0, 2})
    assert len(d) == 2 and start == 0 and acc == {0}
    for n in range(8):
        assert (n % 2 == 0) == _accepts((d, start, acc, ("a",)), "a" * n)


def test_monoid_products_match_concatenation():
    delta, start, acc, alphabet = AB_STAR
    m = transition_monoid(delta, alphabet)
    words = ["".join(w) for n in range(4) for w in itertools.product(alphabet, repeat=n)]
    for u, v in itertools.product(words, repeat=2):
        assert m.mul(m.eta(u), m.eta(v)) == m.eta(u + v)
    # shortest words name their elements
    for i in range(m.size):
        word = m.word(i)
        assert m.eta("" if word == "ε" else word) == i


@pytest.mark.parametrize("name", task_names("language"))
def test_computed_measures_match_the_flags_of_the_authors_data(name):
    task = get_task(name)
    c = classical_measures(task)
    assert c.star_free == task.star_free
    assert c.ac0 == task.ac0
    assert (c.group is None) == c.star_free and (c.ac0_length is None) == c.ac0


def test_minimal_dfa_is_language_preserving_on_every_language():
    for name in task_names("language"):
        task = get_task(name)
        delta, start, acc = task.dfa()
        d, s0, a0 = minimize(delta, start, set(acc))
        assert len(d) <= len(delta)
        for n in range(7):
            for w in itertools.product(task.alphabet, repeat=n):
                assert task.accepts(list(w)) == _accepts((d, s0, a0, task.alphabet), w)
