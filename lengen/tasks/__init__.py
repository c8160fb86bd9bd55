"""Tasks: the paper's 8 algorithmic tasks, 17 formal languages and 7 counter languages.

>>> from lengen.tasks import get_task
>>> task = get_task("bin_majority")
"""

from __future__ import annotations

from typing import Callable

from .base import BOS, EOS, IGNORE_INDEX, PAD, SEP, Batch, Example, Prediction, Task, TaskError, Vocab

_REGISTRY: dict[str, Callable[[], Task]] = {}
_CACHE: dict[str, Task] = {}


class UnknownTaskError(TaskError):
    """Raised by :func:`get_task` for a name that is not registered."""


def register(cls: type[Task]) -> type[Task]:
    """Class decorator: make a task available by its ``name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    if cls.name in _REGISTRY:
        raise ValueError(f"task {cls.name!r} registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def task_names(kind: str | None = None) -> list[str]:
    """Registered task names in registration order (the paper's order), optionally of one kind."""
    return [n for n, cls in _REGISTRY.items() if kind is None or cls.kind == kind]


def get_task(name: str) -> Task:
    """The task registered under ``name`` (one shared instance per name)."""
    if name not in _REGISTRY:
        raise UnknownTaskError(f"unknown task {name!r}; known tasks: {', '.join(task_names())}")
    if name not in _CACHE:
        _CACHE[name] = _REGISTRY[name]()
    return _CACHE[name]


def all_tasks(kind: str | None = None) -> list[Task]:
    return [get_task(n) for n in task_names(kind)]


from . import algorithmic, languages, counter  # noqa: E402,F401  (registers the tasks)

__all__ = [
    "BOS", "EOS", "IGNORE_INDEX", "PAD", "SEP", "Batch", "Example", "Prediction", "Task", "TaskError",
    "UnknownTaskError", "Vocab", "all_tasks", "get_task", "register", "task_names",
]
