"""The python-hcl2 adapter: with ``hcl_parser.py``, the only module that imports ``hcl2`` or ``lark``.

``parse(text, path)`` turns HCL text into ``syntax`` nodes. It converts the
parse tree lark builds with python-hcl2's grammar (``hcl_parser.parses_to_tree``),
not python-hcl2's rule objects (``hcl2.parses``): building those costs a third
of a parse and adds nothing the conversion needs. The few things python-hcl2's
transformer decides on its way (which object keys are names, operators with a
newline merged in, unterminated template directives) are decided here the same
way. Positions come from the tokens: a node spans its first token's start to
its last token's end. Every way python-hcl2 can fail becomes one
``ParseError`` with a line and column, so callers never see a lark exception or
a ``RecursionError``. A failure of our own conversion is not a ``ParseError``:
it propagates, and the pipeline reports it as an internal error (a bug of
ours, not of the input).
"""
from __future__ import annotations

import re

from check_postgresql_log_disconnections import cache, lexer, worker
from check_postgresql_log_disconnections import syntax as s
from check_postgresql_log_disconnections.values import number

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from lark import Lark
    from lark.exceptions import UnexpectedInput


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
    if '\r' in text:  # python-hcl2 reads a lone CR as a blank; Terraform refuses it
        at = _lone_carriage_return(text)
        if at is not None:
            before = text.rfind('\n', 0, at)  # -1 on the text's first line, which starts at `column`
            raise ParseError('a carriage return without a newline after it (Terraform reads only \\n and \\r\\n '
                             'as line endings, a CR alone only in a comment)',
                             line + text.count('\n', 0, at), (column if before < 0 else 1) + at - before - 1)
    if column == 1:
        body = cache.get(text, path, line, offset)
        if body is None:
            body = worker.parse(text, path, line, offset)  # the second process's parse, when one runs
        if body is not None:
            return body
    # imported here: python-hcl2 and lark cost ~0.15 s, paid only when something is parsed
    from lark.exceptions import UnexpectedInput

    from check_postgresql_log_disconnections import hcl_parser

    try:
        tree = hcl_parser.parses_to_tree(text)
    except UnexpectedInput as e:
        raise ParseError(_describe(e), line + e.line - 1, e.column) from None
    except RecursionError:
        raise ParseError('expression too deeply nested', line) from None
    except (ValueError, RuntimeError, AttributeError, IndexError, KeyError, TypeError) as e:
        raise ParseError(f'python-hcl2 failed: {type(e).__name__}: {e}', line) from None
    if '%{' in text:  # python-hcl2's transformer refuses a directive left open: so does its adapter
        problem = _unterminated_directive(tree)
        if problem:
            raise ParseError(f'python-hcl2 failed: {problem}', line)
    # Our own conversion is outside that net: a bug of ours is an internal error, not python-hcl2's.
    try:
        body = _Convert(path, line - 1, column - 1, offset).body(tree.children[0])
    except RecursionError:  # a tree lark could build but too deep to walk: the input's limit
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


def _lone_carriage_return(text: str) -> int | None:
    """The offset of the first CR not followed by LF outside a comment, as Terraform finds it."""
    lone = [m.start() for m in re.finditer(r'\r(?!\n)', text)]
    if not lone:
        return None
    comments = [(start, end) for kind, start, end, _ in lexer.tokens(text) if kind == 'comment']
    return next((at for at in lone if not any(start <= at < end for start, end in comments)), None)


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


def _edge(node: Any, last: bool) -> Any:
    """The first (``last``: the last) token under ``node``; without recursion (trees can be deep)."""
    stack = [node]
    while True:
        n = stack.pop()  # (every node converted holds a token)
        if not hasattr(n, 'children'):
            return n
        stack.extend(n.children if last else reversed(n.children))


_SIMPLE_KEYS = ('identifier', 'string', 'int_lit', 'float_lit', 'literal_value')
_DIRECTIVES = {'template_if_start': 'if', 'template_else': 'else', 'template_endif': 'endif',
               'template_for_start': 'for', 'template_endfor': 'endfor'}


def _unterminated_directive(tree: Any) -> str:
    """python-hcl2's complaint about the first string (inner first) whose ``%{if}``/``%{for}`` is never closed; ''.

    Its transformer nests each string's directives and fails on one left open;
    the raw tree has them flat, so the same nesting is followed here.
    """
    stack: list[tuple[Any, bool]] = [(tree, False)]
    while stack:  # left to right, children before their parent, as python-hcl2 transforms
        node, visited = stack.pop()
        if not visited:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(node.children) if hasattr(c, 'children'))
            continue
        if node.data != 'string':
            continue
        open_: list[str] = []  # 'if', 'else' (an if past its else), 'for'
        for part in node.children:
            kind = _DIRECTIVES.get(getattr(part.children[0], 'data', ''), '') if hasattr(part, 'children') else ''
            if kind in ('if', 'for'):
                open_.append(kind)
            elif open_ and (open_[-1], kind) in (('if', 'endif'), ('else', 'endif'), ('for', 'endfor')):
                open_.pop()
            elif open_ and (open_[-1], kind) == ('if', 'else'):
                open_[-1] = 'else'
        if open_:
            return f'Unterminated template {"for" if open_[-1] == "for" else "if"} directive'
    return ''


class _Convert:
    """lark's parse tree (python-hcl2's grammar) -> ``syntax`` nodes. Dispatches on the rule name."""

    def __init__(self, path: str, line_delta: int, column_delta: int, offset: int) -> None:
        self.path = path
        self.line_delta = line_delta
        self.column_delta = column_delta  # applies to the first line only
        self.offset = offset

    def span(self, node: Any) -> s.Span:
        first, last = _edge(node, False), _edge(node, True)
        d = self.line_delta
        col = first.column + (self.column_delta if first.line == 1 else 0)
        end_col = last.end_column + (self.column_delta if last.end_line == 1 else 0)
        return s.Span(self.path, first.line + d, col, last.end_line + d, end_col,
                      first.start_pos + self.offset, last.end_pos + self.offset)

    @staticmethod
    def rules(node: Any) -> list[Any]:
        """Child rules, without tokens, newlines and comments."""
        return [c for c in node.children if hasattr(c, 'children') and c.data != 'new_line_or_comment']

    @staticmethod
    def tokens(node: Any) -> list[Any]:
        return [c for c in node.children if c is not None and not hasattr(c, 'children')]

    def name_of(self, node: Any) -> str:
        """Identifier, keyword or literal used as a name; string labels unquoted."""
        if node.data == 'string':
            lit = self.string(node)
            return lit.value if isinstance(lit, s.Lit) and isinstance(lit.value, str) else ''
        return str(self.tokens(node)[0])

    def body(self, node: Any) -> s.Body:
        attrs: list[s.Attribute] = []
        blocks: list[s.Block] = []
        for c in self.rules(node):
            if c.data == 'attribute':
                attrs.append(self.attribute(c))
            elif c.data == 'block':
                blocks.append(self.block(c))
        return s.Body(tuple(attrs), tuple(blocks))

    def attribute(self, node: Any) -> s.Attribute:
        name_rule, expr_rule = self.rules(node)
        return s.Attribute(self.name_of(name_rule), self.expr(expr_rule), self.span(node))

    def block(self, node: Any) -> s.Block:
        parts = self.rules(node)
        inner = self.body(parts[-1])
        names = [self.name_of(p) for p in parts[:-1]]
        return s.Block(names[0], tuple(names[1:]), inner.attributes, inner.blocks, self.span(node))

    def expr(self, node: Any) -> s.Expr:
        kind = node.data
        sp = self.span(node)
        kids = self.rules(node)
        if kind == 'expr_term':  # a term, or `( expression )`
            if len(kids) == 1:
                return self.expr(kids[0])
            return s.Unsupported('empty expression', sp)  # pragma: no cover
        if kind == 'string':
            return self.string(node)
        if kind == 'identifier':
            return s.Ref(str(self.tokens(node)[0]), sp)
        if kind in ('for_tuple_expr', 'for_object_expr'):
            return self.for_expr(node, kind == 'for_object_expr', sp)
        part = _PARTS.get(kind)
        if part is None:
            return s.Unsupported(kind, sp)
        return part(self, node, kind, kids, sp)

    def literal(self, node: Any, kind: str, kids: list[Any], sp: s.Span) -> s.Expr:
        """A number, ``true``/``false``/``null``, or a heredoc."""
        token = str(self.tokens(node)[0])
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

    def access(self, node: Any, kind: str, kids: list[Any], sp: s.Span) -> s.Expr:
        """``a.b``, ``a[i]``, ``a.*.b`` / ``a[*].b``."""
        obj, part = kids
        if kind == 'get_attr_expr_term':
            return s.GetAttr(self.expr(obj), self.name_of(self.rules(part)[0]), sp)
        if kind == 'index_expr_term':
            return s.Index(self.expr(obj), self.index(part), sp)
        rest: list[tuple[str, s.Expr | str]] = []
        for step in self.rules(part):
            if step.data == 'get_attr':
                rest.append(('attr', self.name_of(self.rules(step)[0])))
            else:
                rest.append(('index', self.index(step)))
        return s.Splat(self.expr(obj), tuple(rest), sp)

    def call(self, node: Any, kind: str, kids: list[Any], sp: s.Span) -> s.Expr:
        idents = [k for k in kids if k.data == 'identifier']
        name = '::'.join(self.name_of(i) for i in idents)
        args_rule = [k for k in kids if k.data == 'arguments']
        args: tuple[s.Expr, ...] = ()
        expand = False
        if args_rule:
            args = tuple(self.expr(a) for a in self.rules(args_rule[0]))
            expand = any(t.type == 'ELLIPSIS' for t in self.tokens(args_rule[0]))
        return s.Call(name, args, expand, sp)

    def operation(self, node: Any, kind: str, kids: list[Any], sp: s.Span) -> s.Expr:
        """``c ? t : o``, ``a op b``, ``-a`` / ``!a``."""
        if kind == 'conditional':
            c, t, o = kids
            return s.Cond(self.expr(c), self.expr(t), self.expr(o), sp)
        if kind == 'binary_op':
            left, term = kids[0], kids[1]
            op_rule, right = self.rules(term)
            # python-hcl2's lexer merges the newline (or comment) before an operator into the operator's
            # token; its position stays the operator's own
            tok = self.tokens(op_rule)[0]
            op = str(tok)[len(tok) - (tok.end_pos - tok.start_pos):]
            return s.BinOp(op, self.expr(left), self.expr(right), sp)
        op, operand = str(self.tokens(node)[0]), self.expr(kids[0])
        if op == '-' and isinstance(operand, s.Lit) and isinstance(operand.value, (int, float)) \
                and not isinstance(operand.value, bool):
            return s.Lit(-operand.value, sp)  # `-1` is a literal: --fix may rewrite it
        return s.UnOp(op, operand, sp)

    def collection(self, node: Any, kind: str, kids: list[Any], sp: s.Span) -> s.Expr:
        if kind == 'tuple':
            return s.TupleExpr(tuple(self.expr(k) for k in kids), sp)
        items = []
        for elem in kids:
            key_rule, value_rule = self.rules(elem)
            items.append((self.object_key(key_rule), self.expr(value_rule)))
        return s.ObjectExpr(tuple(items), sp)

    def index(self, node: Any) -> s.Expr:
        if node.data == 'short_index':
            return s.Lit(int(str(self.tokens(node)[-1])), self.span(node))
        return self.expr(self.rules(node)[0])

    def object_key(self, node: Any) -> s.Expr:
        """A bare name (identifier, keyword, ``true``...) is the string key; anything else an expression."""
        key = self.rules(node)[0]
        if key.data == 'keyword':
            return s.Lit(str(self.tokens(key)[0]), self.span(key))
        inner = self.rules(key)
        if key.data != 'expr_term' or len(inner) != 1 or inner[0].data not in _SIMPLE_KEYS:
            return self.expr(key)  # `(expr)`, `a.b`, `f(x)`...
        if inner[0].data in ('identifier', 'literal_value'):
            return s.Lit(str(self.tokens(inner[0])[0]), self.span(inner[0]))
        return self.expr(inner[0])

    def for_expr(self, node: Any, is_object: bool, sp: s.Span) -> s.Expr:
        kids = self.rules(node)
        intro, rest = kids[0], kids[1:]
        intro_kids = self.rules(intro)
        names = [self.name_of(k) for k in intro_kids if k.data == 'identifier']
        collection = self.expr(intro_kids[-1])
        cond = None
        if rest and rest[-1].data == 'for_cond':
            cond = self.expr(self.rules(rest[-1])[0])
            rest = rest[:-1]
        grouping = any(t.type == 'ELLIPSIS' for t in self.tokens(node))
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        if is_object:
            return s.ForExpr(key_var, value_var, collection, self.expr(rest[0]), self.expr(rest[1]),
                             cond, grouping, sp)
        return s.ForExpr(key_var, value_var, collection, None, self.expr(rest[0]), cond, False, sp)

    def string(self, node: Any) -> s.Expr:
        sp = self.span(node)
        parts: list[str | s.Expr] = []
        for part in self.rules(node):
            inner = part.children[0]
            if not hasattr(inner, 'children'):  # STRING_CHARS and escaped ${ / %{
                raw = str(inner)
                if '\n' in raw:  # python-hcl2 takes it; Terraform says "Invalid multi-line string"
                    line = self.span(part).line + raw[:raw.index('\n')].count('\n')
                    raise ParseError('invalid multi-line string: a quoted string cannot span lines', line,
                                     self.span(part).column)
                parts.append(_unescape(raw))
            elif inner.data == 'interpolation':
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
