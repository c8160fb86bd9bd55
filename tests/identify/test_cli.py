"""``lengen predict`` (through its own parser, so that it does not depend on the wiring)."""

from __future__ import annotations

import argparse
import json
import textwrap

import pytest

from lengen.identify.cli import add_predict_parser, auto_n


def _run(argv, capsys):
    parser = argparse.ArgumentParser(prog="lengen")
    sub = parser.add_subparsers(dest="command", required=True)
    add_predict_parser(sub)
    args = parser.parse_args(["predict", *argv])
    rc = args.func(args)
    out = capsys.readouterr()
    return rc, out.out, out.err


def _file(tmp_path, name, body):
    p = tmp_path / name
    p.write_text(textwrap.dedent(body))
    return str(p)


MAJ = """
    ALPHABET = "ab"

    def label(s: str) -> bool:
        return s.count("a") > s.count("b")
"""


def test_task_file_with_a_program(tmp_path, capsys):
    path = _file(tmp_path, "maj.py", MAJ)
    rc, out, err = _run(["--from-file", path, "--max-size", "6", "--n", "5"], capsys)
    assert rc == 0, err
    assert "accept := #[j <= i] Q(b) < #[j <= i] Q(a)" in out
    assert "predicts length generalization with APE and with NoPE" in out


def test_json_output(tmp_path, capsys):
    path = _file(tmp_path, "maj.py", MAJ)
    rc, out, _ = _run(["--from-file", path, "--max-size", "6", "--n", "5", "--json"], capsys)
    data = json.loads(out)
    assert rc == 0 and data["status"] == "found" and data["size"] == 5
    assert data["prediction"] == {"ape": True, "nope": True, "statement": data["prediction"]["statement"]}
    assert data["check"]["accuracy"] == 1.0 and data["check"]["max_len"] == 40


def test_lengen_task_needing_periodic_predicates(capsys):
    rc, out, _ = _run(["aa_star", "--fragment", "periodic", "--moduli", "2", "--max-size", "6", "--json"], capsys)
    data = json.loads(out)
    assert rc == 0 and data["program_fragment"] == "C-RASP[periodic]"
    assert data["prediction"]["ape"] is True and data["prediction"]["nope"] is False
    assert "not with NoPE" in data["prediction"]["statement"]


def test_no_program_reports_communication(tmp_path, capsys):
    path = _file(tmp_path, "parity.py", 'ALPHABET = "01"\ndef label(s):\n    return s.count("1") % 2 == 0\n')
    rc, out, _ = _run(["--from-file", path, "--fragment", "none", "--max-size", "5", "--n", "5"], capsys)
    assert rc == 0
    assert "no program up to size 5 in C-RASP[]" in out
    assert "n=2: 2" in out and "growth: bounded" in out


@pytest.mark.parametrize(
    "body,message",
    [
        ("def label(s):\n    return True\n", "does not define ALPHABET"),
        ('ALPHABET = "ab"\n', "does not define a function label"),
        ('ALPHABET = "ab"\ndef label(s, t):\n    return True\n', "exactly one argument"),
        ('ALPHABET = "ab"\ndef label(s):\n    return 1 / (len(s) - 2) > 0\n', "raised ZeroDivisionError"),
        ('ALPHABET = "ab"\ndef label(s):\n    return "yes"\n', "must return a bool"),
        ('ALPHABET = "ab"\ndef label(s) return True\n', "syntax error at line 2"),
        ('ALPHABET = 3\ndef label(s):\n    return True\n', "ALPHABET must be a str"),
        ('ALPHABET = "aa"\ndef label(s):\n    return True\n', "repeated symbol"),
        ('ALPHABET = "ab"\nlabel = 5\n', "not a function"),
        ('raise RuntimeError("boom")\n', "raised RuntimeError: boom"),
    ],
)
def test_bad_task_files(tmp_path, capsys, body, message):
    path = _file(tmp_path, "bad.py", body)
    rc, out, err = _run(["--from-file", path, "--max-size", "3", "--n", "3"], capsys)
    assert rc == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lengen predict: error:") and message in lines[0], err
    assert "Traceback" not in err


def test_bad_invocations(tmp_path, capsys):
    rc, _, err = _run(["no_such_task"], capsys)
    assert rc == 2 and "unknown task" in err
    rc, _, err = _run(["repeat_copy"], capsys)
    assert rc == 2 and "Boolean per-position target" in err
    rc, _, err = _run(["--from-file", str(tmp_path / "missing.py")], capsys)
    assert rc == 2 and "no such task file" in err
    rc, _, err = _run([], capsys)
    assert rc == 2 and "give a task name" in err
    rc, _, err = _run(["aa_star", "--fragment", "global"], capsys)
    assert rc == 2 and "unknown fragment" in err


def test_auto_n():
    from lengen.identify.targets import predicate_target

    t = predicate_target(bool, "ab")
    assert auto_n(t) == 11  # all words up to length 11: 2**12 - 1 = 4095 positions
    assert auto_n(t, phases=12) == 7  # 255 words x 12 phases = 3060 positions
