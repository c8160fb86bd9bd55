"""lengen.unary: on <bos> a^n, a NoPE model's states converge; an APE model's need not."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lengen.model import GPT
from lengen.tasks import get_task
from lengen.train import TrainConfig
from lengen.unary import UnaryProbe, unary_probe


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nope_states_converge_and_ape_states_do_not(seed):
    task = get_task("aa_star")
    ratios = {}
    for pe in ("nope", "ape"):
        torch.manual_seed(seed)
        model = GPT(TrainConfig(task="aa_star", pe=pe, n_layer=2, n_head=2, d_model=32).model_config(task))
        probe = unary_probe(model, task, "a", 150)
        assert probe.drift.shape == (149,) and len(probe.predictions) == 151
        ratios[pe] = probe.drift[99:].mean() / probe.drift[:10].mean()
    assert ratios["nope"] < 0.01  # drift falls by more than 100x from the first to the last positions
    assert ratios["ape"] > 0.1


def test_probe_restores_training_mode_and_constant_from():
    task = get_task("aa_star")
    model = GPT(TrainConfig(task="aa_star", pe="nope").model_config(task))
    model.train()
    unary_probe(model, task, "a", 5)
    assert model.training
    p = UnaryProbe("a", 4, np.zeros(3), ["x", "[in]", "[out]", "[in]", "[in]"])
    assert p.constant_from() == 3
    assert UnaryProbe("a", 2, np.zeros(1), ["[in]"] * 3).constant_from() == 0
