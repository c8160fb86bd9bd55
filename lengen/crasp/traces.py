"""Trace tables: one row per definition, one column per position of one input string.

>>> from lengen.crasp import parse
>>> prog = parse("ones := #[j <= i] Q(1)\\nnext_1 := 2 * ones > #[j <= i] true\\n")
>>> print(prog.trace("1 0 1 1").to_text())  # doctest: +NORMALIZE_WHITESPACE
position  1  2  3  4
token     1  0  1  1
ones      1  1  2  3
next_1    1  0  1  1

In a notebook a :class:`Trace` renders as a coloured HTML table (true cells green, false cells
grey, counts shaded by size, output definitions in bold, each row's definition in its tooltip).
Long inputs are elided in the middle: the first and last positions are shown around a "…"
column.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .ast import ACCEPT, OUTPUT_PREFIX, Program, Type, format_expr
from .interpreter import as_tokens, run


@dataclass
class Trace:
    """The values of every definition of ``program`` at every position of ``tokens``.

    ``values[name][p - 1]`` is the value at (1-based) position p; ``offset`` is the position
    offset used for periodic predicates (absolute position = offset + p).
    """

    program: Program
    tokens: list[str]
    values: dict[str, np.ndarray]
    offset: int = 0
    max_columns: int = field(default=40)

    # -- data --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.tokens)

    def row(self, name: str) -> list[bool] | list[int]:
        """One definition's values as a Python list (index p - 1 is position p)."""
        return self.values[name].tolist()

    def to_json(self) -> dict[str, list]:
        """``{name: [value at position 1, ...]}`` with Python booleans and integers."""
        return {name: v.tolist() for name, v in self.values.items()}

    def _columns(self, max_columns: int) -> list[int | None]:
        """Indices (0-based) of the positions to show; ``None`` marks the elided middle."""
        n = len(self.tokens)
        if n <= max_columns:
            return list(range(n))
        head = (max_columns + 1) // 2
        tail = max_columns - head
        return list(range(head)) + [None] + list(range(n - tail, n))

    def _is_output(self, name: str) -> bool:
        return name.startswith(OUTPUT_PREFIX) or name == ACCEPT

    # -- text ---------------------------------------------------------------------------------
    def to_text(self, max_columns: int | None = None, booleans: str = "10") -> str:
        """An aligned plain-text table.  ``booleans``: two characters for true and false
        (``"10"`` or ``"TF"``).  Inputs longer than ``max_columns`` are elided in the middle."""
        t_char, f_char = booleans[0], booleans[1]
        cols = self._columns(max_columns or self.max_columns)

        def cell(name: str, c: int | None) -> str:
            if c is None:
                return "…"
            v = self.values[name][c]
            if self.program[name].type is Type.BOOL:
                return t_char if v else f_char
            return str(int(v))

        rows: list[list[str]] = [["position"] + ["…" if c is None else str(c + 1) for c in cols]]
        if self.offset:
            rows.append(["absolute"] + ["…" if c is None else str(self.offset + c + 1) for c in cols])
        rows.append(["token"] + ["…" if c is None else self.tokens[c] for c in cols])
        for name in self.values:
            rows.append([name] + [cell(name, c) for c in cols])
        widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
        lines = []
        for r in rows:
            first = r[0].ljust(widths[0])
            rest = [r[k].rjust(widths[k]) for k in range(1, len(r))]
            lines.append("  ".join([first] + rest).rstrip())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    # -- HTML ---------------------------------------------------------------------------------
    def to_html(self, max_columns: int | None = None) -> str:
        """A self-contained coloured HTML table (inline styles only)."""
        cols = self._columns(max_columns or max(self.max_columns, 60))
        esc = html.escape
        td = "padding:1px 5px;text-align:center;font-family:monospace;border:1px solid #ddd;"
        th = td + "background:#f4f4f4;font-weight:normal;color:#555;"
        out = ['<table class="crasp-trace" style="border-collapse:collapse;font-size:12px;margin:0.5em 0;">']

        def header(label: str, cells: Sequence[str], style: str = th) -> None:
            out.append("<tr>" + f'<th style="{th}text-align:left;">{esc(label)}</th>')
            out.extend(f'<th style="{style}">{esc(c)}</th>' for c in cells)
            out.append("</tr>")

        header("position", ["…" if c is None else str(c + 1) for c in cols])
        if self.offset:
            header("absolute", ["…" if c is None else str(self.offset + c + 1) for c in cols])
        header(
            "token",
            ["…" if c is None else self.tokens[c] for c in cols],
            th + "color:#000;font-weight:bold;background:#fff8e0;",
        )
        for name, v in self.values.items():
            d = self.program[name]
            is_bool = d.type is Type.BOOL
            tip = esc(f"{name} := {format_expr(d.expr)}  ({d.type})", quote=True)
            weight = "bold" if self._is_output(name) else "normal"
            out.append(
                f'<tr><th title="{tip}" style="{th}text-align:left;color:#000;font-weight:{weight};">'
                f"{esc(name)}</th>"
            )
            vmax = max(1, int(np.abs(v).max())) if (not is_bool and v.size) else 1
            for c in cols:
                if c is None:
                    out.append(f'<td style="{td}color:#999;">…</td>')
                    continue
                x = v[c]
                if is_bool:
                    style = "background:#b7e4b0;color:#134d0f;" if x else "background:#f2f2f2;color:#aaa;"
                    text = "1" if x else "0"
                else:
                    a = 0.08 + 0.55 * abs(int(x)) / vmax
                    rgb = "31,119,180" if x >= 0 else "214,96,23"
                    style = f"background:rgba({rgb},{a:.2f});"
                    text = str(int(x))
                out.append(f'<td style="{td}{style}">{text}</td>')
            out.append("</tr>")
        out.append("</table>")
        return "".join(out)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"<Trace of {len(self.values)} definitions over {len(self.tokens)} positions>"


def trace(program: Program, tokens: str | Sequence[str], offset: int = 0, max_columns: int = 40) -> Trace:
    """Run ``program`` on one string and return its :class:`Trace`.

    ``tokens``: a list of tokens or a whitespace-separated string (``"<bos> 0 1 1 <sep>"``).
    """
    toks = as_tokens(tokens)
    return Trace(program, toks, run(program, toks, offset), offset, max_columns)
