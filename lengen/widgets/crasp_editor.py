"""Edit a C-RASP program, type an input, see the trace (or the error, with its line and column).

:func:`run_program_text` is the pure function (tested in ``tests/test_crasp_widgets.py``);
:class:`CRASPEditor` is a thin ipywidgets wrapper around it::

    >>> result = run_program_text("ones := #[j <= i] Q(1)", "1 0 1")
    >>> result.row("ones")
    [1, 1, 2]
    >>> print(run_program_text("ones := #[j <= i] Q(1", "1 0 1"))  # doctest: +ELLIPSIS
    line 1, column ...: syntax error: ...
"""

from __future__ import annotations

import html
from typing import Sequence

from ..crasp import CRASPError, Trace, parse

#: The program the editor shows when none is given: binary majority (C-RASP[]).
DEFAULT_PROGRAM = """\
// binary majority: which bit is more frequent? (answer at <sep>)
ones   := #[j <= i] Q(1)
zeros  := #[j <= i] Q(0)
next_1 := Q(<sep>) and ones > zeros
next_0 := Q(<sep>) and zeros > ones
"""
DEFAULT_INPUT = "<bos> 1 0 1 1 0 <sep>"


def run_program_text(
    text: str, input_text: str, vocab: Sequence[str] | None = None, offset: int = 0
) -> Trace | str:
    """Parse ``text`` as a C-RASP program and trace it on ``input_text``.

    ``input_text`` holds whitespace-separated tokens (``"<bos> 1 0 1 <sep>"``).  ``vocab``, if
    given, restricts the tokens the program may test and the input may contain; ``offset`` shifts
    the absolute positions seen by periodic predicates.

    Returns the :class:`~lengen.crasp.Trace`, or, when the program or the input is not valid, a
    one-line error message.  Errors in the program text name their line and column
    (``"line 2, column 9: syntax error: ..."``); an empty program or input gets a message of its own.
    """
    if not text.strip() or all(ln.strip().startswith("//") for ln in text.splitlines() if ln.strip()):
        return "the program is empty: write at least one definition, e.g. ones := #[j <= i] Q(1)"
    tokens = input_text.split()
    if not tokens:
        return "the input is empty: type tokens separated by spaces, e.g. <bos> 1 0 1 <sep>"
    if offset < 0:
        return f"the offset must be 0 or more, got {offset}"
    try:
        program = parse(text, vocab=vocab)
    except CRASPError as e:
        return str(e)
    try:
        return program.trace(tokens, offset=offset)
    except CRASPError as e:
        return f"input: {e}"


def render(result: Trace | str) -> str:
    """HTML for a result of :func:`run_program_text`: the trace table (with a one-line summary of
    the program's fragment, depth and size), or the error message."""
    if isinstance(result, str):
        return (
            '<pre style="color:#B3261E;white-space:pre-wrap;margin:0.3em 0;">'
            f"<b>Error:</b> {html.escape(result)}</pre>"
        )
    i = result.program.info()
    head = (
        f'<div style="font-size:12px;margin:0.3em 0;">{html.escape(i.fragment)}, depth {i.depth}, '
        f"size {i.size}, {len(result.tokens)} positions"
        + (f", offset {result.offset}" if result.offset else "")
        + "</div>"
    )
    return head + result.to_html()


class CRASPEditor:
    """A program editor: a text area for the program, a text box for the input, an optional
    offset slider, and the trace (or the error) below.  The trace is recomputed on every change."""

    def __init__(
        self,
        program: str = DEFAULT_PROGRAM,
        input_text: str = DEFAULT_INPUT,
        vocab: Sequence[str] | None = None,
        offset: int | None = None,
        max_offset: int = 12,
        rows: int = 8,
    ) -> None:
        import ipywidgets as W

        self.vocab = vocab
        self.program = W.Textarea(
            value=program,
            description="program",
            layout=W.Layout(width="95%", height=f"{1.6 * rows + 1:.1f}em"),
        )
        self.input = W.Text(value=input_text, description="input", layout=W.Layout(width="95%"))
        controls: list = [self.program, self.input]
        self.offset = None
        if offset is not None:
            self.offset = W.IntSlider(value=offset, min=0, max=max_offset, description="offset")
            controls.append(self.offset)
        self.output = W.HTML()
        for w in controls:
            w.observe(lambda _: self.update(), names="value")
        self.view = W.VBox([*controls, self.output])
        self.update()

    @property
    def result(self) -> Trace | str:
        """The current trace or error message."""
        return self._result

    def update(self) -> None:
        off = self.offset.value if self.offset is not None else 0
        self._result = run_program_text(self.program.value, self.input.value, self.vocab, off)
        self.output.value = render(self._result)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)
