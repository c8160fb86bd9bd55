"""Number types for the command lines, checked while the arguments are parsed.

``type=int_at_least(1)`` in place of ``type=int`` makes argparse reject ``--steps 0`` with one
line that names the option and the allowed values (``argument --steps: must be an integer >= 1,
got 0``) and exit status 2, before anything runs.
"""

from __future__ import annotations

import argparse
import math
from typing import Callable


def int_at_least(least: int) -> Callable[[str], int]:
    """An argparse type: an integer that is at least ``least``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {least}, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be an integer >= {least}, got {value}")
        return value

    parse.__name__ = f"integer >= {least}"  # argparse's fallback message names the type
    return parse


def number_above(bound: float, inclusive: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number ``> bound`` (``>= bound`` with ``inclusive``)."""
    rule = f"{'>=' if inclusive else '>'} {bound:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number {rule}, got {text!r}") from None
        if not math.isfinite(value) or value < bound or (value == bound and not inclusive):
            raise argparse.ArgumentTypeError(f"must be a finite number {rule}, got {text}")
        return value

    parse.__name__ = f"number {rule}"
    return parse


NATURAL = int_at_least(0)  # 0, 1, 2, ...
POSITIVE = int_at_least(1)  # 1, 2, 3, ...
POSITIVE_NUMBER = number_above(0.0)
NONNEGATIVE_NUMBER = number_above(0.0, inclusive=True)
