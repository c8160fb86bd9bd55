"""Formal and counter languages checked against independent definitions.

For every language the test holds its own membership check (a Python regular expression or a small
hand-written checker that shares no code with the generator) and derives the labels from it by
brute force:

* membership labels: ``[in]`` iff the prefix passes the check;
* legal-next labels: symbol s is legal after prefix p iff p + s + x passes the check for some
  completion x.  In the exhaustive tests x ranges over **all** strings of length <= c, with c
  chosen so that the search is exact for the prefixes examined (comment per language); on long
  random strings x ranges over a small witness family, justified per language.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from functools import lru_cache

import numpy as np
import pytest

from lengen.tasks import BOS, get_task

SEED = 99


def _dyck_regex(n: int) -> str:
    """D_0 = {ε}, D_k = (a D_{k-1} b)*: the recursive definition, as a regex."""
    r = ""
    for _ in range(n):
        r = f"(?:a{r}b)*"
    return r


def _tomita3(w: str) -> bool:
    """No odd run of 1s immediately followed by an odd run of 0s (maximal runs)."""
    runs = [m.group() for m in re.finditer(r"1+|0+", w)]
    return not any(x[0] == "1" and len(x) % 2 and y[0] == "0" and len(y) % 2 for x, y in zip(runs, runs[1:]))


def _reduce(w: str, pair: str) -> str:
    """Delete adjacent matched pairs until none is left (balanced iff the result is empty)."""
    while pair in w:
        w = w.replace(pair, "")
    return w


def _dyck1(w: str) -> bool:
    return _reduce(w, "()") == ""


def _shuffle2(w: str) -> bool:
    p1 = "".join(c for c in w if c in "()")
    p2 = "".join(c for c in w if c in "[]")
    return _reduce(p1, "()") == "" and _reduce(p2, "[]") == ""


def _blocks(letters: str):
    def member(w: str) -> bool:
        m, k = divmod(len(w), len(letters))
        return k == 0 and m >= 1 and w == "".join(c * m for c in letters)
    return member


def _boolean(ops: dict[str, int]):
    arity = {"0": 0, "1": 0, **ops}

    def member(w: str) -> bool:
        def parse(i: int) -> int:  # recursive descent: index after the expression starting at i, or -1
            if i >= len(w):
                return -1
            j = i + 1
            for _ in range(arity[w[i]]):
                j = parse(j)
                if j < 0:
                    return -1
            return j
        return len(w) > 0 and parse(0) == len(w)
    return member


def _regex(pattern: str):
    rx = re.compile(pattern)
    return lambda w: rx.fullmatch(w) is not None


# Witness families for long strings.  Each returns completions x to try after q = p + s.
def _all_upto(alphabet: str, c: int) -> list[str]:
    return [""] + ["".join(t) for k in range(1, c + 1) for t in itertools.product(alphabet, repeat=k)]


def _w_dyck1(q: str) -> list[str]:
    r = _reduce(q, "()")  # an extendable prefix reduces to "("^m and is completed by ")"^m
    return [")" * len(r)]


def _w_shuffle2(q: str) -> list[str]:
    r1 = _reduce("".join(c for c in q if c in "()"), "()")
    r2 = _reduce("".join(c for c in q if c in "[]"), "[]")
    return [")" * len(r1) + "]" * len(r2)]


def _w_blocks(letters: str):
    def witness(q: str) -> list[str]:  # q is a prefix of some a^n b^n ... with n <= len(q) + 1
        out = []
        for n in range(1, len(q) + 2):
            full = "".join(c * n for c in letters)
            if full.startswith(q):
                out.append(full[len(q):])
        return out
    return witness


# name: (alphabet, member, mode, c, witness, K)
#  member:  the independent check of the language as a mathematical set (the empty string included
#           where the definition includes it; the generators never draw it)
#  mode:    "member", "next" (legal-next over the alphabet) or "next$" (plus an end column '$')
#  c:       completion length for the exhaustive "next" search (exact for prefixes of strings <= K)
#  witness: completions tried on long strings ("next$": used in the exhaustive test too, where it is
#           exhaustive: a prefix of some a^n b^n... is a prefix of one with n <= len(prefix) + 1)
#  K:       length up to which every string over the alphabet is enumerated
SPECS = {
    "aa_star": ("a", _regex(r"(?:aa)*"), "member", 0, None, 16),
    "aaaa_star": ("a", _regex(r"(?:aaaa)*"), "member", 0, None, 16),
    "abab_star": ("ab", _regex(r"(?:abab)*"), "member", 0, None, 12),
    # Tomita-3: from any live state an accepted string is <= 1 symbol away (q3 needs one 0)
    "tomita3": ("01", _tomita3, "next", 2, lambda q: _all_upto("01", 2), 10),
    "tomita5": ("01", lambda w: w.count("0") % 2 == 0 and w.count("1") % 2 == 0, "member", 0, None, 10),
    "tomita6": ("01", lambda w: (w.count("0") - w.count("1")) % 3 == 0, "member", 0, None, 10),
    # D_n: an extendable prefix of depth d is completed by b^d; with |p + s| <= K + 1 = 11, d <= 6
    "d2": ("ab", _regex(_dyck_regex(2)), "next", 3, lambda q: ["b" * k for k in range(14)], 10),
    "d3": ("ab", _regex(_dyck_regex(3)), "next", 4, lambda q: ["b" * k for k in range(14)], 10),
    "d4": ("ab", _regex(_dyck_regex(4)), "next", 5, lambda q: ["b" * k for k in range(14)], 10),
    "d12": ("ab", _regex(_dyck_regex(12)), "next", 6, lambda q: ["b" * k for k in range(14)], 10),
    "tomita1": ("01", _regex(r"1*"), "next", 2, lambda q: _all_upto("01", 2), 10),
    "tomita2": ("01", _regex(r"(?:10)*"), "next", 2, lambda q: _all_upto("01", 2), 10),
    "tomita4": ("01", lambda w: "000" not in w, "next", 2, lambda q: _all_upto("01", 2), 10),
    "tomita7": ("01", _regex(r"0*1*0*1*"), "next", 2, lambda q: _all_upto("01", 2), 10),
    # a+b+c+d+e+: the shortest completion of an extendable prefix is the missing letters once each (<= 4)
    "abcde_star": ("abcde", _regex(r"a+b+c+d+e+"), "next", 4, lambda q: ["", "e", "de", "cde", "bcde"], 7),
    # {a,b}*d{b,c}*: an extendable prefix is completed by "" or "d"
    "ab_d_bc": ("abcd", _regex(r"[ab]*d[bc]*"), "next", 1, lambda q: ["", "d"], 6),
    "zot_02_star": ("012", _regex(r"[012]*02*"), "member", 0, None, 7),
    # counter languages; with |p + s| <= K + 1 the open brackets number <= (K + 1) / 2
    "dyck1": ("()", _dyck1, "next", 6, _w_dyck1, 10),
    "shuffle2": ("()[]", _shuffle2, "next", 4, _w_shuffle2, 6),
    "anbn": ("ab", _blocks("ab"), "next$", 0, _w_blocks("ab"), 10),
    "anbncn": ("abc", _blocks("abc"), "next$", 0, _w_blocks("abc"), 7),
    "anbncndn": ("abcd", _blocks("abcd"), "next$", 0, _w_blocks("abcd"), 6),
    "boolean3": ("01~+>", _boolean({"~": 1, "+": 2, ">": 3}), "member", 0, None, 5),
    "boolean5": ("01~+>*<", _boolean({"~": 1, "+": 2, ">": 3, "*": 4, "<": 5}), "member", 0, None, 4),
}
NAMES = list(SPECS)


@lru_cache(maxsize=None)
def _cached_member(name: str):
    return lru_cache(maxsize=200_000)(SPECS[name][1])


def oracle_labels(name: str, word: str, completions) -> list[str]:
    """Labels of every prefix of ``word`` derived from the independent membership check."""
    alphabet, _, mode, *_ = SPECS[name]
    member = _cached_member(name)
    out = []
    for t in range(len(word) + 1):
        p = word[:t]
        if mode == "member":
            out.append("[in]" if member(p) else "[out]")
            continue
        cols = [s if any(member(p + s + x) for x in completions(p + s)) else "-" for s in alphabet]
        if mode == "next$":
            cols.append("$" if member(p) else "-")
        out.append("[" + "".join(cols) + "]")
    return out


def _exhaustive_completions(name: str):
    """Completions for the exhaustive test: all strings of length <= c (exact for short prefixes), except
    for the aⁿbⁿ family, whose unique completions are long: there the witness family is exhaustive."""
    alphabet, _, mode, c, witness, _ = SPECS[name]
    if mode == "next$":
        return witness
    allc = _all_upto(alphabet, c)
    return lambda q: allc


@lru_cache(maxsize=None)
def language_upto(name: str) -> dict[int, list[str]]:
    """All strings of the language of length <= K by enumerating every string over the alphabet."""
    alphabet, member, *_, K = SPECS[name]
    out: dict[int, list[str]] = {n: [] for n in range(K + 1)}
    for n in range(K + 1):
        for t in itertools.product(alphabet, repeat=n):
            w = "".join(t)
            if member(w):
                out[n].append(w)
    return out


def test_specs_cover_every_language_and_counter_task():
    from lengen.tasks import task_names
    assert set(NAMES) == set(task_names("language")) | set(task_names("counter"))


@pytest.mark.parametrize("name", NAMES)
def test_alphabet_and_label_vocabulary_do_not_overlap(name):
    task = get_task(name)
    assert "".join(task.alphabet) == SPECS[name][0]
    assert not set(task.alphabet) & set(task.label_tokens)
    assert all(t.startswith("[") and t.endswith("]") for t in task.label_tokens)
    assert task.label_mode == ("member" if SPECS[name][2] == "member" else "next")


@pytest.mark.parametrize("name", NAMES)
def test_accepts_agrees_with_the_independent_check_on_all_short_strings(name):
    task = get_task(name)
    alphabet, member, *_, K = SPECS[name]
    for n in range(K + 1):
        for t in itertools.product(alphabet, repeat=n):
            assert task.accepts(list(t)) == member("".join(t)), "".join(t)


@pytest.mark.parametrize("name", NAMES)
def test_feasible_and_count_agree_with_brute_force_for_short_lengths(name):
    task = get_task(name)
    L = language_upto(name)
    for n, words in L.items():
        assert task.count(n) == len(words), (n, task.count(n), len(words))
        assert task.feasible(n) == (len(words) > 0 and n >= 1), n
    assert task.min_length == min(n for n, w in L.items() if w and n >= 1)


@pytest.mark.parametrize("name", NAMES)
def test_labels_of_every_short_string_match_brute_force_labels(name):
    task = get_task(name)
    comp = _exhaustive_completions(name)
    for n, words in language_upto(name).items():
        for w in words:
            assert task.labels(list(w)) == oracle_labels(name, w, comp), w


@pytest.mark.parametrize("name", NAMES)
def test_generator_produces_every_short_string_of_the_language(name):
    task = get_task(name)
    rng = np.random.default_rng(SEED)
    for n, words in language_upto(name).items():
        if n == 0 or not words or len(words) > 40:
            continue
        drawn = Counter("".join(task.draw(rng, n)) for _ in range(15 * len(words) + 20))
        assert set(drawn) == set(words), n


@pytest.mark.parametrize("name", NAMES)
def test_long_random_strings_are_in_the_language_with_correct_labels(name):
    task = get_task(name)
    alphabet, member, mode, _, witness, _ = SPECS[name]
    rng = np.random.default_rng(SEED + 1)
    feas = [n for n in range(task.min_length, 151) if task.feasible(n)]
    lengths = sorted({feas[0], feas[len(feas) // 2], feas[-1], *rng.choice(feas, size=3).tolist()})
    for n in lengths:
        ex = task.example(rng, n)
        w = "".join(ex.inputs[1:])
        assert ex.inputs[0] == BOS and len(w) == n == ex.length
        assert member(w), w
        assert ex.targets == oracle_labels(name, w, witness), w


def test_dyck_long_strings_reach_the_depth_bound():
    """The upper label [-b] (depth n) must occur, or the D_n tests above would miss it."""
    rng = np.random.default_rng(SEED)
    for name in ("d2", "d4", "d12"):
        task = get_task(name)
        seen = set()
        for _ in range(30):
            seen.update(task.example(rng, 150).targets)
        assert seen == {"[a-]", "[ab]", "[-b]"}, name


def test_uniform_sampling_at_a_fixed_length():
    """Tomita-4 at n = 4 has 13 strings; each should appear about 1/13 of the time."""
    task = get_task("tomita4")
    rng = np.random.default_rng(SEED)
    counts = Counter("".join(task.draw(rng, 4)) for _ in range(6500))
    assert len(counts) == 13 and min(counts.values()) > 380 and max(counts.values()) < 620


def test_language_attributes_follow_the_notes():
    flags = {n: (get_task(n).star_free, get_task(n).dot_depth, get_task(n).ac0)
             for n in SPECS if get_task(n).kind == "language"}
    non_star_free = {"aa_star", "aaaa_star", "abab_star", "tomita3", "tomita5", "tomita6"}
    for name, (sf, dd, ac0) in flags.items():
        assert sf == (name not in non_star_free)
        assert (dd is None) == (name in non_star_free)
        assert ac0 == (name not in {"tomita5", "tomita6"})
    assert [flags[n][1] for n in ("d2", "d3", "d4", "d12", "zot_02_star", "tomita4")] == [2, 3, 4, 12, 2, 1]


def test_sequence_length_is_bos_plus_symbols_and_n_positions_151():
    for name in NAMES:
        task = get_task(name)
        assert task.sequence_length(10) == 11
        top = max(n for n in range(151) if task.feasible(n))
        assert task.n_positions == top + 1
    assert get_task("aaaa_star").n_positions == 149 and get_task("tomita3").n_positions == 151
