"""The communication widget: the pure function and the thin ipywidgets wrapper."""

from __future__ import annotations

import doctest

import matplotlib
import pytest

matplotlib.use("Agg")

from lengen.widgets import communication_view as module  # noqa: E402
from lengen.widgets.communication_view import CommunicationWidget, communication_view  # noqa: E402


def test_default_view_separates_the_tasks() -> None:
    view = communication_view(n_range=(2, 16))
    assert view.ns == tuple(range(2, 17, 2))
    g = view.growth()
    assert g["bin_majority"] == "polynomial" and g["dyck1"] == "polynomial"
    assert g["parity"] == "bounded"
    assert g["repeat_copy"] == "exponential" and g["addition"] == "exponential"
    assert [p.rows for p in view.profiles["repeat_copy"]] == [2 ** (n // 2) for n in view.ns]
    assert all(p.rows == 2 for p in view.profiles["parity"])
    assert [p.n for p in view.profiles["addition"]][0] == 4  # addition has no input shorter than 4


def test_sampled_points_beyond_the_exhaustive_limit() -> None:
    view = communication_view(["repeat_copy", "bin_majority"], (18, 22), step=4, exhaustive_limit=1 << 12,
                              samples=600, columns=16)
    for pts in view.profiles.values():
        assert all(not p.exact for p in pts)
    # bin_majority: at most n/2 + 1 rows (16 columns may merge some); repeat_copy: many more
    assert all(5 <= p.rows <= p.n // 2 + 1 for p in view.profiles["bin_majority"])
    assert all(p.estimate > 300 for p in view.profiles["repeat_copy"])


def test_table_and_figure() -> None:
    view = communication_view(["parity", "repeat_copy"], (2, 6))
    assert "| repeat_copy | 2 | 4 | 8 | exponential |" in view.table()
    fig = view.figure()
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"parity", "repeat_copy"}
    # each task has its own line style or marker, not only its own colour
    lines = [ln for ln in ax.get_lines() if ln.get_label() in ("parity", "repeat_copy")]
    assert len({ln.get_linestyle() for ln in lines}) == 2


@pytest.mark.parametrize("kwargs", [dict(n_range=(0, 4)), dict(n_range=(6, 4)), dict(step=0), dict(tasks=())])
def test_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        communication_view(**kwargs)


def test_widget_first_render_and_compute() -> None:
    initial = communication_view(["parity", "repeat_copy"], (2, 8))
    w = CommunicationWidget(initial)
    assert w.result is initial
    assert w.tasks.value == ("parity", "repeat_copy")
    assert w.n.value == (2, 8)
    w.tasks.value = ("bin_majority",)
    w.n.value = (2, 6)
    w._compute()
    assert w.result.tasks == ("bin_majority",)
    assert [p.rows for p in w.result.profiles["bin_majority"]] == [2, 3, 4]
    w.tasks.value = ()
    w._compute()  # an error is shown, the previous result stays
    assert "pick at least one task" in w.status.value and w.result.tasks == ("bin_majority",)


def test_doctests() -> None:
    assert doctest.testmod(module).failed == 0


def test_table_html() -> None:
    view = communication_view(["parity"], (2, 4))
    html = view.table_html()
    assert html.startswith("<table>") and "<th>parity</th>" in html and "<td>4</td>" in html
    assert "<td>growth</td>" in html
