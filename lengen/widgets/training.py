"""Train a model from a notebook and watch loss and accuracy by length update."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import matplotlib.pyplot as plt

from ..evaluate import accuracy_by_length
from ..tasks import get_task, task_names
from ..train import Callback, TrainConfig, train
from ..plots import plot_accuracy_by_length, plot_training


@dataclass
class Measured:
    """What :func:`train_and_measure` returns: the loss history, the curve and the raw result."""

    losses: list[tuple[int, float]] = field(default_factory=list)
    curve: dict[int, float] = field(default_factory=dict)
    result: dict = field(default_factory=dict)
    model: object = None


def train_and_measure(
    cfg: TrainConfig,
    lengths: Sequence[int] = tuple(range(1, 151, 5)),
    n_per_length: int = 40,
    every: int = 0,
    on_update: Callable[[Measured], None] | None = None,
) -> Measured:
    """Train under ``cfg`` (no files written) and measure accuracy at each of ``lengths``.

    With ``every > 0`` the curve is also measured every ``every`` steps and ``on_update`` is called
    with the partial :class:`Measured` (this is what the widget draws)."""
    m = Measured()
    task = get_task(cfg.task)

    class Live(Callback):
        model = None

        def on_start(self, model, task) -> None:
            self.model = model

        def on_step(self, step: int, loss: float) -> None:
            m.losses.append((step, loss))
            if every and step % every == 0 and on_update is not None:
                m.curve = accuracy_by_length(self.model, task, lengths, n_per_length, seed=cfg.seed)
                self.model.train()
                on_update(m)

    out = train(cfg, callbacks=[Live()], progress=False)
    m.model = out.model
    m.result = out.result
    m.curve = accuracy_by_length(out.model, task, lengths, n_per_length, seed=cfg.seed)
    if on_update is not None:
        on_update(m)
    return m


def draw(m: Measured, title: str = "", train_max: int = 50) -> plt.Figure:
    """Loss on the left, accuracy by length on the right."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.3), gridspec_kw={"width_ratios": [1, 1.6]})
    plot_training(m.losses, ax=a)
    plot_accuracy_by_length({title or "model": m.curve}, train_max=train_max, ax=b)
    fig.tight_layout()
    return fig


class TrainingWidget:
    """Pick a task and a model size, press *Train*, watch the loss and accuracy by length.

    ``initial`` is a :class:`Measured` shown before any click, so that the static page already
    shows a real result."""

    def __init__(self, initial: Measured | None = None, tasks: Sequence[str] | None = None,
                 default: TrainConfig | None = None) -> None:
        import ipywidgets as W

        default = default or TrainConfig(task="bin_majority", steps=600, eval_every=200)
        self.default = default
        names = list(tasks or task_names("algorithmic"))
        self.task = W.Dropdown(options=names, value=default.task, description="task")
        self.layers = W.IntSlider(value=default.n_layer, min=1, max=4, description="layers", continuous_update=False)
        self.heads = W.Dropdown(options=[1, 2, 4], value=default.n_head, description="heads")
        self.d_model = W.Dropdown(options=[16, 32, 64, 128, 256], value=default.d_model, description="width d")
        self.steps = W.IntSlider(value=default.steps, min=100, max=5000, step=100, description="steps",
                                 continuous_update=False)
        self.pe = W.ToggleButtons(options=["ape", "nope"], value=default.pe, description="positions")
        self.button = W.Button(description="Train", button_style="primary", icon="play")
        self.status = W.HTML()
        self.out = W.Output()
        self.button.on_click(self._train)
        controls = W.VBox([self.task, W.HBox([self.layers, self.heads]), W.HBox([self.d_model, self.steps]),
                           self.pe, W.HBox([self.button, self.status])])
        self.view = W.VBox([controls, self.out])
        if initial is not None:
            self._show(initial, f"{default.task} ({default.pe}, {default.n_layer}L {default.n_head}H d={default.d_model})")
            self.status.value = f"showing a run of {initial.result.get('steps', '?')} steps; press Train for your own"

    def config(self) -> TrainConfig:
        return replace(self.default, task=self.task.value, n_layer=self.layers.value, n_head=self.heads.value,
                       d_model=self.d_model.value, steps=self.steps.value, pe=self.pe.value,
                       eval_every=max(100, self.steps.value // 5))

    def _show(self, m: Measured, title: str) -> None:
        from IPython.display import display

        with self.out:
            self.out.clear_output(wait=True)
            fig = draw(m, title)
            display(fig)
            plt.close(fig)

    def _train(self, _button: object = None) -> None:
        cfg = self.config()
        title = f"{cfg.task} ({cfg.pe}, {cfg.n_layer}L {cfg.n_head}H d={cfg.d_model})"
        self.button.disabled = True
        self.status.value = "training..."
        try:
            m = train_and_measure(cfg, every=max(100, cfg.steps // 5), n_per_length=20,
                                  on_update=lambda m: self._show(m, title))
            acc = ", ".join(f"{k} {100 * v:.0f}%" for k, v in m.result["accuracy"].items())
            self.status.value = f"done: {m.result['steps']} steps, {m.result['train_seconds']:.0f} s; {acc}"
        finally:
            self.button.disabled = False

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)
