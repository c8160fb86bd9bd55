"""Type an input, see where every head of a trained model attends."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..model import GPT
from ..plots import plot_attention
from ..tasks import BOS, SEP, Task


def tokens_for_text(task: Task, text: str) -> list[str]:
    """Turn a typed input such as ``"0 1 1 0"`` into the model's input tokens ``<bos> 0 1 1 0 <sep>``.

    Whitespace separates tokens; a string without spaces is split into characters when every
    character is a token.  ``<bos>`` is added in front and, for algorithmic tasks, the separator
    behind (``=`` for addition) unless the text already ends with it.  Unknown tokens raise a
    :class:`~lengen.tasks.TaskError` naming them."""
    parts = text.split()
    if len(parts) == 1 and parts[0] not in task.vocab and all(c in task.vocab for c in parts[0]):
        parts = list(parts[0])
    if not parts or parts[0] != BOS:
        parts = [BOS] + parts
    if task.kind == "algorithmic":
        sep = "=" if task.name == "addition" else SEP
        if parts[-1] != sep:
            parts.append(sep)
    task.vocab.encode(parts)  # raises TaskError naming an unknown token
    return parts


def attention_for_text(model: GPT, task: Task, text: str, offset: int = 0) -> tuple[list[str], np.ndarray, list[str]]:
    """Attention patterns of every layer and head for a typed input.

    Returns ``(tokens, patterns, titles)`` with patterns of shape (layers * heads, T, T), row =
    query position i, column = key position j (positions counted from 0 at ``<bos>``)."""
    tokens = tokens_for_text(task, text)
    device = next(model.parameters()).device
    ids = torch.tensor([task.vocab.encode(tokens)], device=device)
    pos = torch.arange(offset, offset + len(tokens), device=device)[None]
    _, cache = model.run_with_cache(ids, pos, names=lambda n: n.endswith("hook_pattern"))
    patterns, titles = [], []
    for layer in range(model.cfg.n_layer):
        p = cache[f"blocks.{layer}.attn.hook_pattern"][0].float().cpu().numpy()  # (H, T, T)
        for h in range(p.shape[0]):
            patterns.append(p[h])
            titles.append(f"layer {layer}, head {h}")
    return tokens, np.stack(patterns), titles


class AttentionProbe:
    """A text box and a figure: every head's attention pattern for the typed input."""

    def __init__(self, model: GPT, task: Task, text: str = "0 1 1 0 1") -> None:
        import ipywidgets as W

        self.model, self.task = model, task
        self.text = W.Text(value=text, description="input", continuous_update=False,
                           layout=W.Layout(width="60%"))
        self.offset = W.IntSlider(value=0, min=0, max=max(0, model.cfg.n_positions - 60), description="offset",
                                  continuous_update=False)
        self.message = W.HTML()
        self.out = W.Output()
        self.text.observe(lambda _: self.update(), names="value")
        self.offset.observe(lambda _: self.update(), names="value")
        self.view = W.VBox([W.HBox([self.text, self.offset]), self.message, self.out])
        self.update()

    def update(self) -> None:
        from IPython.display import display

        from ..tasks import TaskError

        try:
            tokens, patterns, titles = attention_for_text(self.model, self.task, self.text.value, self.offset.value)
        except (TaskError, IndexError) as e:
            self.message.value = f"<span style='color:#D55E00'>{e}</span>"
            return
        self.message.value = f"{len(tokens)} tokens"
        with self.out:
            self.out.clear_output(wait=True)
            fig = plot_attention(patterns, tokens, titles)
            display(fig)
            plt.close(fig)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)
