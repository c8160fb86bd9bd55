"""The program library: every program passes its task's check, in the fragment the theory predicts."""

from __future__ import annotations

import pytest

from lengen.crasp import CRASPError, VocabularyError, check, library, parse
from lengen.crasp.ast import fragment_contains
from lengen.tasks import get_task, task_names

ALL = task_names()
WITH_PROGRAM = [t for t in ALL if get_task(t).prediction.ape]
WITHOUT_PROGRAM = [t for t in ALL if not get_task(t).prediction.ape]
# languages whose program also recognizes dead prefixes (every word over the alphabet, not only the
# strings of the language); tomita2 is correct on the language's prefixes only
FULL_RECOGNIZERS = [t for t in WITH_PROGRAM if get_task(t).kind != "algorithmic" and t != "tomita2"]


def test_every_task_predicted_to_generalize_with_ape_has_a_program_and_no_other_task_does() -> None:
    assert sorted(library.names()) == sorted(WITH_PROGRAM)
    for t in WITHOUT_PROGRAM:
        assert library.load(t) is None
        assert "ape" in library.NO_PROGRAM[t], t


@pytest.mark.parametrize("name", WITH_PROGRAM)
def test_library_program_uses_the_smallest_fragment_the_prediction_allows(name: str) -> None:
    prog = library.load(name)
    assert prog is not None
    frag = prog.info().fragment
    if get_task(name).prediction.nope:
        assert frag == "C-RASP[]"
    else:
        assert frag != "C-RASP[]" and fragment_contains("C-RASP[periodic, local]", frag)
        assert "nope" in library.NO_PROGRAM[name]


@pytest.mark.parametrize("name", WITH_PROGRAM + ["unique_copy.nope"])
def test_library_program_passes_its_check_up_to_length_500_at_random_offsets(name: str) -> None:
    res = check(library.load(name), name.split(".")[0], max_len=500, n_random=40, exhaustive_len=10, budget=4000, seed=1)
    assert res.ok, res.summary()
    assert res.n_random > 0 and res.notes == []  # no length refused by the task generator
    task = get_task(name.split(".")[0])
    assert res.max_len >= (450 if task.feasible(499) or task.feasible(500) else 150)


@pytest.mark.parametrize("name", FULL_RECOGNIZERS)
def test_language_programs_are_right_on_every_word_not_only_on_the_language(name: str) -> None:
    res = check(library.load(name), name, all_words=True, n_random=0, exhaustive_len=9, budget=3000)
    assert res.ok, res.summary()


def test_generated_program_files_are_up_to_date() -> None:
    for name in [*library.GENERATED, "unique_copy.nope"]:
        assert library._read(name) == library.generated_text(name), f"rerun lengen.crasp.library.write_generated() ({name})"


def test_generators_work_for_other_vocabularies() -> None:
    sort3 = parse(library.sort_program(["1", "5", "9"]))
    v = sort3.trace("<bos> 9 1 <sep> 1 9").values
    assert [v["next_1"][3], v["next_9"][4], v["next_<eos>"][5]] == [True, True, True]
    copy = parse(library.unique_copy_program(["x", "y", "z"]))
    v = copy.trace("<bos> z x <sep> z x").values
    assert [v["next_z"][3], v["next_x"][4], v["next_<eos>"][5]] == [True, True, True]
    maj = parse(library.majority_program(["p", "q"]))
    assert maj.trace("<bos> q p q <sep>").values["next_q"][4]


def test_fragments_derive_the_papers_flags_from_checked_programs() -> None:
    res = library.fragments(quick=True, include_variants=False)
    assert list(res) == ALL
    for name, tp in res.items():
        pred = get_task(name).prediction
        assert (tp.ape, tp.nope) == (pred.ape, pred.nope), name
        if not tp.ape:
            assert tp.program is None and "ape" in tp.reasons
        elif not tp.nope:
            assert "nope" in tp.reasons
        assert tp.as_dict()["task"] == name


def test_fragments_with_variants_count_the_c_rasp_program_for_unique_copy() -> None:
    res = library.fragments(quick=True, tasks=["unique_copy"], include_variants=True)["unique_copy"]
    assert res.ape and res.nope
    assert res.variants["unique_copy.nope"].ok and res.variants["unique_copy.nope"].fragment == "C-RASP[]"


def test_fragments_results_are_cached() -> None:
    a = library.check_program("d2", quick=True)
    assert library.check_program("d2", quick=True) is a


def test_every_no_program_reason_names_a_known_task_and_fragment() -> None:
    for name, reasons in library.NO_PROGRAM.items():
        assert name in ALL and set(reasons) <= {"ape", "nope"} and all(r.strip() for r in reasons.values())


# -- check() itself --------------------------------------------------------------------------------


def test_check_reports_the_first_counterexample_with_position_expected_and_got() -> None:
    text = library._read("bin_majority").replace("next_<eos> := answer and not Q(<sep>)", "next_<eos> := answer")
    res = check(parse(text), "bin_majority")
    assert not res.ok and res.counterexample is not None
    ce = res.counterexample
    assert ce.inputs[ce.position - 1] == "<sep>" and ce.expected in ("0", "1")
    assert "'<eos>'" in ce.got
    assert res.as_dict()["counterexample"]["token"] == "<sep>"


def test_check_runs_periodic_programs_at_every_phase_of_the_offset() -> None:
    naive = parse("accept := i % 2 == 1")  # right only when <bos> sits at an odd position
    res = check(naive, "aa_star", n_random=0)
    assert not res.ok and res.counterexample.offset == 1


def test_check_of_a_language_reads_labels_from_next_definitions() -> None:
    res = check(parse("next_a := true\nnext_b := true"), "d2", n_random=0)
    assert not res.ok and res.counterexample.expected == "[a-]" and res.counterexample.got == "[ab]"


def test_check_refuses_programs_that_test_tokens_the_task_never_produces() -> None:
    with pytest.raises(VocabularyError, match="'c'"):
        check(parse("next_0 := Q(c)"), "bin_majority")


def test_check_explains_missing_output_definitions() -> None:
    with pytest.raises(CRASPError, match="accept"):
        check(parse("x := true"), "aa_star")
    with pytest.raises(CRASPError, match="next_"):
        check(parse("x := true"), "bin_majority")


@pytest.mark.parametrize(
    "task_name, generator",
    [
        ("sort", library.sort_program),
        ("unique_copy", library.unique_copy_program),
        ("unique_copy", library.unique_copy_nope_program),
        ("majority", library.majority_program),
    ],
)
def test_generated_programs_are_right_on_every_input_over_a_small_vocabulary(task_name, generator) -> None:  # type: ignore[no-untyped-def]
    base = type(get_task(task_name))
    symbols = ("a", "b", "c") if task_name == "majority" else ("0", "1", "2", "3", "4", "5")
    small = type(f"Small{base.__name__}", (base,), {"symbols": symbols})()  # the same task over fewer symbols
    prog = parse(generator(list(symbols)))
    res = check(prog, small, n_random=0, exhaustive_len=8, budget=20_000)
    assert res.ok, res.summary()
    assert res.exhaustive_max_len == (8 if task_name == "majority" else 6)
