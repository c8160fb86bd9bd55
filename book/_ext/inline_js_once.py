"""Write each inline ``<script>`` once per page.

Sphinx 7 registers an inline script (``app.add_js_file(None, body=...)``) added after the
builder started twice: once as filename ``None`` and once as ``''``, which do not compare
equal. sphinx-thebe adds its settings that way (``const THEBE_JS_URL = ...``), so every page
declared the constant twice and the browser reported "Identifier 'THEBE_JS_URL' has already
been declared". Sphinx 8.2 fixes this (sphinx-doc/sphinx#13402); Jupyter Book 1 requires
Sphinx 7, so the builder's ``add_js_file`` gets the same normalization here.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _normalize_inline_scripts(app: Sphinx) -> None:
    builder = app.builder
    add_js_file = getattr(builder, "add_js_file", None)
    if add_js_file is None or getattr(add_js_file, "_inline_once", False):
        return

    def add_js_file_once(filename: str | None, **kwargs: Any) -> None:
        add_js_file(filename or "", **kwargs)

    add_js_file_once._inline_once = True  # type: ignore[attr-defined]
    builder.add_js_file = add_js_file_once  # type: ignore[attr-defined]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _normalize_inline_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
