"""Identification in the limit: the learner's choice as n grows."""

from __future__ import annotations

from lengen.crasp import parse
from lengen.identify.identification import accuracy, evaluation_words, identification_table
from lengen.identify.targets import TaskMembershipTarget, answer_target, predicate_target


def _majority():
    return predicate_target(lambda s: s.count("a") > s.count("b"), "ab", "more a than b")


def test_majority_is_identified_at_n_2():
    table = identification_table(_majority(), range(1, 6), "none", max_size=6)
    assert [r.n for r in table.rows] == [1, 2, 3, 4, 5]
    assert table.length_complexity == 2 and table.settled
    assert {r.expression for r in table.rows[1:]} == {"#[j <= i] Q(b) < #[j <= i] Q(a)"}
    assert table.rows[0].accuracy < 1.0
    md = table.to_markdown()
    assert "length complexity: 2" in md and "| 5 |" in md


def test_aa_star_settles_with_periodic_predicates_only():
    target = TaskMembershipTarget("aa_star")
    ape = identification_table(target, range(1, 7), "periodic", max_size=6, moduli=(2,))
    assert ape.length_complexity == 3
    nope = identification_table(target, range(1, 8), "none", max_size=6)
    assert not nope.settled
    assert nope.rows[-1].status == "exhausted"  # no C-RASP[] program up to size 6 fits
    assert all(r.accuracy is None or r.accuracy < 1.0 for r in nope.rows)


def test_parity_never_settles():
    table = identification_table(answer_target("parity"), range(1, 6), "none", max_size=6)
    assert not table.settled
    assert table.changes >= 1 or any(r.status == "exhausted" for r in table.rows)


def test_accuracy_counts_whole_strings():
    target = _majority()
    right = parse("accept := #[j <= i] Q(b) < #[j <= i] Q(a)")
    wrong = parse("accept := Q(a)")
    assert accuracy(right, target, 8).accuracy == 1.0
    acc = accuracy(wrong, target, 8)
    assert 0 < acc.accuracy < 1 and acc.position_accuracy > acc.accuracy
    fail = acc.first_failure
    assert fail is not None and len(fail["input"]) <= 2
    words = evaluation_words(target, 10, per_length=5)
    assert len([w for w in words if len(w) == 3]) == 8  # exhaustive while <= 256 words
    assert len([w for w in words if len(w) == 10]) <= 5
