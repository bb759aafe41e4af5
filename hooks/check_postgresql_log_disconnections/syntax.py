"""The expression language the evaluator understands: a small, closed set of nodes.

The python-hcl2 adapter (``hcl.py``) and the Terraform JSON reader turn their
trees into these nodes; nothing else in the project sees a parser's types.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Span:
    """Where a piece of source lives: 1-based line/column, 0-based text offsets.

    Offsets index the decoded text of the file (after a BOM, if any), so an
    edit can splice ``text[start:end]``.
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int


@dataclass(frozen=True)
class Lit:
    """A literal: quoted string without interpolation, heredoc, number, bool, null."""

    value: str | int | float | bool | None
    span: Span
    quoted: bool = False  # a plain "..." string whose body a fix may replace


@dataclass(frozen=True)
class Template:
    """A string with interpolations: parts are text or expressions."""

    parts: tuple[str | Expr, ...]
    span: Span


@dataclass(frozen=True)
class Ref:
    """A bare name: ``var``, ``local``, ``each``, a for-expression variable..."""

    name: str
    span: Span


@dataclass(frozen=True)
class GetAttr:
    obj: Expr
    name: str
    span: Span


@dataclass(frozen=True)
class Index:
    obj: Expr
    key: Expr
    span: Span


@dataclass(frozen=True)
class Splat:
    """``x[*].a`` / ``x.*.a``: ``rest`` is applied to every element."""

    obj: Expr
    rest: tuple[tuple[str, Expr | str], ...]  # ("attr", name) or ("index", expr)
    span: Span


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    expand: bool  # the last argument ends with ``...``
    span: Span


@dataclass(frozen=True)
class Cond:
    cond: Expr
    then: Expr
    other: Expr
    span: Span


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True)
class UnOp:
    op: str
    operand: Expr
    span: Span


@dataclass(frozen=True)
class TupleExpr:
    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True)
class ObjectExpr:
    """``{k = v}``: a bare-name key is a ``Lit`` string, ``(expr)`` keys stay expressions."""

    items: tuple[tuple[Expr, Expr], ...]
    span: Span


@dataclass(frozen=True)
class ForExpr:
    """``[for k, v in coll : value if cond]`` or ``{for k, v in coll : key => value}``."""

    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None  # None for the tuple form
    value: Expr
    cond: Expr | None
    grouping: bool
    span: Span


@dataclass(frozen=True)
class Unsupported:
    """A construct the evaluator does not model (template directives...): always unknown."""

    what: str
    span: Span


Expr = Union[
    Lit, Template, Ref, GetAttr, Index, Splat, Call, Cond, BinOp, UnOp,
    TupleExpr, ObjectExpr, ForExpr, Unsupported,
]


@dataclass(frozen=True)
class Attribute:
    name: str
    expr: Expr
    span: Span  # the whole ``name = expr``


@dataclass(frozen=True)
class Block:
    """A block (``resource "t" "n" { ... }``) with its attributes and nested blocks."""

    type: str
    labels: tuple[str, ...]
    attributes: tuple[Attribute, ...]
    blocks: tuple[Block, ...]
    span: Span

    def attr(self, name: str) -> Attribute | None:
        for a in self.attributes:
            if a.name == name:
                return a
        return None


@dataclass(frozen=True)
class Body:
    """A parsed file or fragment: top-level attributes (tfvars) and blocks."""

    attributes: tuple[Attribute, ...]
    blocks: tuple[Block, ...]
