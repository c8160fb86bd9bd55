"""The `lengen crasp` subcommands, called in-process."""

from __future__ import annotations

import argparse
import json

import pytest

from lengen.crasp.cli import add_crasp_parser


def call(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lengen")
    add_crasp_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["crasp", *argv])
    return args.func(args)


@pytest.fixture
def majority_file(tmp_path):  # type: ignore[no-untyped-def]
    p = tmp_path / "maj.crasp"
    p.write_text("ones := #[j <= i] Q(1)\nzeros := #[j <= i] Q(0)\nnext_1 := Q(<sep>) and ones > zeros\n"
                 "next_0 := Q(<sep>) and zeros > ones\nnext_<eos> := exists[j <= i] Q(<sep>) and not Q(<sep>)\n")
    return p


def test_run_prints_the_trace(majority_file, capsys) -> None:  # type: ignore[no-untyped-def]
    assert call(["run", str(majority_file), "--input", "<bos> 1 0 1 <sep>"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["token", "<bos>", "1", "0", "1", "<sep>"]
    assert out[-3].split() == ["next_1", "0", "0", "0", "0", "1"]


def test_run_json_maps_every_definition_to_json_booleans_and_integers(majority_file, capsys) -> None:  # type: ignore[no-untyped-def]
    assert call(["run", str(majority_file), "--input", "<bos> 1 0 1 <sep>", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["ones", "zeros", "next_1", "next_0", "next_<eos>"]
    assert data["ones"] == [0, 1, 1, 2, 2] and data["next_1"] == [False, False, False, False, True]


def test_run_accepts_library_program_names_and_offsets(capsys) -> None:  # type: ignore[no-untyped-def]
    assert call(["run", "aa_star", "--input", "<bos> a a", "--offset", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accept"] == [True, False, True]


def test_info_text_and_json(majority_file, capsys) -> None:  # type: ignore[no-untyped-def]
    assert call(["info", str(majority_file)]) == 0
    assert "fragment:    C-RASP[]" in capsys.readouterr().out
    assert call(["info", "tomita4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["fragment"] == "C-RASP[local]" and data["depth"] == 2 and data["max_distance"] == 2


def test_check_exits_0_on_success_and_1_on_a_counterexample(majority_file, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert call(["check", str(majority_file), "--task", "bin_majority", "--random", "20", "--max-len", "60"]) == 0
    assert capsys.readouterr().out.startswith("ok:")
    wrong = tmp_path / "wrong.crasp"
    wrong.write_text(majority_file.read_text().replace("ones > zeros", "ones < zeros"))
    assert call(["check", str(wrong), "--task", "bin_majority", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["counterexample"]["token"] == "<sep>"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["info", "no/such/file.crasp"], "no such file: no/such/file.crasp"),
        (["check", "d2", "--task", "no_such_task"], "unknown task 'no_such_task'"),
        (["run", "bin_majority", "--input", "<bos> 2", "--vocab-from-task", "bin_majority"], "'2'"),
    ],
)
def test_errors_print_one_line_to_stderr_and_exit_2(argv, message, capsys) -> None:  # type: ignore[no-untyped-def]
    assert call(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("lengen crasp: error:") and message in err and err.count("\n") == 1
    assert "Traceback" not in err


def test_malformed_program_errors_give_file_line_and_column(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.crasp"
    bad.write_text("x := #[j <= i] Q(a)\ny := x and\n")
    assert call(["info", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}, line 2, column 11: syntax error: expected an expression" in err


def test_token_outside_the_task_vocabulary_in_the_program(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "p.crasp"
    p.write_text("next_1 := Q(2)\n")
    assert call(["run", str(p), "--input", "<bos> 1", "--vocab-from-task", "bin_majority"]) == 2
    assert "line 1, column 11: vocabulary error" in capsys.readouterr().err


def test_the_main_lengen_cli_wires_the_crasp_command(capsys) -> None:  # type: ignore[no-untyped-def]
    try:
        from lengen.cli import main
    except ImportError:  # pragma: no cover - the main CLI is another developer's file
        pytest.skip("lengen.cli not available")
    assert main(["crasp", "info", "d2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fragment"] == "C-RASP[]"
