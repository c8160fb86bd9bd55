"""``lengen reproduce``: run lists, shards, selection rule, verdicts, resuming, merging, figures.

Every training run here is tiny (20 steps of a 1-layer d=16 model on lengths up to 24), so the
whole file takes well under a minute and a half on a shared 2-core machine.
"""

import csv
import io
import json
import shutil
import os

import numpy as np
import pytest
import torch

from lengen.experiments import protocol as P
from lengen.experiments.cli import main as reproduce_main
from lengen.experiments.figures import figure1, random_baseline
from lengen.experiments.protocol import (
    Arch, GroupPlan, Plan, Settings, build_plan, group_status, makespan, parse_seeds, parse_shard, run_cost,
    run_id, select_architecture, shard_plan,
)
from lengen.experiments.reproduce import ConfigMismatch, execute, load_results, merge, reproduce, run_dir
from lengen.experiments.verdicts import agrees, outcome, summarize, verdict_entry
from lengen.train import Callback, train

BINS = ((1, 8), (9, 16), (17, 24))
TINY = Settings(train_range=(1, 8), bins=BINS, eval_every=10, eval_examples=20, early_stop_examples=20,
                checkpoint_every=5)
ARCH = Arch(1, 1, 16, 1e-3, 20)


def tiny_plan(tasks=("bin_majority", "tomita1"), pes=("ape", "nope"), steps=20) -> Plan:
    arch = Arch(1, 1, 16, 1e-3, steps)
    return Plan("tiny", tuple(GroupPlan(t, pe, (arch,), (0,), 1, TINY) for t in tasks for pe in pes))


def quiet(*_a, **_k):
    pass


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread, as lengen reproduce uses per run (two threads on a busy 2-core machine crawl)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def unsharded(tmp_path_factory):
    out = tmp_path_factory.mktemp("unsharded")
    summary = reproduce(tiny_plan(), out, workers=1, device="cpu", argv=["test"], log=quiet)
    return out, summary


# -- run lists ---------------------------------------------------------------------------------------


def test_run_lists_are_deterministic_and_cover_every_task():
    a, b = build_plan("quick"), build_plan("quick")
    assert a.keys() == b.keys() and a.fingerprint() == b.fingerprint()
    ids = [r.run_id for r in a.static_runs()]
    assert ids == [r.run_id for r in b.static_runs()]
    assert len(ids) == len(set(ids)) == 50  # 8 algorithmic + 17 languages, APE and NoPE, 1 seed
    assert ids[0] == "bin_majority/ape-L1H1D16-lr1e-03-s0"
    assert {r.task for r in a.static_runs()} >= {"addition", "zot_02_star", "aa_star"}
    smoke = build_plan("smoke")
    assert [r.run_id for r in smoke.static_runs()] == [
        f"{t}/{pe}-L1H1D16-lr1e-03-s0" for t in P.SMOKE_TASKS for pe in ("ape", "nope")]
    paper = build_plan("paper", tasks=["parity"], pes=["ape", "nope", "reg"])
    assert len(paper.groups) == 3 and all(len(g.candidates) == 54 and g.n_keep == 5 for g in paper.groups)
    assert paper.groups[0].fallback == P.PAPER_BIG and paper.groups[0].fallback.warmup == 3000
    assert paper.groups[2].spec(paper.groups[2].candidates[0], 0).train_config().reg == 1e-4


def test_seed_options():
    assert parse_seeds("3", 1) == 3 and parse_seeds("0,3,7", 1) == (0, 3, 7) and parse_seeds(None, 5) == 5
    with pytest.raises(ValueError):
        parse_seeds("1,1", 1)
    assert build_plan("quick", tasks=["parity"], seeds=3).groups[0].seeds == (0, 1, 2)
    assert build_plan("paper", tasks=["parity"], seeds=2).groups[0].seeds[:3] == (0, 1, 2)  # extra attempts
    assert build_plan("quick", tasks=["parity"], seeds=(4, 9)).groups[0].n_keep == 2


def test_seeds_differ_in_initialization_and_training_stream():
    """The authors' pitfall (seeds sharing a training stream) must not recur: different seeds give
    different configs, initial weights and first batches, and each run's seed reaches train()."""
    g = build_plan("quick", tasks=["bin_majority"], seeds=2).groups[0]
    cfgs = [g.spec(g.candidates[0], s).train_config() for s in g.seeds]
    assert [c.seed for c in cfgs] == [0, 1]
    from lengen.experiments.batched import StackedSeeds

    cfg = TINY_CFG()
    st = StackedSeeds(cfg, [0, 1], "cpu")
    x, pos, y = st.next_batch()
    assert not torch.equal(x[0], x[1]) and not torch.equal(pos[0], pos[1])
    assert not torch.equal(st.params["wte.weight"][0], st.params["wte.weight"][1])


def TINY_CFG(**kw):
    from lengen.train import TrainConfig

    base = dict(task="bin_majority", steps=8, eval_every=8, eval_examples=4, early_stop_examples=4,
                bins=[(1, 8)], train_range=(1, 8), device="cpu", checkpoint_every=10**6)
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.parametrize("task", ["tomita4", "unique_copy", "bin_majority"])
def test_batched_seeds_give_the_weights_of_separate_runs(task):
    """A language (supervised everywhere: full forward pass) and two algorithmic tasks (the last
    block only at the answer positions, in both the stacked and the separate runs)."""
    from lengen.experiments.batched import StackedSeeds, max_weight_difference
    from lengen.train import TrainConfig

    cfg = TINY_CFG(task=task, n_layer=2, n_head=2, d_model=16, reg=1e-4, warmup=2)
    st = StackedSeeds(cfg, [0, 3], "cpu")
    st.train(cfg.steps)
    for k, s in enumerate([0, 3]):
        ref = train(TrainConfig.from_dict({**cfg.to_dict(), "seed": s}), progress=False).model.state_dict()
        assert max_weight_difference(st.state_dict(k), ref) < 1e-4
    assert max_weight_difference(st.state_dict(0), st.state_dict(1)) > 1e-2


# -- shards --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["quick", "paper"])
def test_shards_partition_the_run_list(profile):
    plan = build_plan(profile)
    everything = [r.run_id for r in plan.static_runs()]
    for n in (1, 2, 3, 7):
        parts = [[r.run_id for r in shard_plan(plan, k, n).static_runs()] for k in range(1, n + 1)]
        flat = [x for p in parts for x in p]
        assert sorted(flat) == sorted(everything) and len(flat) == len(set(flat))
        assert parts == [[r.run_id for r in shard_plan(plan, k, n).static_runs()] for k in range(1, n + 1)]
    # whole groups stay together (later runs of a group depend on its earlier results)
    owner = {}
    for k in (1, 2, 3):
        for g in shard_plan(plan, k, 3).groups:
            assert owner.setdefault(g.key, k) == k
    assert parse_shard("2/3") == (2, 3)
    with pytest.raises(ValueError):
        parse_shard("4/3")


def test_quick_profile_fits_the_cpu_budget():
    costs = [run_cost(r) for r in build_plan("quick").static_runs()]
    assert makespan(costs, 2) < 3 * 3600 / P.LOAD_FACTOR * 1.05  # within 3 h even at 2x outside load
    assert makespan(costs, 2) <= sum(costs) / 2 + max(costs)


# -- the selection rule ----------------------------------------------------------------------------------


def fake(id_acc, b2, b3=0.0):
    return {"accuracy": {"[1,8]": id_acc, "[9,16]": b2, "[17,24]": b3}}


def sweep_group(cands, fallback=None, seeds=(0, 1, 2, 3, 4, 5), n_keep=2):
    return GroupPlan("bin_majority", "ape", tuple(cands), tuple(seeds), n_keep, TINY, fallback=fallback)


def test_selection_prefers_the_best_second_bin_among_fitted_configs_with_ties_to_the_simplest():
    a, b, c, d = Arch(1, 1, 16, 1e-3, 9), Arch(1, 2, 16, 1e-3, 9), Arch(2, 1, 16, 1e-3, 9), Arch(1, 1, 64, 1e-3, 9)
    e = Arch(1, 1, 16, 1e-4, 9)
    pick = lambda pairs: select_architecture(pairs, BINS)[0]  # noqa: E731
    # not fitted (99.9% in-distribution) is out even with the best second bin
    assert pick([(a, fake(1.0, 0.8)), (b, fake(0.999, 1.0))]) == a
    # tie on the second bin: fewer layers wins over fewer heads; fewer heads over smaller width
    assert pick([(c, fake(1.0, 0.9)), (b, fake(1.0, 0.9)), (a, fake(1.0, 0.5))]) == b
    assert pick([(b, fake(1.0, 0.9)), (d, fake(1.0, 0.9))]) == d
    assert pick([(e, fake(1.0, 0.9)), (a, fake(1.0, 0.9))]) == a  # then the larger learning rate
    assert select_architecture([(a, fake(0.9, 0.9))], BINS) == (None, False)


def test_group_status_runs_the_sweep_then_the_kept_seeds():
    a, b, c = Arch(1, 1, 16, 1e-3, 9), Arch(1, 2, 16, 1e-3, 9), Arch(2, 1, 16, 1e-3, 9)
    g = sweep_group([c, a, b])
    rid = lambda arch, s: run_id("bin_majority", "ape", arch, s)  # noqa: E731
    st = group_status(g, {})
    assert st.stage == "sweep" and [r.arch for r in st.ready] == [a, b, c]  # simplest first
    # sweep early stop: b reaches 100% / 100%, so c is not needed
    res = {rid(a, 0): fake(1.0, 0.7), rid(b, 0): fake(1.0, 1.0)}
    st = group_status(g, res)
    assert st.selected == b and st.sweep_skipped == [c] and st.stage == "seeds"
    assert [r.seed for r in st.ready] == [1]  # seed 0 of b is the sweep run itself
    res[rid(b, 1)] = fake(0.95, 0.9)  # discarded by the keep filter
    st = group_status(g, res)
    assert [r.seed for r in st.ready] == [2] and len(st.discarded) == 1
    assert group_status(g, res, busy=[rid(b, 2)]).ready == []
    res[rid(b, 2)] = fake(1.0, 0.95)
    st = group_status(g, res)
    assert st.complete and [s.seed for s in st.kept] == [0, 2] and [s.seed for s in st.discarded] == [1]


def test_nothing_fits_uses_the_big_fallback_with_threshold_zero():
    a, b = Arch(1, 1, 16, 1e-3, 9), Arch(1, 2, 16, 1e-3, 9)
    big = Arch(12, 12, 768, 1e-4, 60_000, 3000, "big")
    g = sweep_group([a, b], fallback=big, n_keep=2)
    res = {run_id("bin_majority", "ape", x, 0): fake(0.6, 0.5) for x in (a, b)}
    st = group_status(g, res)
    assert st.selected == big and st.threshold == 0.0 and [r.seed for r in st.ready] == [0, 1]
    res.update({run_id("bin_majority", "ape", big, s): fake(0.7, 0.5) for s in (0, 1)})
    st = group_status(g, res)
    assert st.complete and len(st.kept) == 2
    # without a fallback, the best in-distribution configuration is reported
    st = group_status(sweep_group([a, b], n_keep=1), {run_id("bin_majority", "ape", a, 0): fake(0.6, 0.5),
                                                       run_id("bin_majority", "ape", b, 0): fake(0.8, 0.1)})
    assert st.selected == b and "no configuration" in st.selection


# -- verdicts ---------------------------------------------------------------------------------------------


def test_verdict_rule_edges():
    assert outcome(0.90) == "generalizes" and outcome(0.8999) == "inconclusive"
    assert outcome(0.50) == "inconclusive" and outcome(0.4999) == "fails" and outcome(1.0) == "generalizes"
    assert agrees(True, "generalizes") is True and agrees(False, "fails") is True
    assert agrees(True, "fails") is False and agrees(False, "generalizes") is False
    assert agrees(True, "inconclusive") is None
    pred = {"ape": True, "nope": False, "source": "test"}
    es = [verdict_entry("t", "ape", pred, 1.0, 0.95, "[101,150]"),
          verdict_entry("t", "nope", pred, 1.0, 0.10, "[101,150]"),
          verdict_entry("t", "reg", pred, 1.0, 0.60, "[101,150]"),  # reg has APE's prediction
          verdict_entry("u", "nope", pred, 0.5, 0.95, "[101,150]"),
          verdict_entry("v", "ape", pred, None, None, "[101,150]")]
    assert [e["agrees"] for e in es] == [True, True, None, False, None]
    assert es[3]["fitted"] is False and es[4]["measured"] == "not run"
    s = summarize(es)
    assert s["summary"].startswith("agreement on 2 of 4 ") and s["inconclusive"] == 1 and s["not_run"] == 1


def test_random_baselines():
    b = [(0, 50), (51, 100), (101, 150)]
    assert random_baseline("bin_majority", b) == [0.5, 0.5, 0.5]
    assert random_baseline("parity", b) == [0.5, 0.5, 0.5]
    assert np.allclose(random_baseline("majority", b), 1 / 26)
    assert np.allclose(random_baseline("bin_majority_interleave", b), 1 / 8)
    assert random_baseline("repeat_copy", b)[2] < 1e-9 and random_baseline("tomita1", b) == []


# -- running, skipping, resuming, merging ------------------------------------------------------------------


def test_reproduce_writes_every_output(unsharded):
    out, summary = unsharded
    for name in ("table.csv", "table.md", "figure1.png", "figure1.svg", "verdicts.json", "run_info.json",
                 "plan.json", "runs.json"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "figure1.svg").read_text().lstrip().startswith("<?xml")
    rows = list(csv.DictReader(io.StringIO((out / "table.csv").read_text())))
    assert [(r["task"], r["pe"]) for r in rows] == [("bin_majority", "ape"), ("bin_majority", "nope"),
                                                     ("tomita1", "ape"), ("tomita1", "nope")]
    assert {"[17,24] mean", "[17,24] all_std", "[17,24] min", "predicted", "verdict", "seeds_discarded"} <= set(rows[0])
    v = json.loads((out / "verdicts.json").read_text())
    assert v["summary"].startswith("agreement on ") and len(v["entries"]) == 4
    assert v["entries"][2]["prediction_source"] == "crasp-library" and "per-language" in v["protocol_note"]
    info = json.loads((out / "run_info.json").read_text())
    assert info["runs"] == 4 and info["compute_seconds"] > 0 and info["machine"]["cpu_count"] == os.cpu_count()
    assert info["lengen_version"] and info["command"] == "test"
    md = (out / "table.md").read_text()
    assert "| 11. tomita1 | nope |" in md and v["summary"] in md


def test_a_rerun_skips_finished_runs(unsharded):
    out, _ = unsharded
    stamps = {p: p.stat().st_mtime_ns for p in (out / "runs").glob("*/*/result.json")}
    ex = execute(tiny_plan(), out, device="cpu", log=quiet)
    assert ex.trained == [] and len(ex.skipped) == 4
    assert {p: p.stat().st_mtime_ns for p in (out / "runs").glob("*/*/result.json")} == stamps


def test_a_changed_configuration_is_refused(unsharded):
    out, _ = unsharded
    with pytest.raises(ConfigMismatch, match="another configuration"):
        execute(tiny_plan(steps=21), out, device="cpu", log=quiet)


def test_an_interrupted_run_resumes(tmp_path, unsharded):
    ref_dir, _ = unsharded
    plan = tiny_plan(tasks=("bin_majority",), pes=("ape",))
    spec = plan.groups[0].static_runs()[0]

    class Stop(Callback):
        def on_step(self, step, loss):
            if step == 12:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(spec.train_config("cpu"), out_dir=run_dir(tmp_path, spec.run_id), callbacks=[Stop()], progress=False)
    assert (run_dir(tmp_path, spec.run_id) / "checkpoint.pt").exists()
    assert not (run_dir(tmp_path, spec.run_id) / "result.json").exists()
    ex = execute(plan, tmp_path, device="cpu", log=quiet)
    assert ex.trained == [spec.run_id] and ex.resumed == [spec.run_id]
    resumed = load_results(tmp_path)[spec.run_id]
    full = load_results(ref_dir)[spec.run_id]
    assert resumed["accuracy"] == full["accuracy"] and resumed["steps"] == full["steps"]


def test_merging_shards_gives_the_unsharded_table(tmp_path, unsharded):
    ref, _ = unsharded
    plan = tiny_plan()
    dirs = []
    for k in (1, 2):
        d = tmp_path / f"shard{k}"
        s = reproduce(plan, d, shard=(k, 2), workers=2 if k == 1 else 1, device="cpu", argv=["test"], log=quiet)
        assert not s["execution"].failed
        assert not (d / "table.csv").exists() and (d / f"run_info.shard-{k}-of-2.json").exists()
        dirs.append(d)
    assert sorted(load_results(dirs[0])) + sorted(load_results(dirs[1])) != []
    assert set(load_results(dirs[0])).isdisjoint(load_results(dirs[1]))
    res = merge(dirs, tmp_path / "merged", argv=["test"], log=quiet)
    assert res["incomplete_groups"] == 0
    assert (tmp_path / "merged" / "table.csv").read_text() == (ref / "table.csv").read_text()
    assert (tmp_path / "merged" / "figure1.png").exists()
    info = json.loads((tmp_path / "merged" / "run_info.json").read_text())
    assert info["runs"] == 4 and len(info["shards"]) == 2


def test_merging_a_directory_again_keeps_the_original_commands_and_wall_time(tmp_path, unsharded):
    ref, _ = unsharded
    d = tmp_path / "again"
    shutil.copytree(ref, d)
    original = json.loads((d / "run_info.json").read_text())
    for _ in range(2):  # merge in place twice: the second reads a merged run_info.json
        merge([d], d, argv=["merge"], log=quiet)
    info = json.loads((d / "run_info.json").read_text())
    assert [s["command"] for s in info["shards"]] == [original["command"]]
    assert info["wall_seconds_longest_shard"] == round(original["wall_seconds"], 1) > 0


def test_merge_refuses_directories_of_different_plans(tmp_path, unsharded):
    ref, _ = unsharded
    other = tmp_path / "other"
    other.mkdir()
    from lengen.experiments.reproduce import write_plan

    write_plan(other, tiny_plan(tasks=("parity",)), None, {})
    with pytest.raises(ValueError, match="different plans"):
        merge([ref, other], tmp_path / "m", log=quiet)


# -- figure and command line -----------------------------------------------------------------------------


def test_figure_has_every_panel_and_reg_lines(tmp_path):
    rows = {}
    for t in ("bin_majority", "parity", "aa_star", "zot_02_star"):
        for pe, prog in (("ape", True), ("nope", False), ("reg", True)):
            rows[(t, pe)] = {"mean": [1.0, 0.8, 0.4], "min": [0.9, 0.7, 0.2], "max": [1.0, 0.9, 0.6], "program": prog}
    paths = figure1(rows, [(0, 50), (51, 100), (101, 150)], tmp_path, title="test")
    assert [p.name for p in paths] == ["figure1.png", "figure1.svg"] and all(p.stat().st_size > 10_000 for p in paths)
    svg = paths[1].read_text()
    assert "#009e73" in svg.lower() and "#d55e00" in svg.lower()


def test_cli_dry_run_lists_runs_and_cost(capsys):
    assert reproduce_main(["--profile", "quick", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "50 runs known in advance" in out and "wall with 2 worker(s)" in out and "sort/ape-L2H2D64" in out
    assert reproduce_main(["--profile", "paper", "--tasks", "parity", "--pe", "ape,reg", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "108 runs known in advance" in out and "big" in out
    assert "would take about 7 GPU-hours" in out  # 108 runs x 30,000 steps at 2 x 67 steps/s
    assert reproduce_main(["--profile", "smoke", "--pe", "rope", "--dry-run"]) == 2
    assert "unknown positional variant" in capsys.readouterr().err


def test_the_subcommand_plugs_into_a_parent_parser():
    import argparse

    from lengen.experiments.cli import add_reproduce_parser, cmd_merge, cmd_reproduce

    parser = argparse.ArgumentParser(prog="lengen")
    add_reproduce_parser(parser.add_subparsers(dest="command", required=True))
    a = parser.parse_args(["reproduce", "--profile", "quick", "--tasks", "parity", "--shard", "1/2", "--dry-run"])
    assert a.func is cmd_reproduce and a.profile == "quick" and a.shard == "1/2" and a.dry_run
    m = parser.parse_args(["reproduce", "merge", "a", "b", "--out", "c"])
    assert m.func is cmd_merge and m.dirs == ["a", "b"] and m.out == "c"


def test_lengen_reproduce_is_a_subcommand_of_lengen(capsys):
    from lengen import cli

    choices = next(a for a in cli.build_parser()._actions if a.dest == "command").choices
    assert "reproduce" in choices
    assert cli.main(["reproduce", "--profile", "smoke", "--dry-run"]) == 0
    assert "8 runs known in advance" in capsys.readouterr().out


def test_a_sweep_profile_runs_end_to_end(tmp_path):
    """The paper's dynamic protocol on tiny budgets: sweep, early end of the sweep, selection,
    kept seeds, and the fallback (threshold 0) where no configuration fits."""
    a, b = Arch(1, 1, 16, 1e-3, 20), Arch(1, 1, 16, 1e-4, 20)
    big = Arch(1, 2, 16, 1e-3, 12, name="big")
    groups = tuple(GroupPlan(t, "ape", (b, a), (0, 1, 2, 3), 2, TINY, fallback=big) for t in ("tomita1", "bin_majority"))
    plan = Plan("tiny-sweep", groups)
    reproduce(plan, tmp_path, device="cpu", argv=["test"], log=quiet)
    res = load_results(tmp_path)
    st = {g.task: group_status(g, res) for g in groups}
    assert all(s.complete for s in st.values())
    # tomita1 is learned at once: the first (simplest) configuration ends the sweep
    assert st["tomita1"].selected == a and st["tomita1"].sweep_skipped == [b]
    assert [s.seed for s in st["tomita1"].kept] == [0, 1] and run_id("tomita1", "ape", b, 0) not in res
    # 20 steps do not fit binary majority: the fallback runs, and every seed of it is kept
    assert st["bin_majority"].selected == big and st["bin_majority"].threshold == 0.0
    assert len(st["bin_majority"].kept) == 2
    rows = list(csv.DictReader(io.StringIO((tmp_path / "table.csv").read_text())))
    assert "fallback" in rows[0]["selection"] and "sweep of 2" in rows[1]["selection"]


def test_stacked_seeds_give_the_table_of_separate_runs(tmp_path):
    """--stack: each group's seeds train as one stack (in this process and in worker
    processes), the table equals the one of separate runs, and run_info counts a stack's time once."""
    groups = tuple(GroupPlan(t, "ape", (ARCH,), (0, 1, 2), 3, TINY) for t in ("bin_majority", "tomita1"))
    plan = Plan("tiny-seeds", groups)
    reproduce(plan, tmp_path / "separate", device="cpu", argv=["test"], log=quiet)
    lines = []
    for workers in (1, 2):
        d = tmp_path / f"stacked-{workers}"
        reproduce(plan, d, workers=workers, device="cpu", argv=["test"], log=lines.append, stack=True)
        assert (d / "table.csv").read_text() == (tmp_path / "separate" / "table.csv").read_text()
        res = load_results(d)
        assert len(res) == 6 and all(r["stack"]["seeds"] == [0, 1, 2] for r in res.values())
        info = json.loads((d / "run_info.json").read_text())
        walls = [r["wall_seconds"] for r in res.values()]
        assert info["stacked_runs"] == 6 and info["compute_seconds"] < sum(walls)
    assert sum("start 3 runs together of bin_majority/ape (1/1/16, <= 20 steps): seed 0 lr 1e-03, seed 1 lr 1e-03, "
               "seed 2 lr 1e-03" in line for line in lines) == 2


def test_the_stack_option_reaches_reproduce_and_the_plan(tmp_path, monkeypatch, capsys):
    import lengen.experiments.reproduce as R

    seen = {}

    def fake(plan, out, **kw):
        seen.update(kw)
        return {"execution": R.Execution()}

    monkeypatch.setattr(R, "reproduce", fake)
    assert reproduce_main(["--profile", "smoke", "--device", "cpu", "--out", str(tmp_path), "--stack"]) == 0
    assert seen["stack"] is True and seen["options"]["stack"] is True
    assert "--stack is meant for GPUs" in capsys.readouterr().err
    assert reproduce_main(["--profile", "smoke", "--device", "cpu", "--out", str(tmp_path)]) == 0
    assert seen["stack"] is False


def test_stacking_trains_the_learning_rates_of_a_sweep_shape_together(tmp_path):
    """The sweep's configurations that differ only in the learning rate train as one stack (same
    seed), the selected seeds as another, and the outcome equals separate runs'."""
    a, b = Arch(1, 1, 16, 1e-3, 20), Arch(1, 1, 16, 1e-4, 20)
    groups = (GroupPlan("tomita1", "ape", (a, b), (0, 1, 2), 3, TINY, sweep_early_stop=False),)
    plan = Plan("tiny-sweep-stack", groups)
    reproduce(plan, tmp_path / "separate", device="cpu", argv=["test"], log=quiet)
    lines = []
    reproduce(plan, tmp_path / "stacked", device="cpu", argv=["test"], log=lines.append, stack=True)
    assert (tmp_path / "stacked" / "table.csv").read_text() == (tmp_path / "separate" / "table.csv").read_text()
    starts = [line for line in lines if "start" in line]
    assert starts == ["  start 2 runs together of tomita1/ape (1/1/16, <= 20 steps): seed 0 lr 1e-03, seed 0 lr 1e-04",
                      "  start 2 runs together of tomita1/ape (1/1/16, <= 20 steps): seed 1 lr 1e-03, seed 2 lr 1e-03"]
    res = load_results(tmp_path / "stacked")
    assert res[run_id("tomita1", "ape", b, 0)]["stack"]["lrs"] == [1e-3, 1e-4]
