"""Trace tables as text and HTML."""

from __future__ import annotations

from lengen.crasp import parse, trace

PROG = parse("ones := #[j <= i] Q(1)\nnext_1 := 2 * ones > #[j <= i] true\n")


def test_text_trace_has_one_aligned_row_per_definition_and_a_column_per_position() -> None:
    text = trace(PROG, "<bos> 1 0 1 1").to_text()
    lines = text.splitlines()
    assert lines[0].split() == ["position", "1", "2", "3", "4", "5"]
    assert lines[1].split() == ["token", "<bos>", "1", "0", "1", "1"]
    assert lines[2].split() == ["ones", "0", "1", "1", "2", "3"]
    assert lines[3].split() == ["next_1", "0", "0", "0", "0", "1"]
    # right-aligned columns: every row ends at the same width
    assert len({len(line) for line in lines}) == 1


def test_booleans_can_be_printed_as_t_and_f() -> None:
    assert trace(PROG, "1 0").to_text(booleans="TF").splitlines()[-1].split() == ["next_1", "T", "F"]


def test_long_inputs_are_elided_in_the_middle() -> None:
    tr = trace(PROG, " ".join(["1"] * 500))
    lines = tr.to_text(max_columns=10).splitlines()
    assert lines[0].split() == ["position", "1", "2", "3", "4", "5", "…", "496", "497", "498", "499", "500"]
    assert lines[2].split()[-1] == "500"


def test_offset_adds_an_absolute_position_row() -> None:
    assert trace(PROG, "1 1", offset=10).to_text().splitlines()[1].split() == ["absolute", "11", "12"]


def test_html_trace_is_a_coloured_table_with_escaped_tokens_and_definitions_as_tooltips() -> None:
    html = trace(PROG, "<bos> 1 1")._repr_html_()
    assert html.startswith("<table") and html.endswith("</table>")
    assert "&lt;bos&gt;" in html and "<bos>" not in html
    assert 'title="ones := #[j &lt;= i] Q(1)  (count)"' in html
    assert "background:#b7e4b0" in html  # a true cell
    assert "font-weight:bold" in html  # the output row


def test_json_trace_maps_names_to_python_values() -> None:
    assert trace(PROG, "1 0").to_json() == {"ones": [1, 1], "next_1": [True, False]}
