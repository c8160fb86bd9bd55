"""Reading ``lengen reproduce`` output for the book: the results widget and lengen.experiments.results."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lengen.experiments import results as R  # noqa: E402
from lengen.experiments.figures import GREEN, RED, panel_grid  # noqa: E402
from lengen.experiments.protocol import build_plan  # noqa: E402
from lengen.experiments.reproduce import report  # noqa: E402
from lengen.widgets.results_view import ResultsView, draw_task, runs_table_html, task_curves  # noqa: E402

BINS = [(0, 50), (51, 100), (101, 150)]


def _acc(a, b, c):
    return {"[0,50]": a, "[51,100]": b, "[101,150]": c}


def _write_runs_json(root: Path, entries):
    root.mkdir(parents=True, exist_ok=True)
    (root / "runs.json").write_text(json.dumps(entries))


def _entry(task, pe, seed, acc, steps=100, early=True):
    return {"run_id": f"{task}/{pe}-L1H1D16-lr1e-03-s{seed}", "task": task, "pe": pe, "architecture": "1/1/16 lr 1e-03",
            "seed": seed, "steps": steps, "stopped_early": early, "accuracy": acc}


# -- the widget's pure function ------------------------------------------------------------------


def test_task_curves_reads_runs_json_one_point_per_bin(tmp_path):
    _write_runs_json(tmp_path / "quick", [
        _entry("bin_majority", "nope", 0, _acc(1.0, 1.0, 0.99)),
        _entry("bin_majority", "ape", 1, _acc(1.0, 0.9, 0.5)),
        _entry("bin_majority", "ape", 0, _acc(1.0, 0.98, 0.97)),
        _entry("parity", "ape", 0, _acc(0.5, 0.5, 0.5)),
    ])
    curves = task_curves({"quick": tmp_path / "quick"}, "bin_majority")
    assert [(c.pe, c.seed) for c in curves] == [("ape", 0), ("ape", 1), ("nope", 0)]
    c = curves[0]
    assert c.xs == [25.0, 75.5, 125.5] and c.ys == [1.0, 0.98, 0.97] and not c.per_length
    assert c.in_distribution == 1.0 and c.steps == 100 and c.stopped_early
    # a single directory may be passed directly; a missing one contributes nothing
    assert len(task_curves(tmp_path / "quick", "bin_majority")) == 3
    assert task_curves({"quick": tmp_path / "quick", "reg": tmp_path / "absent"}, "bin_majority")[0].source == "quick"
    assert task_curves(tmp_path / "quick", "sort") == []
    with pytest.raises(Exception):
        task_curves(tmp_path / "quick", "no_such_task")


def test_task_curves_prefers_a_per_length_curve_and_reads_result_files(tmp_path):
    root = tmp_path / "reg"
    run = root / "runs" / "bin_majority" / "ape-L1H1D16-lr1e-03-s0"
    run.mkdir(parents=True)
    result = {"config": {"n_layer": 1, "n_head": 1, "d_model": 16, "lr": 1e-3, "pe": "ape", "reg": 1e-4},
              "seed": 0, "steps": 300, "stopped_early": False, "accuracy": _acc(1.0, 0.9, 0.8),
              "curve": {"1": 1.0, "60": 0.9, "140": 0.7}}
    (run / "result.json").write_text(json.dumps(result))
    # no runs.json: the result files are read, and reg is recognised from the coefficient
    (c,) = task_curves({"reg": root}, "bin_majority")
    assert c.pe == "reg" and c.per_length and c.xs == [1.0, 60.0, 140.0] and c.ys == [1.0, 0.9, 0.7]
    assert c.architecture == "1/1/16 lr 1e-03" and c.steps == 300 and c.stopped_early is False
    # with runs.json, the per-length curve of the run's result.json is still used
    _write_runs_json(root, [_entry("bin_majority", "reg", 0, _acc(1.0, 0.9, 0.8)) | {"run_id": "bin_majority/ape-L1H1D16-lr1e-03-s0"}])
    (c,) = task_curves({"reg": root}, "bin_majority")
    assert c.per_length and c.xs == [1.0, 60.0, 140.0]


def test_draw_task_marks_variants_without_a_program_by_hollow_markers(tmp_path):
    _write_runs_json(tmp_path, [_entry("aa_star", "ape", 0, _acc(1.0, 1.0, 1.0)),
                                _entry("aa_star", "nope", 0, _acc(0.3, 0.0, 0.0))])
    curves = task_curves(tmp_path, "aa_star")
    ax = draw_task(curves, "aa_star")
    lines = [ln for ln in ax.get_lines() if ln.get_label().startswith(("APE", "NoPE"))]
    ape, nope = lines
    assert ape.get_color() == GREEN and ape.get_markerfacecolor() == GREEN and ape.get_linestyle() == "-"
    assert nope.get_color() == RED and nope.get_markerfacecolor() == "white" and nope.get_linestyle() == ":"
    assert "✓" in ape.get_label() and "✗" in nope.get_label()
    plt.close(ax.figure)
    html = runs_table_html(curves)
    assert html.count("<tr>") == 3 and "100.0%" in html and "NoPE" in html


def test_results_view_first_render_shows_the_initial_task(tmp_path):
    _write_runs_json(tmp_path, [_entry("bin_majority", "ape", 0, _acc(1.0, 1.0, 0.99)),
                                _entry("parity", "ape", 0, _acc(0.5, 0.5, 0.5))])
    view = ResultsView({"quick": tmp_path}, ["bin_majority", "parity"], initial="parity")
    assert len(view.curves) == 1 and view.curves[0].run_id.startswith("parity/")
    assert "50.0%" in view.table.value
    view.task.value = "bin_majority"
    assert view.curves[0].run_id.startswith("bin_majority/")


# -- lengen.experiments.results --------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory):
    """A results directory written by lengen's own report() from made-up run results."""
    out = tmp_path_factory.mktemp("quick")
    plan = build_plan("smoke", tasks=["bin_majority", "parity", "aa_star"])
    made_up = {
        ("bin_majority", "ape"): (_acc(1.0, 1.0, 0.99), 300, True),
        ("bin_majority", "nope"): (_acc(1.0, 0.95, 0.7), 1000, False),  # inconclusive
        ("parity", "ape"): (_acc(0.5, 0.5, 0.5), 400, False),  # not fitted, inconclusive
        ("parity", "nope"): (_acc(1.0, 0.99, 0.95), 200, True),  # generalizes though predicted to fail
        ("aa_star", "ape"): (_acc(1.0, 0.2, 0.0), 800, False),  # fitted, fails though predicted to generalize
        # aa_star/nope: not run
    }
    results = {}
    for g in plan.groups:
        if (g.task, g.pe) in made_up:
            acc, steps, early = made_up[(g.task, g.pe)]
            spec = g.static_runs()[0]
            results[spec.run_id] = {"accuracy": acc, "steps": steps, "stopped_early": early, "wall_seconds": 10.0,
                                    "train_seconds": 9.0, "device": "cpu"}
    report(plan, results, out, log=lambda _: None)
    (out / "run_info.json").write_text(json.dumps({
        "command": "lengen reproduce --profile smoke", "lengen_version": "0.1.0", "profile": "smoke",
        "machine": {"device_description": "cpu (x86_64), 1 torch thread(s) per run", "cpu_count": 2, "workers": 2,
                    "python": "3.11", "torch": "2.x", "platform": "Linux"},
        "runs": 5, "compute_seconds": 50.0, "wall_seconds": 4000.0,
        "invocations": [{"command": "lengen reproduce --profile smoke", "started": "2026-01-01T00:00:00+00:00"}],
    }))
    return out


def test_load_report_and_rows(synthetic_report):
    rep = R.load_report(synthetic_report)
    assert rep.profile == "smoke" and rep.bins == BINS
    rows = R.rows(rep)
    assert [(r["task"], r["pe"]) for r in rows][:2] == [("bin_majority", "ape"), ("bin_majority", "nope")]
    algo = R.rows(rep, kind="algorithmic")
    assert {r["task"] for r in algo} == {"bin_majority", "parity"}
    assert [r["pe"] for r in R.rows(rep, pes=["nope"])] == ["nope"] * 3
    by = {(r["task"], r["pe"]): r for r in rows}
    assert by[("bin_majority", "ape")]["accuracy"]["[101,150]"] == pytest.approx(0.99)
    assert by[("aa_star", "nope")]["measured"] == "not run" and by[("aa_star", "nope")]["accuracy"]["[0,50]"] is None
    assert R.verdict_word(by[("aa_star", "ape")]) == "disagree"
    assert R.verdict_word(by[("parity", "ape")]) == "inconclusive" and by[("parity", "ape")]["fitted"] is False
    assert by[("bin_majority", "ape")]["steps"] == 300 and by[("bin_majority", "ape")]["stopped_early"]
    c = R.counts(rows)
    assert (c["agree"], c["disagree"], c["inconclusive"], c["not_run"]) == (1, 2, 2, 1)


def test_table_and_figure_rows(synthetic_report):
    rep = R.load_report(synthetic_report)
    rows = R.rows(rep)
    md = R.table_markdown(rows, rep.bins)
    lines = md.splitlines()
    assert len(lines) == 2 + len(rows)
    assert "1. (aa)\\*" in md and "**disagree**" in md and "(not fitted)" in md and "99.0" in md
    fr = R.figure_rows(rows, rep.bins)
    assert fr[("aa_star", "nope")]["mean"] is None and fr[("aa_star", "ape")]["program"] is True
    fig = panel_grid(fr, rep.bins, ["bin_majority", "parity", "aa_star"], ncols=3)
    assert len(fig.axes) == 3
    hollow = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_color() == RED]
    assert hollow and all(ln.get_markerfacecolor() == "white" for ln in hollow)


def test_provenance(synthetic_report):
    rep = R.load_report(synthetic_report)
    p = R.provenance(rep)
    assert p["command"] == "lengen reproduce --profile smoke" and p["lengen_version"] == "0.1.0"
    assert p["wall_seconds"] == 4000.0 and p["compute_seconds"] == 50.0 and "2 CPU cores" in p["machine"]
    md = R.provenance_markdown(rep, "results/quick")
    assert "lengen reproduce --profile smoke" in md and "67 min" in md and "50 s" in md


def test_explain_states_the_facts(synthetic_report):
    rep = R.load_report(synthetic_report)
    by = {(r["task"], r["pe"]): r for r in R.rows(rep)}
    text = R.explain(by[("aa_star", "ape")], rep.bins, reason="periodic")
    assert "fitted the training range" in text and "0.0%" in text and "(periodic)" in text
    assert "25 distinct strings" in text  # (aa)* has one string per even length 2..50
    text = R.explain(by[("parity", "ape")], rep.bins)
    assert "not fit the training range" in text and "50.0%" in text and "cap of 400 steps" in text
    assert "4/2/256" in text  # the authors' selected architecture for parity with APE
    text = R.explain(by[("parity", "nope")], rep.bins)
    assert "generalized" in text and "stopped early at step 200" in text
    assert "No finished run" in R.explain(by[("aa_star", "nope")], rep.bins)


def test_missing_results_say_how_to_make_them(tmp_path):
    with pytest.raises(R.MissingResults, match="lengen reproduce"):
        R.load_report(tmp_path)


def test_analysis_criteria_and_programs(synthetic_report):
    rep = R.load_report(synthetic_report)
    rows = R.rows(rep)
    text, n = R.analysis_markdown(rows, rep.bins)
    assert n == 4 and text.index("**Disagreements.**") < text.index("**Inconclusive rows.**")
    assert "aa_star.crasp, C-RASP[periodic]" in text  # the basis of the APE prediction for (aa)*
    scores = R.criterion_scores(rows, {"all succeed": {t: True for t in ("bin_majority", "parity", "aa_star")}})
    # conclusive and fitted: bin_majority/ape (generalizes), parity/nope (generalizes), aa_star/ape (fails)
    assert scores["all succeed"] == {"agree": 2, "n": 3, "wrong": ["aa_star"]}
    assert R.criterion_scores(rows, {"x": {"parity": False}}, fitted_only=False)["x"] == {"agree": 0, "n": 1, "wrong": ["parity"]}
    md = R.programs_markdown(["bin_majority", "repeat_copy", "aa_star"])
    assert "`bin_majority.crasp` (C-RASP[], depth 1" in md and "&lt;" not in md.split("\n\n")[0]
    assert "**Copy Repeat** (no program with or without positions)" in md
    assert "**1. (aa)\\*** (no program without positions)" in md
    assert R.short_reason("parity", "reg") == "no program in C-RASP[periodic, local] is known"


def test_rendered_markdown_draws_tables_as_html():
    r = R.markdown("| a | b |\n|---|---|\n| (aa)\\* | &lt;bos&gt; `x` |\n\n**bold**")
    html = r._repr_html_()
    assert "<table>" in html and "<td>(aa)*</td>" in html and "&lt;bos&gt;" in html and "<strong>bold</strong>" in html
    assert r._repr_markdown_() == str(r)
