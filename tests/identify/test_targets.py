"""Targets: domains, labels and don't-care positions."""

from __future__ import annotations

import pytest

from lengen.identify.targets import (
    PredicateTarget,
    TargetError,
    TaskLabelTarget,
    TaskMembershipTarget,
    all_words,
    answer_target,
    label_targets,
    language_prefixes,
    predicate_target,
)


def test_all_words_and_language_prefixes():
    assert len(all_words("ab", 3)) == 1 + 2 + 4 + 8
    assert language_prefixes("aa_star", 4) == [(), ("a",), ("a", "a"), ("a", "a", "a"), ("a", "a", "a", "a")]
    # prefixes of balanced strings with at most 4 symbols
    got = {"".join(w) for w in language_prefixes("dyck1", 4)}
    assert got == {"", "(", "((", "()", "(()", "()(", "(())", "()()"}
    # (abab)*: a prefix is kept only if a string of length <= n extends it
    assert {"".join(w) for w in language_prefixes("abab_star", 3)} == {""}
    assert {"".join(w) for w in language_prefixes("abab_star", 4)} == {"", "a", "ab", "aba", "abab"}
    with pytest.raises(TargetError, match="no string of 'abcde_star' has at most 4 symbols"):
        language_prefixes("abcde_star", 4)


def test_membership_labels_of_every_prefix():
    t = TaskMembershipTarget("tomita5")  # #0 and #1 both even
    assert t.labels(("0", "0", "1")) == [True, False, True, False]
    assert t.labels(("0",)) == [t.label(()), t.label(("0",))]
    with pytest.raises(TargetError):
        TaskMembershipTarget("tomita5", domain="some")


def test_label_targets_of_a_language_task():
    cols = label_targets("tomita2")  # (10)*: after 1 only 0, at <bos> and after 0 only 1
    assert set(cols) == {"next_0", "next_1"}
    assert cols["next_0"].labels(("1", "0")) == [False, True, False]
    assert cols["next_1"].labels(("1", "0")) == [True, False, True]
    assert set(label_targets("anbn")) == {"next_a", "next_b", "accept"}  # the end column $
    assert set(label_targets("aa_star")) == {"accept"}
    assert isinstance(cols["next_0"], TaskLabelTarget)


def test_answer_targets_and_ties():
    maj = answer_target("bin_majority")
    assert maj.label(("1", "0")) is None and maj.label(("1",)) is True and maj.label(("0",)) is False
    par = answer_target("parity")
    assert par.labels(("1", "1")) == [True, False, True]
    with pytest.raises(TargetError, match="two tokens"):
        answer_target("repeat_copy")


def test_predicate_target_caches_false_and_reports_errors():
    calls = []

    def f(s):
        calls.append(s)
        return len(s) == 1

    t = predicate_target(f, "ab")
    assert t.label(("a", "b")) is False and t.label(("a", "b")) is False
    assert calls == ["ab"]
    bad = PredicateTarget(lambda s: 1 / 0, "ab", "bad")
    with pytest.raises(TargetError, match="ZeroDivisionError"):
        bad.label(())
    with pytest.raises(TargetError, match="must return a bool"):
        PredicateTarget(lambda s: "yes", "ab").label(())
    with pytest.raises(TargetError, match="repeated"):
        predicate_target(len, "aa")
