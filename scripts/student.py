#!/usr/bin/env python3
"""Student versions of the chapters: the same notebooks with the solutions taken out.

What is removed from a MyST Markdown page:

- every gated solution, from its ``{solution-start}`` fence to the end of its ``{solution-end}``
  fence, with the code cells between them;
- every ``{solution}`` directive (backtick, tilde or colon fence).

Everything else stays, in order: the text, every code cell outside a solution (the chapter's
own checks and any starter code or checks of an exercise), the ``{exercise}`` statements and
gated ``{exercise-start}`` / ``{exercise-end}`` exercises. Where a removed solution held code, an
empty code cell takes its place, for the student's answer. A chapter whose later cells use a
name defined only in a solution would stop running; ``make test-student`` executes the student
versions to catch that.

Usage: ``python scripts/student.py [--out DIR] [--page PATH ...]`` writes, for every notebook
page of ``_toc.yml`` (or the pages given), ``DIR/<page>.md`` and the paired ``DIR/<page>.ipynb``
(default ``DIR``: ``_build/student``), and a ``README.md`` listing them.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from myst_fences import blocks  # noqa: E402

DEFAULT_OUT = Path("_build") / "student"
PLACEHOLDER = "# {label}: your answer here"


@dataclass(frozen=True)
class Span:
    """Lines ``start``..``end`` (inclusive) of a page hold the solution of exercise ``label``;
    ``code_cells`` is the number of code cells among them."""

    start: int
    end: int
    label: str
    code_cells: int


def solution_spans(text: str) -> list[Span]:
    """The solutions of a page, in order. Raises ``ValueError`` on an unclosed solution or a
    ``solution-start`` without its ``solution-end`` (or the reverse)."""
    found = blocks(text)
    spans: list[Span] = []
    pending = None  # an open solution-start gate
    for block in found:
        if block.name not in ("solution", "solution-start", "solution-end"):
            continue
        line = block.start + 1
        if not block.closed:
            raise ValueError(f"line {line}: the {{{block.name}}} fence is never closed")
        if block.name == "solution-end":
            if pending is None:
                raise ValueError(f"line {line}: {{solution-end}} without a {{solution-start}}")
            start, label = pending
            spans.append(Span(start, block.end, label, 0))
            pending = None
        elif pending is not None:
            raise ValueError(f"line {line}: {{{block.name}}} inside the gated solution of line {pending[0] + 1}")
        elif block.name == "solution-start":
            pending = (block.start, block.argument)
        else:
            spans.append(Span(block.start, block.end, block.argument, 0))
    if pending is not None:
        raise ValueError(f"line {pending[0] + 1}: {{solution-start}} without a {{solution-end}}")
    # a {solution} nested in another removed block is removed with it
    outer = [s for s in spans if not any(o is not s and o.start <= s.start and s.end <= o.end for o in spans)]
    cells = [b for b in found if b.name == "code-cell"]
    return [Span(s.start, s.end, s.label, sum(s.start < c.start < s.end for c in cells)) for s in outer]


def _code_cell_language(text: str) -> str:
    for block in blocks(text):
        if block.name == "code-cell" and block.argument:
            return block.argument
    return "ipython3"


def student_text(text: str, placeholder: bool = True) -> str:
    """The page without its solutions (see the module docstring)."""
    spans = solution_spans(text)
    if not spans:
        return text
    lines = text.splitlines()
    language = _code_cell_language(text)
    out: list[str] = []
    k = 0
    for span in spans:
        out.extend(lines[k : span.start])
        while out and not out[-1].strip():
            out.pop()
        out.append("")
        if placeholder and span.code_cells:
            out += [f"```{{code-cell}} {language}", PLACEHOLDER.format(label=span.label), "```", ""]
        k = span.end + 1
        while k < len(lines) and not lines[k].strip():
            k += 1
    out.extend(lines[k:])
    return "\n".join(out).rstrip("\n") + "\n"


def write_student_page(source: Path, target_md: Path) -> list[Path]:
    """Write the student version of ``source`` to ``target_md`` and the paired ``.ipynb``."""
    import jupytext

    text = student_text(source.read_text(encoding="utf-8"))
    target_md.parent.mkdir(parents=True, exist_ok=True)
    target_md.write_text(text, encoding="utf-8")
    notebook = jupytext.reads(text, fmt="md:myst")
    target_ipynb = target_md.with_suffix(".ipynb")
    jupytext.write(notebook, target_ipynb, fmt="ipynb")
    return [target_md, target_ipynb]


def _readme(pages: list[Path]) -> str:
    listing = "\n".join(f"- `{p.with_suffix('.ipynb').as_posix()}` (text version `{p.as_posix()}`)" for p in pages)
    return (
        "# Student notebooks\n\n"
        "The book's chapters with the solutions to the exercises removed; the exercises, the\n"
        "chapters' code and their checks are unchanged. Each notebook needs the `lengen` package\n"
        "(`make install` in the repository, or `pip install -e .`). Open a `.ipynb` in JupyterLab\n"
        "and run it top to bottom; write your answers in the empty code cells that follow the\n"
        "exercises asking for code, or in new cells.\n\n"
        f"{listing}\n"
    )


def main(argv: list[str] | None = None) -> int:
    from list_notebooks import ROOT, notebook_pages

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT), help=f"output directory (default {DEFAULT_OUT})")
    parser.add_argument("--page", action="append", default=None, metavar="PATH",
                        help="convert only this page (repeatable; default: every notebook page of _toc.yml)")
    args = parser.parse_args(argv)

    pages = notebook_pages() if args.page is None else [Path(p) for p in args.page]
    out = Path(args.out)
    out = out if out.is_absolute() else ROOT / out
    written = []
    for page in pages:
        source = ROOT / page
        if not source.is_file():
            print(f"student: no such page: {page}", file=sys.stderr)
            return 2
        try:
            write_student_page(source, out / page)
        except ValueError as err:
            print(f"student: {page}: {err}", file=sys.stderr)
            return 1
        removed = len(solution_spans(source.read_text(encoding="utf-8")))
        print(f"student: {page} -> {(out / page).with_suffix('.ipynb')} ({removed} solution(s) removed)")
        written.append(page)
    (out / "README.md").write_text(_readme(written), encoding="utf-8")
    print(f"student: {len(written)} notebook(s) in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
