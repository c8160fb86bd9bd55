"""scripts/student.py: the student versions of the chapters (solutions removed, checks kept)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import student  # noqa: E402
from student import solution_spans, student_text  # noqa: E402
from myst_samples import MYST_HEADER  # noqa: E402

HEADER = MYST_HEADER

SAMPLE = HEADER + """
# A chapter

```{code-cell} ipython3
x = 1
```

## Exercises

````{exercise} First
:label: ex-first

Compute $x + 1$.
````

````{solution-start} ex-first
:class: dropdown
````

The answer is two.

```{code-cell} ipython3
answer = x + 1
assert answer == 2
```

````{solution-end}
````

````{exercise} Second
:label: ex-second

Explain why.
````

```{solution} ex-second
:class: dropdown

Because it is so.
```

:::{solution} ex-second
In colons, too.
:::

````{exercise-start} Third
:label: ex-third
````

Fill in `f`.

```{code-cell} ipython3
def f():
    return None  # starter code
```

```{code-cell} ipython3
check = f() is None  # the exercise's check
```

````{exercise-end}
````

```{code-cell} ipython3
# a fence inside a code cell is text, not a solution:
text = '''
````{solution-start} ex-first
'''
y = x + 2
assert y == 3
```

## References
"""


def _code(text: str) -> list[str]:
    notebook = jupytext.reads(text, fmt="md:myst")
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def test_solutions_are_found_with_their_exercise_and_code():
    spans = solution_spans(SAMPLE)
    assert [(s.label, s.code_cells) for s in spans] == [("ex-first", 1), ("ex-second", 0), ("ex-second", 0)]


def test_student_text_removes_every_solution_and_keeps_the_rest():
    out = student_text(SAMPLE)
    assert "The answer is two" not in out and "answer = x + 1" not in out
    assert "Because it is so" not in out and "In colons" not in out
    # the one fence left is the text inside the last code cell
    assert re.findall(r"^\S*\{solution.*$", out, re.MULTILINE) == ["````{solution-start} ex-first"]
    for kept in ["# A chapter", "Compute $x + 1$.", "Explain why.", "Fill in `f`.", ":label: ex-third",
                 "{exercise-start} Third", "{exercise-end}", "## References"]:
        assert kept in out, kept
    assert out.startswith(HEADER)
    assert "\n\n\n" not in out


def test_code_cells_outside_solutions_survive_in_order_with_a_placeholder_for_answers():
    cells = _code(student_text(SAMPLE))
    original = _code(SAMPLE)
    placeholder = student.PLACEHOLDER.format(label="ex-first")
    assert cells == [original[0], placeholder, original[2], original[3], original[4]]


def test_student_version_runs_top_to_bottom():
    namespace: dict = {}
    for source in _code(student_text(SAMPLE)):
        exec(compile(source, "<cell>", "exec"), namespace)
    assert namespace["check"] is True and "answer" not in namespace


def test_page_without_solutions_is_unchanged():
    text = HEADER + "\n# Title\n\n```{code-cell} ipython3\nx = 1\n```\n"
    assert student_text(text) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("````{solution-start} ex\n````\n\nText.\n", "without a {solution-end}"),
        ("````{solution-end}\n````\n", "without a {solution-start}"),
        ("```{solution} ex\nnever closed\n", "never closed"),
        ("````{solution-start} a\n````\n````{solution-start} b\n````\n````{solution-end}\n````\n", "inside the gated"),
    ],
)
def test_malformed_solutions_are_reported(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        student_text(text)


# --- every chapter ----------------------------------------------------------------------------

CHAPTERS = sorted((ROOT / "notebooks").glob("*.md"))
# Independent of the module under test: the solution regions, found by regular expressions.
_GATED = re.compile(
    r"^(?P<f>`{3,}|:{3,})\{solution-start\}.*?^(?P=f)\{solution-end\}[^\n]*\n(?P=f)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_DIRECTIVE = re.compile(r"^(?P<f>`{3,}|:{3,}|~{3,})\{solution\}.*?^(?P=f)[ \t]*$", re.MULTILINE | re.DOTALL)
_EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise(?:-start)?\}[^\n]*\n(?:[ \t]*:[\w-]+:[^\n]*\n)*", re.MULTILINE)


@pytest.mark.parametrize("page", CHAPTERS, ids=lambda p: p.name)
def test_student_version_of_every_chapter(page):
    source = page.read_text(encoding="utf-8")
    out = student_text(source)
    assert not re.search(r"\{solution(-start|-end)?\}", out), "a solution survived"

    # every exercise statement survives, verbatim
    for match in _EXERCISE.finditer(source):
        block = next(b for b in student.blocks(source) if b.start == source[: match.start()].count("\n"))
        statement = "\n".join(source.splitlines()[block.start : block.end + 1])
        assert statement in out, f"{page.name}: the exercise at line {block.start + 1} is not kept verbatim"

    # every code cell outside a solution (the chapter's checks, exercise starter code and
    # checks) survives in order; gated solutions with code leave one placeholder cell each
    without = _DIRECTIVE.sub("", _GATED.sub("", source))
    expected = _code(without)
    placeholders = [c for c in _code(out) if c.startswith("# ") and c.endswith(": your answer here")]
    kept = [c for c in _code(out) if c not in placeholders]
    assert kept == expected, f"{page.name}: code cells outside the solutions changed"
    gated_with_code = [m for m in _GATED.finditer(source) if "{code-cell}" in m.group(0)]
    assert len(placeholders) == len(gated_with_code)
    assert "assert" in "".join(kept), f"{page.name}: the chapter's checks are gone"


def test_the_chapters_have_solutions_to_remove():
    removed = sum(len(solution_spans(p.read_text(encoding="utf-8"))) for p in CHAPTERS)
    assert removed > 0


def test_main_writes_notebooks_and_readme(tmp_path):
    page = "notebooks/03_crasp.md"
    assert student.main(["--out", str(tmp_path), "--page", page]) == 0
    notebook = nbformat.read(tmp_path / "notebooks" / "03_crasp.ipynb", as_version=4)
    nbformat.validate(notebook)
    text = "".join(cell.source for cell in notebook.cells)
    assert "solution" not in text and "{exercise}" in text
    assert (tmp_path / page).read_text(encoding="utf-8") == student_text((ROOT / page).read_text(encoding="utf-8"))
    assert "03_crasp.ipynb" in (tmp_path / "README.md").read_text(encoding="utf-8")


def test_notebook_runner_prepares_student_versions(tmp_path):
    import test_notebooks

    pages = [Path("notebooks/04_positions.md")]
    (notebook,) = test_notebooks.prepare(pages, tmp_path / "nbtest", student=True)
    cells = nbformat.read(notebook, as_version=4).cells
    assert not any("solution" in cell.source for cell in cells)
    assert any("{exercise}" in cell.source for cell in cells)
