"""Reproducing the paper's experiments end to end (``lengen reproduce``).

* :mod:`lengen.experiments.protocol` -- the protocol, written once for algorithmic tasks and
  languages: architectures, groups (task x PE variant), the sweep / selection / seed-filter rules,
  the profiles (smoke, quick, paper), sharding and the CPU cost model.
* :mod:`lengen.experiments.reproduce` -- running a plan resumably (in parallel worker processes),
  merging shards, and writing ``table.csv``, ``table.md``, ``verdicts.json``, ``run_info.json``.
* :mod:`lengen.experiments.figures` -- the reproduced Figure 1 and the random baselines.
* :mod:`lengen.experiments.verdicts` -- the theory's predictions (from lengen's C-RASP library) and
  whether the measured outcomes agree.
* :mod:`lengen.experiments.batched` -- the stacked model: several seeds of one shape as one model
  whose weights carry a seed dimension (for GPUs).
* :mod:`lengen.experiments.stacked_runs` -- whole runs trained that way, with each run's early
  stopping, checkpoints and result file (``lengen reproduce --stack``).
* :mod:`lengen.experiments.cli` -- the ``reproduce`` subcommand.

>>> from lengen.experiments.protocol import build_plan
>>> plan = build_plan("smoke")
>>> plan.keys()[:2]
['bin_majority/ape', 'bin_majority/nope']
"""
