#!/usr/bin/env python3
"""List the notebook pages of the book, in ``_toc.yml`` order.

A *notebook page* is a page of the table of contents that Jupyter Book executes: an ``.ipynb``
file, or a MyST Markdown file whose front matter has a ``jupytext`` or ``kernelspec`` header.
``scripts/test_notebooks.py`` tests exactly the pages listed here, and ``tests/test_project.py``
checks that this list agrees with ``_toc.yml``.

Usage: ``python scripts/list_notebooks.py [--all]`` prints one path per line, relative to the
repository root (``--all``: every page of the table of contents, notebook or not).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TOC = "_toc.yml"
# The suffixes Jupyter Book 1 accepts for a page named without one, in its order of preference.
SUFFIXES = (".md", ".ipynb", ".rst", ".myst")
_CODE_CELL = re.compile(r"^\s*(```+|~~~+)\s*\{code-cell\}", re.MULTILINE)


def _resolve(root: Path, name: str) -> Path:
    """The file a toc entry names (entries may omit the suffix), relative to ``root``."""
    candidate = Path(name)
    if candidate.suffix in SUFFIXES and (root / candidate).is_file():
        return candidate
    for suffix in SUFFIXES:
        with_suffix = candidate.with_name(candidate.name + suffix)
        if (root / with_suffix).is_file():
            return with_suffix
    raise FileNotFoundError(f"{TOC} names {name!r}, but no such page exists under {root}")


def toc_pages(root: Path = ROOT) -> list[Path]:
    """Every page named in ``_toc.yml`` (``root``, ``file`` and ``glob`` entries), in order."""
    toc = yaml.safe_load((root / TOC).read_text(encoding="utf-8"))
    pages: list[Path] = []

    def visit(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    pages.append(_resolve(root, str(node[key])))
            if "glob" in node:
                pattern = str(node["glob"])
                found = sorted(
                    p.relative_to(root)
                    for suffix in SUFFIXES
                    for p in root.glob(pattern + ("" if pattern.endswith(suffix) else suffix))
                )
                pages.extend(found)
            for value in node.values():
                if isinstance(value, (list, dict)):
                    visit(value)

    visit(toc)
    unique: list[Path] = []
    for page in pages:
        if page not in unique:
            unique.append(page)
    return unique


def front_matter(path: Path) -> dict:
    """The YAML front matter of a text file ({} when it has none)."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    lines = text.splitlines()
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            data = yaml.safe_load("\n".join(lines[1:end]))
            return data if isinstance(data, dict) else {}
    return {}


def has_jupytext_header(path: Path) -> bool:
    """True for a MyST Markdown notebook: a ``jupytext`` header naming the ``myst`` format."""
    meta = front_matter(path).get("jupytext") or {}
    representation = meta.get("text_representation") or {}
    return representation.get("format_name") == "myst"


def has_code_cells(path: Path) -> bool:
    return bool(_CODE_CELL.search(path.read_text(encoding="utf-8")))


def is_notebook(path: Path) -> bool:
    """Whether Jupyter Book treats ``path`` as a notebook (and so executes it)."""
    if path.suffix == ".ipynb":
        return True
    if path.suffix in (".md", ".myst"):
        meta = front_matter(path)
        return "jupytext" in meta or "kernelspec" in meta or meta.get("file_format") == "mystnb"
    return False


def notebook_pages(root: Path = ROOT) -> list[Path]:
    """The notebook pages of the book, relative to ``root``, in table-of-contents order."""
    return [page for page in toc_pages(root) if is_notebook(root / page)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--all", action="store_true", help="list every page, not only notebooks")
    args = parser.parse_args(argv)
    pages = toc_pages() if args.all else notebook_pages()
    for page in pages:
        print(page.as_posix())
    return 0


if __name__ == "__main__":
    sys.exit(main())
