from __future__ import annotations

import pytest

from check_postgresql_log_disconnections import hcl
from check_postgresql_log_disconnections.evaluate import evaluate
from check_postgresql_log_disconnections.values import EvalError, Unknown, Val, Value, plain

VARS = '''
variable "m" { default = { log_disconnections = "off", b = "on" } }
variable "l" { default = ["a", "b", "a"] }
variable "objs" { default = [{ name = "log_disconnections", value = "OFF" }, { name = "x", value = "1" }] }
variable "n" { default = null }
variable "nodefault" {}
variable "s" { default = "Off" }
'''


class Scope:
    def __init__(self, src: str = VARS) -> None:
        body = hcl.parse(src, 'v.tf')
        self.vars = {b.labels[0]: b for b in body.blocks if b.type == 'variable'}
        self.locals = {a.name: a for b in body.blocks if b.type == 'locals' for a in b.attributes}

    def var(self, name: str) -> Value:
        block = self.vars.get(name)
        if block is None:
            return Unknown(f'var.{name} is not declared')
        d = block.attr('default')
        return evaluate(d.expr, self) if d else Unknown(f'var.{name} has no default')

    def local(self, name: str) -> Value:
        return evaluate(self.locals[name].expr, self)

    def module(self, name: str) -> Value:
        return Unknown(f'module.{name} outputs are not evaluated')


def ev(src: str) -> object:
    expr = hcl.parse(f'x = {src}\n', 't.tf').attributes[0].expr
    v = evaluate(expr, Scope())
    return v if isinstance(v, Unknown) else plain(v)


@pytest.mark.parametrize(('src', 'expected'), (
    ('"off"', 'off'),
    ('"O${"ff"}"', 'Off'),
    ('<<EOT\non\nEOT\n', 'on\n'),
    ('<<-EOT\n    on\n    EOT\n', 'on\n'),
    ('true', True),
    ('1.5', 1.5),
    ('null', None),
    ('var.s', 'Off'),
    ('lower(var.s)', 'off'),
    ('upper("on")', 'ON'),
    ('var.m["log_disconnections"]', 'off'),
    ('var.m.log_disconnections', 'off'),
    ('lookup(var.m, "b", "x")', 'on'),
    ('lookup(var.m, "zz", "dflt")', 'dflt'),
    ('merge(var.m, { b = "off" })["b"]', 'off'),
    ('merge({a = 1}, {a = 2})', {'a': 2}),
    ('keys({b = 1, a = 2})', ['a', 'b']),
    ('values({b = 1, a = 2})', [2, 1]),
    ('length(var.l)', 3),
    ('toset(var.l)', ['a', 'b']),
    ('element(var.l, 4)', 'b'),
    ('concat(["a"], ["b"])', ['a', 'b']),
    ('zipmap(["a", "b"], [1, 2])', {'a': 1, 'b': 2}),
    ('flatten([["a"], ["b", ["c"]]])', ['a', 'b', 'c']),
    ('contains(var.l, "b")', True),
    ('coalesce(var.n, "on")', 'on'),
    ('try(var.n.x, "fallback")', 'fallback'),
    ('can(var.n.x)', False),
    ('can(var.m.b)', True),
    ('format("%s", "off")', 'off'),
    ('format("%s-%d", "a", 2)', 'a-2'),
    ('replace("of-f", "-", "")', 'off'),
    ('replace("abc", "/b/", "x")', 'axc'),
    ('trimspace("  on ")', 'on'),
    ('1 == 1 ? "on" : "off"', 'on'),
    ('var.s == "Off" && !false', True),
    ('1 + 2 * 3', 7),
    ('5 % 3', 2),
    ('-1', -1),
    ('"a" != "b" || false', True),
    ('{ for o in var.objs : o.name => o.value }', {'log_disconnections': 'OFF', 'x': '1'}),
    ('[for k, v in var.m : k if v == "off"]', ['log_disconnections']),
    ('{ for o in var.objs : o.name => o.value... }', {'log_disconnections': ['OFF'], 'x': ['1']}),
    ('var.objs[*].name', ['log_disconnections', 'x']),
    ('var.objs[0].value', 'OFF'),
    ('tomap({a = "b"})', {'a': 'b'}),
    ('tolist(toset(["b", "a"]))', ['a', 'b']),
    ('range(3)', [0, 1, 2]),
    ('jsonencode({a = 1})', '{"a":1}'),
    ('max(1, 5, 3)', 5),
    ('max([1, 5]...)', 5),
    ('one(["x"])', 'x'),
    ('{ "quoted key" = 1, (var.s) = 2 }', {'quoted key': 1, 'Off': 2}),
    ('{ a: 1 }', {'a': 1}),
))
def test_known(src: str, expected: object) -> None:
    assert ev(src) == expected


@pytest.mark.parametrize(('src', 'reason'), (
    ('var.nodefault', 'var.nodefault has no default'),
    ('var.undeclared', 'var.undeclared is not declared'),
    ('data.azurerm_client_config.x.id', 'data.azurerm_client_config is read only when Terraform runs'),
    ('azurerm_postgresql_server.x.name', 'azurerm_postgresql_server.x is known only after apply'),
    ('module.db.value', 'module.db outputs are not evaluated'),
    ('file("x.txt")', 'file() reads files, the environment or the clock: not evaluated'),
    ('timestamp()', 'timestamp() reads files, the environment or the clock: not evaluated'),
    ('nosuchfunction(1)', 'function nosuchfunction() is not evaluated'),
    ('lower(var.nodefault)', 'var.nodefault has no default'),
    ('"a${var.nodefault}"', 'var.nodefault has no default'),
    ('var.nodefault ? "on" : "off"', 'var.nodefault has no default'),
    ('"%{ if true }on%{ endif }"', 'template directive is not evaluated'),
    ('range(100000)', 'collection too large to evaluate (100000 elements)'),
    ('path.module', 'path.module depends on where Terraform runs'),
))
def test_unknown(src: str, reason: str) -> None:
    assert ev(src) == Unknown(reason)


@pytest.mark.parametrize('src', (
    'var.n.x',
    'var.m.nokey',
    'var.l[7]',
    'try(var.n.x)',
    'lookup(var.m, "zz")',
    '1 / 0',
    'coalesce(null, "")',
))
def test_terraform_would_fail(src: str) -> None:
    with pytest.raises(EvalError):
        ev(src)


def test_origin_follows_the_literal_through_variables_and_maps() -> None:
    expr = hcl.parse('x = var.m["log_disconnections"]\n', 'main.tf').attributes[0].expr
    v = evaluate(expr, Scope())
    assert isinstance(v, Val)
    assert v.origin is not None and (v.origin.path, v.origin.line, v.origin.column) == ('v.tf', 2, 49)
    assert v.exact and v.via == ('var.m',)


def test_computed_value_keeps_origin_but_is_not_exact() -> None:
    expr = hcl.parse('x = lower(var.s)\n', 'main.tf').attributes[0].expr
    v = evaluate(expr, Scope())
    assert isinstance(v, Val) and v.data == 'off' and not v.exact and v.origin is not None


def test_self_reference_in_locals_is_unknown_not_recursion() -> None:
    from check_postgresql_log_disconnections.instances import ModuleScope, RootInputs
    from check_postgresql_log_disconnections.modules import Module
    body = hcl.parse('locals {\n  a = local.b\n  b = local.a\n}\n', 'l.tf')
    mod = Module('/x', locals={a.name: a for a in body.blocks[0].attributes})
    scope = ModuleScope(mod, None, RootInputs())
    v = scope.local('a')
    assert isinstance(v, Unknown) and 'refers to itself' in v.reason


@pytest.mark.parametrize(('src', 'expected'), (
    ('title("log disconnections")', 'Log Disconnections'),
    ('trimprefix("pg-on", "pg-")', 'on'),
    ('trimsuffix("on-pg", "-pg")', 'on'),
    ('trim("--on--", "-")', 'on'),
    ('startswith("log_x", "log_")', True),
    ('endswith("log_x", "_y")', False),
    ('strrev("no")', 'on'),
    ('substr("xonx", 1, 2)', 'on'),
    ('substr("xxon", -2, -1)', 'on'),
    ('split(",", "a,b")', ['a', 'b']),
    ('join("-", ["a", "b"], ["c"])', 'a-b-c'),
    ('length("four")', 4),
    ('tobool("true")', True),
    ('tostring(5)', '5'),
    ('tonumber("2")', 2),
    ('abs(-2)', 2),
    ('floor(1.5)', 1),
    ('ceil(1.2)', 2),
    ('signum(-3)', -1),
    ('min(3, 1)', 1),
    ('distinct(["a", "a", "b"])', ['a', 'b']),
    ('compact(["a", "", null])', ['a']),
    ('reverse([1, 2])', [2, 1]),
    ('slice(["a", "b", "c"], 1, 2)', ['b']),
    ('coalescelist([], ["x"])', ['x']),
    ('setunion(["b"], ["a", "b"])', ['a', 'b']),
    ('jsondecode("{\\"a\\": [1]}")', {'a': [1]}),
    ('index(["a", "b"], "b")', 1),
    ('sort(["b", "a"])', ['a', 'b']),
    ('format("%q %t %5.1f %%", "x", true, 1.25)', '"x" true   1.2 %'),
    ('"${1 + 2}" == 3', True),
    ('!(1 < 2) || 2 >= 2 && 1 <= 1', True),
    ('[for i, v in ["a", "b"] : "${i}${v}"]', ['0a', '1b']),
    ('{ for k, v in { a = 1 } : upper(k) => v * 2 }', {'A': 2}),
    ('var.objs.*.name', ['log_disconnections', 'x']),
    ('null[*]', []),
))
def test_more_functions_and_operators(src: str, expected: object) -> None:
    assert ev(src) == expected


@pytest.mark.parametrize('src', (
    'upper(null)',
    'join(",")',
    'element([], 0)',
    'index(["a"], "z")',
    'one(["a", "b"])',
    'range(1, 2, 0)',
    'jsondecode("{")',
    'format("%d")',
    'tobool("maybe")',
    'replace("a", "/[/", "b")',
    'lower(["a"])',
    '{ for v in ["a", "a"] : v => v }',
    '1 + "x"',
    'var.m[0]',
    'toset(["a"])[0]',
    'true.x',
))
def test_more_terraform_errors(src: str) -> None:
    with pytest.raises(EvalError):
        ev(src)
