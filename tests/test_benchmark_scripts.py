"""The speed benchmarks' own plumbing: they must run, and their equivalence checks must hold.

``train_speed.py`` compares against Hugging Face ``transformers`` (the optional ``bench`` extra),
so its tests are skipped where that is not installed, as in the default test environment.
``batched_seeds.py`` needs only lengen."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _restore_torch_threads():
    import torch

    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)  # the benchmark sets its own thread count


def _load_train_speed():
    pytest.importorskip("transformers")
    spec = importlib.util.spec_from_file_location("train_speed", ROOT / "benchmarks" / "train_speed.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_speed"] = module
    spec.loader.exec_module(module)
    return module


def test_train_speed_check_finds_lengen_and_hugging_face_equal():
    ts = _load_train_speed()
    assert ts.main(["--check", "--configs", "bin_majority"]) == 0


def test_train_speed_writes_a_result_with_every_model_timed(tmp_path):
    ts = _load_train_speed()
    out = tmp_path / "speed.json"
    assert ts.main(["--quick", "--repeats", "1", "--configs", "bin_majority", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    row = result["results"][0]
    assert row["config"]["name"] == "bin_majority"
    timed = row["train_tokens_per_s"]
    assert set(timed) == {"lengen", "lengen_full", "hf"} and all(v > 0 for v in timed.values())
    assert row["train_ratio"] == pytest.approx(timed["lengen"] / timed["hf"])
    assert row["train_ratio_full_forward"] == pytest.approx(timed["lengen_full"] / timed["hf"])
    assert row["check"]["supervised_rows_vs_full"]["max_abs_grad_diff"] < 1e-4
    assert result["lengen_onednn_linear"] in (True, False)


def test_train_speed_rejects_an_unknown_configuration():
    ts = _load_train_speed()
    with pytest.raises(SystemExit) as e:
        ts.main(["--check", "--configs", "no_such_config"])
    assert "unknown config" in str(e.value.code)


def test_batched_seeds_checks_the_stack_and_times_whole_runs(tmp_path):
    spec = importlib.util.spec_from_file_location("batched_seeds", ROOT / "benchmarks" / "batched_seeds.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "b.json"
    assert module.main(["--quick", "--steps", "4", "--repeats", "1", "--check-steps", "4", "--seeds", "2",
                        "--protocol", "--protocol-steps", "8", "--out", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["checks"][0]["ok"] and d["checks"][0]["max_diff_same_seed"] < 1e-4
    (t,) = d["timings"]
    (w,) = d["protocol_timings"]
    assert t["ratio"] > 0 and w["ratio"] > 0 and w["steps_run"][0] == {"separate": [8, 8], "stacked": [8, 8],
                                                                       "same_accuracy": [True, True]}


def test_data_speed_finds_both_collates_equal_and_times_them(tmp_path):
    spec = importlib.util.spec_from_file_location("data_speed", ROOT / "benchmarks" / "data_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "d.json"
    assert module.main(["--quick", "--repeats", "1", "--steps", "5", "--out", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["check"] == {"tasks": 32, "identical": True}
    assert [b["task"] for b in d["batches"]] == ["bin_majority", "majority"] and d["runs"][0]["ratio"] > 0
