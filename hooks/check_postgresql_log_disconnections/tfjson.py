"""Terraform's JSON syntax: ``.tf.json`` / ``.tofu.json`` configuration and ``.tfvars.json``.

``parse_config`` / ``parse_tfvars`` produces the same ``syntax`` nodes as the HCL adapter,
positioned in the JSON file: the span of a value is its JSON token (a string's
span includes its quotes), an attribute's span runs from its property name to
the end of its value, and a block's span is the JSON object holding its body.

The mapping follows https://developer.hashicorp.com/terraform/language/syntax/json
and HCL's JSON specification:

* Top-level properties are block types. Each label level is an object, or an
  array of objects whose properties are flattened in order; the body is an
  object or an array of objects (one block per element). A block type given
  twice (two ``"resource"`` properties) contributes the blocks of both.
* Properties named ``"//"`` in objects that stand for bodies or labels are
  comments and ignored; in objects read as expressions they are ordinary keys.
* In expression positions a JSON string is a template: plain text gives a quoted
  ``Lit``; a string that is exactly one ``${...}`` gives that expression (its
  top node spans the JSON string, its sub-nodes point inside it); text mixed
  with interpolations gives a ``Template``; a ``%{`` directive gives
  ``Unsupported``. Object keys are templates too.
* Strings are literal (no templates) in ``.tfvars.json``, in ``variable``
  ``default``/``description``/``sensitive``/``nullable``, ``output``
  ``description``/``sensitive``, ``module`` ``source``/``version``/``providers``,
  ``provider`` ``alias``/``version``, ``connection`` ``type`` and all of
  ``terraform``. Strings that Terraform reads as bare references or keywords
  (``provider``, ``depends_on``, ``lifecycle.ignore_changes``/``replace_triggered_by``,
  ``variable.type``, ...) are parsed as expressions, not templates.
* Known nested blocks (``lifecycle``, ``provisioner``, ``connection``,
  ``dynamic``, ``validation``, pre/postconditions) become nested ``Block``s;
  any other object-valued property (a provider schema's nested block such as
  ``timeouts``) stays an attribute holding an ``ObjectExpr``.
* Duplicate property names: the last one wins for attributes (a body or a
  ``.tfvars.json``) and for plain keys of objects read as expressions
  (Terraform would reject both; JSON parsers keep the last).
* Unknown top-level block types are skipped.

Errors (invalid JSON, a wrong shape, a bad ``${...}`` expression) raise
``hcl.ParseError`` with the line and column in the file. The reader is
iterative and linear in the input; nesting deeper than ``MAX_DEPTH`` is a
``ParseError`` so that nothing downstream can hit Python's recursion limit.
A leading BOM, if the caller left one in, is skipped like whitespace.
"""
from __future__ import annotations

import bisect
import json.decoder
import re
from collections.abc import Callable, Collection, Mapping
from json.decoder import scanstring  # type: ignore[attr-defined]  # (not in typeshed)
from typing import cast

from check_postgresql_log_disconnections import hcl
from check_postgresql_log_disconnections import syntax as s
from check_postgresql_log_disconnections.record import Record, replace
from check_postgresql_log_disconnections.values import number

MAX_DEPTH = 128  # arrays/objects open at once

_scanstring = cast(Callable[[str, int, bool], tuple[str, int]], scanstring)
_WS = re.compile(r'[ \t\n\r]*')
_NUMBER = re.compile(r'-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?')
# one decoded character of a JSON string body (a surrogate pair escape decodes to one)
_JSON_CHAR = re.compile(
    r'\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\.|[^\\]+', re.DOTALL)
_TEMPLATE_MARK = re.compile(r'\$\$\{|%%\{|\$\{|%\{')
_STRIP = ' \t\r\n'
# the common ``${var.x}`` / ``${local.a.b}``: parsed without python-hcl2
_TRAVERSAL = re.compile(r'[ \t]*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)[ \t]*')
_KEYWORDS = frozenset({'true', 'false', 'null', 'for', 'in', 'if', 'else', 'endif', 'endfor'})


class _JsonNode:
    """A JSON value with its offsets in the text: ``kind`` is object, array, string or scalar."""

    __slots__ = ('end', 'items', 'kind', 'pairs', 'start', 'value')

    def __init__(self, kind: str, start: int, end: int = -1, value: str | float | bool | None = None) -> None:
        self.kind = kind
        self.value = value  # the decoded string, number, bool or None
        self.items: list[_JsonNode] = []
        self.pairs: list[tuple[_JsonNode, _JsonNode]] = []
        self.start = start
        self.end = end

    @property
    def text(self) -> str:
        return self.value if isinstance(self.value, str) else ''


class _Schema:
    """How a block type's body maps to JSON (the block-type-specific exceptions)."""

    def __init__(self, literal: frozenset[str] = frozenset(), static: frozenset[str] = frozenset(),
                 blocks: Mapping[str, tuple[int, _Schema]] | None = None, all_literal: bool = False) -> None:
        self.literal = literal  # strings taken literally, no templates
        self.static = static  # strings (or arrays of them) holding a bare expression
        self.blocks: Mapping[str, tuple[int, _Schema]] = blocks or {}  # name -> (labels, schema)
        self.all_literal = all_literal


_GENERIC = _Schema()
_CONDITIONS = {'precondition': (0, _GENERIC), 'postcondition': (0, _GENERIC)}
_CONNECTION = _Schema(literal=frozenset({'type'}))
_LIFECYCLE = _Schema(static=frozenset({'ignore_changes', 'replace_triggered_by'}), blocks=_CONDITIONS)
_PROVISIONER = _Schema(static=frozenset({'when', 'on_failure'}), blocks={'connection': (0, _CONNECTION)})
_DYNAMIC = _Schema(static=frozenset({'iterator'}), blocks={'content': (0, _GENERIC)})
_RESOURCE = _Schema(
    static=frozenset({'provider', 'depends_on'}),
    blocks={'lifecycle': (0, _LIFECYCLE), 'provisioner': (1, _PROVISIONER),
            'connection': (0, _CONNECTION), 'dynamic': (1, _DYNAMIC)})
_VARIABLE = _Schema(literal=frozenset({'default', 'description', 'sensitive', 'nullable', 'ephemeral'}),
                    static=frozenset({'type'}), blocks={'validation': (0, _GENERIC)})
_OUTPUT = _Schema(literal=frozenset({'description', 'sensitive', 'ephemeral'}),
                  static=frozenset({'depends_on'}), blocks={'precondition': (0, _GENERIC)})
_MODULE = _Schema(literal=frozenset({'source', 'version', 'providers'}), static=frozenset({'depends_on'}))
_PROVIDER = _Schema(literal=frozenset({'alias', 'version'}))
_TOP: Mapping[str, tuple[int, _Schema]] = {
    'resource': (2, _RESOURCE), 'data': (2, _RESOURCE), 'ephemeral': (2, _RESOURCE),
    'module': (1, _MODULE), 'variable': (1, _VARIABLE), 'output': (1, _OUTPUT),
    'locals': (0, _GENERIC), 'provider': (1, _PROVIDER), 'terraform': (0, _Schema(all_literal=True)),
    'check': (1, _Schema(blocks={'assert': (0, _GENERIC), 'data': (2, _RESOURCE)})),
    'moved': (0, _GENERIC), 'import': (0, _GENERIC), 'removed': (0, _GENERIC),
}


def parse_by_name(text: str, path: str) -> s.Body:
    """Parse a ``.tfvars.json`` file (by its name) or else a ``.tf.json`` / ``.tofu.json`` file."""
    if path.endswith('.tfvars.json'):
        return parse_tfvars(text, path)
    return parse_config(text, path)


def parse_config(text: str, path: str, resource_types: Collection[str] | None = None) -> s.Body:
    """A Terraform JSON configuration file: its blocks (``Body.attributes`` is empty).

    With ``resource_types``, only ``variable``, ``locals``, ``module`` blocks and
    resources of those types are read into nodes; everything else is only
    checked to be JSON, by the C decoder (a 2 MB CDK for Terraform file in ~0.1 s).
    """
    r = _Reader(text, path, None if resource_types is None else _skip_but(frozenset(resource_types)))
    root = r.root()
    try:
        blocks: list[s.Block] = []
        for key, value in root.pairs:
            if key.text in _TOP and value.kind != 'skipped':
                labels, schema = _TOP[key.text]
                blocks.extend(r.blocks(key.text, value, labels, schema))
        return s.Body((), tuple(blocks))
    except RecursionError:  # pragma: no cover (MAX_DEPTH keeps well below the limit)
        raise hcl.ParseError('JSON too deeply nested') from None


_READ = frozenset({'resource', 'variable', 'locals', 'module', 'output'})


def _skip_but(resource_types: frozenset[str]) -> Callable[[list[_JsonNode]], bool]:
    def skip(keys: list[_JsonNode]) -> bool:
        """Is the value at these property names one no caller reads?"""
        if not keys:
            return False
        if keys[0].text not in _READ:
            return True
        return keys[0].text == 'resource' and len(keys) > 1 and keys[1].text not in resource_types
    return skip


def _no_constant(name: str) -> object:
    raise ValueError(f'{name} is not JSON')


_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def parse_tfvars(text: str, path: str) -> s.Body:
    """A ``.tfvars.json`` file: top-level properties as attributes with literal values."""
    r = _Reader(text, path)
    root = r.root()
    try:
        attrs = [s.Attribute(k.text, r.literal(v), r.span(k.start, v.end))
                 for k, v in root.pairs if k.text != '//']
        return s.Body(_last_wins(attrs), ())
    except RecursionError:  # pragma: no cover
        raise hcl.ParseError('JSON too deeply nested') from None


class _JsonReader:
    """JSON text -> a tree of ``_JsonNode`` with offsets; positions and errors in the file."""

    def __init__(self, text: str, path: str, skip: Callable[[list[_JsonNode]], bool] | None = None) -> None:
        self.text = text
        self.path = path
        self.skip = skip  # which values (by the property names leading to them) to check, not read
        self.newlines = [m.start() for m in re.finditer('\n', text)]

    # --- positions ---

    def position(self, offset: int) -> tuple[int, int]:
        before = bisect.bisect_left(self.newlines, offset)
        line_start = self.newlines[before - 1] + 1 if before else 0
        return before + 1, offset - line_start + 1

    def span(self, start: int, end: int) -> s.Span:
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return s.Span(self.path, line, column, end_line, end_column, start, end)

    def node_span(self, node: _JsonNode) -> s.Span:
        return self.span(node.start, node.end)

    def error(self, reason: str, offset: int) -> hcl.ParseError:
        line, column = self.position(offset)
        return hcl.ParseError(reason, line, column)

    # --- JSON ---

    def root(self) -> _JsonNode:
        node = self.read()
        if node.kind != 'object':
            raise self.error('expected a JSON object at the top level', node.start)
        return node

    def ws(self, i: int) -> int:
        if i >= len(self.text) or self.text[i] not in ' \t\n\r':
            return i
        m = _WS.match(self.text, i)
        return m.end() if m else i

    def found(self, i: int) -> str:
        return repr(self.text[i]) if i < len(self.text) else 'end of file'

    def read(self) -> _JsonNode:
        """Read one JSON value and check nothing but whitespace follows."""
        text, n = self.text, len(self.text)
        i = self.ws(1 if text.startswith('\ufeff') else 0)
        stack: list[_JsonNode] = []
        keys: list[_JsonNode] = []
        while True:
            if i >= n:
                raise self.error('unexpected end of file', i)
            c = text[i]
            if c in '{[' and self.skip is not None and self.skip(keys):
                node = _JsonNode('skipped', i, self.skip_value(i))
                i = node.end
            elif c in '{[':
                if len(stack) >= MAX_DEPTH:
                    raise self.error(f'JSON nested more than {MAX_DEPTH} levels deep', i)
                node = _JsonNode('object' if c == '{' else 'array', i)
                i = self.ws(i + 1)
                if i < n and text[i] == ('}' if c == '{' else ']'):
                    node.end = i = i + 1
                else:
                    stack.append(node)
                    if c == '{':
                        i = self.key(i, keys)
                    continue
            else:
                node, i = self.scalar(i)
            while True:  # attach the finished value, closing the containers it completes
                i = self.ws(i)
                if not stack:
                    if i < n:
                        raise self.error(f'unexpected {self.found(i)} after the JSON value', i)
                    return node
                top = stack[-1]
                if top.kind == 'object':
                    top.pairs.append((keys.pop(), node))
                else:
                    top.items.append(node)
                close = '}' if top.kind == 'object' else ']'
                if i < n and text[i] == ',':
                    i = self.ws(i + 1)
                    if top.kind == 'object':
                        i = self.key(i, keys)
                    break
                if i < n and text[i] == close:
                    top.end = i = i + 1
                    node = stack.pop()
                    continue
                raise self.error(f"expected ',' or {close!r}, found {self.found(i)}", i)

    def scalar(self, i: int) -> tuple[_JsonNode, int]:
        """A string, number, ``true``, ``false`` or ``null`` at ``i``, and the offset past it."""
        text = self.text
        c = text[i]
        if c == '"':
            return self.string(i)
        if c == '-' or '0' <= c <= '9':
            m = _NUMBER.match(text, i)
            if m is None:
                raise self.error('invalid number', i)
            node = _JsonNode('scalar', i, m.end(), number(m.group()))
            if node.value is None:
                raise self.error('number too large', i)
            return node, m.end()
        for word, value in (('true', True), ('false', False), ('null', None)):
            if text.startswith(word, i):
                return _JsonNode('scalar', i, i + len(word), value), i + len(word)
        raise self.error(f'unexpected {self.found(i)}', i)

    def skip_value(self, i: int) -> int:
        """The end of the JSON value at ``i``, checked by the C decoder and not kept."""
        try:
            return _DECODER.raw_decode(self.text, i)[1]
        except json.JSONDecodeError as e:
            raise self.error(e.msg.lower(), e.pos) from None
        except ValueError as e:  # NaN, Infinity
            raise self.error(str(e), i) from None
        except RecursionError:
            raise self.error('JSON too deeply nested', i) from None

    def key(self, i: int, keys: list[_JsonNode]) -> int:
        if i >= len(self.text) or self.text[i] != '"':
            raise self.error(f'expected a property name in double quotes, found {self.found(i)}', i)
        node, i = self.string(i)
        keys.append(node)
        i = self.ws(i)
        if i >= len(self.text) or self.text[i] != ':':
            raise self.error(f"expected ':', found {self.found(i)}", i)
        return self.ws(i + 1)

    def string(self, i: int) -> tuple[_JsonNode, int]:
        try:
            value, end = _scanstring(self.text, i + 1, True)
        except json.decoder.JSONDecodeError as e:
            raise self.error(e.msg.lower(), e.pos) from None
        return _JsonNode('string', i, end, value), end


class _Reader(_JsonReader):
    """The JSON tree -> ``syntax`` nodes, by Terraform's JSON mapping (see the module docstring)."""

    def objects(self, node: _JsonNode, what: str) -> list[_JsonNode]:
        """A body or label level: an object, or an array of objects."""
        if node.kind == 'object':
            return [node]
        if node.kind == 'array':
            for item in node.items:
                if item.kind != 'object':
                    raise self.error(f'expected a JSON object in {what}', item.start)
            return node.items
        raise self.error(f'expected a JSON object or an array of objects for {what}', node.start)

    def blocks(self, type_: str, node: _JsonNode, labels: int, schema: _Schema) -> list[s.Block]:
        out: list[s.Block] = []

        def walk(node: _JsonNode, names: tuple[str, ...]) -> None:
            if node.kind == 'skipped':
                return  # a resource type no caller reads
            if len(names) == labels:
                for body in self.objects(node, f'the body of a {type_} block'):
                    attrs, blocks = self.body(body, schema)
                    out.append(s.Block(type_, names, attrs, blocks, self.node_span(body)))
                return
            for level in self.objects(node, f'the labels of a {type_} block'):
                for key, value in level.pairs:
                    if key.text != '//':
                        walk(value, (*names, key.text))

        walk(node, ())
        return out

    def body(self, node: _JsonNode, schema: _Schema) -> tuple[tuple[s.Attribute, ...], tuple[s.Block, ...]]:
        attrs: list[s.Attribute] = []
        blocks: list[s.Block] = []
        for key, value in node.pairs:
            name = key.text
            if name == '//':
                continue
            if name in schema.blocks:
                labels, inner = schema.blocks[name]
                blocks.extend(self.blocks(name, value, labels, inner))
                continue
            if schema.all_literal or name in schema.literal:
                expr = self.literal(value)
            elif name in schema.static:
                expr = self.static(value)
            else:
                expr = self.expr(value)
            attrs.append(s.Attribute(name, expr, self.span(key.start, value.end)))
        return _last_wins(attrs), tuple(blocks)

    # --- expressions ---

    def literal(self, node: _JsonNode) -> s.Expr:
        """A JSON value taken literally (tfvars, variable defaults): strings are not templates."""
        return self._value(node, self.literal, self._quoted)

    def expr(self, node: _JsonNode) -> s.Expr:
        """A JSON value in an expression position: strings are templates."""
        return self._value(node, self.expr, self.template)

    def _quoted(self, node: _JsonNode) -> s.Expr:
        return s.Lit(node.value, self.node_span(node), quoted=True)

    def _value(self, node: _JsonNode, inner: Callable[[_JsonNode], s.Expr],
               string: Callable[[_JsonNode], s.Expr]) -> s.Expr:
        """``node`` with ``string`` reading its strings and object keys, ``inner`` its elements and values."""
        sp = self.node_span(node)
        if node.kind == 'string':
            return string(node)
        if node.kind == 'scalar':
            return s.Lit(node.value, sp)
        if node.kind == 'array':
            return s.TupleExpr(tuple(inner(item) for item in node.items), sp)
        return s.ObjectExpr(_last_key_wins([(string(k), inner(v)) for k, v in node.pairs]), sp)

    def static(self, node: _JsonNode) -> s.Expr:
        """A string holding a bare expression (``"aws.west"``, ``"list(string)"``), or an array of them."""
        if node.kind == 'array':
            items: list[s.Expr] = []
            for item in node.items:
                items.append(self.static(item))
            return s.TupleExpr(tuple(items), self.node_span(node))
        if node.kind != 'string':
            return self.expr(node)
        if '${' in node.text:  # the pre-0.12 style "${aws.west}"
            return self.template(node)
        expr = self.embedded(node, 0, len(node.text), self.raw_offsets(node))
        return _with_span(expr, self.node_span(node))

    def template(self, node: _JsonNode) -> s.Expr:
        """A JSON string read as a template (``parts`` as in the HCL adapter)."""
        value = node.text
        sp = self.node_span(node)
        if '${' not in value and '%{' not in value:
            return s.Lit(value, sp, quoted=True)
        raw = self.raw_offsets(node)
        parts: list[str | s.Expr] = []
        text: list[str] = []
        strip_next = False
        i = 0
        while True:
            m = _TEMPLATE_MARK.search(value, i)
            chunk = value[i:m.start() if m else len(value)]
            text.append(chunk.lstrip(_STRIP) if strip_next else chunk)
            strip_next = False
            if m is None:
                break
            mark = m.group()
            i = m.end()
            if mark in ('$${', '%%{'):
                text.append(mark[1:])
                continue
            if mark == '%{':
                return s.Unsupported('template directive', sp)
            close = _interpolation_end(value, i)
            if close < 0:
                raise self.error('unterminated template interpolation', raw(m.start()))
            start, end = i, close
            if value.startswith('~', start):
                start += 1
                text = [''.join(text).rstrip(_STRIP)]
            if end > start and value[end - 1] == '~':
                end -= 1
                strip_next = True
            if ''.join(text):
                parts.append(''.join(text))
            text = []
            parts.append(self.embedded(node, start, end, raw))
            i = close + 1
        if ''.join(text):
            parts.append(''.join(text))
        if len(parts) == 1 and not isinstance(parts[0], str):
            return _with_span(parts[0], sp)  # template interpolation unwrapping
        if all(isinstance(p, str) for p in parts):
            return s.Lit(''.join(p for p in parts if isinstance(p, str)), sp, quoted=True)
        return s.Template(tuple(parts), sp)

    def raw_offsets(self, node: _JsonNode) -> Callable[[int], int]:
        """Map an index into a string's decoded value to an offset in the file."""
        base = node.start + 1
        end = node.end - 1
        if '\\' not in self.text[base:end]:
            return lambda k: base + min(max(k, 0), end - base)
        offsets: list[int] = []
        for m in _JSON_CHAR.finditer(self.text, base, end):
            if m.group()[0] == '\\':
                offsets.append(m.start())
            else:
                offsets.extend(range(m.start(), m.end()))
        offsets.append(end)
        if len(offsets) != len(node.text) + 1:  # pragma: no cover (lone surrogates...)
            return lambda k: base
        return lambda k: offsets[min(max(k, 0), len(offsets) - 1)]

    def embedded(self, node: _JsonNode, start: int, end: int, raw: Callable[[int], int]) -> s.Expr:
        """Parse ``node.text[start:end]`` as an HCL expression, with spans in the file."""
        source = node.text[start:end]
        simple = _TRAVERSAL.fullmatch(source)
        if simple is not None and not _KEYWORDS.intersection(simple.group(1).split('.')):
            return self.traversal(simple, start, raw)
        try:
            expr = hcl.parse_expression(source, self.path, line=1, column=1, offset=start)
        except hcl.ParseError as e:
            raise self.error(f'in ${{...}}: {e.reason}', raw(start + _index(source, e.line, e.column))) from None
        moved = _remap(expr, lambda sp: self.span(raw(sp.start), raw(sp.end)))
        return cast('s.Expr', moved)

    def traversal(self, m: re.Match[str], start: int, raw: Callable[[int], int]) -> s.Expr:
        """``a.b.c`` built directly, as the HCL adapter would build it (python-hcl2 is slow to start)."""
        first = start + m.start(1)
        names = m.group(1).split('.')
        expr: s.Expr = s.Ref(names[0], self.span(raw(first), raw(first + len(names[0]))))
        end = first + len(names[0])
        for name in names[1:]:
            end += 1 + len(name)
            expr = s.GetAttr(expr, name, self.span(raw(first), raw(end)))
        return expr


def _interpolation_end(value: str, i: int) -> int:
    """The index of the ``}`` closing the ``${`` before ``i``, minding nested braces and strings; -1 if none."""
    n = len(value)
    stack = ['{']
    while i < n:
        c = value[i]
        if stack[-1] == '"':
            if c == '\\':
                i += 2
                continue
            if c == '"':
                stack.pop()
            elif c in '$%' and value.startswith(c + c + '{', i):
                i += 3
                continue
            elif c in '$%' and value.startswith('{', i + 1):
                stack.append('{')
                i += 2
                continue
        elif c == '"':
            stack.append('"')
        elif c == '{':
            stack.append('{')
        elif c == '}':
            stack.pop()
            if not stack:
                return i
        i += 1
    return -1


def _index(source: str, line: int, column: int) -> int:
    """Where an error ``parse_expression`` reported (line 1 counts ``x=`` first) falls in ``source``."""
    if line <= 1:
        k = column - 3
    else:
        start = 0
        for _ in range(line - 1):
            nl = source.find('\n', start)
            if nl < 0:
                break
            start = nl + 1
        k = start + column - 1
    return min(max(k, 0), len(source))


def _remap(x: object, move: Callable[[s.Span], s.Span]) -> object:
    """Rebuild a syntax tree with every span passed through ``move``."""
    if isinstance(x, s.Span):
        return move(x)
    if isinstance(x, tuple):
        return tuple(_remap(item, move) for item in x)
    if isinstance(x, Record):
        return replace(x, **{name: _remap(getattr(x, name), move) for name in x._fields})
    return x


def _with_span(expr: s.Expr, sp: s.Span) -> s.Expr:
    return replace(expr, span=sp)


def _last_wins(attrs: list[s.Attribute]) -> tuple[s.Attribute, ...]:
    last = {a.name: i for i, a in enumerate(attrs)}
    return tuple(a for i, a in enumerate(attrs) if last[a.name] == i)


def _last_key_wins(pairs: list[tuple[s.Expr, s.Expr]]) -> tuple[tuple[s.Expr, s.Expr], ...]:
    def plain(k: s.Expr) -> str | None:
        return k.value if isinstance(k, s.Lit) and isinstance(k.value, str) else None

    keys = [plain(k) for k, _ in pairs]
    last = {k: i for i, k in enumerate(keys)}
    if len(last) == len(keys):
        return tuple(pairs)
    return tuple(p for i, (p, k) in enumerate(zip(pairs, keys)) if k is None or last[k] == i)
