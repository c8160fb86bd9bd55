"""Checks on the project's own infrastructure: dependencies, the book's table of contents,
the notebook tests, CI and the README. Each check is cheap (no notebook is executed)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _load_script(name: str):
    """Import a module from scripts/ (it is not a package)."""
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _canonical(requirement: str) -> tuple[str, str]:
    """(normalized name, version specifier) of a requirement string like 'numpy>=1.24'."""
    match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*?)\s*(;.*)?$", requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    return re.sub(r"[-_.]+", "-", match.group(1)).lower(), match.group(3).replace(" ", "")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


# --- dependencies -------------------------------------------------------------------------


def test_environment_yml_lists_the_runtime_dependencies_of_pyproject():
    runtime = dict(_canonical(r) for r in _pyproject()["project"]["dependencies"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["name"] == "lengen"
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml needs exactly one pip: section"
    pip_reqs = [r for r in pip_lists[0] if not r.startswith("-")]
    editable = [r for r in pip_lists[0] if r.startswith("-e")]
    assert editable and ".[book,test]" in editable[0].replace(" ", ""), editable

    listed = dict(_canonical(r) for r in pip_reqs)
    assert set(listed) == set(runtime), "environment.yml and pyproject.toml disagree"
    for name, spec in listed.items():
        if name == "torch":
            assert spec == "==2.13.0", "pin torch==2.13.0 (the CPU wheel these machines hold)"
        else:
            assert spec == runtime[name], f"{name}: {spec!r} in environment.yml, {runtime[name]!r} in pyproject.toml"


def test_install_path_pins_torch():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^TORCH\s*:=\s*torch==2\.13\.0\s*$", makefile, re.MULTILINE)
    assert '"$(TORCH)"' in makefile


def test_book_extra_pins_jupyter_book_1():
    book = dict(_canonical(r) for r in _pyproject()["project"]["optional-dependencies"]["book"])
    assert "<2" in book["jupyter-book"], "Jupyter Book 2 cannot build offline"


# --- notebooks and the table of contents ---------------------------------------------------


def _toc_entries() -> list[str]:
    """`root:`/`file:` entries of _toc.yml, read independently of scripts/list_notebooks.py."""
    text = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    return re.findall(r"^\s*(?:-\s*)?(?:root|file):\s*(\S+)\s*$", text, re.MULTILINE)


def _page(entry: str) -> Path:
    for candidate in (entry, entry + ".md", entry + ".ipynb", entry + ".rst"):
        if (ROOT / candidate).is_file():
            return Path(candidate)
    raise AssertionError(f"_toc.yml names {entry!r}, which does not exist")


def _toc_notebooks() -> list[Path]:
    pages = [_page(e) for e in _toc_entries()]
    notebooks = []
    for page in pages:
        text = (ROOT / page).read_text(encoding="utf-8")
        header = text.split("\n---", 1)[0] if text.startswith("---") else ""
        if page.suffix == ".ipynb" or "kernelspec:" in header or "jupytext:" in header:
            notebooks.append(page)
    return notebooks


def test_toc_lists_pages_and_notebooks():
    assert _toc_entries(), "_toc.yml lists no pages"
    assert _toc_notebooks(), "_toc.yml lists no notebook pages"


def test_every_toc_notebook_is_myst_markdown_with_jupytext_header():
    lister = _load_script("list_notebooks")
    for page in _toc_notebooks():
        assert page.suffix == ".md", f"{page}: commit notebooks as MyST Markdown, not .ipynb"
        assert lister.has_jupytext_header(ROOT / page), f"{page}: no jupytext header (format_name: myst)"
        kernel = lister.front_matter(ROOT / page).get("kernelspec") or {}
        assert kernel.get("name") == "python3", f"{page}: kernelspec name must be python3"


def test_toc_pages_with_code_cells_are_notebooks():
    """A page with {code-cell}s but no header would be neither executed nor tested."""
    lister = _load_script("list_notebooks")
    for entry in _toc_entries():
        page = _page(entry)
        if page.suffix == ".md" and lister.has_code_cells(ROOT / page):
            assert lister.is_notebook(ROOT / page), f"{page} has code cells but no jupytext header"


def test_every_notebook_file_is_in_the_toc():
    """only_build_toc_files: a chapter missing from _toc.yml would silently not be built."""
    in_toc = set(_toc_notebooks())
    lister = _load_script("list_notebooks")
    on_disk = {
        p.relative_to(ROOT)
        for p in (ROOT / "notebooks").rglob("*.md")
        if ".ipynb_checkpoints" not in p.parts and (lister.is_notebook(p) or lister.has_code_cells(p))
    }
    assert on_disk <= in_toc, f"notebooks missing from _toc.yml: {sorted(map(str, on_disk - in_toc))}"


def test_list_notebooks_script_agrees_with_toc():
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "list_notebooks.py")],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout.split()  # fmt: skip
    assert out == [p.as_posix() for p in _toc_notebooks()]


def test_notebook_test_script_converts_every_toc_notebook(tmp_path):
    runner = _load_script("test_notebooks")
    workdir = tmp_path / "nbtest"
    notebooks = runner.prepare(workdir=workdir)
    expected = {workdir / p.with_suffix(".ipynb") for p in _toc_notebooks()}
    assert set(notebooks) == expected
    import nbformat

    for nb_path in notebooks:
        nb = nbformat.read(nb_path, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert any(cell.cell_type == "code" for cell in nb.cells), f"{nb_path.name}: no code cells"
    # the rest of the repository is reachable from the scratch tree, as in the book build
    assert (workdir / "book" / "references.bib").is_file()


def test_no_ipynb_is_tracked_by_git():
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    probe = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"], cwd=ROOT, capture_output=True, text=True
    )
    if probe.returncode != 0 or probe.stdout.strip() != "true":
        pytest.skip("not a git work tree")
    tracked = subprocess.run(
        ["git", "ls-files", "--", "*.ipynb"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    assert tracked == [], f"commit the MyST Markdown (.md), not the .ipynb: {tracked}"


def test_jupytext_pairs_ipynb_with_myst():
    config = tomllib.loads((ROOT / "jupytext.toml").read_text(encoding="utf-8"))
    assert set(config["formats"].split(",")) == {"ipynb", "md:myst"}


# --- the book's configuration ---------------------------------------------------------------


def _bib_keys() -> list[str]:
    text = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    return re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", text, re.MULTILINE)


def test_bibliography_keys_are_unique_and_configured():
    keys = _bib_keys()
    assert keys and len(keys) == len(set(keys)), "duplicate keys in book/references.bib"
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["bibtex_bibfiles"] == ["book/references.bib"]
    assert config["execute"]["timeout"] >= 600


def test_every_cited_key_is_in_references_bib():
    keys = set(_bib_keys())
    role = re.compile(r"\{cite(?::[a-z]+)*\}`([^`]+)`")
    for entry in _toc_entries():
        page = _page(entry)
        for match in role.finditer((ROOT / page).read_text(encoding="utf-8")):
            for key in match.group(1).split(","):
                assert key.strip() in keys, f"{page}: unknown citation key {key.strip()!r}"


# --- CI and README -------------------------------------------------------------------------


def test_ci_runs_make_test():
    ci = ROOT / ".ci" / "run"
    text = ci.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash") or text.startswith("#!/bin/bash")
    assert "set -euo pipefail" in text
    assert re.search(r"^make test\s*$", text, re.MULTILINE)
    assert os.access(ci, os.X_OK), ".ci/run must be executable"


def test_readme_names_the_two_make_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(make \w[\w-]*)", readme, re.MULTILINE)
    assert set(commands) == {"make book", "make test"}, commands
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("book", "test", "clean"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), f"Makefile has no {target} target"
