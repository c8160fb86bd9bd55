"""The Limit Transformer view: attention rows of any model, compiled programs' heads, the widget."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from lengen.crasp import library, parse  # noqa: E402
from lengen.crasp.compiler import compile  # noqa: E402
from lengen.limit import LimitConfig, LimitTransformer  # noqa: E402
from lengen.model import GPT, ModelConfig  # noqa: E402
from lengen.widgets.limit_view import (  # noqa: E402
    LimitView,
    attention_rows,
    compiled_attention,
    limit_view,
    plot_attention_window,
    plot_limit_view,
    relative_logits,
    tv_from_uniform,
)


@pytest.fixture(autouse=True)
def _one_thread():  # type: ignore[no-untyped-def]
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _full_patterns(model: GPT, ids: torch.Tensor, positions: torch.Tensor) -> np.ndarray:
    """(L, H, T, T) patterns of string 0 from the probing path (run_with_cache)."""
    _, cache = model.run_with_cache(ids, positions, names=lambda n: n.endswith("hook_pattern"))
    return np.stack([cache[f"blocks.{l}.attn.hook_pattern"][0].double().numpy() for l in range(model.cfg.n_layer)])


@pytest.mark.parametrize("kind", ["ape", "limit"])
def test_attention_rows_equal_the_probing_path(kind):
    torch.manual_seed(0)
    if kind == "ape":
        model = GPT(ModelConfig(vocab_size=7, n_positions=40, n_layer=2, n_head=2, d_model=16))
    else:
        model = LimitTransformer(LimitConfig(vocab_size=7, n_layer=2, n_head=2, d_model=16, period=3, window=2))
        with torch.no_grad():
            for block in model.blocks:
                block.attn.phi.normal_(0.0, 2.0)  # a φ that matters
    model.eval()
    ids = torch.randint(0, 7, (2, 19))
    positions = torch.arange(5, 24).expand(2, 19)  # an offset
    full = _full_patterns(model, ids, positions)
    rows = attention_rows(model, ids, positions)
    assert rows.shape == full.shape == (2, 2, 19, 19)
    assert np.allclose(rows, full, atol=1e-6)
    some = attention_rows(model, ids, positions, rows=[0, 7, 18])
    assert np.allclose(some, full[:, :, [0, 7, 18]], atol=1e-6)
    assert np.all(some[:, :, 0, 1:] == 0)  # causal: the first query sees only itself
    with pytest.raises(IndexError):
        attention_rows(model, ids, positions, rows=[19])


def test_compiled_heads_attend_uniformly_and_k_back():
    c = compile(library.load("tomita4"))
    tokens = "<bos> 1 0 0 1 0 1 1 0 0".split()
    patterns, titles = compiled_attention(c, tokens)
    assert titles == ["layer 0, uniform head", "layer 0, shift-1 head (φ)", "layer 0, shift-2 head (φ)",
                      "layer 2, uniform head"]
    T = len(tokens)
    uniform = np.tril(np.ones((T, T))) / np.arange(1, T + 1)[:, None]
    assert np.allclose(patterns[0], uniform) and np.allclose(patterns[3], uniform)
    for k, p in ((1, patterns[1]), (2, patterns[2])):
        assert all(p[i, i - k] > 0.999 for i in range(k, T))
    # a window of rows of a long input: the same heads, the same weights
    long_tokens = ["<bos>"] + ["1", "0", "0"] * 700
    rows = [len(long_tokens) - 2, len(long_tokens) - 1]
    p_long, _ = compiled_attention(c, long_tokens, rows=rows)
    assert p_long.shape == (4, 2, len(long_tokens))
    assert np.allclose(p_long[0][1], 1 / len(long_tokens))
    assert p_long[1][1, rows[1] - 1] > 0.999


def test_limit_view_checks_every_position_and_keeps_the_last_rows():
    r = limit_view("tomita4", 300, seed=1, window=10)
    assert r.ok and r.reports["float32"].ok
    assert r.reports["float64"].n_positions == 300 and len(r.tokens) == 300 and r.tokens[0] == "<bos>"
    assert r.rows == list(range(290, 300)) and r.cols == list(range(288, 300))  # τ = 2 keys more
    assert r.patterns.shape == (4, 10, 300)
    assert "equal to the interpreter at all 300 positions" in r.text()
    short = limit_view("bin_majority", 10, float32=False)
    assert short.ok and list(short.reports) == ["float64"] and short.rows == list(range(10))


def test_limit_view_runs_periodic_programs_at_an_offset():
    r = limit_view("aa_star", 50, seed=3, float32=False)
    assert r.ok and r.offset > 0 and "offset" in r.text()
    r2 = limit_view(parse("x := exists[j <= i] (Q(<bos>) and j % 2 == 0)\ny := #[j <= i] Q(a)"), 20)
    assert r2.ok


def test_plots_return_figures():
    r = limit_view("tomita4", 60, float32=False)
    fig = plot_limit_view(r)
    assert len(fig.axes) == 5  # four heads and the colour bar
    plt.close(fig)
    fig = plot_attention_window(r.patterns[:2], ["a", "b"], r.rows, tokens=r.tokens, log=True)
    assert len(fig.axes) == 3
    plt.close(fig)


def test_widget_first_render_and_the_size_guard():
    view = LimitView("tomita4", 100)
    assert view.result is not None and view.result.ok
    assert "equal to the interpreter" in view.message.value
    view.length.value = 10
    assert view.result.ok and len(view.result.tokens) == 10
    big = LimitView("majority", 10_000)  # more than a million parameters: refused at this length
    assert big.result is None and "1,000" in big.message.value
    plt.close("all")


def test_tv_from_uniform_and_relative_logits():
    assert tv_from_uniform(np.full(7, 1 / 7)) == pytest.approx(0.0)
    assert tv_from_uniform(np.array([1.0, 0.0, 0.0, 0.0])) == pytest.approx(0.75)
    logits = torch.tensor([[1.0, 9.0, 9.0], [2.0, 5.0, 9.0], [0.0, 3.0, -1.0]])
    rel = relative_logits(logits)
    assert rel[0, 0] == 0 and np.isnan(rel[0, 1]) and np.isnan(rel[1, 2])
    assert np.allclose(rel[1, :2], [-3.0, 0.0]) and np.allclose(rel[2], [-3.0, 0.0, -4.0])
