"""The expression language the evaluator understands: a small, closed set of nodes.

The python-hcl2 adapter (``hcl.py``) and the Terraform JSON reader turn their
trees into these nodes; nothing else in the project sees a parser's types.
Nodes are ``Record``s (immutable by convention, compared by value): a run
over cached blocks imports this module, and dataclasses cost more than the run.
"""
from __future__ import annotations

from check_postgresql_log_disconnections.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Union


class Span(Record):
    """Where a piece of source lives: 1-based line/column, 0-based text offsets.

    Offsets index the decoded text of the file (after a BOM, if any), so an
    edit can splice ``text[start:end]``.
    """

    __slots__ = ('column', 'end', 'end_column', 'end_line', 'line', 'path', 'start')

    def __init__(self, path: str, line: int, column: int, end_line: int, end_column: int, start: int,
                 end: int) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.start = start
        self.end = end


class Lit(Record):
    """A literal: quoted string without interpolation, heredoc, number, bool, null."""

    __slots__ = ('quoted', 'span', 'value')

    def __init__(self, value: str | int | float | bool | None, span: Span, quoted: bool = False) -> None:
        self.value = value
        self.span = span
        self.quoted = quoted  # a plain "..." string whose body a fix may replace


class Template(Record):
    """A string with interpolations: parts are text or expressions."""

    __slots__ = ('parts', 'span')

    def __init__(self, parts: tuple[str | Expr, ...], span: Span) -> None:
        self.parts = parts
        self.span = span


class Ref(Record):
    """A bare name: ``var``, ``local``, ``each``, a for-expression variable..."""

    __slots__ = ('name', 'span')

    def __init__(self, name: str, span: Span) -> None:
        self.name = name
        self.span = span


class GetAttr(Record):
    __slots__ = ('name', 'obj', 'span')

    def __init__(self, obj: Expr, name: str, span: Span) -> None:
        self.obj = obj
        self.name = name
        self.span = span


class Index(Record):
    __slots__ = ('key', 'obj', 'span')

    def __init__(self, obj: Expr, key: Expr, span: Span) -> None:
        self.obj = obj
        self.key = key
        self.span = span


class Splat(Record):
    """``x[*].a`` / ``x.*.a``: ``rest`` is applied to every element."""

    __slots__ = ('obj', 'rest', 'span')

    def __init__(self, obj: Expr, rest: tuple[tuple[str, Expr | str], ...], span: Span) -> None:
        self.obj = obj
        self.rest = rest  # ("attr", name) or ("index", expr)
        self.span = span


class Call(Record):
    __slots__ = ('args', 'expand', 'name', 'span')

    def __init__(self, name: str, args: tuple[Expr, ...], expand: bool, span: Span) -> None:
        self.name = name
        self.args = args
        self.expand = expand  # the last argument ends with ``...``
        self.span = span


class Cond(Record):
    __slots__ = ('cond', 'other', 'span', 'then')

    def __init__(self, cond: Expr, then: Expr, other: Expr, span: Span) -> None:
        self.cond = cond
        self.then = then
        self.other = other
        self.span = span


class BinOp(Record):
    __slots__ = ('left', 'op', 'right', 'span')

    def __init__(self, op: str, left: Expr, right: Expr, span: Span) -> None:
        self.op = op
        self.left = left
        self.right = right
        self.span = span


class UnOp(Record):
    __slots__ = ('op', 'operand', 'span')

    def __init__(self, op: str, operand: Expr, span: Span) -> None:
        self.op = op
        self.operand = operand
        self.span = span


class TupleExpr(Record):
    __slots__ = ('items', 'span')

    def __init__(self, items: tuple[Expr, ...], span: Span) -> None:
        self.items = items
        self.span = span


class ObjectExpr(Record):
    """``{k = v}``: a bare-name key is a ``Lit`` string, ``(expr)`` keys stay expressions."""

    __slots__ = ('items', 'span')

    def __init__(self, items: tuple[tuple[Expr, Expr], ...], span: Span) -> None:
        self.items = items
        self.span = span


class ForExpr(Record):
    """``[for k, v in coll : value if cond]`` or ``{for k, v in coll : key => value}``."""

    __slots__ = ('collection', 'cond', 'grouping', 'key', 'key_var', 'span', 'value', 'value_var')

    def __init__(self, key_var: str | None, value_var: str, collection: Expr, key: Expr | None, value: Expr,
                 cond: Expr | None, grouping: bool, span: Span) -> None:
        self.key_var = key_var
        self.value_var = value_var
        self.collection = collection
        self.key = key  # None for the tuple form
        self.value = value
        self.cond = cond
        self.grouping = grouping
        self.span = span


class Unsupported(Record):
    """A construct the evaluator does not model (template directives...): always unknown."""

    __slots__ = ('span', 'what')

    def __init__(self, what: str, span: Span) -> None:
        self.what = what
        self.span = span


if TYPE_CHECKING:
    Expr = Union[
        Lit, Template, Ref, GetAttr, Index, Splat, Call, Cond, BinOp, UnOp,
        TupleExpr, ObjectExpr, ForExpr, Unsupported,
    ]


class Attribute(Record):
    __slots__ = ('expr', 'name', 'span')

    def __init__(self, name: str, expr: Expr, span: Span) -> None:
        self.name = name
        self.expr = expr
        self.span = span  # the whole ``name = expr``


class Block(Record):
    """A block (``resource "t" "n" { ... }``) with its attributes and nested blocks."""

    __slots__ = ('attributes', 'blocks', 'labels', 'span', 'type')

    def __init__(self, type: str, labels: tuple[str, ...], attributes: tuple[Attribute, ...],
                 blocks: tuple[Block, ...], span: Span) -> None:
        self.type = type
        self.labels = labels
        self.attributes = attributes
        self.blocks = blocks
        self.span = span

    def attr(self, name: str) -> Attribute | None:
        for a in self.attributes:
            if a.name == name:
                return a
        return None


class Body(Record):
    """A parsed file or fragment: top-level attributes (tfvars) and blocks."""

    __slots__ = ('attributes', 'blocks')

    def __init__(self, attributes: tuple[Attribute, ...], blocks: tuple[Block, ...]) -> None:
        self.attributes = attributes
        self.blocks = blocks
