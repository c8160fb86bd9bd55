"""The C-RASP program editor: the pure function and the thin ipywidgets wrapper."""

from __future__ import annotations

import re

import pytest

from lengen.crasp import Trace, library
from lengen.widgets.crasp_editor import (
    DEFAULT_INPUT,
    DEFAULT_PROGRAM,
    CRASPEditor,
    render,
    run_program_text,
)


def test_default_program_gives_a_real_trace() -> None:
    result = run_program_text(DEFAULT_PROGRAM, DEFAULT_INPUT)
    assert isinstance(result, Trace)
    assert result.tokens == DEFAULT_INPUT.split()
    # "1 0 1 1 0": three 1s against two 0s, so next_1 holds at <sep> and nowhere else
    assert result.row("next_1") == [False] * (len(result.tokens) - 1) + [True]
    assert not any(result.row("next_0"))
    assert result.row("ones")[-1] == 3 and result.row("zeros")[-1] == 2


def test_syntax_error_names_line_and_column() -> None:
    text = "ones := #[j <= i] Q(1)\nbad := ones >\n"
    result = run_program_text(text, "1 0")
    assert isinstance(result, str)
    assert re.search(r"line 2, column \d+", result), result
    assert "syntax" in result


def test_type_and_name_errors_are_messages() -> None:
    r1 = run_program_text("x := Q(a) + 1", "a")
    assert isinstance(r1, str) and "line 1" in r1 and "type" in r1
    r2 = run_program_text("x := y and Q(a)", "a")
    assert isinstance(r2, str) and "line 1" in r2 and "y" in r2


def test_vocabulary_restricts_program_and_input() -> None:
    r1 = run_program_text("x := Q(c)", "a b", vocab=["a", "b"])
    assert isinstance(r1, str) and "vocabulary" in r1
    r2 = run_program_text("x := Q(a)", "a c", vocab=["a", "b"])
    assert isinstance(r2, str) and r2.startswith("input:") and "'c'" in r2
    r3 = run_program_text("x := Q(a)", "a b", vocab=["a", "b"])
    assert isinstance(r3, Trace) and r3.row("x") == [True, False]


@pytest.mark.parametrize("program, text", [("", "a"), ("// only a comment\n", "a"), ("x := Q(a)", "   ")])
def test_empty_program_or_input(program: str, text: str) -> None:
    result = run_program_text(program, text)
    assert isinstance(result, str) and "empty" in result


def test_offset_moves_periodic_predicates() -> None:
    text = "even := i % 2 == 0"
    assert run_program_text(text, "a a a").row("even") == [False, True, False]
    assert run_program_text(text, "a a a", offset=1).row("even") == [True, False, True]
    assert isinstance(run_program_text(text, "a", offset=-1), str)


def test_library_program_runs() -> None:
    result = run_program_text(library.generated_text("majority"), "<bos> a b a <sep>")
    assert isinstance(result, Trace) and result.row("next_a")[-1]


def test_render_shows_values_as_text() -> None:
    html = render(run_program_text(DEFAULT_PROGRAM, DEFAULT_INPUT))
    assert "C-RASP[]" in html and "<table" in html
    # values are written in the cells, not only carried by colour
    assert ">1</td>" in html and ">0</td>" in html and ">3</td>" in html
    err = render("line 1, column 3: syntax error: <oops>")
    assert "Error" in err and "&lt;oops&gt;" in err


def test_editor_first_render_and_update() -> None:
    pytest.importorskip("ipywidgets")
    ed = CRASPEditor()
    assert isinstance(ed.result, Trace) and "<table" in ed.output.value
    ed.program.value = "x := #[j <= i"
    assert isinstance(ed.result, str) and "Error" in ed.output.value
    ed.program.value = "even := i % 2 == 0"
    ed.input.value = "a a"
    assert ed.result.row("even") == [False, True]


def test_editor_offset_slider() -> None:
    pytest.importorskip("ipywidgets")
    ed = CRASPEditor("even := i % 2 == 0", "a a", offset=0)
    assert ed.offset is not None
    ed.offset.value = 1
    assert ed.result.row("even") == [True, False]
    assert CRASPEditor().offset is None
