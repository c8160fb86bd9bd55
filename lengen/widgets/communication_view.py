"""Pick tasks and a range of lengths, see how many messages Alice needs, on a log scale.

:func:`communication_view` is the pure function (tested in ``tests/test_communication_view.py``):
for each task, the number of distinct rows of its communication matrix at each even length n in
a range (Alice holds the first ``n // 2`` symbols; see :mod:`lengen.identify.communication`),
exact while the task has at most ``exhaustive_limit`` inputs of length n and estimated by
sampling beyond.  :class:`CommunicationWidget` is a thin ipywidgets wrapper around it::

    >>> view = communication_view(["parity", "repeat_copy"], (2, 8))
    >>> [p.rows for p in view.profiles["repeat_copy"]]
    [2, 4, 8, 16]
    >>> view.growth()["parity"]
    'bounded'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from ..identify.communication import (
    CommunicationPoint,
    communication_table,
    growth,
    plot_communication,
    table_html,
    table_markdown,
)

#: The tasks the widget shows first: two with C-RASP programs, parity, and the two without programs
#: whose communication grows exponentially.
DEFAULT_TASKS = ("bin_majority", "dyck1", "parity", "repeat_copy", "addition")
#: Tasks offered by the widget: every one has a two-letter or four-token alphabet, so that exact
#: counts reach useful lengths.
CHOICES = ("bin_majority", "bin_majority_interleave", "dyck1", "d2", "tomita1", "tomita4", "tomita7",
           "aa_star", "parity", "tomita5", "zot_02_star", "repeat_copy", "addition")


@dataclass
class CommunicationView:
    """What :func:`communication_view` returns: the profiles (task -> points) and the settings."""

    tasks: tuple[str, ...]
    ns: tuple[int, ...]
    profiles: dict[str, list[CommunicationPoint]] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    def growth(self) -> dict[str, str]:
        """The rough reading of each profile (:func:`~lengen.identify.communication.growth`)."""
        return {name: growth(pts) for name, pts in self.profiles.items()}

    def table(self) -> str:
        """The counts as a Markdown table (sampled counts marked ≥, estimates in parentheses)."""
        return table_markdown(self.profiles)

    def table_html(self) -> str:
        """The same table as HTML (for ``IPython.display.HTML``), one row per n."""
        return table_html(self.profiles, by_length=True)

    def figure(self, ax: Any = None) -> Any:
        """The log-scale plot of distinct rows against n (a matplotlib figure)."""
        return plot_communication(self.profiles, ax=ax, title="How many messages Alice must be able to send")


def communication_view(tasks: Sequence[str] = DEFAULT_TASKS, n_range: tuple[int, int] = (2, 24), step: int = 2,
                       exhaustive_limit: int = 1 << 16, samples: int = 1200, columns: int = 40,
                       seed: int = 0) -> CommunicationView:
    """Distinct rows of the communication matrix of each task for n = lo, lo + step, ..., hi.

    Exact counts while a task has at most ``exhaustive_limit`` inputs of length n; beyond, a
    sampled lower bound from ``samples`` halves for Alice and ``columns`` for Bob, plotted at its
    collision estimate (:attr:`~lengen.identify.communication.CommunicationPoint.estimate`).
    Lengths a task has no inputs of are left out for it."""
    lo, hi = n_range
    if lo < 1 or hi < lo:
        raise ValueError(f"need 1 <= lo <= hi, got n_range={n_range}")
    if step < 1:
        raise ValueError(f"step must be at least 1, got {step}")
    if not tasks:
        raise ValueError("pick at least one task")
    ns = tuple(range(lo, hi + 1, step))
    profiles = communication_table(list(tasks), ns, exhaustive_limit=exhaustive_limit, samples=samples,
                                   seed=seed, columns=columns)
    settings = dict(exhaustive_limit=exhaustive_limit, samples=samples, columns=columns, seed=seed, step=step)
    return CommunicationView(tuple(tasks), ns, profiles, settings)


class CommunicationWidget:
    """Pick tasks and a range of n, press *Compute*, see the log-scale plot and the table.

    ``initial`` is a :class:`CommunicationView` shown before any click (computed here from the
    defaults when not given), so that the static page already shows a real result."""

    def __init__(self, initial: CommunicationView | None = None, choices: Sequence[str] = CHOICES,
                 max_n: int = 40) -> None:
        import ipywidgets as W

        initial = initial or communication_view()
        options = list(dict.fromkeys([*choices, *initial.tasks]))
        self.tasks = W.SelectMultiple(options=options, value=tuple(initial.tasks), rows=min(8, len(options)),
                                      description="tasks")
        self.n = W.IntRangeSlider(value=(min(initial.ns), max(initial.ns)), min=2, max=max_n, step=2,
                                  description="n", continuous_update=False)
        self.button = W.Button(description="Compute", button_style="primary", icon="play")
        self.status = W.HTML()
        self.out = W.Output()
        self.button.on_click(self._compute)
        self.view = W.VBox([W.HBox([self.tasks, W.VBox([self.n, W.HBox([self.button, self.status])])]), self.out])
        self._show(initial)
        self.status.value = "showing the default tasks; pick others and press Compute"

    @property
    def result(self) -> CommunicationView:
        """The view on display."""
        return self._result

    def _show(self, view: CommunicationView) -> None:
        import matplotlib.pyplot as plt
        from IPython.display import HTML, display

        self._result = view
        with self.out:
            self.out.clear_output(wait=True)
            fig = view.figure()
            display(fig)
            plt.close(fig)
            display(HTML(view.table_html()))

    def _compute(self, _button: object = None) -> None:
        self.button.disabled = True
        self.status.value = "computing..."
        try:
            view = communication_view(self.tasks.value, self.n.value, step=2,
                                      **{k: v for k, v in self._result.settings.items() if k != "step"})
            self._show(view)
            self.status.value = "done"
        except ValueError as e:
            self.status.value = f"<span style='color:#B3261E'>{e}</span>"
        finally:
            self.button.disabled = False

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)
