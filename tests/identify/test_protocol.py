"""Alice's message for a C-RASP program determines Bob's side: the protocol of the communication bound."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from lengen.crasp import library, parse
from lengen.identify.communication import algorithmic_function, communication_point
from lengen.identify.periodic_strings import random_program
from lengen.identify.protocol import alice_messages, check_protocol, message_plan


def test_plan_finds_nested_and_unnamed_counts() -> None:
    prog = parse("b := #[j <= i] Q(a) > #[j <= i] Q(b)\n"
                 "c := #[j <= i] (b and #[j <= i, j == i - 2] Q(a) == 1)\n"
                 "accept := c > 1")
    plan = message_plan(prog)
    assert len(plan.count_names) == 3  # #Q(a), #Q(b) and c; the local count is not a prefix count
    assert len(plan.body_names) == 1 and plan.window == 2
    assert plan.bits(10) == 3 * math.ceil(math.log2(7)) + 2


def test_messages_of_binary_majority_are_the_counts() -> None:
    plan = message_plan(library.load("bin_majority"))
    msgs = alice_messages(plan, [("1", "0", "1"), ("0", "1", "1"), ("0", "0", "0")])
    assert msgs[0] == msgs[1] != msgs[2]


@pytest.mark.parametrize("name, alphabet, suffix", [
    ("bin_majority", "01", ["<sep>"]),
    ("tomita4", "01", []),
    ("d2", "ab", []),
    ("tomita7", "01", []),
    ("bin_majority_interleave", "01", ["<sep>"]),
])
def test_message_determines_bob_side(name: str, alphabet: str, suffix: list) -> None:
    prog = library.load(name)
    for n in (3, 6, 9):
        for offset in (0, 1, 2):
            c = check_protocol(prog, list(alphabet), n, suffix=suffix, offset=offset)
            assert c.consistent and c.rows <= c.messages <= c.halves


def test_random_positional_programs() -> None:
    rng = np.random.default_rng(5)
    for _ in range(25):
        prog = parse(random_program(rng, ["<bos>", "0", "1"]))
        for n in (5, 8):
            assert check_protocol(prog, ["0", "1"], n, offset=int(rng.integers(12))).consistent


def test_a_message_too_short_is_caught() -> None:
    plan = message_plan(library.load("bin_majority"))
    c = check_protocol(replace(plan, count_names=[]), ["0", "1"], 8, suffix=["<sep>"])
    assert c.messages == 1 and c.rows == 5 and not c.consistent


def test_program_rows_match_the_task() -> None:
    # the program computes the task, so its rows at <sep> are the task's communication rows
    c = check_protocol(library.load("bin_majority"), ["0", "1"], 10, suffix=["<sep>"], outputs=["next_1", "next_0"])
    assert c.rows == communication_point(algorithmic_function("bin_majority"), 10).rows


def test_no_outputs() -> None:
    with pytest.raises(ValueError):
        check_protocol(parse("x := Q(a)"), ["a"], 2)


def test_protocol_table() -> None:
    from lengen.identify.protocol import protocol_table

    prog = library.load("bin_majority")
    html = protocol_table({"bin_majority": [check_protocol(prog, ["0", "1"], 4, suffix=["<sep>"])]},
                          {"bin_majority": message_plan(prog)})
    assert html.startswith("<table>") and html.count("<tr>") == 2 and "<td>yes</td>" in html
