"""The appendix G.2 experiment at toy size."""

from __future__ import annotations

import math

import numpy as np

from lengen.identify.product_fit import FULL, QUICK, compare_products, results_markdown, target_matrix


def test_target_matrix():
    T = target_matrix("prev", 4)
    v = 2 * math.log(50)
    np.testing.assert_allclose(T, [[0, 0, 0, 0], [v, 0, 0, 0], [0, v, 0, 0], [0, 0, v, 0]])
    T3 = target_matrix("mod3", 5)
    assert T3[4, 1] == v and T3[4, 2] == 0 and T3[0, 3] == 0  # causal pairs only
    assert target_matrix("first", 3)[:, 0].tolist() == [v, v, v]
    assert FULL["steps"] == 15_000 and QUICK["steps"] < FULL["steps"]


def test_translation_invariant_phi_fits_and_others_do_not():
    res = compare_products(("mod3", "half"), n_positions=48, train_len=16, d=16, steps=400, test_lengths=(16, 32))
    mod3, half = res["mod3"], res["half"]
    # at random offsets, a non-invariant φ asks for different logits for the same positions
    assert half.relative(16) > 0.6
    assert mod3.relative(16) < 0.3
    for r in res.values():
        assert set(r.test_mse) == {16, 32} and all(np.isfinite(list(r.test_mse.values())))
    assert "i ≡ j mod 3" in results_markdown(res)
