"""Parse LangSmith-style filter text into the AST of ``query.ast``.

The grammar (LangSmith's, so filters written for it work unchanged)::

    filter  := call
    call    := NAME "(" [arg ("," arg)*] ")"
    arg     := call | NAME | literal | "[" [literal ("," literal)*] "]"
    literal := STRING | NUMBER | true | false | null

    and(eq(run_type, "tool"), gt(latency, 5), not(has(tags, "test")), search("refund"))

Combinators ``and``/``or`` take one or more calls, ``not`` takes one; comparators take a field name and
a value; ``search`` takes a string, or a field and a string. Strings use double or single quotes with
backslash escapes. Every error is a ``FilterSyntaxError`` with the position and what was expected;
whether a field exists or a value suits it is checked after parsing, by ``fields.check``.
"""

from __future__ import annotations

import re
from typing import Final

from tracehound.errors import FilterSyntaxError, QueryError
from tracehound.query.ast import COMPARATORS, And, Compare, Node, Not, Or, Scalar, Search, Value

MAX_FILTER_CHARS: Final = 20_000
MAX_DEPTH: Final = 32

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_SPACE = re.compile(r"\s*")
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "/": "/", "0": "\0"}
_KEYWORDS: Final[dict[str, Scalar]] = {"true": True, "false": False, "null": None, "none": None}
_CALLS = "a comparator (" + ", ".join(COMPARATORS) + ", search) or and/or/not"


def parse_filter(text: str, *, field: str = "filter") -> Node:
    """Parse one filter expression.

    Args:
        text: the filter, e.g. ``and(eq(run_type, "tool"), gt(latency, 5))``.
        field: the request field the text came from, named in errors (``filter``, ``trace_filter``...).

    Returns:
        The AST, not yet checked against the known fields.

    Raises:
        FilterSyntaxError: the text does not parse; says where and what was expected.
        QueryError: the text is too long or nested too deeply.
    """
    if len(text) > MAX_FILTER_CHARS:
        raise QueryError(f"a filter is limited to {MAX_FILTER_CHARS} characters", field=field)
    parser = _Parser(text, field)
    node = parser.call(0)
    parser.skip_space()
    if parser.pos != len(text):
        raise parser.error("end of input")
    return node


class _Parser:
    """Recursive descent over the text; ``pos`` is always the next unread character."""

    def __init__(self, text: str, field: str):
        self.text = text
        self.field = field
        self.pos = 0

    def error(self, expected: str, at: int | None = None) -> FilterSyntaxError:
        return FilterSyntaxError(self.text, self.pos if at is None else at, expected, field=self.field)

    def skip_space(self) -> None:
        self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def expect(self, char: str, what: str | None = None) -> None:
        self.skip_space()
        if self.text.startswith(char, self.pos):
            self.pos += 1
        else:
            raise self.error(what or repr(char))

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos : self.pos + 1]

    def name(self, expected: str) -> str:
        self.skip_space()
        match = _NAME.match(self.text, self.pos)
        if match is None:
            raise self.error(expected)
        self.pos = match.end()
        return match.group()

    # Grammar ------------------------------------------------------------------------------------

    def call(self, depth: int) -> Node:
        if depth >= MAX_DEPTH:
            self.skip_space()
            raise QueryError(f"at position {self.pos}: filters nest at most {MAX_DEPTH} levels", field=self.field)
        self.skip_space()
        start = self.pos
        function = self.name(_CALLS).lower()
        self.expect("(", "'(' after " + function)
        if function in ("and", "or"):
            children = [self.call(depth + 1)]
            while self.peek() == ",":
                self.pos += 1
                children.append(self.call(depth + 1))
            self.expect(")", "',' or ')'")
            return And(tuple(children)) if function == "and" else Or(tuple(children))
        if function == "not":
            child = self.call(depth + 1)
            self.expect(")", "')' (not takes one condition)")
            return Not(child)
        if function == "search":
            if self.peek() in ('"', "'"):
                text = self.string()
                self.expect(")", "')'")
                return Search(text, None, start)
            field = self.name("a string or a field name")
            self.expect(",", "','")
            self.skip_space()
            if self.peek() not in ('"', "'"):
                raise self.error("a string")
            text = self.string()
            self.expect(")", "')'")
            return Search(text, field, start)
        if function in COMPARATORS:
            field = self.name("a field name")
            self.expect(",", "','")
            value = self.value()
            self.expect(")", "')' (comparators take a field and one value)")
            return Compare(function, field.lower(), value, start)
        raise self.error(_CALLS, at=start)

    def value(self) -> Value:
        char = self.peek()
        if char == "[":
            self.pos += 1
            items: list[Scalar] = []
            if self.peek() != "]":
                items.append(self.scalar())
                while self.peek() == ",":
                    self.pos += 1
                    items.append(self.scalar())
            self.expect("]", "',' or ']'")
            return tuple(items)
        return self.scalar()

    def scalar(self) -> Scalar:
        char = self.peek()
        if char in ('"', "'"):
            return self.string()
        number = _NUMBER.match(self.text, self.pos)
        if number is not None and number.end() > self.pos:
            self.pos = number.end()
            literal = number.group()
            if any(c in literal for c in ".eE"):
                value = float(literal)
                if value != value or value in (float("inf"), float("-inf")):
                    raise self.error("a finite number", at=number.start())
                return value
            return int(literal)
        word = _NAME.match(self.text, self.pos)
        if word is not None and word.group().lower() in _KEYWORDS:
            self.pos = word.end()
            return _KEYWORDS[word.group().lower()]
        raise self.error("a value (a string, number, true, false, null or a [list])")

    def string(self) -> str:
        quote = self.text[self.pos]
        start = self.pos
        self.pos += 1
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == quote:
                self.pos += 1
                return "".join(out)
            if char == "\\":
                escaped = text[self.pos + 1 : self.pos + 2]
                if escaped == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[self.pos + 2 : self.pos + 6]):
                    out.append(chr(int(text[self.pos + 2 : self.pos + 6], 16)))
                    self.pos += 6
                    continue
                if escaped not in _ESCAPES:
                    raise self.error("a valid escape (\\\\, \\\", \\', \\n, \\t, \\uXXXX)")
                out.append(_ESCAPES[escaped])
                self.pos += 2
                continue
            out.append(char)
            self.pos += 1
        raise self.error(f"a closing {quote} for the string opened at position {start}")
