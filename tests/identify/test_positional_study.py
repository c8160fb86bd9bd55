"""The positional study (train, measure, save, read back) and ``lengen positional``."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import torch

from lengen.identify.positional_study import (
    STUDY_TASKS,
    Study,
    add_positional_parser,
    load_products,
    run_name,
    run_study,
    save_products,
    study_markdown,
    study_plan,
)
from lengen.identify.product_fit import fit_products, product_term
from lengen.model import GPT, ModelConfig


def test_plan_covers_every_task_and_coefficient():
    plan = study_plan()
    assert {r.spec.relation for r in plan} == {"local", "periodic", "none"}
    assert [r.name for r in plan][:2] == ["unique_copy-reg0", "unique_copy-reg0.0001"]
    short = study_plan(["majority"], regs=[0, 1e-3], steps=7)
    assert [r.name for r in short] == ["majority-reg0", "majority-reg0.001"]
    assert all(r.spec.steps == 7 for r in short) and STUDY_TASKS["majority"].steps != 7
    with pytest.raises(ValueError, match="unknown study task"):
        study_plan(["parity"])
    with pytest.raises(ValueError):
        study_plan(["majority"], regs=[-1])
    assert run_name("x", 1e-4) == "x-reg0.0001"


def test_products_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    P = rng.standard_normal((2, 3, 10, 10)) * np.array([1e-6, 1.0, 50.0])[None, :, None, None]
    save_products(tmp_path / "p.npz", P)
    Q = load_products(tmp_path / "p.npz")
    assert Q.shape == P.shape
    for h in range(3):  # relative to each head's largest entry, whatever its scale
        err = np.abs(Q[:, h] - P[:, h]).max() / np.abs(P[:, h]).max()
        assert err < 1e-3


def test_product_term_is_the_models_positional_regularizer():
    torch.manual_seed(0)
    model = GPT(ModelConfig(vocab_size=5, n_positions=9, n_layer=2, n_head=2, d_model=8))
    with torch.no_grad():
        M = model.positional_products()
        total = sum(product_term(M[l, h]) for l in range(2) for h in range(2))
        assert float(total) == pytest.approx(float(model.positional_regularizer()), rel=1e-6)


def test_product_penalty_shrinks_far_lags():
    kw = dict(n_positions=40, train_len=10, d=8, steps=150, test_lengths=(10, 30), keep_products=True)
    plain = fit_products("prev", **kw)
    pen = fit_products("prev", product_penalty=0.05, **kw)
    assert pen.settings["product_penalty"] == 0.05 and plain.settings["product_penalty"] == 0.0
    far = lambda M: float(np.abs(np.tril(M, -11)).mean())  # lags never seen in training windows
    assert far(pen.products) < far(plain.products)


def _cli(argv):
    parser = argparse.ArgumentParser(prog="lengen")
    sub = parser.add_subparsers(dest="command", required=True)
    add_positional_parser(sub)
    args = parser.parse_args(["positional", *argv])
    return args.func(args)


def test_study_trains_measures_saves_and_resumes(tmp_path, capsys):
    out = tmp_path / "study"
    assert _cli(["study", "--out", str(out), "--tasks", "majority", "--regs", "0,0.01", "--steps", "6",
                 "--examples", "20", "--device", "cpu"]) == 0
    text = capsys.readouterr().out
    assert "majority-reg0.01" in text and "2 runs" in text
    study = Study(out)
    assert study.names == ["majority-reg0", "majority-reg0.01"]
    run = study.run("majority-reg0.01")
    spec = STUDY_TASKS["majority"]
    assert run["reg"] == 0.01 and run["relation"] == "none" and run["steps"] == 6
    assert len(run["heads"]) == spec.n_layer * spec.n_head
    P = study.products("majority-reg0.01")
    assert P.shape[:2] == (spec.n_layer, spec.n_head) and P.shape[2] == P.shape[3]
    # the stored measures are those of the stored products (up to their float16 rounding)
    from lengen.identify.positional import measure_matrix

    h = run["heads"][0]
    m = measure_matrix(P[0, 0], run["tau"])
    assert m.translation_invariance == pytest.approx(h["translation_invariance"], abs=0.02)
    ing = run["ingredients"]
    assert sum(map(sum, ing["per_head"])) == pytest.approx(ing["positional_term"], rel=1e-6)
    rows = study.table()
    assert len(rows) == 2 * spec.n_layer * spec.n_head and "positional term" in rows[0]
    assert "majority-reg0.01" in study_markdown(study)
    with pytest.raises(KeyError):
        study.run("nope")
    # a rerun skips finished runs
    assert _cli(["study", "--out", str(out), "--tasks", "majority", "--regs", "0", "--steps", "6",
                 "--examples", "20", "--device", "cpu"]) == 0
    assert "done already" in capsys.readouterr().out


def test_fit_command_writes_results(tmp_path, capsys):
    path = tmp_path / "fit.json"
    assert _cli(["fit", "--out", str(path), "--phis", "mod3", "--steps", "20", "--product-penalty", "0.01"]) == 0
    data = json.loads(path.read_text())
    assert data["settings"]["product_penalty"] == 0.01 and set(data["results"]) == {"mod3"}
    with np.load(path.with_suffix(".npz")) as f:
        assert f["mod3"].shape == (200, 200)
    assert "mod3" in capsys.readouterr().out


def test_bad_coefficients_are_an_error():
    with pytest.raises(ValueError, match="--regs"):
        _cli(["study", "--regs", "a,b", "--out", "/nonexistent"])
