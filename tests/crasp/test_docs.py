"""The examples in the package's docstrings run as written."""

from __future__ import annotations

import doctest

import pytest

import lengen.crasp
import lengen.crasp.traces


@pytest.mark.parametrize("module", [lengen.crasp, lengen.crasp.traces])
def test_docstring_examples_run(module) -> None:  # type: ignore[no-untyped-def]
    failures, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0
