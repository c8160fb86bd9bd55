"""Interactive parts of the book.

Each widget is a thin ipywidgets wrapper around a pure function that the tests call directly:

* :func:`train_and_measure` / :class:`TrainingWidget`: train a model on a task and watch the loss
  and the accuracy by length update.
* :func:`attention_for_text` / :class:`AttentionProbe`: type an input, see every head's attention.
* :func:`run_program_text` / :class:`CRASPEditor`: edit a C-RASP program, see its trace live.
"""

from .training import TrainingWidget, train_and_measure
from .attention import AttentionProbe, attention_for_text
from .crasp_editor import CRASPEditor, run_program_text

__all__ = ["AttentionProbe", "CRASPEditor", "TrainingWidget", "attention_for_text", "run_program_text",
           "train_and_measure"]
