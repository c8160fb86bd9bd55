#!/usr/bin/env python3
"""Indexes of the book, generated from its pages so that they never fall behind the chapters.

Every page listed in ``_toc.yml`` is read (with ``myst_fences``, which skips code cells), and
three things are written:

- ``book/definitions.md``, the whole page: every ``{prf:...}`` block (definition, theorem,
  lemma, ...; not proofs) chapter by chapter, with its kind, title, label and a ``{prf:ref}``
  link;
- in ``book/preface.md``, between the ``% BEGIN book_index: dependencies`` and ``% END ...``
  lines: which chapters each chapter builds on and which it looks ahead to, read off its
  cross-references (``{prf:ref}``, ``{ref}`` to an exercise, ``{doc}``) to other chapters;
- in ``book/instructor.md``, between the ``sessions`` markers: one session per numbered part of
  the table of contents, with its chapters and, for every exercise, a ``{ref}`` link and the
  form of its solution.

A file is rewritten only when its content changes. ``make book`` runs this script before the
build; ``--check`` writes nothing and exits with status 1 when a file is out of date
(``tests/test_book_index.py`` runs that check).

Usage: ``python scripts/book_index.py [--check]``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from list_notebooks import ROOT, TOC, _resolve, is_notebook  # noqa: E402
from myst_fences import blocks, front_matter_end, literal_lines  # noqa: E402
from student import solution_spans  # noqa: E402

DEFINITIONS = Path("book") / "definitions.md"
PREFACE = Path("book") / "preface.md"
INSTRUCTOR = Path("book") / "instructor.md"
NOT_INDEXED = {"proof"}  # prf: directives that are not statements
_ROLE = re.compile(r"\{(?P<role>prf:ref|ref|doc|numref)\}`(?P<target>[^`]+)`")
_TRAINS = re.compile(r"\b(train|train_and_measure|TrainingWidget)\(")


# --- reading the book ----------------------------------------------------------------------


@dataclass
class Chapter:
    """A page of the table of contents. ``number`` is its chapter number when it is a chapter
    of a numbered part (counted across parts, as the book numbers them), else ``None``."""

    page: Path
    title: str
    part: str = ""
    number: int | None = None
    statements: list[Statement] = field(default_factory=list)
    exercises: list[Exercise] = field(default_factory=list)
    references: list[tuple[str, str]] = field(default_factory=list)  # (role, target)
    trains_models: bool = False

    @property
    def name(self) -> str:
        return f"{self.number}. {self.title}" if self.number is not None else self.title


@dataclass(frozen=True)
class Statement:
    kind: str  # definition, theorem, lemma, ...
    title: str
    label: str | None
    line: int  # 1-based


@dataclass(frozen=True)
class Exercise:
    label: str | None
    title: str
    solution: str  # "code", "text" or "none"
    line: int


def _toc_entries(root: Path) -> list[tuple[str, str, bool, bool]]:
    """(file, part caption, numbered part, chapter level) for every page of the toc, in order."""
    toc = yaml.safe_load((root / TOC).read_text(encoding="utf-8"))
    entries = [(str(toc["root"]), "", False, False)] if "root" in toc else []

    def visit(items: list, caption: str, numbered: bool, level: int) -> None:
        for item in items or []:
            if not isinstance(item, dict):
                continue
            if "file" in item:
                entries.append((str(item["file"]), caption, numbered, level == 0))
            for key in ("sections", "chapters"):
                if key in item:
                    visit(item[key], caption, numbered, level + 1)

    for part in toc.get("parts", []) or []:
        visit(part.get("chapters", []), str(part.get("caption", "")), bool(part.get("numbered")), 0)
    visit(toc.get("chapters", []), "", bool(toc.get("defaults", {}).get("numbered")), 0)
    return entries


def page_title(text: str, fallback: str) -> str:
    lines = text.splitlines()
    skip = literal_lines(text)
    for k in range(front_matter_end(lines), len(lines)):
        if k not in skip and lines[k].startswith("# "):
            return lines[k][2:].strip()
    return fallback


def read_page(root: Path, page: Path) -> Chapter:
    text = (root / page).read_text(encoding="utf-8")
    chapter = Chapter(page=page, title=page_title(text, page.stem))
    found = blocks(text)
    solutions = {s.label: ("code" if s.code_cells else "text") for s in solution_spans(text)}
    for block in found:
        if block.name.startswith("prf:") and block.name[4:] not in NOT_INDEXED:
            chapter.statements.append(Statement(block.name[4:], block.argument, block.label, block.start + 1))
        elif block.name in ("exercise", "exercise-start"):
            chapter.exercises.append(
                Exercise(block.label, block.argument, solutions.get(block.label or "", "none"), block.start + 1)
            )
    lines = text.splitlines()
    skip = literal_lines(text)
    prose = "\n".join(line for k, line in enumerate(lines) if k not in skip)
    for match in _ROLE.finditer(prose):
        target = match["target"]
        inner = re.search(r"<([^<>]+)>\s*$", target)
        chapter.references.append((match["role"], (inner.group(1) if inner else target).strip()))
    code = "\n".join(lines[k] for b in found if b.name == "code-cell" for k in range(b.start + 1, b.end))
    chapter.trains_models = bool(_TRAINS.search(code))
    return chapter


def read_book(root: Path = ROOT) -> list[Chapter]:
    """Every page of the table of contents (Markdown pages only), in order."""
    chapters: list[Chapter] = []
    number = 0
    for name, caption, numbered, chapter_level in _toc_entries(root):
        page = _resolve(root, name)
        if page.suffix != ".md":
            continue
        chapter = read_page(root, page)
        chapter.part = caption
        if numbered and chapter_level:
            number += 1
            chapter.number = number
        chapters.append(chapter)
    return chapters


# --- rendering -----------------------------------------------------------------------------


def _link(page: Path, source: Path) -> str:
    """The target of a {doc} role in ``source`` that names ``page``."""
    return Path(os.path.relpath(page.with_suffix(""), source.parent)).as_posix()


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or " "


def _doc(chapter: Chapter, source: Path) -> str:
    prefix = f"{chapter.number}. " if chapter.number is not None else ""
    return f"{prefix}{{doc}}`{_link(chapter.page, source)}`"


def render_definitions(chapters: list[Chapter]) -> str:
    out = [
        "# Definitions and results",
        "",
        "Every definition, theorem and lemma of the book, chapter by chapter, in the order in which",
        "they appear. Each link leads to the statement; its proof or proof sketch, where the book",
        "gives one, follows it. This page is generated from the chapters by",
        "`scripts/book_index.py`, which `make book` runs before every build.",
        "",
    ]
    listed = [c for c in chapters if c.statements]
    if not listed:
        out += ["The chapters have no numbered statements yet.", ""]
    for chapter in listed:
        link = f"{{doc}}`{_link(chapter.page, DEFINITIONS)}`"
        out += [f"## {chapter.name}", "", f"In the chapter {link}:", ""]
        out += ["| Statement | Kind | Title | Label |", "| --- | --- | --- | --- |"]
        for s in chapter.statements:
            link = f"{{prf:ref}}`{s.label}`" if s.label else "(no label)"
            label = f"`{s.label}`" if s.label else " "
            out.append(f"| {link} | {s.kind.capitalize()} | {_cell(s.title)} | {label} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _owners(chapters: list[Chapter]) -> tuple[dict[str, Chapter], dict[str, Chapter]]:
    """Which page defines each statement or exercise label; which page each doc name is."""
    labels: dict[str, Chapter] = {}
    for c in chapters:
        for item in [*c.statements, *c.exercises]:
            if item.label:
                labels[item.label] = c
    docs = {c.page.with_suffix("").as_posix(): c for c in chapters}
    return labels, docs


def dependencies(chapters: list[Chapter]) -> dict[Path, tuple[list[Chapter], list[Chapter]]]:
    """For every numbered chapter: the earlier and the later chapters it refers to."""
    labels, docs = _owners(chapters)
    numbered = [c for c in chapters if c.number is not None]
    result = {}
    for c in numbered:
        targets: list[Chapter] = []
        for role, target in c.references:
            if role == "doc":
                path = (c.page.parent / target).as_posix() if not target.startswith("/") else target[1:]
                other = docs.get(os.path.normpath(path).replace(os.sep, "/"))
            else:
                other = labels.get(target)
            if other is not None and other is not c and other.number is not None and other not in targets:
                targets.append(other)
        targets.sort(key=lambda o: o.number)
        result[c.page] = ([o for o in targets if o.number < c.number], [o for o in targets if o.number > c.number])
    return result


def render_dependencies(chapters: list[Chapter], source: Path = PREFACE) -> str:
    deps = dependencies(chapters)
    if not deps:
        return "The book has no numbered chapters yet.\n"

    def short(others: list[Chapter]) -> str:
        return ", ".join(f"{{doc}}`{o.number} <{_link(o.page, source)}>`" for o in others) or "none"

    out = ["| Chapter | Builds on chapters | Looks ahead to chapters |", "| --- | --- | --- |"]
    for c in chapters:
        if c.page in deps:
            before, after = deps[c.page]
            out.append(f"| {_doc(c, source)} | {short(before)} | {short(after)} |")
    return "\n".join(out) + "\n"


def render_sessions(chapters: list[Chapter], source: Path = INSTRUCTOR) -> str:
    parts: list[tuple[str, list[Chapter]]] = []
    for c in chapters:
        if c.number is None:
            continue
        if not parts or parts[-1][0] != c.part:
            parts.append((c.part, []))
        parts[-1][1].append(c)
    if not parts:
        return "The book has no numbered chapters yet.\n"
    form = {"code": "code and explanation", "text": "explanation", "none": "none"}
    out: list[str] = []
    for k, (caption, members) in enumerate(parts, start=1):
        out += [f"### Session {k}: {caption}" if caption else f"### Session {k}", ""]
        out += ["| Chapter | Trains models | Exercises |", "| --- | --- | --- |"]
        for c in members:
            n = len(c.exercises)
            out.append(f"| {_doc(c, source)} | {'yes' if c.trains_models else 'no'} | {n} |")
        out.append("")
        exercises = [(c, e) for c in members for e in c.exercises]
        if exercises:
            out += ["| Exercise | Title | Chapter | Solution |", "| --- | --- | --- | --- |"]
            for c, e in exercises:
                link = f"{{ref}}`{e.label}`" if e.label else "(no label)"
                where = f"{{doc}}`{c.number} <{_link(c.page, source)}>`"
                out.append(f"| {link} | {_cell(e.title)} | {where} | {form[e.solution]} |")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# --- writing -------------------------------------------------------------------------------


def _markers(name: str) -> tuple[str, str]:
    return f"% BEGIN book_index: {name}", f"% END book_index: {name}"


def splice(text: str, name: str, content: str) -> str:
    """``text`` with the lines between the two markers of ``name`` replaced by ``content``."""
    begin, end = _markers(name)
    lines = text.splitlines()
    try:
        start = next(k for k, line in enumerate(lines) if line.strip() == begin)
        stop = next(k for k in range(start + 1, len(lines)) if lines[k].strip() == end)
    except StopIteration:
        raise ValueError(f"the lines {begin!r} and {end!r} are missing") from None
    body = ["", *content.rstrip("\n").splitlines(), ""]
    return "\n".join([*lines[: start + 1], *body, *lines[stop:]]) + "\n"


def outputs(root: Path = ROOT) -> dict[Path, str]:
    """The new content of every generated file (relative path -> text)."""
    chapters = read_book(root)
    result = {DEFINITIONS: render_definitions(chapters)}
    for path, name, render in [(PREFACE, "dependencies", render_dependencies),
                               (INSTRUCTOR, "sessions", render_sessions)]:
        if (root / path).is_file():
            result[path] = splice((root / path).read_text(encoding="utf-8"), name, render(chapters, path))
    return result


def stale(root: Path = ROOT) -> list[Path]:
    """The generated files whose content on disk differs from what this script writes."""
    return [
        path for path, text in outputs(root).items()
        if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    try:
        new = outputs(ROOT)
    except (ValueError, FileNotFoundError) as err:
        print(f"book_index: {err}", file=sys.stderr)
        return 2
    changed = [p for p, t in new.items() if not (ROOT / p).is_file() or (ROOT / p).read_text(encoding="utf-8") != t]
    if args.check:
        for path in changed:
            print(f"book_index: {path} is out of date; run `python scripts/book_index.py`", file=sys.stderr)
        return 1 if changed else 0
    for path in changed:
        (ROOT / path).write_text(new[path], encoding="utf-8")
        print(f"book_index: wrote {path}")
    unlisted = sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("*.md")
        if is_notebook(p) and p.relative_to(ROOT) not in {c.page for c in read_book(ROOT)}
    )
    if unlisted:
        print(f"book_index: not in {TOC}, so not indexed: {', '.join(unlisted)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
