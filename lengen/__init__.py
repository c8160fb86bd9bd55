"""lengen: length generalization in transformers, after Huang et al. (ICLR 2025).

The package follows the book: ``lengen.tasks`` (the paper's tasks), ``lengen.model`` (the
transformer), ``lengen.train`` and ``lengen.evaluate`` (the protocol), ``lengen.crasp`` (the
C-RASP language), ``lengen.widgets`` (the notebooks' interactive parts), ``lengen.cli``.
"""

__version__ = "0.2.0"
