"""The concrete syntax: grammar, precedence, sugar, names, and the errors with line and column."""

from __future__ import annotations

import pytest

from lengen.crasp import (
    CRASPError,
    CRASPSyntaxError,
    CRASPTypeError,
    DuplicateDefinitionError,
    UnknownNameError,
    UseBeforeDefinitionError,
    VocabularyError,
    parse,
)
from lengen.crasp.ast import (
    Add,
    And,
    BoolRef,
    Compare,
    Cond,
    Count,
    CountConst,
    CountRef,
    Not,
    Or,
    Periodic,
    Relation,
    Scale,
    Sub,
    Token,
    output_name,
    output_token,
)


def rhs(text: str, prelude: str = "") -> object:
    prog = parse(prelude + "x := " + text + "\n")
    return prog["x"].expr


# -- precedence -------------------------------------------------------------------------------


def test_not_binds_tighter_than_and_which_binds_tighter_than_or() -> None:
    assert rhs("not Q(a) and Q(b) or Q(c)") == Or(And(Not(Token("a")), Token("b")), Token("c"))
    assert rhs("Q(a) or Q(b) and Q(c)") == Or(Token("a"), And(Token("b"), Token("c")))


def test_comparison_binds_tighter_than_not_and_and() -> None:
    c = Count(Token("a"))
    assert rhs("not #[j <= i] Q(a) < 2 and true") == And(Not(Compare("<", c, CountConst(2))), rhs("true"))


def test_arithmetic_binds_tighter_than_comparison_and_is_left_associative() -> None:
    a, b = Count(Token("a")), Count(Token("b"))
    assert rhs("#[j <= i] Q(a) - #[j <= i] Q(b) - 1 < 2 * #[j <= i] Q(b)") == Compare(
        "<", Sub(Sub(a, b), CountConst(1)), Scale(2, b)
    )


def test_conditional_binds_loosest_and_takes_a_boolean_condition() -> None:
    a = Count(Token("a"))
    assert rhs("Q(a) or Q(b) ? 1 : #[j <= i] Q(a) + 1") == Cond(
        Or(Token("a"), Token("b")), CountConst(1), Add(a, CountConst(1))
    )


def test_count_takes_an_atom_so_arithmetic_after_it_is_outside_the_count() -> None:
    assert rhs("#[j <= i] Q(a) + 1") == Add(Count(Token("a")), CountConst(1))
    assert rhs("#[j <= i] (Q(a) or Q(b))") == Count(Or(Token("a"), Token("b")))
    assert rhs("#[j <= i] not Q(a)") == Count(Not(Token("a")))


def test_multiplication_by_a_constant_on_either_side_and_unary_minus() -> None:
    a = Count(Token("a"))
    assert rhs("3 * #[j <= i] Q(a)") == Scale(3, a)
    assert rhs("#[j <= i] Q(a) * 3") == Scale(3, a)
    assert rhs("-#[j <= i] Q(a)") == Scale(-1, a)
    assert rhs("-4") == CountConst(-4)


# -- counts and positions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bracket, relation",
    [
        ("j <= i", Relation("all")),
        ("j <= i, j == i - 2", Relation("shift", 2)),
        ("j <= i, j == i", Relation("shift", 0)),
        ("j <= i, i - j == 1", Relation("shift", 1)),
        ("j <= i, i - j <= 3", Relation("window", 3)),
        ("j <= i, j >= i - 3", Relation("window", 3)),
    ],
)
def test_count_brackets_give_the_documented_relations(bracket: str, relation: Relation) -> None:
    assert rhs(f"#[{bracket}] Q(a)") == Count(Token("a"), relation)


def test_exists_and_forall_desugar_to_counts() -> None:
    assert rhs("exists[j <= i, j == i - 1] Q(a)") == Compare(">=", Count(Token("a"), Relation("shift", 1)), CountConst(1))
    assert rhs("forall[j <= i] Q(a)") == Compare("==", Count(Not(Token("a"))), CountConst(0))


def test_periodic_predicate_is_written_with_i_outside_counts_and_j_inside() -> None:
    assert rhs("i % 3 == 2") == Periodic(3, 2)
    assert rhs("pos % 3 != 2") == Not(Periodic(3, 2))
    assert rhs("#[j <= i] (Q(a) and j % 2 == 0)") == Count(And(Token("a"), Periodic(2, 0)))
    assert rhs("#[j <= i] (pos % 2 == 0)") == Count(Periodic(2, 0))


def test_i_inside_a_count_body_is_rejected_with_an_explanation() -> None:
    with pytest.raises(CRASPSyntaxError, match="counted position j") as e:
        parse("x := #[j <= i] (Q(a) and i % 2 == 0)")
    assert (e.value.line, e.value.column) == (1, 26)


def test_j_outside_a_count_is_rejected() -> None:
    with pytest.raises(CRASPSyntaxError, match="bound only inside"):
        parse("x := j % 2 == 0")


@pytest.mark.parametrize("text, msg", [("i % 0 == 0", "at least 1"), ("i % 3 == 3", "0 <= r < m")])
def test_periodic_predicate_bounds_are_checked(text: str, msg: str) -> None:
    with pytest.raises(CRASPSyntaxError, match=msg):
        parse("x := " + text)


# -- names, tokens, comments, lines -------------------------------------------------------------


def test_special_numeric_and_punctuation_tokens_can_be_tested() -> None:
    prog = parse('a := Q(<bos>) or Q(0) or Q(149) or Q(+) or Q(() or Q(")") or Q([)\n')
    assert prog.tokens == ["<bos>", "0", "149", "+", "(", ")", "["]


def test_output_names_may_carry_angle_bracketed_and_quoted_tokens() -> None:
    prog = parse('next_<eos> := true\nnext_17 := false\nnext_")" := true\nnext_a := true\n')
    assert prog.outputs() == {"<eos>": "next_<eos>", "17": "next_17", ")": 'next_")"', "a": "next_a"}
    assert output_name("<eos>") == "next_<eos>" and output_name("(") == 'next_"("'
    assert output_token('next_"["') == "[" and output_token("other") is None


def test_comments_blank_lines_and_indented_continuation_lines() -> None:
    prog = parse(
        "// a comment\n\n"
        "x := Q(a)   // trailing comment\n"
        "y := x and\n"
        "     Q(b)\n"
        "  // a comment line inside a definition\n"
        "     or Q(c)\n"
    )
    assert prog["y"].expr == Or(And(BoolRef("x"), Token("b")), Token("c"))
    assert prog["y"].line == 4


def test_references_get_the_type_of_their_definition() -> None:
    prog = parse("c := #[j <= i] Q(a)\np := c > 0\n")
    assert prog["p"].expr == Compare(">", CountRef("c"), CountConst(0))


def test_an_empty_program_is_allowed() -> None:
    assert len(parse("// nothing\n")) == 0


# -- errors ----------------------------------------------------------------------------------------


def where(exc: CRASPError) -> tuple[int | None, int | None]:
    return exc.line, exc.column


@pytest.mark.parametrize(
    "text, line, col, fragment",
    [
        ("x := Q(a) and", 1, 14, "expected an expression"),
        ("x := (Q(a) or Q(b)\n", 1, 19, "expected ')' to close the '(' at line 1, column 6"),
        ("x := Q(a))", 1, 10, "unmatched ')'"),
        ("x := Q(a) Q(b)", 1, 11, "expected an operator or the end of the definition"),
        ("x = Q(a)", 1, 3, "expected ':=' after the name 'x'"),
        ("y := true\nQ(a)", 2, 1, "expected a definition"),
        ("x := #[j < i] Q(a)", 1, 10, "expected '<=' in 'j <= i'"),
        ("x := #[j <= i] Q(a) = 1", 1, 21, "compare counts with '=='"),
        ("x := #[j <= i, j == i + 1] Q(a)", 1, 16, "local relation"),
        ("x := #[j <= i] i % 2 == 0", 1, 16, "counted position j"),
        ("x := #[j <= i] Q(a) < 1 < 2", 1, 25, "cannot be chained"),
        ("x := Q(a) @ Q(b)", 1, 11, "unexpected character '@'"),
        ("and := true", 1, 1, "reserved word"),
        ("x := Q()", 1, 8, "expected a token"),
        ("x := Q", 1, 6, "expected '('"),
        ("x :=", 1, 2, "expected an expression after ':='"),
        ("x := i", 1, 7, "periodic predicate"),
    ],
)
def test_malformed_programs_report_line_column_and_what_was_expected(text: str, line: int, col: int, fragment: str) -> None:
    with pytest.raises(CRASPSyntaxError) as e:
        parse(text)
    assert fragment in e.value.message
    assert where(e.value) == (line, col)
    assert e.value.kind == "syntax"
    assert "\n" not in str(e.value) and f"line {line}, column {col}" in str(e.value)


@pytest.mark.parametrize(
    "text, line, col, fragment",
    [
        ("x := Q(a) + 1", 1, 6, "needs a count, but 'Q(a)' is a Boolean"),
        ("x := not #[j <= i] Q(a)", 1, 10, "'not' needs a Boolean"),
        ("c := #[j <= i] Q(a)\nx := #[j <= i] c", 2, 16, "body of a count must be a Boolean"),
        ("x := Q(a) ? true : false", 1, 13, "first branch of '?:' needs a count"),
        ("x := 1 ? 2 : 3", 1, 6, "condition of '?:' needs a Boolean"),
        ("c := #[j <= i] Q(a)\nx := c * c", 2, 8, "only by an integer constant"),
        ("x := Q(a) < Q(b)", 1, 6, "comparison '<' needs a count"),
    ],
)
def test_type_errors_are_named_as_such_with_their_position(text: str, line: int, col: int, fragment: str) -> None:
    with pytest.raises(CRASPTypeError) as e:
        parse(text)
    assert fragment in e.value.message
    assert where(e.value) == (line, col)
    assert e.value.kind == "type"


def test_unknown_names_are_reported_with_a_suggestion() -> None:
    with pytest.raises(UnknownNameError) as e:
        parse("ones := #[j <= i] Q(1)\nx := onez > 1\n")
    assert where(e.value) == (2, 6) and "did you mean 'ones'" in e.value.message
    with pytest.raises(UnknownNameError, match=r"write Q\(a\)"):
        parse("x := a")


def test_using_a_name_before_its_definition_is_its_own_error() -> None:
    with pytest.raises(UseBeforeDefinitionError) as e:
        parse("x := y and true\ny := Q(a)\n")
    assert where(e.value) == (1, 6) and "defined only on line 2" in e.value.message
    with pytest.raises(UseBeforeDefinitionError, match="its own definition"):
        parse("x := x or Q(a)")


def test_defining_a_name_twice_is_an_error() -> None:
    with pytest.raises(DuplicateDefinitionError) as e:
        parse("x := true\nx := false\n")
    assert where(e.value) == (2, 1) and "line 1" in e.value.message


def test_tokens_outside_a_given_vocabulary_are_rejected_at_their_position() -> None:
    with pytest.raises(VocabularyError) as e:
        parse("x := Q(a) or Q(c)", vocab=["a", "b"])
    assert where(e.value) == (1, 14) and e.value.kind == "vocabulary"
    with pytest.raises(VocabularyError, match="next_c"):
        parse("next_c := true", vocab=["a", "b"])
    assert parse("x := Q(a)", vocab=["a"]).vocab == ("a",)


def test_errors_name_the_file_when_loaded_from_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lengen.crasp import load_file

    p = tmp_path / "bad.crasp"
    p.write_text("x := Q(a) and\n")
    with pytest.raises(CRASPSyntaxError) as e:
        load_file(p)
    assert str(e.value).startswith(f"{p}, line 1, column 14: syntax error:")


def test_every_error_class_is_a_crasp_error_and_a_value_error() -> None:
    for cls in (CRASPSyntaxError, CRASPTypeError, UnknownNameError, UseBeforeDefinitionError,
                DuplicateDefinitionError, VocabularyError):
        assert issubclass(cls, CRASPError) and issubclass(cls, ValueError)
