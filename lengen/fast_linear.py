"""``Linear``: ``nn.Linear`` with a faster matrix-product path on CPU.

PyTorch sends float32 matrix products on CPU to MKL, which on some processors (measured here: AMD
EPYC, one thread) runs at about half the speed of oneDNN, the other GEMM library inside PyTorch.
The small models of this book spend most of a CPU training step in these products, so
:class:`Linear` calls oneDNN directly when it is present, the product is large enough to repay
the Python overhead, and nothing asks for something else (CUDA, another dtype, CPU autocast).
Forward and backward compute the same products as ``F.linear`` up to float32 rounding
(summation order); ``tests/test_fast_linear.py`` checks both paths agree.

Set ``LENGEN_FAST_CPU_LINEAR=0`` (or ``lengen.fast_linear.FAST_CPU_LINEAR = False``) to use plain
``F.linear`` everywhere.  The op used, ``torch.ops.mkldnn._linear_pointwise``, is internal to
PyTorch: it is probed once against ``F.linear`` and skipped when missing or different.
"""

from __future__ import annotations

import os
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

FAST_CPU_LINEAR = os.environ.get("LENGEN_FAST_CPU_LINEAR", "1").strip().lower() not in ("0", "false", "no", "off")
_FAST_MIN_MACS = 1 << 22  # rows * d_in * d_out below which the plain path is as fast or faster
_FAST_MIN_WEIGHT_GRAD = 1 << 17  # d_in * d_out below which MKL computes the weight gradient as fast
_onednn_linear: Callable | None = None
_onednn_probed = False


def _probe_onednn() -> Callable | None:
    """The oneDNN linear op if this PyTorch has one that agrees with ``F.linear``, else None (once)."""
    global _onednn_linear, _onednn_probed
    if _onednn_probed:
        return _onednn_linear
    _onednn_probed = True
    try:
        if not torch.backends.mkldnn.is_available():
            return None
        op = torch.ops.mkldnn._linear_pointwise
        g = torch.Generator().manual_seed(0)
        x, w, b = (torch.randn(*s, generator=g) for s in ((2, 5, 24), (12, 24), (12,)))
        with torch.no_grad():
            ok = torch.allclose(op(x, w, b, "none", [], ""), F.linear(x, w, b), atol=1e-5) and torch.allclose(
                op(x, w, None, "none", [], ""), F.linear(x, w), atol=1e-5
            )
        _onednn_linear = op if ok else None
    except Exception:  # an older/newer PyTorch without this op, or a build without oneDNN
        _onednn_linear = None
    return _onednn_linear


def _autocast_on_cpu() -> bool:
    try:
        return torch.is_autocast_enabled("cpu")
    except TypeError:  # PyTorch < 2.4
        return torch.is_autocast_cpu_enabled()


class _OneDNNLinearFunction(torch.autograd.Function):
    """y = x W^T + b with oneDNN products in forward and backward (CPU, float32)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _onednn_linear(x, weight, bias, "none", [], "")

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        grad_x = grad_w = grad_b = None
        d_out, d_in = weight.shape
        if ctx.needs_input_grad[0]:  # grad @ W, i.e. a linear layer with weight W^T
            grad_x = _onednn_linear(grad, weight.t().contiguous(), None, "none", [], "")
        if ctx.needs_input_grad[1] or (ctx.has_bias and ctx.needs_input_grad[2]):
            g2 = grad.reshape(-1, d_out)
            if ctx.needs_input_grad[1]:  # grad^T @ x
                x2 = x.reshape(-1, d_in)
                if d_in * d_out >= _FAST_MIN_WEIGHT_GRAD:
                    grad_w = _onednn_linear(g2.t().contiguous(), x2.t().contiguous(), None, "none", [], "")
                else:
                    grad_w = g2.t() @ x2
            if ctx.has_bias and ctx.needs_input_grad[2]:
                grad_b = g2.sum(0)
        return grad_x, grad_w, grad_b


class Linear(nn.Linear):
    """``nn.Linear`` (same parameters, same state dict) whose CPU float32 products use oneDNN."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w, b = self.weight, self.bias
        if (
            FAST_CPU_LINEAR
            and x.device.type == "cpu"
            and x.dtype == torch.float32
            and w.dtype == torch.float32
            and (b is None or b.dtype == torch.float32)
            and x.dim() >= 2
            and x.numel() * w.shape[0] >= _FAST_MIN_MACS
            and not _autocast_on_cpu()
            and _probe_onednn() is not None
        ):
            if torch.is_grad_enabled() and (x.requires_grad or w.requires_grad or (b is not None and b.requires_grad)):
                return _OneDNNLinearFunction.apply(x, w, b)
            return _onednn_linear(x, w, b, "none", [], "")
        return F.linear(x, w, b)
