"""The eligibility-rule language: a small, safe expression language parsed to an AST of frozen dataclasses.

A rule is text such as ``welfare_decile <= 4 and (children_0_6 > 0 or pupils > 0) and not receives_pkh``.
It is read by a hand-written tokenizer and a recursive-descent parser (never ``eval``, never SQL text), then
type-checked against a whitelist of fields and functions, and compiled to an Ibis expression by
``entas.programs.rules_ibis`` so that it runs vectorized on DuckDB or PySpark. The idea follows OpenSPP's
CEL-based eligibility (a parsed, limited language) and PolicyEngine's rules as code; nothing is copied.

Grammar (lowest precedence first; ``and`` binds tighter than ``or``, as in Python and SQL)::

    rule       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum | ["not"] "in" "[" literal ("," literal)* "]")?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := number | string | "true" | "false" | name | name "(" [rule ("," rule)*] ")" | "(" rule ")"

Strings are in single or double quotes (no escapes). Names are registry household fields (``HOUSEHOLD_FIELDS``)
and named member aggregates (``MEMBER_AGGREGATES``); inside ``count_members(...)`` and ``any_member(...)``
names are member fields (``MEMBER_FIELDS``, with ``age`` in completed years). Functions: ``count_members(c)``
(number of members for whom member condition ``c`` holds), ``any_member(c)``, ``between(x, low, high)``
(inclusive), ``min(a, b)``, ``max(a, b)``. Comparison does not chain (``1 < x < 3`` is an error).

Limits: ``MAX_RULE_LENGTH`` characters and ``MAX_DEPTH`` nested levels; anything else (``;``, ``__import__``,
attribute access, unknown names) is a ``RuleError`` that names the program, the rule and the 1-based column
with a caret line. Null semantics are SQL's (a comparison with a missing value is unknown); the compiler
treats an unknown eligibility as not eligible and a member with an unknown condition as not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from entas.errors import RuleError
from entas.programs.rule_tree import Binary, Call, Constant, InList, Name, Node, Unary
from entas.registry.schema import TABLES

MAX_RULE_LENGTH = 2000
MAX_DEPTH = 24
Kind = Literal["number", "string", "boolean"]
_KIND_OF_FIELD: dict[str, Kind] = {"integer": "number", "number": "number", "boolean": "boolean", "text": "string",
                                   "code": "string", "area": "string"}
HOUSEHOLD_FIELDS: dict[str, Kind] = {
    f.name: _KIND_OF_FIELD[f.kind] for f in TABLES["households"]
    if f.kind in _KIND_OF_FIELD and not f.personal and f.name != "household_id"
}
MEMBER_FIELDS: dict[str, Kind] = {
    "age": "number",
    **{f.name: _KIND_OF_FIELD[f.kind] for f in TABLES["members"]
       if f.kind in _KIND_OF_FIELD and not f.personal and f.name not in ("household_id", "member_id")},
}
MEMBER_AGGREGATES: dict[str, str] = {
    "members_listed": "true",
    "children_0_6": "age <= 6",
    "pupils_primary": "school_enrolment == 'enrolled' and between(age, 6, 12)",
    "pupils_junior": "school_enrolment == 'enrolled' and between(age, 13, 15)",
    "pupils_senior": "school_enrolment == 'enrolled' and between(age, 16, 18)",
    "pupils": "school_enrolment == 'enrolled' and between(age, 6, 18)",
    "elderly_60": "age >= 60",
    "elderly_70": "age >= 70",
    "disabled": "disability != 'none'",
    "severely_disabled": "disability in ['intellectual', 'mental', 'multiple']",
    "working_age": "between(age, 18, 64) and work_status != 'in_school'",
    "working_age_unemployed": "between(age, 18, 64) and work_status in ['unemployed', 'not_working']",
    "working_age_workers": "between(age, 18, 64) and work_status == 'working'",
    "uninsured": "health_insurance == 'none'",
}
"""Named member aggregates: each is ``count_members(<condition>)``; the condition is member-rule text."""
FUNCTIONS: dict[str, int] = {"count_members": 1, "any_member": 1, "between": 3, "min": 2, "max": 2}
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
_KEYWORDS = ("and", "or", "not", "in", "true", "false")
_SYMBOLS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",")
Scope = Literal["household", "member"]


@dataclass(frozen=True)
class Token:
    kind: Literal["number", "string", "name", "keyword", "symbol", "end"]
    text: str
    start: int


@dataclass(frozen=True)
class Rule:
    """A parsed, checked rule: its text, its tree and its kind (boolean for eligibility, number for counts)."""

    text: str
    tree: Node
    kind: Kind
    program: str


def rule_error(program: str, text: str, position: int, reason: str) -> RuleError:
    """A RuleError naming the program, the rule text and the 1-based column, with a caret under it."""
    line = text.replace("\n", " ")
    return RuleError(f"program {program!r}: {reason} at column {position + 1}\n  {line}\n  {' ' * position}^")


def tokenize(text: str, *, program: str = "rule") -> list[Token]:
    """Split rule text into tokens; any character outside the language is an error at its column."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char.isdigit() or (char == "." and text[i + 1: i + 2].isdigit()):
            j = i
            while j < len(text) and (text[j].isdigit() or text[j] in "._"):
                j += 1
            literal = text[i:j]
            if literal.count(".") > 1 or literal.endswith("_") or "._" in literal or "_." in literal:
                raise rule_error(program, text, i, f"malformed number {literal!r}")
            tokens.append(Token("number", literal, i))
            i = j
        elif char.isalpha() or char == "_":
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            tokens.append(Token("keyword" if word in _KEYWORDS else "name", word, i))
            i = j
        elif char in "'\"":
            end = text.find(char, i + 1)
            if end < 0:
                raise rule_error(program, text, i, "unterminated string")
            tokens.append(Token("string", text[i + 1: end], i))
            i = end + 1
        else:
            symbol = next((s for s in _SYMBOLS if text.startswith(s, i)), None)
            if symbol is None:
                raise rule_error(program, text, i, f"unexpected character {char!r}")
            tokens.append(Token("symbol", symbol, i))
            i += len(symbol)
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str, program: str) -> None:
        self.text, self.program = text, program
        self.tokens = tokenize(text, program=program)
        self.i = 0
        self.depth = 0

    def error(self, position: int, reason: str) -> RuleError:
        return rule_error(self.program, self.text, position, reason)

    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def accept(self, *texts: str) -> Token | None:
        token = self.token
        if token.kind in ("keyword", "symbol") and token.text in texts:
            self.i += 1
            return token
        return None

    def expect(self, text: str) -> Token:
        token = self.accept(text)
        if token is None:
            raise self.error(self.token.start, f"expected {text!r}, found {self._describe(self.token)}")
        return token

    @staticmethod
    def _describe(token: Token) -> str:
        return "end of rule" if token.kind == "end" else repr(token.text)

    def nested(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(position, f"rule nested deeper than {MAX_DEPTH} levels")

    def rule(self) -> Node:
        node = self.or_()
        if self.token.kind != "end":
            raise self.error(self.token.start, f"unexpected {self._describe(self.token)}")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.accept("or"):
            right = self.and_()
            node = Binary("or", node, right, node.start, right.end)
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.accept("and"):
            right = self.not_()
            node = Binary("and", node, right, node.start, right.end)
        return node

    def not_(self) -> Node:
        token = self.accept("not")
        if token is None:
            return self.comparison()
        self.nested(token.start)
        operand = self.not_()
        self.depth -= 1
        return Unary("not", operand, token.start, operand.end)

    def comparison(self) -> Node:
        node = self.sum_()
        op = self.accept(*COMPARISONS)
        if op is not None:
            right = self.sum_()
            node = Binary(op.text, node, right, node.start, right.end)
        else:
            negated = self.token.text == "not" and self.tokens[self.i + 1].text == "in"
            if negated:
                self.i += 1
            if self.accept("in"):
                items, end = self.literal_list()
                node = InList(node, items, negated, node.start, end)
        if self.token.kind == "symbol" and self.token.text in COMPARISONS:
            raise self.error(self.token.start, "comparisons do not chain: use 'and' (or between(x, a, b))")
        return node

    def literal_list(self) -> tuple[tuple[Constant, ...], int]:
        self.expect("[")
        items: list[Constant] = []
        while True:
            item = self.unary()
            if not isinstance(item, Constant):
                raise self.error(item.start, "a list after 'in' holds literals only")
            items.append(item)
            if not self.accept(","):
                break
        return tuple(items), self.expect("]").start + 1

    def sum_(self) -> Node:
        node = self.product()
        while (op := self.accept("+", "-")) is not None:
            right = self.product()
            node = Binary(op.text, node, right, node.start, right.end)
        return node

    def product(self) -> Node:
        node = self.unary()
        while (op := self.accept("*", "/")) is not None:
            right = self.unary()
            node = Binary(op.text, node, right, node.start, right.end)
        return node

    def unary(self) -> Node:
        token = self.accept("-")
        if token is None:
            return self.primary()
        self.nested(token.start)
        operand = self.unary()
        self.depth -= 1
        if isinstance(operand, Constant) and isinstance(operand.value, (int, float)) and not isinstance(
                operand.value, bool):
            return Constant(-operand.value, token.start, operand.end)
        return Unary("-", operand, token.start, operand.end)

    def primary(self) -> Node:
        token = self.token
        end = token.start + len(token.text)
        if token.kind == "number":
            self.i += 1
            raw = token.text.replace("_", "")
            return Constant(float(raw) if "." in raw else int(raw), token.start, end)
        if token.kind == "string":
            self.i += 1
            return Constant(token.text, token.start, end + 2)
        if self.accept("true", "false"):
            return Constant(token.text == "true", token.start, end)
        if token.kind == "name":
            self.i += 1
            if not self.accept("("):
                return Name(token.text, token.start, end)
            self.nested(token.start)
            args: list[Node] = []
            if not self.accept(")"):
                args.append(self.or_())
                while self.accept(","):
                    args.append(self.or_())
                self.expect(")")
            self.depth -= 1
            return Call(token.text, tuple(args), token.start, self.tokens[self.i - 1].start + 1)
        if self.accept("("):
            self.nested(token.start)
            node = self.or_()
            self.expect(")")
            self.depth -= 1
            return node
        raise self.error(token.start, f"expected a value, found {self._describe(token)}")


def parse(text: str, *, program: str = "rule", kind: Kind = "boolean", scope: Scope = "household") -> Rule:
    """Parse and check ``text``; ``kind`` is the type the whole rule must have (``boolean`` for eligibility)."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError(f"program {program!r}: the rule is empty")
    if len(text) > MAX_RULE_LENGTH:
        raise rule_error(program, text[:80], 0, f"rule longer than {MAX_RULE_LENGTH} characters ({len(text)})")
    tree = _Parser(text, program).rule()
    found = check(tree, text=text, program=program, scope=scope)
    if found != kind:
        raise rule_error(program, text, tree.start, f"the rule gives a {found}, expected a {kind}")
    return Rule(text, tree, kind, program)


def check(node: Node, *, text: str, program: str, scope: Scope) -> Kind:
    """The kind of ``node``; unknown names, wrong argument counts and type mismatches raise RuleError."""
    def fail(at: Node, reason: str) -> RuleError:
        return rule_error(program, text, at.start, reason)

    def need(at: Node, want: Kind, where: str) -> None:
        got = check(at, text=text, program=program, scope=scope)
        if got != want:
            raise fail(at, f"{where} needs a {want}, found a {got}")

    if isinstance(node, Constant):
        return "boolean" if isinstance(node.value, bool) else "string" if isinstance(node.value, str) else "number"
    if isinstance(node, Name):
        fields = HOUSEHOLD_FIELDS if scope == "household" else MEMBER_FIELDS
        if node.name in fields:
            return fields[node.name]
        if scope == "household" and node.name in MEMBER_AGGREGATES:
            return "number"
        if scope == "household" and node.name in MEMBER_FIELDS:
            raise fail(node, f"{node.name!r} is a member field: use it inside count_members(...) or any_member(...)")
        if scope == "member" and (node.name in HOUSEHOLD_FIELDS or node.name in MEMBER_AGGREGATES):
            raise fail(node, f"{node.name!r} is a household value: it cannot be used inside a member condition")
        raise fail(node, f"unknown field {node.name!r}")
    if isinstance(node, Unary):
        need(node.operand, "boolean" if node.op == "not" else "number", f"'{node.op}'")
        return "boolean" if node.op == "not" else "number"
    if isinstance(node, InList):
        kind = check(node.operand, text=text, program=program, scope=scope)
        for item in node.items:
            need(item, kind, "an 'in' list item")
        return "boolean"
    if isinstance(node, Binary):
        if node.op in ("and", "or"):
            need(node.left, "boolean", f"'{node.op}'")
            need(node.right, "boolean", f"'{node.op}'")
            return "boolean"
        if node.op in ("==", "!="):
            need(node.right, check(node.left, text=text, program=program, scope=scope), f"'{node.op}'")
            return "boolean"
        need(node.left, "number", f"'{node.op}'")
        need(node.right, "number", f"'{node.op}'")
        return "boolean" if node.op in COMPARISONS else "number"
    if node.function not in FUNCTIONS:
        raise fail(node, f"unknown function {node.function!r} (allowed: {', '.join(FUNCTIONS)})")
    if len(node.args) != FUNCTIONS[node.function]:
        raise fail(node, f"{node.function}() takes {FUNCTIONS[node.function]} argument(s), got {len(node.args)}")
    if node.function in ("count_members", "any_member"):
        if scope == "member":
            raise fail(node, f"{node.function}() cannot be nested inside a member condition")
        got = check(node.args[0], text=text, program=program, scope="member")
        if got != "boolean":
            raise fail(node.args[0], f"{node.function}() needs a member condition (a boolean), found a {got}")
        return "number" if node.function == "count_members" else "boolean"
    for arg in node.args:
        need(arg, "number", f"{node.function}()")
    return "boolean" if node.function == "between" else "number"
