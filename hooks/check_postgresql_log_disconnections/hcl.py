"""The python-hcl2 adapter: with ``hcl_parser.py``, the only module that imports ``hcl2`` or ``lark``.

``parse(text, path)`` turns HCL text into ``syntax`` nodes with positions taken
from python-hcl2's rule tree (``hcl2.parses``: each rule's private ``_meta``).
Every way python-hcl2 can fail becomes one ``ParseError`` with a line and
column, so callers never see a lark exception or a ``RecursionError``. A
failure of our own conversion is not a ``ParseError``: it propagates, and the
pipeline reports it as an internal error (a bug of ours, not of the input).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from check_postgresql_log_disconnections import cache, lexer, worker
from check_postgresql_log_disconnections import syntax as s
from check_postgresql_log_disconnections.values import number

if TYPE_CHECKING:
    from lark import Lark
    from lark.exceptions import UnexpectedInput
    from lark.tree import Meta


class ParseError(Exception):
    def __init__(self, reason: str, line: int = 1, column: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


def parse(text: str, path: str, *, line: int = 1, column: int = 1, offset: int = 0) -> s.Body:
    """Parse ``text``, which starts at ``line``:``column`` / ``offset`` of the file ``path``.

    A block (``column`` 1) parsed by an earlier run comes from the cache, without python-hcl2.
    """
    if column == 1:
        body = cache.get(text, path, line, offset)
        if body is None:
            body = worker.parse(text, path, line, offset)  # the second process's parse, when one runs
        if body is not None:
            return body
    # imported here: python-hcl2 and lark cost ~0.15 s, paid only when something is parsed
    from lark.exceptions import UnexpectedInput, VisitError

    from check_postgresql_log_disconnections import hcl_parser

    try:
        tree = hcl_parser.parses(text)
    except UnexpectedInput as e:
        raise ParseError(_describe(e), line + e.line - 1, e.column) from None
    except (RecursionError, VisitError) as e:
        if isinstance(e, VisitError) and not isinstance(e.orig_exc, RecursionError):
            raise ParseError(f'python-hcl2 failed: {e.orig_exc}', line) from None
        raise ParseError('expression too deeply nested', line) from None
    except (ValueError, RuntimeError, AttributeError, IndexError, KeyError, TypeError) as e:
        raise ParseError(f'python-hcl2 failed: {type(e).__name__}: {e}', line) from None
    # Our own conversion is outside that net: a bug of ours is an internal error, not python-hcl2's.
    try:
        body = _Convert(path, line - 1, column - 1, offset).body(tree.children[0])
    except RecursionError:  # a tree python-hcl2 could build but too deep to walk: the input's limit
        raise ParseError('expression too deeply nested', line) from None
    if column == 1:
        cache.put(text, body, line, offset)
    return body


def load_parser() -> Lark:
    """python-hcl2's Lark parser, loaded once a process (``hcl_parser.py``): call it early to load it sooner."""
    from check_postgresql_log_disconnections import hcl_parser

    return hcl_parser.load_parser()


def prefetch(texts: list[str]) -> None:
    """Blocks about to be ``parse``d: a worker process, if one runs, may start on them (see ``worker``)."""
    worker.prefetch(texts)


def prefetching() -> bool:
    """Does a worker process run (then ``prefetch`` is worth calling)?"""
    return worker.running()


def parse_expression(text: str, path: str, *, line: int, column: int, offset: int) -> s.Expr:
    """Parse one expression written at a known position (a ``"${...}"`` in Terraform JSON)."""
    body = parse(f'x={text}', path, line=line, column=column - 2, offset=offset - 2)
    if len(body.attributes) != 1 or body.blocks:
        raise ParseError('not one expression', line, column)
    return body.attributes[0].expr


def _describe(e: UnexpectedInput) -> str:
    token = getattr(e, 'token', None)
    if token is not None and getattr(token, 'type', '') == '$END':
        return 'unexpected end of file'
    if token is not None:
        return f'unexpected {str(token).strip()[:40]!r}'
    char = getattr(e, 'char', None)
    if char is not None:
        return f'unexpected character {char!r}'
    return 'syntax error'


_ESCAPES = {'n': '\n', 'r': '\r', 't': '\t', '"': '"', '\\': '\\'}
_ESCAPE_RE = re.compile(r'\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)', re.DOTALL)


def _unescape(raw: str) -> str:
    def one(m: re.Match[str]) -> str:
        c = m.group(1)
        if c[0] in 'uU' and len(c) > 1:
            return chr(int(c[1:], 16))
        return _ESCAPES.get(c, '\\' + c)

    return _ESCAPE_RE.sub(one, raw).replace('$${', '${').replace('%%{', '%{')


def _heredoc_parts(token: str) -> tuple[bool, str, str]:
    """``(trim, marker, rest)`` of python-hcl2's heredoc token (its grammar checked the marker)."""
    head, _, rest = token.partition('\n')
    trim = head.startswith('<<-')
    return trim, head[3 if trim else 2:].rstrip('\r'), rest


def early_marker(token: str) -> int:
    """The line (counted from the heredoc's first) where Terraform closes it, when before the token's end; else 0.

    Terraform closes a heredoc at the first line that is the marker once blanks
    are trimmed; python-hcl2 only at one with no trailing blanks.
    """
    h = lexer.heredoc(token, 0)
    if h is None or not h.closed or h.end >= len(token):
        return 0
    return token.count('\n', 0, h.close)


def heredoc_value(token: str) -> str:
    """The string a heredoc token stands for, as Terraform gives it (final newline kept)."""
    trim, marker, rest = _heredoc_parts(token)
    lines = rest.splitlines(keepends=True)
    # the last line holds the closing marker
    body = lines[:-1] if lines and lines[-1].strip() == marker else lines
    if trim:
        indents = [len(x) - len(x.lstrip(' \t')) for x in body if x.strip()]
        cut = min(indents, default=0)
        body = [x[cut:] if x.strip() else x.lstrip(' \t') for x in body]
    return ''.join(x.replace('\r\n', '\n') for x in body)


class _Convert:
    """Rule tree -> ``syntax`` nodes. Dispatches on ``lark_name()``."""

    def __init__(self, path: str, line_delta: int, column_delta: int, offset: int) -> None:
        self.path = path
        self.line_delta = line_delta
        self.column_delta = column_delta  # applies to the first line only
        self.offset = offset

    def span(self, rule: Any) -> s.Span:
        m: Meta = rule._meta
        d = self.line_delta
        col = m.column + (self.column_delta if m.line == 1 else 0)
        end_col = m.end_column + (self.column_delta if m.end_line == 1 else 0)
        return s.Span(self.path, m.line + d, col, m.end_line + d, end_col,
                      m.start_pos + self.offset, m.end_pos + self.offset)

    @staticmethod
    def rules(rule: Any) -> list[Any]:
        """Child rules, without tokens, placeholders, newlines and comments."""
        return [c for c in rule.children
                if c is not None and hasattr(c, 'children') and c.lark_name() != 'new_line_or_comment']

    @staticmethod
    def tokens(rule: Any) -> list[Any]:
        return [c for c in rule.children if c is not None and not hasattr(c, 'children')]

    def name_of(self, rule: Any) -> str:
        """Identifier, keyword or literal used as a name; string labels unquoted."""
        if rule.lark_name() == 'string':
            lit = self.string(rule)
            return lit.value if isinstance(lit, s.Lit) and isinstance(lit.value, str) else ''
        return str(self.tokens(rule)[0].value)

    def body(self, rule: Any) -> s.Body:
        attrs: list[s.Attribute] = []
        blocks: list[s.Block] = []
        for c in self.rules(rule):
            if c.lark_name() == 'attribute':
                attrs.append(self.attribute(c))
            elif c.lark_name() == 'block':
                blocks.append(self.block(c))
        return s.Body(tuple(attrs), tuple(blocks))

    def attribute(self, rule: Any) -> s.Attribute:
        name_rule, expr_rule = self.rules(rule)
        return s.Attribute(self.name_of(name_rule), self.expr(expr_rule), self.span(rule))

    def block(self, rule: Any) -> s.Block:
        parts = self.rules(rule)
        inner = self.body(parts[-1])
        names = [self.name_of(p) for p in parts[:-1]]
        return s.Block(names[0], tuple(names[1:]), inner.attributes, inner.blocks, self.span(rule))

    def expr(self, rule: Any) -> s.Expr:
        kind = rule.lark_name()
        sp = self.span(rule)
        kids = self.rules(rule)
        if kind == 'expr_term':
            if len(kids) == 1:
                return self.expr(kids[0])
            return s.Unsupported('empty expression', sp)  # pragma: no cover
        if kind == 'string':
            return self.string(rule)
        if kind == 'identifier':
            return s.Ref(str(self.tokens(rule)[0].value), sp)
        if kind in ('for_tuple_expr', 'for_object_expr'):
            return self.for_expr(rule, kind == 'for_object_expr', sp)
        part = _PARTS.get(kind)
        if part is None:
            return s.Unsupported(kind, sp)
        return part(self, rule, kind, kids, sp)

    def literal(self, rule: Any, kind: str, kids: list[Any], sp: s.Span) -> s.Expr:
        """A number, ``true``/``false``/``null``, or a heredoc."""
        token = str(self.tokens(rule)[0].value)
        if kind in ('int_lit', 'float_lit'):
            n = number(token)
            return s.Unsupported(f'number {token[:20]} too large', sp) if n is None else s.Lit(n, sp)
        if kind == 'literal_value':
            return s.Lit({'true': True, 'false': False}.get(token), sp)
        early = early_marker(token)
        if early:  # python-hcl2 read on past where Terraform closes it: what follows is lost
            raise ParseError('heredoc closing marker followed by blanks: python-hcl2 reads past it '
                             '(remove the trailing blanks)', sp.line + early, 1)
        if '${' in token or '%{' in token:
            return s.Unsupported('heredoc with interpolation', sp)
        return s.Lit(heredoc_value(token), sp)

    def access(self, rule: Any, kind: str, kids: list[Any], sp: s.Span) -> s.Expr:
        """``a.b``, ``a[i]``, ``a.*.b`` / ``a[*].b``."""
        obj, part = kids
        if kind == 'get_attr_expr_term':
            return s.GetAttr(self.expr(obj), self.name_of(self.rules(part)[0]), sp)
        if kind == 'index_expr_term':
            return s.Index(self.expr(obj), self.index(part), sp)
        rest: list[tuple[str, s.Expr | str]] = []
        for step in self.rules(part):
            if step.lark_name() == 'get_attr':
                rest.append(('attr', self.name_of(self.rules(step)[0])))
            else:
                rest.append(('index', self.index(step)))
        return s.Splat(self.expr(obj), tuple(rest), sp)

    def call(self, rule: Any, kind: str, kids: list[Any], sp: s.Span) -> s.Expr:
        idents = [k for k in kids if k.lark_name() == 'identifier']
        name = '::'.join(self.name_of(i) for i in idents)
        args_rule = [k for k in kids if k.lark_name() == 'arguments']
        args: tuple[s.Expr, ...] = ()
        expand = False
        if args_rule:
            args = tuple(self.expr(a) for a in self.rules(args_rule[0]))
            expand = any(t.lark_name() == 'ELLIPSIS' for t in self.tokens(args_rule[0]))
        return s.Call(name, args, expand, sp)

    def operation(self, rule: Any, kind: str, kids: list[Any], sp: s.Span) -> s.Expr:
        """``c ? t : o``, ``a op b``, ``-a`` / ``!a``."""
        if kind == 'conditional':
            c, t, o = kids
            return s.Cond(self.expr(c), self.expr(t), self.expr(o), sp)
        if kind == 'binary_op':
            left, term = kids[0], kids[1]
            op_rule, right = self.rules(term)
            return s.BinOp(str(self.tokens(op_rule)[0].value), self.expr(left), self.expr(right), sp)
        op, operand = str(self.tokens(rule)[0].value), self.expr(kids[0])
        if op == '-' and isinstance(operand, s.Lit) and isinstance(operand.value, (int, float)) \
                and not isinstance(operand.value, bool):
            return s.Lit(-operand.value, sp)  # `-1` is a literal: --fix may rewrite it
        return s.UnOp(op, operand, sp)

    def collection(self, rule: Any, kind: str, kids: list[Any], sp: s.Span) -> s.Expr:
        if kind == 'tuple':
            return s.TupleExpr(tuple(self.expr(k) for k in kids), sp)
        items = []
        for elem in kids:
            key_rule, value_rule = self.rules(elem)
            items.append((self.object_key(key_rule), self.expr(value_rule)))
        return s.ObjectExpr(tuple(items), sp)

    def index(self, rule: Any) -> s.Expr:
        if rule.lark_name() == 'short_index':
            tok = self.tokens(rule)[-1]
            return s.Lit(int(str(tok.value)), self.span(rule))
        return self.expr(self.rules(rule)[0])

    def object_key(self, rule: Any) -> s.Expr:
        inner = self.rules(rule)
        if rule.lark_name() == 'object_elem_key_expr':
            return self.expr(inner[0])
        if not inner:  # a keyword used as a key: `in = 1`
            return s.Lit(str(self.tokens(rule)[0].value), self.span(rule))
        first = inner[0]
        if first.lark_name() == 'identifier':
            return s.Lit(self.name_of(first), self.span(first))
        if first.lark_name() == 'keyword':
            return s.Lit(str(self.tokens(first)[0].value), self.span(first))
        return self.expr(first)

    def for_expr(self, rule: Any, is_object: bool, sp: s.Span) -> s.Expr:
        kids = self.rules(rule)
        intro, rest = kids[0], kids[1:]
        intro_kids = self.rules(intro)
        names = [self.name_of(k) for k in intro_kids if k.lark_name() == 'identifier']
        collection = self.expr(intro_kids[-1])
        cond = None
        if rest and rest[-1].lark_name() == 'for_cond':
            cond = self.expr(self.rules(rest[-1])[0])
            rest = rest[:-1]
        grouping = any(t.lark_name() == 'ELLIPSIS' for t in self.tokens(rule))
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        if is_object:
            return s.ForExpr(key_var, value_var, collection, self.expr(rest[0]), self.expr(rest[1]),
                             cond, grouping, sp)
        return s.ForExpr(key_var, value_var, collection, None, self.expr(rest[0]), cond, False, sp)

    def string(self, rule: Any) -> s.Expr:
        sp = self.span(rule)
        parts: list[str | s.Expr] = []
        for part in self.rules(rule):
            inner = part.children[0]
            if not hasattr(inner, 'children'):  # STRING_CHARS and escaped ${ / %{
                raw = str(inner.value)
                if '\n' in raw:  # python-hcl2 takes it; Terraform says "Invalid multi-line string"
                    line = self.span(part).line + raw[:raw.index('\n')].count('\n')
                    raise ParseError('invalid multi-line string: a quoted string cannot span lines', line,
                                     self.span(part).column)
                parts.append(_unescape(raw))
            elif inner.lark_name() == 'interpolation':
                parts.append(self.expr(self.rules(inner)[0]))
            else:
                return s.Unsupported('template directive', sp)
        if all(isinstance(p, str) for p in parts):
            return s.Lit(''.join(p for p in parts if isinstance(p, str)), sp, quoted=True)
        return s.Template(tuple(parts), sp)


_PARTS: dict[str, Callable[[_Convert, Any, str, list[Any], s.Span], s.Expr]] = {
    **dict.fromkeys(('int_lit', 'float_lit', 'literal_value', 'heredoc_template', 'heredoc_template_trim'),
                    _Convert.literal),
    **dict.fromkeys(('get_attr_expr_term', 'index_expr_term', 'attr_splat_expr_term', 'full_splat_expr_term'),
                    _Convert.access),
    'function_call': _Convert.call,
    **dict.fromkeys(('conditional', 'binary_op', 'unary_op'), _Convert.operation),
    **dict.fromkeys(('tuple', 'object'), _Convert.collection),
}
