"""Predictions are computed from checked C-RASP programs, never typed in."""

import pytest

from lengen.predictions import all_predictions, disagreements, predict
from lengen.tasks import UnknownTaskError, get_task, task_names


def test_every_flag_agrees_with_the_checked_library():
    fast = all_predictions(check=False)  # fragments of the shipped programs
    checked = all_predictions(check=True)  # the same programs, each checked against its task
    for name in task_names():
        assert (fast[name].ape, fast[name].nope) == (checked[name].ape, checked[name].nope), name


def test_a_nope_prediction_implies_an_ape_prediction():
    for name, p in all_predictions().items():
        assert p.ape or not p.nope, name
        assert p.source == "crasp" and p.reason


def test_tasks_without_a_program_give_the_papers_argument():
    for name in ("repeat_copy", "addition", "parity", "zot_02_star"):
        p = predict(name)
        assert not p.ape and not p.nope
        assert "no program" not in p.reason.lower() or "lemma" in p.reason.lower() or "theorem" in p.reason.lower()
    assert "Theorem 12" in predict("repeat_copy").reason


def test_computed_flags_differ_from_the_stated_ones_only_where_lengen_found_a_program():
    # lengen's library has a checked C-RASP[] program for unique copy (unique_copy.nope.crasp);
    # the paper lists none.  Every other task agrees with its stated flags.
    assert disagreements() == {"unique_copy": {"nope": (False, True)}}


def test_task_info_reports_computed_and_stated_predictions():
    info = get_task("unique_copy").info()
    assert info["predicted"] == {"ape": True, "nope": True}
    assert info["stated"]["nope"] is False and info["prediction_source"] == "crasp"


def test_unknown_task_is_refused():
    with pytest.raises(UnknownTaskError):
        predict("nonsense")
