"""The length-complexity figure (the idealized learner's choice as the length bound n grows) and
HTML tables for the book's identifiability chapter.

Left panel: the size of the chosen program at each n (a program that fits every input up to
length n); a bound at which no program up to the size limit fits is drawn as an open marker in
the band "none ≤ limit" above the sizes (one row per target).  Right panel: the exact-match
accuracy of the chosen program on inputs up to ``test_factor * n`` (4n by default).  Targets whose
choice settles are drawn with solid lines, the others dashed; every target also has its own colour
(Okabe-Ito) and marker, and the legend says where the choice settles, so colour never carries
meaning alone.
"""

from __future__ import annotations

import html
from typing import Iterable, Mapping, Sequence

import matplotlib.pyplot as plt

from lengen.plots import MARKERS, OKABE_ITO

from .identification import IdentificationTable

#: Okabe-Ito without its yellow, which is hard to see on white.
COLORS = [c for c in OKABE_ITO if c != "#F0E442"]


class HTMLTable:
    """A table that notebooks display as HTML (``_repr_html_``) and terminals as plain text."""

    def __init__(self, header: Sequence[str], rows: Iterable[Sequence[object]], code: Iterable[int] = ()) -> None:
        self.header = [str(h) for h in header]
        self.rows = [["" if c is None else str(c) for c in row] for row in rows]
        self.code = set(code)

    def _repr_html_(self) -> str:
        def cell(k: int, text: str) -> str:
            t = html.escape(text)
            as_code = k in self.code and text and not text.startswith("(")  # "(...)": a note, not code
            return f"<td><code>{t}</code></td>" if as_code else f"<td>{t}</td>"

        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(cell(k, c) for k, c in enumerate(row)) + "</tr>" for row in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __str__(self) -> str:
        widths = [max(len(r[k]) for r in [self.header, *self.rows]) for k in range(len(self.header))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [self.header, *self.rows])

    __repr__ = __str__


def html_table(header: Sequence[str], rows: Iterable[Sequence[object]], code: Iterable[int] = ()) -> HTMLTable:
    """A table for ``display``: ``header`` and ``rows`` of cells (escaped); cells of the columns
    ``code`` are shown as code unless they are a note in parentheses."""
    return HTMLTable(header, rows, code)


def identification_html(table: IdentificationTable) -> HTMLTable:
    """An identification table (chosen program, size, accuracy up to 4n, per n) for ``display``."""
    rows = []
    for r in table.rows:
        prog = r.expression if r.expression else f"(none up to size {table.max_size}: {r.status})"
        acc = "" if r.accuracy is None else f"{100 * r.accuracy:.1f}% (≤ {r.test_len})"
        rows.append([r.n, prog, r.size, acc])
    return html_table(["n", f"chosen program ({table.fragment})", "size", "accuracy up to 4n"], rows, code=[1])


def settle_text(table: IdentificationTable) -> str:
    """``"settles at n = 3"`` or ``"does not settle"`` (within the table)."""
    lc = table.length_complexity
    return f"settles at n = {lc}" if lc is not None else "does not settle"


def plot_identification(tables: Mapping[str, IdentificationTable],
                        figsize: tuple[float, float] = (8.4, 4.6)) -> plt.Figure:
    """Two panels (size of the chosen program, accuracy up to 4n) against n, one line per
    labelled table.  Returns the figure."""
    fig, (ax_size, ax_acc) = plt.subplots(1, 2, figsize=figsize)
    top = max((t.max_size for t in tables.values()), default=1) + 2
    gaps = [label for label, t in tables.items() if any(r.size is None for r in t.rows)]
    for k, (label, table) in enumerate(tables.items()):
        color, marker = COLORS[k % len(COLORS)], MARKERS[k % len(MARKERS)]
        style = "-" if table.settled else "--"
        name = f"{label} ({settle_text(table)})"
        found = [r for r in table.rows if r.size is not None]
        ax_size.plot([r.n for r in found], [r.size for r in found], style, marker=marker, color=color, lw=1.5, ms=5,
                     label=name)
        missing = [r.n for r in table.rows if r.size is None]
        if missing:  # one row of open markers per target inside the band, so that targets do not overlap
            y = top + 0.7 * (gaps.index(label) - (len(gaps) - 1) / 2) / max(1, len(gaps) - 1)
            ax_size.plot(missing, [y] * len(missing), linestyle="none", marker=marker, color=color, ms=6, mew=1.5,
                         markerfacecolor="none")
        scored = [r for r in table.rows if r.accuracy is not None]
        ax_acc.plot([r.n for r in scored], [100 * r.accuracy for r in scored], style, marker=marker, color=color,
                    lw=1.5, ms=5, label=name)
    ax_size.axhspan(top - 0.8, top + 0.8, color="0.92", zorder=0)
    ax_size.text(0.01, top, "none ≤ limit", transform=ax_size.get_yaxis_transform(), va="center", fontsize=8)
    ax_size.set_ylim(0, top + 1)
    ax_size.set_xlabel("length bound n (every input up to length n is seen)", fontsize=9)
    ax_size.set_ylabel("size of the chosen program")
    ax_acc.set_xlabel("length bound n")
    ax_acc.set_ylabel("accuracy on inputs up to 4n (%)")
    ax_acc.set_ylim(-5, 105)
    for ax in (ax_size, ax_acc):
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax_size.yaxis.get_major_locator().set_params(integer=True)
    handles, labels = ax_acc.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.03 + 0.05 * ((len(tables) + 1) // 2), 1, 1))
    return fig
