"""Identifiability in the limit, made measurable (Huang et al., ICLR 2025, sections 2 and 4 of the paper).

* :mod:`~lengen.identify.search` -- the idealized learner over C-RASP programs: the least complex
  program of a fragment that agrees with a target on every input up to length n (bottom-up
  enumeration with observational-equivalence pruning, vectorized with numpy);
* :mod:`~lengen.identify.targets` -- what is learned: membership of prefixes of a language,
  a task's own labels, any Python predicate on strings;
* :mod:`~lengen.identify.identification` -- the learner's choice as n grows, its accuracy on
  longer inputs, and the length complexity;
* :mod:`~lengen.identify.communication` -- the communication-complexity evidence (Theorem 12);
* :mod:`~lengen.identify.positional` -- the regularizer's ingredients and the positional structure
  (translation invariance, locality, periodicity) of trained models;
* :mod:`~lengen.identify.product_fit` -- the appendix G.2 experiment: fitting positional products;
* :mod:`~lengen.identify.positional_study` -- ``lengen positional``: models trained with and without
  the positional-product regularizer, their products measured and saved;
* :mod:`~lengen.identify.taskfile` and :mod:`~lengen.identify.cli` -- ``lengen predict``.

>>> from lengen.identify import predicate_target, search
>>> result = search(predicate_target(lambda s: s.count("a") > s.count("b"), "ab"), n=6)
>>> result.expression
'#[j <= i] Q(b) < #[j <= i] Q(a)'
"""

from __future__ import annotations

from .communication import (
    CommunicationPoint,
    SplitFunction,
    communication_point,
    communication_profile,
    communication_table,
    plot_communication,
    task_function,
)
from .identification import Accuracy, IdentificationTable, accuracy, identification_table
from .search import SearchResult, SearchSpace, parse_fragment, search, search_outputs
from .targets import (
    Target,
    TargetError,
    answer_target,
    label_targets,
    membership_target,
    predicate_target,
    task_target,
)

__all__ = [
    "Accuracy", "CommunicationPoint", "IdentificationTable", "SearchResult", "SearchSpace", "SplitFunction", "Target",
    "TargetError", "accuracy", "answer_target", "communication_point", "communication_profile", "communication_table",
    "identification_table", "label_targets", "membership_target", "parse_fragment", "plot_communication",
    "predicate_target", "search", "search_outputs", "task_function", "task_target",
]
