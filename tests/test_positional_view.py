"""The positional-product viewer: the pure computation and the widget's first render."""

from __future__ import annotations

import numpy as np
import pytest

from lengen.identify.positional import synthetic_products
from lengen.widgets.positional_view import PositionalView, head_view, plot_head_view


def test_head_view_of_a_periodic_matrix():
    v = head_view(synthetic_products("periodic", N=90, period=3), tau=2, max_positions=40)
    assert v.matrix.shape == (40, 40)
    assert np.isnan(v.matrix[0, 1]) and not np.isnan(v.matrix[1, 0])  # only causal pairs are shown
    assert len(v.profile) == 90  # the profile and the measures use the whole matrix
    assert v.measures.period == 3 and v.measures.period_strength > 0.99
    k = 1 + int(np.argmax(v.power[1:]))
    assert v.frequencies[k] == pytest.approx(1 / 3, abs=0.02)
    assert "period 3" in v.summary()


def test_head_view_of_a_local_matrix():
    v = head_view(synthetic_products("local", N=64, lags=(1,)), tau=1, max_positions=None)
    assert v.matrix.shape == (64, 64)
    assert v.measures.translation_invariance == pytest.approx(1.0)
    assert v.measures.locality > 0.95
    fig = plot_head_view(v, "local")
    assert len(fig.axes) >= 3


def test_widget_first_render_and_controls():
    sources = {
        "periodic": np.stack([synthetic_products("periodic", N=48, period=3)])[None],  # (1, 1, N, N)
        "two heads": np.stack([synthetic_products("local", N=48), synthetic_products("noise", N=48)])[None],
    }
    w = PositionalView(sources, tau=2)
    assert w.image.value[:4] == b"\x89PNG"  # a real figure already at the first render
    assert w.view_data.measures.period == 3 and "periodic" in w.message.value
    first = w.image.value
    w.run.value = "two heads"
    assert [label for label, _ in w.head.options] == ["layer 0, head 0", "layer 0, head 1"]
    assert w.selected() == (0, 0) and w.view_data.measures.locality > 0.9
    w.head.value = 1
    assert w.selected() == (0, 1)
    assert w.view_data.measures.translation_invariance < 0.2 and w.image.value != first
    w.tau.value = 5
    assert w.view_data.measures.tau == 5


def test_widget_reads_a_study(tmp_path):
    from lengen.identify.positional_study import save_products
    from lengen.files import write_json

    P = synthetic_products("periodic", N=30, period=3)[None, None]
    (tmp_path / "runs" / "a").mkdir(parents=True)
    save_products(tmp_path / "runs" / "a" / "products.npz", P)
    write_json(tmp_path / "study.json", {"tasks": {}, "runs": [{"name": "a"}]})
    from lengen.identify.positional_study import Study

    w = PositionalView(Study(tmp_path))
    assert w.run.value == "a" and w.view_data.measures.period == 3
    with pytest.raises(ValueError):
        PositionalView({})
