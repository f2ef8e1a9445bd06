"""The syntax tree of an eligibility rule (``entas.programs.rules``): frozen nodes with their source span.

Every node keeps ``start``/``end`` offsets into the rule text, so that errors point at a column and ``explain``
can quote each clause as written. ``unparse`` gives the canonical, fully parenthesised text (the identity used to
share member aggregates between rules); ``inputs`` lists the household-level values a tree reads; ``clauses``
splits a rule at its outermost ``and``/``or`` chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Constant:
    value: float | int | str | bool
    start: int
    end: int


@dataclass(frozen=True)
class Name:
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Unary:
    op: Literal["not", "-"]
    operand: Node
    start: int
    end: int


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node
    start: int
    end: int


@dataclass(frozen=True)
class InList:
    operand: Node
    items: tuple[Constant, ...]
    negated: bool
    start: int
    end: int


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]
    start: int
    end: int


Node = Constant | Name | Unary | Binary | InList | Call


def unparse(node: Node) -> str:
    """Canonical, fully parenthesised text of a tree (its identity for sharing member aggregates)."""
    if isinstance(node, Constant):
        return repr(node.value) if isinstance(node.value, str) else str(node.value).lower()
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Unary):
        return f"({node.op} {unparse(node.operand)})" if node.op == "not" else f"(-{unparse(node.operand)})"
    if isinstance(node, InList):
        items = ", ".join(unparse(item) for item in node.items)
        return f"({unparse(node.operand)} {'not in' if node.negated else 'in'} [{items}])"
    if isinstance(node, Binary):
        return f"({unparse(node.left)} {node.op} {unparse(node.right)})"
    return f"{node.function}({', '.join(unparse(arg) for arg in node.args)})"


def inputs(node: Node) -> tuple[Name | Call, ...]:
    """The household-level values a tree reads: field and aggregate names and member counts, once each."""
    found: list[Name | Call] = []

    def walk(n: Node) -> None:
        if isinstance(n, Name) or (isinstance(n, Call) and n.function in ("count_members", "any_member")):
            if unparse(n) not in {unparse(f) for f in found}:
                found.append(n)
        elif isinstance(n, Unary | InList):
            walk(n.operand)
        elif isinstance(n, Binary):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, Call):
            for arg in n.args:
                walk(arg)

    walk(node)
    return tuple(found)


def clauses(tree: Node) -> tuple[Node, ...]:
    """The top-level clauses of a rule tree: the operands of its outermost ``and`` (or ``or``) chain."""
    if not isinstance(tree, Binary) or tree.op not in ("and", "or"):
        return (tree,)
    op = tree.op
    parts: list[Node] = []

    def flatten(n: Node) -> None:
        if isinstance(n, Binary) and n.op == op:
            flatten(n.left)
            flatten(n.right)
        else:
            parts.append(n)

    flatten(tree)
    return tuple(parts)
