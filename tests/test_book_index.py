"""scripts/book_index.py: the generated definitions page, chapter dependencies and sessions."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import book_index  # noqa: E402
from myst_fences import blocks  # noqa: E402
from myst_samples import MYST_HEADER  # noqa: E402

HEADER = MYST_HEADER

TOC = """format: jb-book
root: book/intro
parts:
  - caption: Front matter
    chapters:
      - file: book/preface
  - caption: Part A
    numbered: true
    chapters:
      - file: notebooks/01_a
  - caption: Part B
    numbered: true
    chapters:
      - file: notebooks/02_b
  - caption: Back matter
    chapters:
      - file: book/definitions
      - file: book/instructor
"""

CHAPTER_A = HEADER + """
# Chapter A

```{prf:definition} Alpha
:label: def-alpha

Text.
```

````{prf:theorem} Beta | with a bar
:label: thm-beta
:nonumber:

```text
```{prf:lemma} not a block: inside a code block
```
````

```{prf:proof}
A proof is not listed.
```

:::{prf:lemma} Gamma
---
label: lem-gamma
---
Colon fence and YAML options.
:::

```{code-cell} ipython3
text = '''
:::{prf:theorem} Fake, inside a code cell
:label: thm-fake
'''
model = train(config)
```

````{exercise} One
:label: ex-one
````

````{solution-start} ex-one
````

```{code-cell} ipython3
x = 1
```

````{solution-end}
````

````{exercise} Two
:label: ex-two
````

```{solution} ex-two
In words.
```
"""

CHAPTER_B = HEADER + """
# Chapter B

Uses {prf:ref}`def-alpha`, {prf:ref}`the lemma <lem-gamma>` and {ref}`ex-one`, and {doc}`01_a`.

```{prf:corollary} Delta
:label: cor-delta
```

````{exercise} Three
:label: ex-three
````
"""


def _tree(root: Path) -> Path:
    (root / "notebooks").mkdir(parents=True)
    (root / "book").mkdir()
    (root / "_toc.yml").write_text(TOC)
    (root / "notebooks" / "01_a.md").write_text(CHAPTER_A)
    (root / "notebooks" / "02_b.md").write_text(CHAPTER_B)
    (root / "book" / "intro.md").write_text("# Intro\n\nSee {doc}`../notebooks/02_b`.\n")
    for name, marker in [("preface", "dependencies"), ("instructor", "sessions")]:
        (root / "book" / f"{name}.md").write_text(
            f"# {name}\n\n% BEGIN book_index: {marker}\nold\n% END book_index: {marker}\n\nAfter.\n"
        )
    (root / "book" / "definitions.md").write_text("stale\n")
    return root


def test_read_book_numbers_chapters_and_finds_statements_exercises_and_references(tmp_path):
    chapters = {c.page.as_posix(): c for c in book_index.read_book(_tree(tmp_path))}
    a, b = chapters["notebooks/01_a.md"], chapters["notebooks/02_b.md"]
    assert chapters["book/intro.md"].number is None and (a.number, b.number) == (1, 2)
    assert (a.part, b.part, a.title) == ("Part A", "Part B", "Chapter A")
    assert [(s.kind, s.label, s.title) for s in a.statements] == [
        ("definition", "def-alpha", "Alpha"),
        ("theorem", "thm-beta", "Beta | with a bar"),
        ("lemma", "lem-gamma", "Gamma"),
    ]
    assert [(e.label, e.solution) for e in a.exercises] == [("ex-one", "code"), ("ex-two", "text")]
    assert [(e.label, e.solution) for e in b.exercises] == [("ex-three", "none")]
    assert ("prf:ref", "lem-gamma") in b.references and ("doc", "01_a") in b.references
    assert a.trains_models and not b.trains_models


def test_generated_pages_on_a_small_book(tmp_path):
    root = _tree(tmp_path)
    assert set(book_index.stale(root)) == {book_index.DEFINITIONS, book_index.PREFACE, book_index.INSTRUCTOR}
    for path, text in book_index.outputs(root).items():
        (root / path).write_text(text)
    assert book_index.stale(root) == []

    definitions = (root / book_index.DEFINITIONS).read_text()
    for label in ["def-alpha", "thm-beta", "lem-gamma", "cor-delta"]:
        assert f"{{prf:ref}}`{label}`" in definitions
    assert "thm-fake" not in definitions and "Proof" not in definitions
    assert "Beta \\| with a bar" in definitions  # a bar would end the table cell
    assert "## 1. Chapter A" in definitions and "{doc}`../notebooks/01_a`" in definitions

    preface = (root / book_index.PREFACE).read_text()
    row_b = next(line for line in preface.splitlines() if line.startswith("| 2."))
    assert row_b == "| 2. {doc}`../notebooks/02_b` | {doc}`1 <../notebooks/01_a>` | none |"
    assert "old" not in preface and preface.endswith("After.\n")

    instructor = (root / book_index.INSTRUCTOR).read_text()
    assert "### Session 1: Part A" in instructor and "### Session 2: Part B" in instructor
    assert "| {ref}`ex-one` | One | {doc}`1 <../notebooks/01_a>` | code and explanation |" in instructor
    assert "| {ref}`ex-two` | Two | {doc}`1 <../notebooks/01_a>` | explanation |" in instructor
    assert "| 1. {doc}`../notebooks/01_a` | yes | 2 |" in instructor


def test_splice_needs_both_markers():
    with pytest.raises(ValueError, match="missing"):
        book_index.splice("# Page\n% BEGIN book_index: sessions\n", "sessions", "x")


def test_fences_skip_code_and_read_nested_blocks():
    found = [(b.name, b.label, b.depth) for b in blocks(CHAPTER_A) if b.name.startswith("prf:")]
    assert found == [
        ("prf:definition", "def-alpha", 0),
        ("prf:theorem", "thm-beta", 0),
        ("prf:proof", None, 0),
        ("prf:lemma", "lem-gamma", 0),
    ]


# --- the book itself ----------------------------------------------------------------------------


def test_generated_pages_are_up_to_date():
    assert book_index.stale() == [], "run `python scripts/book_index.py` (make book does) and commit the result"


_LABELLED = re.compile(
    r"^[ \t]*(?:`{3,}|:{3,})\{(?P<kind>prf:[\w-]+|exercise|exercise-start)\}[^\n]*\n"
    r"(?:[ \t]*:[\w-]+:[^\n]*\n)*?[ \t]*:label:[ \t]*(?P<label>\S+)",
    re.MULTILINE,
)


def _labels(kinds: tuple[str, ...]) -> dict[str, str]:
    """Labels of the pages of the book (notebooks/ and book/ pages in _toc.yml; that every
    chapter is in _toc.yml is checked by tests/test_project.py)."""
    from list_notebooks import toc_pages

    pages = [ROOT / p for p in toc_pages(ROOT) if p.parts[0] in ("notebooks", "book") and p.suffix == ".md"]
    found = {}
    for page in pages:
        for match in _LABELLED.finditer(page.read_text(encoding="utf-8")):
            if match["kind"].startswith(kinds) and match["kind"] != "prf:proof":
                found[match["label"]] = page.relative_to(ROOT).as_posix()
    return found


def test_definitions_page_lists_every_labelled_statement():
    labels = _labels(("prf:",))
    assert labels, "no {prf:...} blocks with labels found"
    text = (ROOT / book_index.DEFINITIONS).read_text(encoding="utf-8")
    missing = {label: page for label, page in labels.items() if f"{{prf:ref}}`{label}`" not in text}
    assert not missing, f"not in {book_index.DEFINITIONS}; run `python scripts/book_index.py`: {missing}"


def test_instructor_page_lists_every_exercise():
    labels = _labels(("exercise",))
    assert labels
    text = (ROOT / book_index.INSTRUCTOR).read_text(encoding="utf-8")
    missing = {label: page for label, page in labels.items() if f"{{ref}}`{label}`" not in text}
    assert not missing, f"not in {book_index.INSTRUCTOR}; run `python scripts/book_index.py`: {missing}"
