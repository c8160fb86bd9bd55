"""Offer the *executed* notebook of every notebook page as an ``.ipynb`` download.

sphinx-book-theme shows an ``.ipynb`` entry in the download menu when the page context has
``ipynb_source``, but MyST-NB 1.x no longer sets it for MyST Markdown notebooks, so readers
would only get the ``.md`` source. This extension copies the notebook that MyST-NB executed
(``_build/jupyter_execute/<page>.ipynb``, with outputs and widget state) to
``_build/html/_sources/<page>.ipynb`` and sets ``ipynb_source``. It must run before the theme's
header-button handler (priority 501).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx

EXECUTED_FOLDER = "jupyter_execute"  # myst_nb.sphinx_ext.OUTPUT_FOLDER


def add_ipynb_source(app: Sphinx, pagename: str, templatename, context: dict, doctree) -> None:
    if context.get("ipynb_source") or doctree is None:
        return
    if "kernelspec" not in app.env.metadata.get(pagename, {}):
        return  # not a notebook page
    executed = Path(app.outdir).parent / EXECUTED_FOLDER / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", add_ipynb_source, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
