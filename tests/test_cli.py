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


BAD_NUMBERS = [
    (["train", "--task", "bin_majority", "--steps", "0"], "--steps", ">= 1"),
    (["train", "--task", "bin_majority", "--eval-every", "0"], "--eval-every", ">= 1"),
    (["train", "--task", "bin_majority", "--batch-size", "0"], "--batch-size", ">= 1"),
    (["train", "--task", "bin_majority", "--heads", "0"], "--heads", ">= 1"),
    (["train", "--task", "bin_majority", "--d-model", "0"], "--d-model", ">= 1"),
    (["train", "--task", "bin_majority", "--examples", "0"], "--examples", ">= 1"),
    (["train", "--task", "bin_majority", "--early-stop-examples", "0"], "--early-stop-examples", ">= 1"),
    (["train", "--task", "bin_majority", "--curve", "-1"], "--curve", ">= 0"),
    (["train", "--task", "bin_majority", "--seed", "-1"], "--seed", ">= 0"),
    (["train", "--task", "bin_majority", "--lr", "0"], "--lr", "> 0"),
    (["train", "--task", "bin_majority", "--lr", "nan"], "--lr", "> 0"),
    (["train", "--task", "bin_majority", "--steps", "1.5"], "--steps", "integer"),
    (["eval", "somewhere", "--examples", "0"], "--examples", ">= 1"),
    (["crasp", "check", "bin_majority", "--task", "bin_majority", "--max-len", "-1"], "--max-len", ">= 1"),
    (["crasp", "compile", "bin_majority", "--check", "--random", "0"], "--random", ">= 1"),
    (["predict", "parity", "--time-limit", "-1"], "--time-limit", "> 0"),
    (["reproduce", "--dry-run", "--workers", "-1"], "--workers", ">= 0"),
    (["positional", "study", "--tau", "0"], "--tau", ">= 1"),
]


@pytest.mark.parametrize("argv,option,rule", BAD_NUMBERS, ids=[" ".join(a[:2]) + " " + a[-2] for a, _, _ in BAD_NUMBERS])
def test_an_impossible_number_is_rejected_before_anything_runs(capsys, argv, option, rule):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert f"argument {option}: must be" in err and rule in err and "Traceback" not in err


def test_a_bad_number_from_the_shell_prints_one_line_and_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "lengen", "train", "--task", "bin_majority", "--eval-every", "0"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "lengen train: error: argument --eval-every: must be an integer >= 1, got 0"


def test_early_stop_examples_reaches_the_training_config(tmp_path, capsys):
    code, out, _ = run(capsys, "train", "--task", "bin_majority", "--steps", "4", "--eval-every", "2",
                       "--early-stop-examples", "7", "--examples", "5", "--bins", "1-5", "--train-range", "1-5",
                       "--out", str(tmp_path / "run"), "--json")
    assert code == 0 and json.loads(out)["config"]["early_stop_examples"] == 7
