"""Compile a C-RASP[periodic, local] program into a Limit Transformer, and export it to an APE GPT.

>>> from lengen.crasp import parse
>>> from lengen.crasp.compiler import compile
>>> prog = parse('''
... ones   := #[j <= i] Q(1)
... zeros  := #[j <= i] Q(0)
... next_1 := Q(<sep>) and ones > zeros
... ''')
>>> model = compile(prog, ["<pad>", "<bos>", "0", "1", "<sep>"])
>>> model.run("<bos> 1 0 1 <sep>")["next_1"].tolist()
[False, False, False, False, True]
>>> model.run("<bos> 1 0 1 <sep>")["ones"].tolist()
[0, 1, 1, 2, 2]

This is the translation theorem of Huang et al. made executable: every program of
C-RASP[periodic, local] is computed by a Limit Transformer (:mod:`lengen.limit`) with PERIODIC
positional encodings and LOCAL positional attention terms φ.  The construction follows Yang &
Chiang (2024, "Counting Like Transformers").  The weights are written by hand, nothing is trained.

Conventions
-----------
* **Inputs start with ``<bos>``** (every task of lengen feeds ``<bos> ...``) and contain no other
  ``<bos>``: the ``<bos>`` at tensor index 0 is the attention sink that gives every position the
  number 1/i.  ``<bos>`` is part of the string, so it is C-RASP position 1 and is counted like any
  other position.  :meth:`CompiledModel.encode` checks this.
* Tensor index t (0-based) is C-RASP position i = t + 1.  Position ids are ``offset + t`` and a
  periodic predicate ``i % m == r`` holds at position id ``pid`` iff ``(pid + 1) % m == r``, so
  the model's offset is the interpreter's ``offset``.
* Every Boolean definition is readable from the final residual stream: its value is an affine
  function ``w · x + c`` of the residual x (a coordinate, or 1 − a coordinate for a negation), and
  it is true iff that value is > 1/2 (it is 0 or 1 up to rounding).  Every count definition C is
  stored as the fraction C / i in a coordinate, and read back by dividing by the coordinate that
  holds 1/i.  :attr:`CompiledModel.readouts` lists them; :meth:`CompiledModel.run` applies them.
* The logits: for each token a with a Boolean ``next_a``, logit(a) = +10 where ``next_a`` holds and
  −10 elsewhere; other tokens get −10.  With ``task=`` a formal language, the logits are those of
  the task's label tokens (``[01]``, ``[in]``, ...), assembled from ``next_<symbol>``/``accept``
  as :mod:`lengen.crasp.checker` does.  So a compiled model can be evaluated like a trained one
  (``lengen.evaluate.correctness``).

The construction (one residual coordinate per value, ReLU MLPs, LayerNorm in one place only)
------------------------------------------------------------------------------------------------
* **Embeddings.**  A coordinate ``1`` (constant), one per token tested by ``Q(...)``, and one per
  periodic predicate (m, r) -- the latter in the periodic table p_{pid mod Δ}, Δ the lcm of the
  moduli (PERIODIC).  ``Q``, ``i % m == r`` and constants are thus available before layer 0.
* **Counts by uniform attention.**  A head whose logits are all 0 (W_Q = W_K = 0, φ = 0) averages
  its values over positions 1..i: with the value P(j) it outputs #[j <= i] P / i.  One such head
  per layer averages every count body of that layer (one value dimension each).  The value
  [j is <bos>] gives u = 1/i (the "sink"), needed for constants.  Counts are kept as fractions
  C / i: attention outputs averages, never unbounded numbers.
* **Local counts from φ.**  ``#[j <= i, j == i - k] P`` is a head with φ(k) = 60 and φ(d) = 0
  otherwise (so τ = the largest k): it puts weight 1 − O(i e^{-60}) on position i − k and reads
  P there.  Where i <= k there is no such position: the MLP multiplies the head's output h by
  [i > k], read from u: ReLU(h + k − k(k+1)u) − ReLU(k − k(k+1)u) equals h when u <= 1/(k+1) and
  0 when u >= 1/k.  ``#[j <= i, i - j <= k] P`` is P(i) plus the shifts by 1..k.
* **Comparisons, and the one place that needs LayerNorm.**  ``C1 <= C2`` holds iff the integer
  w = C2 − C1 is >= 0, i.e. iff g = (w + 1/2)/i > 0.  g is linear in the fractions, so the layers
  that produce them add their parts straight into a "slot" coordinate for g (the residual stream
  is a sum).  The margin |g| >= 1/(2i) shrinks with i, and a ReLU MLP with fixed weights cannot
  read the sign of a number at every scale.  LayerNorm can: as in Yang & Chiang, LayerNorm of the
  pair (g, −g) is (±1, ∓1) whatever the scale of g.  lengen's GPT normalizes the *whole* residual
  stream, whose size the O(1) Booleans dominate, so g's sign would again vanish at large i; the
  Limit Transformer therefore runs with ``layer_norm=False`` and puts a
  :class:`lengen.limit.PairSignNorm` in front of each MLP: exactly LayerNorm of (g, −g) on the slot
  coordinates, the identity on every other coordinate.  The MLP then sees s = sign(g) and uses
  the literal (1 + s)/2 directly; ``==`` is (s1 + s2)/2 for the slots of w and −w.  A comparison
  whose counts are all local (bounded) needs no slot: a step of the integer 2w + 1.
* **Booleans by ReLU MLPs.**  A step with margin: step(y) = ReLU(y + 1/2) − ReLU(y − 1/2) is
  exactly 0 for y <= −1/2 and exactly 1 for y >= 1/2.  AND of m literals is step(2 Σ − 2m + 1),
  OR is step(2 Σ − 1), NOT is 1 − x (free: literals are affine forms).  Chains of ``and`` (or
  ``or``), also through named definitions and De Morgan, are flattened into one gate, so sort's
  150-step chains cost one layer.  Each gate's output is 0 or 1 up to rounding, so errors do not
  build up through layers.  A value that attention must read (a count body) or that is read out
  gets its own coordinate; a comparison read only by MLPs never does.
* **Conditional counts.**  ``P ? C1 : C2`` = P·C1 + (1 − P)·C2, expanded into terms
  [guard literals]·leaf; a term with C/i (or 1/i) in [0, 1] is the unit ReLU(C/i + Σ guard − #guard).
* **Layers.**  Each value gets the earliest layer at which its inputs exist (attention of layer l
  reads what MLP l − 1 wrote; MLP l reads what attention l wrote).  ``n_head`` is the largest
  number of heads in a layer (one uniform head + one per shift distance); lengen's GPT ties
  d_model = n_head · d_head, so d_head = max(values of a head, width / n_head); d_mlp is the
  largest number of MLP units in a layer.  Attention skips heads and value dimensions whose weights
  are exactly zero (:meth:`lengen.limit.LimitAttention._plan`), which keeps long inputs affordable.

Numerics: float64, float32, and the two known failure classes
-------------------------------------------------------------
Everything is exact except (a) the averages C/i, computed by softmax and a matrix product, (b) the
local heads' leak of weight O(i e^{-60}) to other positions (harmless below i ≈ 1e25), and (c) the
sign normalization's ε = 1e-24 (s deviates from ±1 by at most 2εi², harmless below i ≈ 1e11).
The comparison margin is 1/(2i) and a count is read back from C/i to within 1/2, so (a) decides
where a float format stops being exact.  A matrix product sums the C equal terms 1/i one after the
other; on a long run of equal tokens their rounding errors all have the same sign, and the error
in C grows like C²·u/4 (u the unit roundoff), reaching 1/2 at C ≈ sqrt(2/u); a count that a
program multiplies by c (``2 * #...``) carries c times the error, so the frontier drops by sqrt(c).

* float64 (u = 2^-53): exact at every position of random inputs of length 10,000 for every program
  of the library and for random programs (``tests/crasp/test_compile.py``; all library programs at
  10,000: :func:`library_report`, or ``LENGEN_FULL_COMPILE_CHECK=1 pytest``).  The estimate above
  puts the first error near 1e8 positions (1e7 for unique_copy's weights up to 128).
* float32 (u = 2^-24): sqrt(2/u) ≈ 5,800.  Measured (:func:`float32_frontier`, CPU, PyTorch 2.13,
  one thread) on :data:`FRONTIER_PROGRAM` (comparisons of counts at and around equality): the worst
  inputs we found -- long runs of one token -- give the first wrong Boolean output at position
  5,855 and the first wrong count read-out at position 5,859.  So **float32 stays exact up to
  length 5,854** for programs whose counts have weights 1 or 2.  On random inputs
  (:func:`library_report`) every library program is exact in float32 at length 5,000, except
  ``unique_copy``, whose codes weigh counts by up to 128 (exact at 2,000; at 4,000 some count
  read-outs are wrong, its Boolean outputs still right); at 10,000 half of the programs show
  errors.  The exact positions depend on the BLAS's summation order (two threads sum
  differently).  Either way float32 compiled models are exact, with a wide margin, at every length
  the paper's experiments use (<= 700).
* Tests for the two failure classes tracr suffered from: counts compared at lengths where 1/i is
  tiny (equality of counts at length 10,000 in float64, float32 near its frontier), and silent
  mis-compilation (a ``Cond`` whose else branch matters, every comparison operator at equality,
  local counts at the start of the string, periodic predicates at every phase, random programs).

Export to an APE GPT (:meth:`CompiledModel.to_ape`)
---------------------------------------------------
For a maximum length N, the program compiles into an ordinary ``GPT(pe="ape", n_positions=N)``
(``layer_norm=False``, ReLU, untied output layer):

* PERIODIC encodings: row t of the position table is p_{t mod Δ}.
* LOCAL φ becomes a positional product p_iᵀ W_Qᵀ W_K p_j.  Two more coordinates hold position t
  as a point on a circle, (cos θt, sin θt) with θ = 2π / (N + τ + 1).  The query of a shift-k
  head rotates its point back by θk, so q_i · k_j = λ cos(θ (i − k − j)): largest (λ) exactly at
  j = i − k, and at least λ (1 − cos θ) below that elsewhere; λ = 60 / (1 − cos θ) gives the same
  margin 60 as φ.  This only works up to N: beyond it the circle wraps around.  λ grows like N²
  (≈ 1e9 at N = 10,000), so float32 loses the margin at some ten thousand positions (measured exact
  in float32 up to N = 3,000 for tomita4); use float64 there.
* Without PairSignNorm, a comparison reads its slot g with the slope 4N, |4N g| >= 2 for i <= N,
  through a step into its own coordinate: one more MLP layer per level of comparisons than the
  Limit Transformer, and the second reason the export has a maximum length.
The exported model is checked up to N like the Limit Transformer (:meth:`CompiledModel.verify`).

Modules
-------
:mod:`.circuit` (program -> coordinates, heads, units; the validator), :mod:`.weights` (circuit ->
parameters), :mod:`.compiled` (:func:`compile`, :class:`CompiledModel`), :mod:`.checking`
(:func:`verify` against the interpreter, :func:`float32_frontier`, :func:`library_report`),
:mod:`.cli` (``lengen crasp compile``).
"""

from __future__ import annotations

from .checking import (
    FRONTIER_PROGRAM,
    VerifyReport,
    balanced_inputs,
    float32_frontier,
    library_report,
    random_inputs,
    report_table,
    run_inputs,
    verify,
)
from .circuit import CompileError, Lin, default_vocab, validate
from .cli import add_compile_parser
from .compiled import CompiledModel, compile

__all__ = [
    "FRONTIER_PROGRAM", "CompileError", "CompiledModel", "Lin", "VerifyReport", "add_compile_parser",
    "balanced_inputs", "compile", "default_vocab", "float32_frontier", "library_report", "random_inputs",
    "report_table", "run_inputs", "validate", "verify",
]
