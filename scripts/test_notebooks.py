#!/usr/bin/env python3
"""Execute every notebook page of the book as a test (the second stage of ``make test``).

1. ``list_notebooks.notebook_pages()`` reads ``_toc.yml``: the pages the book executes.
2. Each MyST Markdown page is converted with jupytext to an ``.ipynb`` in ``.nbtest/``, a scratch
   copy of the book tree: the folders that hold notebooks are copied, every other top-level entry
   is linked, so relative paths such as ``../book/...`` resolve as they do in the book build, and
   what the notebooks write stays out of the source tree.
3. ``pytest --nbval-lax --nbval-current-env`` runs them. A freshly converted notebook has no
   stored outputs, so the checks are the ``assert`` statements inside cells and the absence of
   errors. Tag a cell ``raises-exception`` when it is meant to fail, ``nbval-skip`` to skip it here
   (for example a GPU-only cell).

``--student`` runs the student versions instead (solutions removed by ``scripts/student.py``),
to check that each chapter still runs top to bottom without them (``make test-student``).

Exit status: pytest's, except that "no tests collected" (5) and an empty toc are failures.
Arguments after ``--`` go to pytest, e.g. ``python scripts/test_notebooks.py -- -x -k 02_``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from list_notebooks import ROOT, notebook_pages  # noqa: E402

WORKDIR_NAME = ".nbtest"
# Top-level entries never linked into the scratch tree (besides every name starting with a dot).
_NOT_LINKED = {"_build", "runs"}
_NOT_COPIED = shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "__pycache__")
CELL_TIMEOUT_S = 600


def prepare(
    pages: list[Path] | None = None, workdir: Path | None = None, root: Path = ROOT,
    student: bool = False,
) -> list[Path]:
    """Build the scratch tree in ``workdir`` and return the converted notebooks in it
    (``student``: the student versions of the pages, without solutions; see student.py)."""
    import jupytext

    pages = notebook_pages(root) if pages is None else pages
    workdir = root / WORKDIR_NAME if workdir is None else workdir
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)

    copied = {page.parts[0] for page in pages if len(page.parts) > 1}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name in _NOT_LINKED:
            continue
        if entry.resolve() == workdir.resolve():
            continue
        target = workdir / entry.name
        if entry.name in copied:
            shutil.copytree(entry, target, ignore=_NOT_COPIED, symlinks=True)
        else:
            target.symlink_to(entry.resolve(), target_is_directory=entry.is_dir())

    notebooks = []
    for page in pages:
        out = workdir / page.with_suffix(".ipynb")
        out.parent.mkdir(parents=True, exist_ok=True)
        if page.suffix == ".ipynb":
            if out.is_symlink():
                out.unlink()
            shutil.copyfile(root / page, out)
        elif student:
            from student import student_text

            text = student_text((root / page).read_text(encoding="utf-8"))
            jupytext.write(jupytext.reads(text, fmt="md:myst"), out, fmt="ipynb")
        else:
            jupytext.write(jupytext.read(root / page), out, fmt="ipynb")
        notebooks.append(out)
    return notebooks


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--" in argv:
        split = argv.index("--")
        argv, pytest_args = argv[:split], argv[split + 1 :]
    else:
        pytest_args = []
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="print the notebooks and stop")
    parser.add_argument("--prepare-only", action="store_true", help="convert, do not run")
    parser.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT_S)
    parser.add_argument(
        "--page", action="append", default=None, metavar="PATH",
        help="run only this page (repeatable; default: every notebook page of _toc.yml)",
    )
    parser.add_argument(
        "--student", action="store_true",
        help="run the student versions of the pages (solutions removed, scripts/student.py)",
    )
    parser.add_argument(
        "--workdir", default=WORKDIR_NAME,
        help=f"scratch directory under the repository root (default {WORKDIR_NAME}/)",
    )
    args = parser.parse_args(argv)

    pages = notebook_pages() if args.page is None else [Path(p) for p in args.page]
    missing = [p for p in pages if not (ROOT / p).is_file()]
    if missing:
        print(f"test_notebooks: no such page: {missing[0]}", file=sys.stderr)
        return 2
    if args.list:
        for page in pages:
            print(page.as_posix())
        return 0
    if not pages:
        print("test_notebooks: _toc.yml lists no notebook pages", file=sys.stderr)
        return 1

    workdir = ROOT / args.workdir
    notebooks = prepare(pages, workdir, student=args.student)
    print(f"test_notebooks: {len(notebooks)} notebook(s) converted into {args.workdir}/")
    if args.prepare_only:
        return 0

    env = dict(os.environ)
    # Let ipykernel pick its inline backend, as in the book build (MPLBACKEND=Agg would turn
    # figures off, so errors raised while drawing them would go unnoticed).
    env.pop("MPLBACKEND", None)
    cmd = [
        sys.executable, "-m", "pytest",
        "--nbval-lax", "--nbval-current-env", f"--nbval-cell-timeout={args.cell_timeout}",
        *[str(nb.relative_to(ROOT)) for nb in notebooks],
        *pytest_args,
    ]  # fmt: skip
    print("test_notebooks:", " ".join(cmd), flush=True)
    rc = subprocess.call(cmd, cwd=ROOT, env=env)
    if rc == 5:
        print("test_notebooks: pytest collected no tests; that is a failure", file=sys.stderr)
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
