"""Find the fenced blocks of a MyST Markdown page: directives, code cells and code blocks.

A small line scanner, enough for the book's own pages (not a full MyST parser). It knows
backtick, tilde and colon fences (```` ```{name} argument ````, ``:::{name}``), nested
directives (an outer fence is longer than the fences inside it), directive options written as
``:key: value`` lines or as a ``---`` YAML block right after the opening fence, and *literal*
blocks whose content is not Markdown (code cells, code blocks, math): a fence inside a literal
block is text, not a block. The YAML front matter of a page (a jupytext header) is skipped.

Line numbers are 0-based indices into ``text.splitlines()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Directives whose body is not Markdown: nothing inside them is a fence.
LITERAL_DIRECTIVES = frozenset(
    {"code-cell", "code", "code-block", "sourcecode", "math", "raw", "eval-rst", "literalinclude"}
)
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[^}\s]+)\}\s*(?P<argument>.*)$")
_OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$")


@dataclass
class Block:
    """One fenced block. ``name`` is the directive name (``prf:theorem``, ``code-cell``) or
    ``""`` for a plain code block; ``start`` and ``end`` are the lines of its opening and
    closing fences (``end`` is the last line of the page when the block is never closed)."""

    name: str
    argument: str
    start: int
    end: int = -1
    fence: str = "```"
    literal: bool = False
    closed: bool = False
    depth: int = 0
    options: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str | None:
        return self.options.get("label") or None


def front_matter_end(lines: list[str]) -> int:
    """Index of the first line after the YAML front matter (0 when there is none)."""
    if not lines or lines[0].strip() != "---":
        return 0
    for k in range(1, len(lines)):
        if lines[k].strip() == "---":
            return k + 1
    return 0


def _options(lines: list[str], start: int) -> tuple[dict[str, str], int]:
    """Options written right after the opening fence at ``start``; returns them and the
    number of lines they take."""
    options: dict[str, str] = {}
    k = start + 1
    if k < len(lines) and lines[k].strip() == "---":
        end = k + 1
        while end < len(lines) and lines[end].strip() != "---":
            end += 1
        try:
            import yaml

            data = yaml.safe_load("\n".join(lines[k + 1 : end])) or {}
        except Exception:  # malformed options: leave them to the book build to report
            data = {}
        if isinstance(data, dict):
            options = {str(key): str(value) for key, value in data.items()}
        return options, end + 1 - (start + 1)
    while k < len(lines):
        match = _OPTION.match(lines[k])
        if not match:
            break
        options[match["key"]] = match["value"]
        k += 1
    return options, k - (start + 1)


def blocks(text: str) -> list[Block]:
    """Every fenced block of a page, in the order of their opening fences."""
    lines = text.splitlines()
    found: list[Block] = []
    stack: list[Block] = []
    k = front_matter_end(lines)
    while k < len(lines):
        match = _FENCE.match(lines[k])
        if not match:
            k += 1
            continue
        fence, info = match["fence"], match["info"].strip()
        top = stack[-1] if stack else None
        closes = (
            top is not None
            and not info
            and fence[0] == top.fence[0]
            and len(fence) >= len(top.fence)
        )
        if closes:
            top.end, top.closed = k, True
            stack.pop()
            k += 1
            continue
        if top is not None and top.literal:
            k += 1  # a fence inside a code cell or code block is text
            continue
        if fence[0] == "`" and "`" in info:
            k += 1  # not a fence (CommonMark: no backtick in a backtick fence's info string)
            continue
        directive = _DIRECTIVE.match(info)
        if directive:
            name, argument = directive["name"], directive["argument"].strip()
            literal = name in LITERAL_DIRECTIVES
        else:
            name, argument = "", info
            literal = fence[0] != ":"  # a plain ``` block is code; a bare ::: is a container
        block = Block(name=name, argument=argument, start=k, fence=fence, literal=literal,
                      depth=len(stack))
        skip = 0
        if directive:
            block.options, skip = _options(lines, k)
        found.append(block)
        stack.append(block)
        k += 1 + skip
    for block in stack:
        block.end = len(lines) - 1
    return found


def literal_lines(text: str) -> set[int]:
    """The lines inside literal blocks (code cells, code blocks, math), fences included."""
    inside: set[int] = set()
    for block in blocks(text):
        if block.literal:
            inside.update(range(block.start, block.end + 1))
    return inside
