from __future__ import annotations

import json

import pytest

from check_postgresql_log_disconnections import hcl, tfjson
from check_postgresql_log_disconnections import syntax as s
from check_postgresql_log_disconnections.record import replace


def shape(e: s.Expr) -> object:
    """An expression without positions, compact enough to write in a table."""
    if isinstance(e, s.Lit):
        return e.value
    if isinstance(e, s.Ref):
        return ('ref', e.name)
    if isinstance(e, s.GetAttr):
        return ('.', shape(e.obj), e.name)
    if isinstance(e, s.Template):
        return ('tpl', *[p if isinstance(p, str) else shape(p) for p in e.parts])
    if isinstance(e, s.TupleExpr):
        return [shape(i) for i in e.items]
    if isinstance(e, s.ObjectExpr):
        return {shape(k): shape(v) for k, v in e.items}
    if isinstance(e, s.Call):
        return ('call', e.name, *[shape(a) for a in e.args])
    if isinstance(e, s.Cond):
        return ('?', shape(e.cond), shape(e.then), shape(e.other))
    if isinstance(e, s.BinOp):
        return (e.op, shape(e.left), shape(e.right))
    if isinstance(e, s.Unsupported):
        return ('unsupported', e.what)
    raise AssertionError(e)


def block(src: str, path: str = 'main.tf.json') -> s.Block:
    body = tfjson.parse_by_name(src, path)
    assert len(body.blocks) == 1, body.blocks
    return body.blocks[0]


def attr(b: s.Block, name: str) -> s.Expr:
    a = b.attr(name)
    assert a is not None, name
    return a.expr


def text_of(src: str, sp: s.Span) -> str:
    return src[sp.start:sp.end]


def resource(value: str) -> str:
    return ('{"resource": {"azurerm_postgresql_configuration": {"ld": '
            '{"name": "log_disconnections", "server_id": "${azurerm_postgresql_server.s.id}", '
            f'"value": {value}}}}}}}}}')


@pytest.mark.parametrize(('value', 'expected'), [
    ('"off"', 'off'),
    ('"OFF"', 'OFF'),
    ('true', True),
    ('0', 0),
    ('1.5', 1.5),
    ('-2e3', -2000.0),
    ('null', None),
    ('"${var.x}"', ('.', ('ref', 'var'), 'x')),
    ('"${ var.x }"', ('.', ('ref', 'var'), 'x')),
    ('"${~ var.x ~}"', ('.', ('ref', 'var'), 'x')),
    ('"o${local.f}"', ('tpl', 'o', ('.', ('ref', 'local'), 'f'))),
    ('"${local.a}${local.b}"', ('tpl', ('.', ('ref', 'local'), 'a'), ('.', ('ref', 'local'), 'b'))),
    ('" ${~local.a~} x"', ('tpl', ('.', ('ref', 'local'), 'a'), 'x')),
    ('"${var.on ? \\"on\\" : \\"off\\"}"', ('?', ('.', ('ref', 'var'), 'on'), 'on', 'off')),
    ('"${lower(\\"OFF\\")}"', ('call', 'lower', 'OFF')),
    ('"${{a = \\"}\\"}.a}"', ('.', {'a': '}'}, 'a')),
    ('"${\\"${var.p}x\\"}"', ('tpl', ('.', ('ref', 'var'), 'p'), 'x')),
    ('"$${var.x}"', '${var.x}'),
    ('"%%{x}"', '%{x}'),
    ('"100%"', '100%'),
    ('"$"', '$'),
    ('"%{ if var.x }on%{ endif }"', ('unsupported', 'template directive')),
    ('["${var.a}", "b"]', [('.', ('ref', 'var'), 'a'), 'b']),
    ('{"k": "${var.v}", "${var.k}": 1}', {'k': ('.', ('ref', 'var'), 'v'), ('.', ('ref', 'var'), 'k'): 1}),
    ('{"//": "kept in expressions"}', {'//': 'kept in expressions'}),
    ('{"a": 1, "a": 2}', {'a': 2}),
])
def test_resource_value(value: str, expected: object) -> None:
    b = block(resource(value))
    assert b.type == 'resource'
    assert b.labels == ('azurerm_postgresql_configuration', 'ld')
    assert shape(attr(b, 'name')) == 'log_disconnections'
    assert shape(attr(b, 'server_id')) == ('.', ('.', ('ref', 'azurerm_postgresql_server'), 's'), 'id')
    assert shape(attr(b, 'value')) == expected


@pytest.mark.parametrize(('value', 'quoted'), [('"off"', True), ('"$${x}"', True), ('false', False)])
def test_literal_quoted_flag(value: str, quoted: bool) -> None:
    e = attr(block(resource(value)), 'value')
    assert isinstance(e, s.Lit)
    assert e.quoted is quoted


@pytest.mark.parametrize(('value', 'top', 'inner'), [
    # (JSON value, text of the value's span, texts of the spans of the sub-expressions)
    ('"off"', '"off"', []),
    ('"${var.x}"', '"${var.x}"', ['var']),
    ('"o${local.f}"', '"o${local.f}"', ['local.f', 'local']),
    ('"${lower(\\"OFF\\")}"', '"${lower(\\"OFF\\")}"', ['\\"OFF\\"']),
    ('"\\u0041${lower(\\"OFF\\")}"', '"\\u0041${lower(\\"OFF\\")}"', ['lower(\\"OFF\\")', '\\"OFF\\"']),
    ('"\\ud83d\\ude00${var.x}"', '"\\ud83d\\ude00${var.x}"', ['var.x', 'var']),
    ('["a", 1]', '["a", 1]', ['"a"', '1']),
    ('{"k": "v"}', '{"k": "v"}', ['"k"', '"v"']),
])
def test_spans_are_json_tokens(value: str, top: str, inner: list[str]) -> None:
    src = resource(value)
    a = block(src).attr('value')
    assert a is not None
    assert text_of(src, a.span) == f'"value": {value}'
    assert text_of(src, a.expr.span) == top
    found: list[str] = []

    def walk(e: s.Expr) -> None:
        kids: list[s.Expr] = []
        if isinstance(e, s.Template):
            kids = [p for p in e.parts if not isinstance(p, str)]
        elif isinstance(e, s.GetAttr):
            kids = [e.obj]
        elif isinstance(e, s.Call):
            kids = list(e.args)
        elif isinstance(e, s.TupleExpr):
            kids = list(e.items)
        elif isinstance(e, s.ObjectExpr):
            kids = [x for kv in e.items for x in kv]
        for k in kids:
            found.append(text_of(src, k.span))
            walk(k)

    walk(a.expr)
    assert found == inner


def test_line_and_column_of_values() -> None:
    src = (
        '{\n'
        '  "resource": {\n'
        '    "azurerm_postgresql_flexible_server_configuration": {\n'
        '      "ld": {\n'
        '        "name": "log_disconnections",\n'
        '        "value": "o${local.f}"\n'
        '      }\n'
        '    }\n'
        '  }\n'
        '}\n'
    )
    b = block(src)
    assert (b.span.line, b.span.column, b.span.end_line, b.span.end_column) == (4, 13, 7, 8)
    name = b.attr('name')
    assert name is not None
    assert (name.span.line, name.span.column) == (5, 9)
    assert (name.expr.span.line, name.expr.span.column, name.expr.span.end_column) == (5, 17, 37)
    value = attr(b, 'value')
    assert isinstance(value, s.Template)
    assert (value.span.line, value.span.column, value.span.end_line, value.span.end_column) == (6, 18, 6, 31)
    inner = value.parts[1]
    assert isinstance(inner, s.GetAttr)
    assert (inner.span.line, inner.span.column, inner.span.end_column) == (6, 22, 29)
    assert text_of(src, inner.span) == 'local.f'


def test_crlf_positions() -> None:
    src = '{\r\n"locals": {\r\n  "a": "x"\r\n}}'
    a = block(src).attr('a')
    assert a is not None
    assert (a.expr.span.line, a.expr.span.column) == (3, 8)
    assert text_of(src, a.expr.span) == '"x"'


@pytest.mark.parametrize(('value', 'expected'), [
    ('"a\\u0062c"', 'abc'),
    ('"say \\"hi\\""', 'say "hi"'),
    ('"back\\\\slash"', 'back\\slash'),
    ('"tab\\tnl\\n"', 'tab\tnl\n'),
    ('"\\/"', '/'),
    ('"\\ud83d\\ude00"', '\U0001F600'),
    ('"caf\u00e9"', 'caf\u00e9'),
    ('"\\u0024{var.x}"', ('.', ('ref', 'var'), 'x')),  # the escape decodes to "${": a template
    ('"${\\"a\\\\\\\\b\\"}"', 'a\\b'),  # JSON decodes to ${"a\\b"}, HCL then to a\b
])
def test_escapes(value: str, expected: object) -> None:
    assert shape(attr(block(resource(value)), 'value')) == expected


def test_variable_default_is_literal() -> None:
    src = json.dumps({'variable': {'settings': {
        'type': 'map(string)',
        'description': 'see ${docs}',
        'default': {'log_disconnections': 'off', 'other': '${var.x}', 'n': [1, True, None]},
    }}})
    b = block(src)
    assert (b.type, b.labels) == ('variable', ('settings',))
    assert shape(attr(b, 'type')) == ('call', 'map', ('ref', 'string'))
    assert text_of(src, attr(b, 'type').span) == '"map(string)"'
    assert shape(attr(b, 'description')) == 'see ${docs}'
    default = attr(b, 'default')
    assert isinstance(default, s.ObjectExpr)
    assert shape(default) == {'log_disconnections': 'off', 'other': '${var.x}', 'n': [1, True, None]}
    key, value = default.items[0]
    assert isinstance(key, s.Lit) and key.quoted and text_of(src, key.span) == '"log_disconnections"'
    assert isinstance(value, s.Lit) and value.quoted and text_of(src, value.span) == '"off"'


@pytest.mark.parametrize(('locals_json', 'expected'), [
    ('{"f": "ff", "g": "${local.f}"}', [{'f': 'ff', 'g': ('.', ('ref', 'local'), 'f')}]),
    ('[{"f": "ff"}, {"g": 1}]', [{'f': 'ff'}, {'g': 1}]),
    ('{"//": "a comment", "f": "ff"}', [{'f': 'ff'}]),
    ('{"f": 1, "f": 2}', [{'f': 2}]),
    ('[]', []),
])
def test_locals(locals_json: str, expected: list[dict[str, object]]) -> None:
    src = f'{{"locals": {locals_json}}}'
    blocks = tfjson.parse_by_name(src, 'x.tf.json').blocks
    assert [(b.type, b.labels, b.blocks) for b in blocks] == [('locals', (), ())] * len(expected)
    assert [{a.name: shape(a.expr) for a in b.attributes} for b in blocks] == expected
    for b in blocks:
        assert src[b.span.start] == '{'


def test_module_block() -> None:
    src = json.dumps({'module': {'db': {
        'source': './modules/${x}',
        'version': '1.0.0',
        'providers': {'azurerm': 'azurerm.west'},
        'log_disconnections': '${var.ld}',
        'settings': {'a': 'b'},
        'depends_on': ['module.net'],
    }}})
    b = block(src)
    assert (b.type, b.labels) == ('module', ('db',))
    assert {a.name: shape(a.expr) for a in b.attributes} == {
        'source': './modules/${x}',
        'version': '1.0.0',
        'providers': {'azurerm': 'azurerm.west'},
        'log_disconnections': ('.', ('ref', 'var'), 'ld'),
        'settings': {'a': 'b'},
        'depends_on': [('.', ('ref', 'module'), 'net')],
    }


@pytest.mark.parametrize(('resources', 'expected'), [
    # NAME -> array of bodies: one block each
    ('{"t": {"n": [{"value": "a"}, {"value": "b"}]}}', [('t', 'n', 'a'), ('t', 'n', 'b')]),
    # label levels as arrays of objects
    ('[{"t": {"n": {"value": "a"}}}, {"t": [{"m": {"value": "b"}}, {"n": {"value": "c"}}]}]',
     [('t', 'n', 'a'), ('t', 'm', 'b'), ('t', 'n', 'c')]),
    # several names and types, "//" comments skipped at every level
    ('{"//": "x", "t": {"n": {"//": "y", "value": "a"}, "m": {"value": "b"}}, "u": {"n": {"value": "c"}}}',
     [('t', 'n', 'a'), ('t', 'm', 'b'), ('u', 'n', 'c')]),
    ('{"t": {"n": []}}', []),
    ('{}', []),
])
def test_array_of_objects_forms(resources: str, expected: list[tuple[str, str, str]]) -> None:
    src = f'{{"resource": {resources}}}'
    got = [(b.labels[0], b.labels[1], shape(attr(b, 'value'))) for b in tfjson.parse_by_name(src, 'm.tf.json').blocks]
    assert got == expected


def test_block_span_is_the_body_object() -> None:
    src = '{"resource": {"t": {"n": [{"value": "a"},\n  {"value": "b"}]}}}'
    first, second = tfjson.parse_by_name(src, 'm.tf.json').blocks
    assert text_of(src, first.span) == '{"value": "a"}'
    assert text_of(src, second.span) == '{"value": "b"}'
    assert (second.span.line, second.span.column) == (2, 3)
    assert (attr(second, 'value').span.line, attr(second, 'value').span.column) == (2, 13)


def test_repeated_top_level_keys_all_count() -> None:
    src = ('{"resource": {"t": {"a": {}}}, "//": "c", "resource": {"t": {"b": {}}}, '
           '"locals": {"x": 1}, "locals": {"y": 2}, "unknown_block": {"z": 3}}')
    got = [(b.type, b.labels) for b in tfjson.parse_by_name(src, 'm.tf.json').blocks]
    assert got == [('resource', ('t', 'a')), ('resource', ('t', 'b')), ('locals', ()), ('locals', ())]


def test_resource_meta_arguments_and_nested_blocks() -> None:
    src = json.dumps({'resource': {'azurerm_postgresql_configuration': {'ld': {
        'for_each': '${toset(var.servers)}',
        'count': 2,
        'server_name': '${each.value}',
        'provider': 'azurerm.west',
        'depends_on': ['azurerm_postgresql_server.s'],
        'lifecycle': {'ignore_changes': 'all', 'create_before_destroy': True,
                      'precondition': [{'condition': '${true}', 'error_message': 'm'}]},
        'timeouts': {'create': '5m'},
        'provisioner': [{'local-exec': {'command': 'echo ${self.id}'}}],
    }}}})
    b = block(src)
    assert {a.name: shape(a.expr) for a in b.attributes} == {
        'for_each': ('call', 'toset', ('.', ('ref', 'var'), 'servers')),
        'count': 2,
        'server_name': ('.', ('ref', 'each'), 'value'),
        'provider': ('.', ('ref', 'azurerm'), 'west'),
        'depends_on': [('.', ('ref', 'azurerm_postgresql_server'), 's')],
        'timeouts': {'create': '5m'},
    }
    lifecycle, provisioner = b.blocks
    assert (lifecycle.type, lifecycle.labels) == ('lifecycle', ())
    assert {a.name: shape(a.expr) for a in lifecycle.attributes} == {
        'ignore_changes': ('ref', 'all'), 'create_before_destroy': True}
    assert [(c.type, shape(attr(c, 'condition'))) for c in lifecycle.blocks] == [('precondition', True)]
    assert (provisioner.type, provisioner.labels) == ('provisioner', ('local-exec',))
    assert shape(attr(provisioner, 'command')) == ('tpl', 'echo ', ('.', ('ref', 'self'), 'id'))


def test_other_blocks() -> None:
    src = json.dumps({
        'terraform': {'required_version': '>= 1.0', 'backend': {'local': {'path': '${x}'}}},
        'provider': {'azurerm': [{'features': {}}, {'alias': 'west', 'features': {}}]},
        'output': {'o': {'value': '${local.f}', 'description': '${not a template}'}},
        'data': {'azurerm_client_config': {'current': {}}},
    })
    blocks = tfjson.parse_by_name(src, 'm.tf.json').blocks
    assert [(b.type, b.labels) for b in blocks] == [
        ('terraform', ()), ('provider', ('azurerm',)), ('provider', ('azurerm',)),
        ('output', ('o',)), ('data', ('azurerm_client_config', 'current'))]
    assert shape(attr(blocks[0], 'backend')) == {'local': {'path': '${x}'}}
    assert shape(attr(blocks[2], 'alias')) == 'west'
    assert shape(attr(blocks[3], 'value')) == ('.', ('ref', 'local'), 'f')
    assert shape(attr(blocks[3], 'description')) == '${not a template}'


@pytest.mark.parametrize(('src', 'expected'), [
    ('{"ld": "off"}', {'ld': 'off'}),
    ('{"ld": "${var.x}", "n": 1, "b": false, "z": null}', {'ld': '${var.x}', 'n': 1, 'b': False, 'z': None}),
    ('{"m": {"log_disconnections": "off", "k": ["a", {"b": "c"}]}}',
     {'m': {'log_disconnections': 'off', 'k': ['a', {'b': 'c'}]}}),
    ('{"//": "comment", "a": "\\u0041"}', {'a': 'A'}),
    ('{"a": 1, "a": 2}', {'a': 2}),
    ('{}', {}),
])
def test_tfvars_json(src: str, expected: dict[str, object]) -> None:
    body = tfjson.parse_by_name(src, 'env/prod.auto.tfvars.json')
    assert body.blocks == ()
    assert {a.name: shape(a.expr) for a in body.attributes} == expected
    assert body == tfjson.parse_tfvars(src, 'env/prod.auto.tfvars.json')


def test_tfvars_json_positions() -> None:
    src = '{\n  "ld": "off",\n  "m": {"k": "${x}"}\n}\n'
    ld, m = tfjson.parse_by_name(src, 'terraform.tfvars.json').attributes
    assert isinstance(ld.expr, s.Lit) and ld.expr.quoted
    assert (ld.expr.span.line, ld.expr.span.column, ld.expr.span.end_column) == (2, 9, 14)
    assert text_of(src, ld.span) == '"ld": "off"'
    assert isinstance(m.expr, s.ObjectExpr)
    inner = m.expr.items[0][1]
    assert isinstance(inner, s.Lit) and inner.value == '${x}'
    assert (inner.span.line, inner.span.column) == (3, 14)


@pytest.mark.parametrize(('src', 'line', 'column', 'reason'), [
    ('', 1, 1, 'unexpected end of file'),
    ('   \n  ', 2, 3, 'unexpected end of file'),
    ('{"resource": {}', 1, 16, "expected ',' or '}'"),
    ('{"a": 1,}', 1, 9, 'expected a property name'),
    ('{"a" 1}', 1, 6, "expected ':'"),
    ('{\n  "a": [1, 2,]\n}', 2, 14, "unexpected ']'"),
    ('{"a": tru}', 1, 7, "unexpected 't'"),
    ('{"a": 01}', 1, 8, "expected ','"),
    ('{"a": +1}', 1, 7, "unexpected '+'"),
    ('{"a": -}', 1, 7, 'invalid number'),
    ('{"a": .5}', 1, 7, "unexpected '.'"),
    ('{"a": "x\\qy"}', 1, 9, 'invalid \\escape'),
    ('{"a": "x\ty"}', 1, 9, 'invalid control character'),
    ('{"a": "abc', 1, 7, 'unterminated string'),
    ('{"a": NaN}', 1, 7, "unexpected 'N'"),
    ("{'a': 1}", 1, 2, 'expected a property name'),
    ('{"a": 1} x', 1, 10, 'after the JSON value'),
    ('{"a": 1} {}', 1, 10, 'after the JSON value'),
    ('[1]', 1, 1, 'expected a JSON object at the top level'),
    ('"x"', 1, 1, 'expected a JSON object at the top level'),
])
@pytest.mark.parametrize('path', ['main.tf.json', 'x.tfvars.json'])
def test_invalid_json(src: str, line: int, column: int, reason: str, path: str) -> None:
    with pytest.raises(hcl.ParseError) as info:
        tfjson.parse_by_name(src, path)
    assert (info.value.line, info.value.column) == (line, column)
    assert reason in info.value.reason


@pytest.mark.parametrize(('src', 'line', 'column', 'reason'), [
    ('{"resource": "x"}', 1, 14, 'expected a JSON object or an array of objects'),
    ('{"resource": {"t": [1]}}', 1, 21, 'expected a JSON object in'),
    ('{"resource": {"t": {"n": "v"}}}', 1, 26, 'the body of a resource block'),
    ('{"locals": [{"a": 1}, 2]}', 1, 23, 'expected a JSON object in'),
    ('{\n"locals": {"a": "${var.}"}}', 2, 24, 'in ${...}'),
    ('{"locals": {"a": "x${var.x"}}', 1, 20, 'unterminated template interpolation'),
    ('{"locals": {"a": "${}"}}', 1, 21, 'in ${...}'),
    ('{"locals": {"a": "${1 +}"}}', 1, 24, 'in ${...}'),
    ('{"locals": {"a": "${a b}"}}', 1, 24, 'in ${...}'),
    ('{"variable": {"v": {"type": "map(("}}}', 1, 35, 'in ${...}'),
])
def test_invalid_configuration(src: str, line: int, column: int, reason: str) -> None:
    with pytest.raises(hcl.ParseError) as info:
        tfjson.parse_by_name(src, 'main.tf.json')
    assert (info.value.line, info.value.column) == (line, column)
    assert reason in info.value.reason


@pytest.mark.parametrize('src', [
    '[' * 100_000 + ']' * 100_000,
    '{"locals": {"a": ' + '[' * 100_000 + ']' * 100_000 + '}}',
    '{"a":' * 50_000 + '1' + '}' * 50_000,
    '{"locals": {"a": ' + '{"k": ' * (tfjson.MAX_DEPTH - 1) + '1' + '}' * (tfjson.MAX_DEPTH - 1) + '}}',
])
def test_deep_nesting_is_a_parse_error(src: str) -> None:
    with pytest.raises(hcl.ParseError) as info:
        tfjson.parse_by_name(src, 'main.tf.json')
    assert 'nested' in info.value.reason


def test_nesting_up_to_the_limit_is_fine() -> None:
    depth = tfjson.MAX_DEPTH - 2  # the file's object and "locals" take two levels
    src = '{"locals": {"a": ' + '[' * depth + ']' * depth + '}}'
    e = attr(block(src), 'a')
    for _ in range(depth - 1):
        assert isinstance(e, s.TupleExpr)
        e = e.items[0]
    assert isinstance(e, s.TupleExpr) and e.items == ()


def test_bom_is_skipped() -> None:
    src = '\ufeff{"locals": {"a": "x"}}'
    a = attr(block(src), 'a')
    assert text_of(src, a.span) == '"x"'


@pytest.mark.parametrize(('path', 'kind'), [
    ('main.tf.json', 'config'),
    ('main.tofu.json', 'config'),
    ('terraform.tfvars.json', 'vars'),
    ('a/b.auto.tfvars.json', 'vars'),
])
def test_dispatch_by_file_name(path: str, kind: str) -> None:
    body = tfjson.parse_by_name('{"locals": {"a": 1}}', path)
    if kind == 'config':
        assert [b.type for b in body.blocks] == ['locals'] and body.attributes == ()
    else:
        assert [a.name for a in body.attributes] == ['locals'] and body.blocks == ()


@pytest.mark.parametrize('expr', [
    'var.x', ' var.x ', 'local.f', 'a', 'a.b.c.d', 'each.value', 'a-b.c_d', '_x.y9',
    'true', 'null', 'a.true', 'var.x[0]', 'a - b', 'var.x.0', 'var .x',
])
def test_interpolation_matches_the_hcl_adapter(expr: str) -> None:
    """``"${EXPR}"`` gives what ``hcl.parse_expression`` gives, but for the top node's span."""
    src = '{"locals": {"a": "${' + expr + '}"}}'
    got = attr(block(src), 'a')
    start = src.index('${') + 2
    want = hcl.parse_expression(expr, 'main.tf.json', line=1, column=start + 1, offset=start)
    assert text_of(src, got.span) == '"${' + expr + '}"'
    assert got == replace(want, span=got.span)
