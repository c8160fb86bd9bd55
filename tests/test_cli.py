"""The command line: listings, training, evaluation and clear errors."""

import json
import subprocess
import sys

import pytest

from lengen.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_tasks_json_lists_every_task_with_its_prediction(capsys):
    code, out, _ = run(capsys, "tasks", "--json")
    assert code == 0
    tasks = json.loads(out)
    names = [t["name"] for t in tasks]
    assert names[:8] == ["bin_majority", "bin_majority_interleave", "majority", "sort", "unique_copy",
                         "repeat_copy", "parity", "addition"]
    assert len(tasks) == 8 + 17 + 7
    for t in tasks:
        assert {"name", "kind", "predicted"} <= set(t)
        assert set(t["predicted"]) == {"ape", "nope"}


def test_tasks_table_has_a_row_per_task(capsys):
    code, out, _ = run(capsys, "tasks", "--kind", "algorithmic")
    assert code == 0
    assert "unique_copy" in out and "repeat_copy" in out and "tomita1" not in out


def test_unknown_task_lists_the_known_ones_and_exits_2(capsys):
    code, _, err = run(capsys, "train", "--task", "copy_everything")
    assert code == 2
    assert "unknown task 'copy_everything'" in err and "bin_majority" in err


def test_impossible_length_range_exits_2(capsys):
    code, _, err = run(capsys, "train", "--task", "bin_majority", "--train-range", "60-50")
    assert code == 2 and "impossible length range" in err


def test_missing_cuda_is_a_clear_error(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, _, err = run(capsys, "train", "--task", "bin_majority", "--device", "cuda", "--steps", "1")
    assert code == 2 and "CUDA is not available" in err and "--device cpu" in err


def test_train_then_eval_round_trip(tmp_path, capsys):
    out_dir = tmp_path / "run"
    code, out, _ = run(capsys, "train", "--task", "bin_majority", "--steps", "30", "--examples", "40",
                       "--bins", "1-10,11-20", "--train-range", "1-10", "--out", str(out_dir), "--json")
    assert code == 0
    trained = json.loads(out)
    assert trained["steps"] <= 30 and set(trained["accuracy"]) == {"[1,10]", "[11,20]"}
    code, out, _ = run(capsys, "eval", str(out_dir / "checkpoint.pt"), "--examples", "40", "--json")
    assert code == 0
    assert json.loads(out)["accuracy"] == trained["accuracy"]  # same test sets, same model


def test_eval_of_a_missing_checkpoint_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, "eval", str(tmp_path / "nothing.pt"))
    assert code == 2 and "no checkpoint" in err


def test_cli_errors_print_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "lengen", "train", "--task", "nope"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "unknown task" in proc.stderr
