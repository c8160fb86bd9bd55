"""The errors a C-RASP program can raise, each naming what went wrong and where.

Every error is a :class:`CRASPError` (itself a :class:`ValueError`) with a ``kind`` string, a
human-readable ``message`` and, where the error is tied to the program text, a 1-based ``line``
and ``column``.  ``str(error)`` is always a single line, e.g.::

    line 3, column 14: syntax error: expected ')' to close the '(' at column 5, found 'and'

========================== ============================ =====================================
class                      ``kind``                     raised when
========================== ============================ =====================================
CRASPSyntaxError           ``"syntax"``                 the text is not a well-formed program
CRASPTypeError             ``"type"``                   a Boolean is used where a count is
                                                        expected, or the other way round
UnknownNameError           ``"unknown name"``           a name that is never defined
UseBeforeDefinitionError   ``"use before definition"``  a name defined only later in the file
DuplicateDefinitionError   ``"duplicate definition"``   a name defined twice
VocabularyError            ``"vocabulary"``             a token outside the given vocabulary
                                                        (in ``Q(...)``, in an output name, or
                                                        in an input string)
========================== ============================ =====================================
"""

from __future__ import annotations


class CRASPError(ValueError):
    """Base class of every C-RASP error.

    Attributes: ``kind`` (see the module table), ``message`` (what was expected or found),
    ``line``/``column`` (1-based; ``None`` when the error is not tied to the program text),
    ``source_name`` (the file name, if known).
    """

    kind = "error"

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        source_name: str | None = None,
    ) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.source_name = source_name
        super().__init__(str(self))

    def located(self, source_name: str | None) -> "CRASPError":
        """Attach a file name (used by :func:`lengen.crasp.load_file`); returns ``self``."""
        self.source_name = source_name
        self.args = (str(self),)
        return self

    def __str__(self) -> str:
        where = []
        if self.source_name:
            where.append(self.source_name)
        if self.line is not None:
            where.append(f"line {self.line}" + (f", column {self.column}" if self.column is not None else ""))
        prefix = ": ".join([", ".join(where)] if where else [])
        return f"{prefix}: {self.kind} error: {self.message}" if prefix else f"{self.kind} error: {self.message}"


class CRASPSyntaxError(CRASPError):
    """The program text is malformed; the message says what was expected and what was found."""

    kind = "syntax"


class CRASPTypeError(CRASPError):
    """A Boolean expression where a count is required, or a count where a Boolean is required."""

    kind = "type"


class UnknownNameError(CRASPError):
    """A name that no definition of the program introduces."""

    kind = "unknown name"


class UseBeforeDefinitionError(CRASPError):
    """A name used on a line before (or on) the line that defines it."""

    kind = "use before definition"


class DuplicateDefinitionError(CRASPError):
    """A name defined twice."""

    kind = "duplicate definition"


class VocabularyError(CRASPError):
    """A token that is not in the vocabulary the program (or its input) was checked against."""

    kind = "vocabulary"
