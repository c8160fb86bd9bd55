"""The regularizer's ingredients and the positional measures."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lengen.identify.positional import (
    diagonal_profile,
    head_measures,
    locality,
    measure_matrix,
    periodicity,
    plot_head_products,
    regularizer_ingredients,
    synthetic_products,
    translation_invariance,
)
from lengen.model import GPT, ModelConfig


def test_local_toeplitz_matrix():
    M = synthetic_products("local", N=80, lags=(1, 2))
    m = measure_matrix(M, tau=2)
    assert m.translation_invariance == pytest.approx(1.0)
    assert m.locality > 0.95
    assert locality(M, tau=0) < 0.2  # the energy is at lags 1 and 2
    assert m.period_strength < 0.3


def test_periodic_matrix():
    M = synthetic_products("periodic", N=90, period=3)
    m = measure_matrix(M, tau=2)
    assert m.translation_invariance == pytest.approx(1.0)
    assert m.period == 3 and m.period_strength > 0.99
    assert m.spectral_period == pytest.approx(3.0, abs=0.1)
    assert m.locality < 0.15


def test_noise_and_non_invariant_matrices():
    noise = measure_matrix(synthetic_products("noise", N=100, seed=3), tau=2)
    assert noise.translation_invariance < 0.1 and noise.locality < 0.2 and noise.period_strength < 0.3
    first = measure_matrix(synthetic_products("first", N=60), tau=2)
    assert first.translation_invariance < 0.1


def test_profile_and_invariance_by_hand():
    M = np.array([[1.0, 9, 9], [2, 1, 9], [5, 2, 1]])  # upper triangle ignored
    np.testing.assert_allclose(diagonal_profile(M), [1, 2, 5])
    assert translation_invariance(M) == pytest.approx(1.0)
    M2 = M.copy()
    M2[2, 1] = 4  # lag 1 now 2 and 4: mean 3
    assert translation_invariance(M2) < 1.0
    assert periodicity(np.tile([1.0, -1.0], 20)).period == 2


def _tiny(pe="ape"):
    torch.manual_seed(0)
    return GPT(ModelConfig(vocab_size=7, n_positions=12, n_layer=2, n_head=2, d_model=8, pe=pe))


def test_regularizer_ingredients_match_a_direct_computation():
    model = _tiny()
    ing = regularizer_ingredients(model)
    assert (ing.n_layer, ing.n_head, ing.d_model, ing.d_head, ing.d_mlp, ing.n_positions) == (2, 2, 8, 4, 32, 12)
    assert ing.n_parameters == model.num_parameters()
    total = sum(float((p.detach().double() ** 2).sum()) for p in model.parameters())
    assert ing.total_norm == pytest.approx(np.sqrt(total))
    assert ing.param_norms["positional_embedding"] == pytest.approx(float(model.wpe.weight.detach().double().norm()))
    # the positional term, by hand: (1/N) sum_{l,h} sum_{i >= j} ((p_i W_Q^h) . (p_j W_K^h))^2
    P = model.wpe.weight.detach().double()
    N, d, H = P.shape[0], 8, 2
    direct = 0.0
    per_head = []
    for block in model.blocks:
        w_q, w_k, _ = block.attn.qkv.weight.detach().double().split(d, dim=0)
        row = []
        for h in range(H):
            q = P @ w_q[h * 4:(h + 1) * 4].T
            k = P @ w_k[h * 4:(h + 1) * 4].T
            M = q @ k.T
            v = float(sum(M[i, j] ** 2 for i in range(N) for j in range(i + 1))) / N
            row.append(v)
            direct += v
        per_head.append(row)
    assert ing.positional_term == pytest.approx(direct, rel=1e-5)
    np.testing.assert_allclose(ing.per_head, per_head, rtol=1e-5)
    assert len(head_measures(model)) == 4
    nope = regularizer_ingredients(_tiny("nope"))
    assert nope.positional_term is None and nope.n_positions is None


def test_plot_head_products():
    import matplotlib

    matplotlib.use("Agg")
    fig = plot_head_products(_tiny(), max_positions=10)
    assert len(fig.axes) == 8  # 4 panels and 4 colorbars
    fig2 = plot_head_products(synthetic_products("local", N=20))
    assert "TI 1.00" in fig2.axes[0].get_title()
