"""The fast CPU path of lengen's linear layers computes what nn.Linear computes."""

import pytest
import torch
import torch.nn.functional as F

from lengen import fast_linear
from lengen.fast_linear import Linear


@pytest.mark.parametrize("bias", [True, False])
def test_fast_path_matches_plain_linear_forward_and_backward(bias):
    torch.manual_seed(0)
    layer = Linear(256, 1024, bias=bias)  # 64 * 80 * 256 * 1024 multiply-adds: above the threshold
    x = torch.randn(64, 80, 256, requires_grad=True)
    y = layer(x)
    y.square().mean().backward()
    grads = (x.grad.clone(), layer.weight.grad.clone(), None if not bias else layer.bias.grad.clone())
    x.grad = None
    layer.zero_grad()
    ref = F.linear(x, layer.weight, layer.bias)
    ref.square().mean().backward()
    assert torch.allclose(y, ref, atol=1e-4)
    assert torch.allclose(grads[0], x.grad, atol=1e-6)
    assert torch.allclose(grads[1], layer.weight.grad, atol=1e-5)
    if bias:
        assert torch.allclose(grads[2], layer.bias.grad, atol=1e-5)


def test_switch_turns_the_fast_path_off(monkeypatch):
    calls = []
    monkeypatch.setattr(fast_linear, "FAST_CPU_LINEAR", False)
    monkeypatch.setattr(fast_linear, "_probe_onednn", lambda: calls.append(1))
    Linear(256, 1024)(torch.randn(64, 80, 256))
    assert calls == []


def test_state_dict_is_that_of_nn_linear():
    assert set(Linear(3, 4).state_dict()) == {"weight", "bias"}
