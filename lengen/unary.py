"""A model on the unary inputs ``<bos> a^n``: what it can and cannot tell apart without positions.

On ``<bos> a a ... a`` every position after ``<bos>`` holds the same token.  Without positional
encodings (NoPE) a causal transformer sees position i only through the softmax averages over the
prefix, which change by O(1/i) from one position to the next, so its final states converge as i
grows and its prediction is eventually constant: it cannot keep alternating between ``[in]`` and
``[out]`` as ``(aa)*`` demands.  With learned absolute positions (APE) the embedding p_i differs at
every position and nothing forces convergence.

:func:`unary_probe` measures this on any :class:`~lengen.model.GPT`: the distance between the
final (normalized) states of consecutive positions, and the predicted token at each position.
Positions are 0-based tensor positions: position 0 is ``<bos>``, position k holds the k-th ``a``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .model import GPT
from .tasks import BOS, Task


@dataclass
class UnaryProbe:
    """``drift[k - 1]`` = distance between the final states at positions k and k + 1 (k = 1..n-1);
    ``predictions[k]`` = the argmax token at position k (k = 0..n)."""

    symbol: str
    n: int
    drift: np.ndarray
    predictions: list[str]

    def constant_from(self) -> int:
        """The first position k from which the prediction never changes again (up to n)."""
        k = self.n
        while k > 0 and self.predictions[k - 1] == self.predictions[self.n]:
            k -= 1
        return k


@torch.no_grad()
def unary_probe(model: GPT, task: Task, symbol: str, n: int) -> UnaryProbe:
    """Run ``model`` on ``<bos>`` followed by ``n`` copies of ``symbol`` (offset 0)."""
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        ids = torch.tensor([task.vocab.encode([BOS] + [symbol] * n)], device=device)
        logits, cache = model.run_with_cache(ids, names=["ln_final.hook_normalized"])
    finally:
        model.train(was_training)
    h = cache["ln_final.hook_normalized"][0].float()  # (n + 1, d)
    drift = (h[2:] - h[1:-1]).norm(dim=-1).cpu().numpy()
    predictions = task.vocab.decode(logits[0].argmax(-1).tolist())
    return UnaryProbe(symbol, n, drift, list(predictions))
