"""Interactive parts of the book.

Each widget is a thin ipywidgets wrapper around a pure function that the tests call directly:

* :func:`train_and_measure` / :class:`TrainingWidget`: train a model on a task and watch the loss
  and the accuracy by length update.
* :func:`attention_for_text` / :class:`AttentionProbe`: type an input, see every head's attention.
"""

from .training import TrainingWidget, train_and_measure
from .attention import AttentionProbe, attention_for_text

__all__ = ["AttentionProbe", "TrainingWidget", "attention_for_text", "train_and_measure"]
