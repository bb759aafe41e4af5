from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from check_postgresql_log_disconnections import hcl, scan
from check_postgresql_log_disconnections import syntax as s
from check_postgresql_log_disconnections.rule import may_matter
from check_postgresql_log_disconnections.scan import Chunk, chunks


def items(body: s.Body) -> list[tuple[str, tuple[str, ...], s.Span]]:
    """A parsed body's top-level items in file order, named as chunks name them."""
    found = [(b.type, b.labels, b.span) for b in body.blocks]
    found += [('', (a.name,), a.span) for a in body.attributes]
    return sorted(found, key=lambda item: item[2].start)


def check_against_python_hcl2(text: str, got: list[Chunk]) -> None:
    """Every chunk parses alone to the item the whole file has at that place."""
    whole = items(hcl.parse(text, 'f.tf'))
    assert [(c.type, c.labels) for c in got] == [(t, labels) for t, labels, _ in whole]
    for chunk, (_, _, span) in zip(got, whole):
        alone = items(hcl.parse(text[chunk.start:chunk.end], 'f.tf', line=chunk.line, offset=chunk.start))
        assert len(alone) == 1
        assert alone[0][:2] == (chunk.type, chunk.labels)
        got_span = alone[0][2]
        assert (got_span.line, got_span.column, got_span.start) == (span.line, span.column, span.start)
        assert chunk.line == text.count('\n', 0, chunk.start) + 1
        assert chunk.start == 0 or text[chunk.start - 1] == '\n'
    # what no chunk holds is only blanks and comments
    ends = [0] + [c.end for c in got]
    starts = [c.start for c in got] + [len(text)]
    for gap_start, gap_end in zip(ends, starts):
        assert gap_start <= gap_end
        assert not items(hcl.parse(text[gap_start:gap_end], 'f.tf'))
    # and the chunks put together are the file's items again
    joined = ''.join(text[c.start:c.end] for c in got)
    assert [(t, labels) for t, labels, _ in items(hcl.parse(joined, 'f.tf'))] == [
        (c.type, c.labels) for c in got]


def summary(got: list[Chunk] | None) -> list[tuple[str, tuple[str, ...], int, int]] | None:
    return None if got is None else [(c.type, c.labels, c.line, c.depth) for c in got]


@contextmanager
def slow_path_only() -> Iterator[None]:
    """Turn the one-regex fast paths off, to compare them with the lexer."""
    saved = scan._SIMPLE_ATTRIBUTE, scan._BRACKETED_ATTRIBUTE, scan._BLOCK
    never = re.compile(r'(?!)')
    scan._SIMPLE_ATTRIBUTE = scan._BRACKETED_ATTRIBUTE = scan._BLOCK = never
    try:
        yield
    finally:
        scan._SIMPLE_ATTRIBUTE, scan._BRACKETED_ATTRIBUTE, scan._BLOCK = saved


R = 'resource'
PG = 'azurerm_postgresql_configuration'

SPLITS = [
    pytest.param(
        'resource "azurerm_postgresql_configuration" "x" {\n'
        '  name  = "log_disconnections"\n'
        '  value = "off"\n'
        '  tags = {\n'
        '    a = { b = [1, (2)] }\n'
        '  }\n'
        '  dynamic "x" {\n'
        '    content {}\n'
        '  }\n'
        '}\n'
        'variable "v" {}\n',
        [(R, (PG, 'x'), 1, 5), ('variable', ('v',), 11, 1)],
        id='nested braces'),
    pytest.param(
        'locals {\n  a = "}{ # // /* \\" ]"\n  b = "%"\n}\nlocals { c = "$" }\n',
        [('locals', (), 1, 1), ('locals', (), 5, 1)],
        id='strings with braces, # and quotes'),
    pytest.param(
        'locals {\n  a = "${lookup(var.m, "}")}"\n  b = "${ {x = "}"}["x"] }-%{ if true }y%{ endif }"\n}\n'
        'x = "${lookup(var.m, "}")}"\n',
        [('locals', (), 1, 3), ('', ('x',), 5, 2)],
        id='interpolations with strings with braces'),
    pytest.param(
        'locals {\n  a = "$${not an interpolation}"\n  b = "%%{ nor a directive }"\n}\nz = 1\n',
        [('locals', (), 1, 1), ('', ('z',), 5, 0)],
        id='escaped templates'),
    pytest.param(
        'resource "t" "n" {\n'
        '  policy = <<EOT\n'
        '{"a": "}", "b": [\n'
        '}\n'
        '  EOT x\n'
        'EOTX\n'
        '${var.x} ${"}"}\n'
        'EOT\n'
        '}\n'
        'y = 1\n',
        [(R, ('t', 'n'), 1, 1), ('', ('y',), 10, 0)],
        id='heredoc with braces, quotes and a fake closing brace'),
    pytest.param(
        'x = <<-EOT\n    }\n    "\n  EOT\ny = <<EOT\nEOT\nz = [<<EOT\n]\nEOT\n]\n',
        [('', ('x',), 1, 0), ('', ('y',), 5, 0), ('', ('z',), 7, 1)],
        id='indented heredocs'),
    pytest.param(
        '# resource "a" "b" {\n'
        '// variable "x" {\n'
        '/* locals {\n  " } */\n'
        'a = 1 # }\n'
        'b = [ # ]\n  1, // ]\n  /* ] */ 2,\n] /* ] */ // ]\n'
        '/* c */ c = 3\n'
        'd { # }\n} // {\n',
        [('', ('a',), 5, 0), ('', ('b',), 6, 1), ('', ('c',), 10, 0), ('d', (), 11, 1)],
        id='comments with braces and quotes'),
    pytest.param(
        'variable "x" { default = "off" }\nterraform {}\nmodule m { source = "./m" }\n',
        [('variable', ('x',), 1, 1), ('terraform', (), 2, 1), ('module', ('m',), 3, 1)],
        id='one-line blocks'),
    pytest.param(
        'a = 1\r\n\r\n# c\r\nb "l" {\r\n  c = <<EOT\r\n  x\r\nEOT\r\n}\r\nd = [\r\n  1,\r\n]\r\ne = 2',
        [('', ('a',), 1, 0), ('b', ('l',), 4, 1), ('', ('d',), 9, 1), ('', ('e',), 12, 0)],
        id='CRLF'),
    pytest.param(
        'name = "pg"\n'
        'enabled = true\n'
        'count = -1.5e3\n'
        'ref = var.x\n'
        'list = [\n  "a",\n  "b",\n]\n'
        'map = {\n  a = { b = "c" }\n  "d" = [1]\n}\n'
        'deep = { a = { b = { c = 1 } } }\n'
        'call = merge({ a = 1 }, var.m)\n'
        'cond = var.x ? "on" : "off"\n',
        [('', ('name',), 1, 0), ('', ('enabled',), 2, 0), ('', ('count',), 3, 0), ('', ('ref',), 4, 0),
         ('', ('list',), 5, 1), ('', ('map',), 9, 2), ('', ('deep',), 13, 3), ('', ('call',), 14, 2),
         ('', ('cond',), 15, 0)],
        id='tfvars attributes'),
    pytest.param('', [], id='empty'),
    pytest.param('# only a comment\n\n/* and another */\n', [], id='only comments'),
    pytest.param('x = 1', [('', ('x',), 1, 0)], id='no final newline'),
    pytest.param('x = 1.5e3 # c */ ', [('', ('x',), 1, 0)], id='comment at the end of the file'),
    pytest.param('x = [] # c */ ', [('', ('x',), 1, 1)], id='comment at the end of the file, brackets'),
    pytest.param('resource "a-b" c_d "e f" "" {\n}', [(R, ('a-b', 'c_d', 'e f', ''), 1, 1)],
                 id='identifier and string labels'),
    pytest.param('x = f(\n  1,\n)[0] + 2 # c\n', [('', ('x',), 1, 1)], id='multi-line call'),
    pytest.param('x = 4 / 2 < 3 && 1 <= 2 # c\n', [('', ('x',), 1, 0)], id='division and comparison'),
]


@pytest.mark.parametrize(('text', 'expected'), SPLITS)
def test_chunks(text: str, expected: list[tuple[str, tuple[str, ...], int, int]]) -> None:
    got = chunks(text)
    assert summary(got) == expected
    assert got is not None
    check_against_python_hcl2(text, got)
    with slow_path_only():
        assert chunks(text) == got


def test_chunk_offsets() -> None:
    text = 'a = 1 # c\n\n  b {\n  }  \n/* x */ c = [\n]'
    assert chunks(text) == [
        Chunk('', ('a',), 0, 10, 1, 0),
        Chunk('b', (), 11, 23, 3, 1),
        Chunk('', ('c',), 23, 38, 5, 1),
    ]


UNSURE = [
    pytest.param('resource "a" "b" {\n', id='unclosed block'),
    pytest.param('x = [1, 2\n', id='unclosed list'),
    pytest.param('x = (1]\n', id='mismatched bracket'),
    pytest.param('}\n', id='stray closing brace'),
    pytest.param('x = 1)\n', id='stray closing paren'),
    pytest.param('x = "abc\n', id='unterminated string'),
    pytest.param('x = "abc', id='unterminated string at end'),
    pytest.param('x = "a\nb"\n', id='newline in string'),
    pytest.param('x = "a\\\nb"\n', id='backslash before newline in string'),
    pytest.param('x = ["${a}\\\n"]\n', id='backslash before newline in string in brackets'),
    pytest.param('x = "${var.x\n', id='unterminated interpolation'),
    pytest.param('x = <<EOT\nabc\n', id='unterminated heredoc'),
    pytest.param('x = <<EOT\nEOT \nEOT\n', id='heredoc marker with trailing blank'),
    pytest.param('x = <<EOT\n${a\n}\nEOT\n', id='heredoc interpolation across lines'),
    pytest.param('x = <<EOT\n$%{a}\nEOT\n', id='odd template start in heredoc'),
    pytest.param('x = <<EOT\n${"a}\nEOT\n', id='unterminated string in heredoc interpolation'),
    pytest.param('x = <<EOT \nEOT\n', id='heredoc opener with trailing blank'),
    pytest.param('x = 1 << 2\n', id='shift'),
    pytest.param('/* abc\nx = 1\n', id='unterminated comment'),
    pytest.param('x = [1, /* ]\n', id='unterminated comment in brackets'),
    pytest.param('resource "a\\"b" "c" {}\n', id='escape in label'),
    pytest.param('resource "${x}" "c" {}\n', id='interpolation in label'),
    pytest.param('resource "a"\n"b" {}\n', id='label on next line'),
    pytest.param('resource "a" "b"\n{\n}\n', id='brace on next line'),
    pytest.param('resource "a" "b" {} resource "c" "d" {}\n', id='two blocks on a line'),
    pytest.param('x = 1 y = 2\n', id='two attributes on a line'),
    pytest.param('x = 1 resource "a" "b" {}\n', id='attribute then block on a line'),
    pytest.param('x = "a" "b"\n', id='two strings'),
    pytest.param('x = a.* b = 1\n', id='splat then attribute'),
    pytest.param('x = 1y = 2\n', id='number then attribute'),
    pytest.param('x = (1)y = 2\n', id='parenthesis then attribute'),
    pytest.param('x = a +\n  b\n', id='operator at end of line'),
    pytest.param('x = a\n  + b\n', id='operator at start of line'),
    pytest.param('x = a ? b\n  : c\n', id='conditional across lines'),
    pytest.param('x =\n', id='no value'),
    pytest.param('x = 1 /* a\nb */\n', id='multi-line comment after attribute'),
    pytest.param('a {\n} /* a\nb */\n', id='multi-line comment after block'),
    pytest.param('/* a\n*/ x = 1\n', id='item after a multi-line comment on its line'),
    pytest.param('/* a\n/* b */ x = 1\n', id='item after a comment-like comment tail'),
    pytest.param('x == 1\n', id='not an attribute'),
    pytest.param('résource "a" {}\n', id='non-ASCII identifier'),
    pytest.param('"a" = 1\n', id='quoted attribute name'),
    pytest.param('x = \\"a\\"\n', id='backslash outside a string'),
    pytest.param('x = "$$${a}"\n', id='odd template escape'),
    pytest.param('x = "$${a" b = "}"\n', id='escape that python-hcl2 reads past a quote'),
    pytest.param('\ufeffx = 1\n', id='BOM left in'),
    pytest.param('x = 1\n\x0c', id='form feed'),
]


@pytest.mark.parametrize('text', UNSURE)
def test_chunks_unsure(text: str) -> None:
    assert chunks(text) is None
    with slow_path_only():
        assert chunks(text) is None


@pytest.mark.parametrize('text', [
    pytest.param(' ' * 40 + 'x', id='blanks before junk'),
    pytest.param('a {}' + ' ' * 40 + 'x', id='blanks after a block'),
    pytest.param('x = "' + '$' * 5000 + '"\n', id='dollars'),
    pytest.param('x = "' + '$' * 5000 + '{"\n', id='dollars then brace'),
    pytest.param('resource "' + '%' * 5000 + '" x\n', id='percents in a label'),
    pytest.param('x = <<A\n' + 'A' * 5000 + '\n' + ' A A\n' * 2000, id='marker-like lines'),
    pytest.param('x = [' + ' ' * 40 + '(\n', id='bracketed junk'),
])
def test_no_catastrophic_backtracking(text: str) -> None:
    # each of these took minutes or hours with a naive regex; no assertion on time
    chunks(text)


def test_deep_nesting_counted() -> None:
    text = 'x = ' + '[' * 3000 + ']' * 3000 + '\nl { a = "${' + '(' * 10 + '1' + ')' * 10 + '}" }\n'
    assert summary(chunks(text)) == [('', ('x',), 1, 3000), ('l', (), 2, 12)]


# --- generated files: a small HCL grammar that knows each item's expected chunk ---

Item = tuple[str, tuple[str, ...], int]  # type, labels, depth
Value = tuple[str, int]  # text, depth

NAMES = st.sampled_from(['name', 'value', 'server_name', 'for_each', 'count', 'tags', 'a-b', '_x', 'in'])
LABEL_CHARS = st.sampled_from([*'abcXYZ019 _-./{}[]#*<>=:,\'', '//', '/*', '*/'])
STRING_PARTS = st.sampled_from([
    'a', ' ', '{', '}', '[', ']', '(', ')', '#', '//', '/*', '*/', '<<EOT', "'", '=', ',', ':',
    '\\"', '\\\\', '\\n', '\\u0041', '100% ', '$ ', '$${x}', '%%{x}', 'EOT',
])
# (text, depth) of interpolations and directives
TEMPLATES = st.sampled_from([
    ('${var.x}', 1), ('${lookup(var.m, "}")}', 2), ('${"{"}', 1), ('${ {a = "}"}["a"] }', 2),
    ('${"${"x"}"}', 2), ('%{ if true }y%{ endif }', 1), ('${[1, (2)][0]}', 3),
])
HEREDOC_LINES = st.sampled_from([
    '}', '{', '"', '"}"', 'EOTX', ' EOT x', 'xEOT', '# }', '/* {', '${var.x}', '$${x', '%{ if true }y%{ endif }',
    '', '  <<EOT', 'resource "a" "b" {',
])


@st.composite
def strings(draw: st.DrawFn) -> Value:
    parts = draw(st.lists(st.one_of(STRING_PARTS.map(lambda p: (p, 0)), TEMPLATES), max_size=6))
    # `$ ` then `{` would start a template: keep the generated text what it says
    text = '"' + ''.join(p for p, _ in parts) + '"'
    return text, max((d for _, d in parts), default=0)


ATOMS = st.sampled_from([('1', 0), ('-2', 0), ('1.5e3', 0), ('true', 0), ('null', 0), ('var.x', 0),
                         ('local.a.b', 0), ('var.m["k"]', 1), ('max(1, 2)', 1), ('!true', 0), ('1 + 2', 0),
                         ('4 / 2 < 3', 0), ('var.l.*.id', 0), ('var.l[*].id', 1), ('a ? b : c', 0)])


def values() -> st.SearchStrategy[Value]:
    def extend(inner: st.SearchStrategy[Value]) -> st.SearchStrategy[Value]:
        return st.one_of(lists(inner), objects(inner), calls(inner))
    leaves = st.one_of(ATOMS, strings(), heredocs().map(lambda h: (h, 0)))
    return st.recursive(leaves, extend, max_leaves=8)


COMMENTS = st.sampled_from(['# ]})"', '// ]})"', '/* ]}) " */'])


@st.composite
def lists(draw: st.DrawFn, inner: st.SearchStrategy[Value]) -> Value:
    elems = draw(st.lists(inner, max_size=3))
    depth = 1 + max((d for _, d in elems), default=0)
    if draw(st.booleans()):
        return '[' + ', '.join(t for t, _ in elems) + ']', depth
    lines = [f'  {t},' + (' ' + draw(COMMENTS) if draw(st.booleans()) else '') for t, _ in elems]
    return '[\n' + ''.join(line + '\n' for line in lines) + ']', depth


@st.composite
def objects(draw: st.DrawFn, inner: st.SearchStrategy[Value]) -> Value:
    elems = draw(st.lists(st.tuples(st.one_of(NAMES.filter(lambda n: n != 'in'), strings()), inner), max_size=3))
    keys = [k if isinstance(k, str) else k[0] for k, _ in elems]
    depth = 1 + max((max(v[1], 0 if isinstance(k, str) else k[1]) for k, v in elems), default=0)
    if draw(st.booleans()):
        return '{' + ', '.join(f'{k} = {v[0]}' for k, (_, v) in zip(keys, elems)) + '}', depth
    body = ''.join(f'  {k} = {v[0]}\n' for k, (_, v) in zip(keys, elems))
    return '{\n' + body + '}', depth


@st.composite
def calls(draw: st.DrawFn, inner: st.SearchStrategy[Value]) -> Value:
    args = draw(st.lists(inner, min_size=1, max_size=3))
    return 'concat(' + ', '.join(t for t, _ in args) + ')', 1 + max(d for _, d in args)


@st.composite
def heredocs(draw: st.DrawFn) -> str:
    lines = draw(st.lists(HEREDOC_LINES, max_size=4))
    if draw(st.booleans()):
        return '<<EOT\n' + ''.join(line + '\n' for line in lines) + 'EOT\n'
    return '<<-EOT\n' + ''.join('    ' + line + '\n' for line in lines) + '  EOT\n'


@st.composite
def attributes(draw: st.DrawFn, indent: str = '') -> tuple[str, int, str]:
    """(text ending with its newline, depth, name)"""
    name = draw(NAMES)
    if draw(st.integers(0, 5)) == 0:
        return f'{indent}{name} = {draw(heredocs())}', 0, name
    text, depth = draw(values())
    text = text.replace('\n', '\n' + indent)
    comment = ' ' + draw(COMMENTS) if draw(st.booleans()) else ''
    return f'{indent}{name} = {text}{comment}\n', depth, name


@st.composite
def labels(draw: st.DrawFn) -> tuple[str, str]:
    """(as written, as unquoted)"""
    if draw(st.booleans()):
        word = draw(st.sampled_from(['x', 'main', 'a_b', 'c-d', PG, 'azurerm_postgresql_server']))
        return word, word
    inside = ''.join(draw(st.lists(LABEL_CHARS, max_size=5)))
    return f'"{inside}"', inside


@st.composite
def blocks(draw: st.DrawFn, indent: str = '', nesting: int = 0) -> tuple[str, int, str, tuple[str, ...]]:
    """(text ending with its newline, depth, type, labels)"""
    kind = draw(st.sampled_from(['resource', 'variable', 'locals', 'module', 'dynamic', 'content']))
    written = draw(st.lists(labels(), max_size=3))
    head = ' '.join([kind] + [w for w, _ in written])
    names = tuple(u for _, u in written)
    shape = draw(st.integers(0, 3))
    if shape == 0:
        return f'{indent}{head} {{}}\n', 1, kind, names
    if shape == 1:
        value, depth = draw(st.one_of(ATOMS, strings()))
        return f'{indent}{head} {{ {draw(NAMES)} = {value} }}\n', 1 + depth, kind, names
    body = []
    depth = 1
    for _ in range(draw(st.integers(0, 4))):
        if nesting < 2 and draw(st.integers(0, 3)) == 0:
            text, d, _, _ = draw(blocks(indent + '  ', nesting + 1))
        else:
            text, d, _ = draw(attributes(indent + '  '))
        body.append(text)
        depth = max(depth, 1 + d)
    return f'{indent}{head} {{\n' + ''.join(body) + f'{indent}}}\n', depth, kind, names


GAPS = st.sampled_from(['', '\n', '# resource "a" "b" {\n', '// }\n', '/* {\n " */\n', '/* x */ ', '  '])


@st.composite
def files(draw: st.DrawFn) -> tuple[str, list[Item]]:
    text = ''
    expected: list[Item] = []
    for _ in range(draw(st.integers(0, 6))):
        text += draw(GAPS)
        if draw(st.booleans()):
            item, depth, kind, names = draw(blocks())
            expected.append((kind, names, depth))
        else:
            item, depth, name = draw(attributes())
            expected.append(('', (name,), depth))
        text += item
    text += draw(GAPS)
    if draw(st.booleans()) and text.endswith('\n'):
        text = text[:-1]
    if draw(st.booleans()):
        text = text.replace('\n', '\r\n')
    return text, expected


GeneratedFile = tuple[str, list[Item]]


@settings(max_examples=150, deadline=None)
@given(files())
def test_generated_files(generated: GeneratedFile) -> None:
    text, expected = generated
    got = chunks(text)
    assert got is not None
    assert [(c.type, c.labels, c.depth) for c in got] == expected
    check_against_python_hcl2(text, got)
    with slow_path_only():
        assert chunks(text) == got
    for chunk in got:
        assert may_matter(text[chunk.start:chunk.end], servers=True) or not any(
            'azurerm_postgresql' in label for label in chunk.labels)



# --- the one-match block path against the lexer's tokens, over mutated blocks ---

MUTATED_BLOCKS = [text for param in SPLITS for text in param.values[:1] if '{\n' in text] + [
    'resource "azurerm_storage_account" "sa" {\n'
    '  name                     = "st${var.env}data"\n'
    '  account_tier             = "Standard"\n'
    '  network_rules {\n'
    '    ip_rules = ["10.0.0.0/8", "192.168.0.0/16"] # (office)\n'
    '    bypass   = [for b in var.bypass : upper(b)]\n'
    '  }\n'
    '  tags = merge(local.tags, { role = "data" }) /* {extra} */\n'
    '}\n\n'
    'resource "azurerm_postgresql_configuration" "c" {\n'
    '  name  = "log_disconnections"\n'
    '  value = var.x == "a" ? "on" : "%{if true}off%{endif}"\n'
    '  // done\n'
    '}\n',
]
# every character the one-match path treats specially, and what it leaves to the tokens
LEXER_INSERTS = st.sampled_from([
    '{', '}', '[', ']', '(', ')', '"', '\\', '\\\r', '\r', '\n', '\n}', '\n}\n', '$', '%', '${', '%{', '$${', '%%{',
    '%${', '${x}', '${f(1)}', '${"a"}', '#', '# (', '//', '// ]', '/*', '*/', '/* ( */', '# {}', '// ()', '/* [] */',
    '"()"', '/', '<', '<<', '<<EOT\nx\nEOT\n', '<<-EOT\n  }\n  EOT\n', '*', '"a(b"', '"${x}(y"', '"\\("', '\u00e9',
    '\t', 'a = 1 }', '{ a = 1 }',
])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(MUTATED_BLOCKS), st.lists(st.tuples(st.integers(0, 10_000), LEXER_INSERTS), max_size=3))
def test_one_match_blocks_split_as_the_tokens_do(text: str, inserts: list[tuple[int, str]]) -> None:
    for at, insert in inserts:
        at %= len(text) + 1
        text = text[:at] + insert + text[at:]
    got = chunks(text)
    with slow_path_only():
        assert chunks(text) == got


def test_blocks_closed_inside_their_last_line_stay_linear() -> None:
    # the one-match path reads each of these to the end of the file in vain: it stops trying
    text = 'a { b = 1 }\n' * 20_000
    assert summary(chunks(text)) == [('a', (), i + 1, 1) for i in range(20_000)]
