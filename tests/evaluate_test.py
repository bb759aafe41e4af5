from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from check_postgresql_log_disconnections import hcl
from check_postgresql_log_disconnections.evaluate import evaluate
from check_postgresql_log_disconnections.values import EvalError, Unknown, Val, plain

if TYPE_CHECKING:
    from check_postgresql_log_disconnections.values import Value

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
    ('flatten([for i in range(101) : range(100)])', 'collection too large to evaluate (10001 elements)'),
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
    'range(1025)',
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


# --- Terraform's regular expressions: Go's regexp over RE2 (each answer checked with terraform console) ---

@pytest.mark.parametrize(('src', 'expected'), (
    ('replace("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "/^(a+)+$/", "on")',
     'a' * 66 + '!'),  # Python's re backtracks for ever; RE2 never backtracks
    ('replace("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "/^(a+)+$/", "on")', 'on'),
    ('replace("abc", "/(b)/", "$1x")', 'ac'),  # the group named "1x": none
    ('replace("abc", "/(b)/", "$${1}x")', 'abxc'),  # HCL's $${ is a literal ${
    ('replace("abc", "/(b)/", "[$0]")', 'a[b]c'),
    ('replace("abc", "/(b)/", "$01")', 'ac'),  # a leading zero makes it a name
    ('replace("abc", "/(?P<n>b)/", "<$n>")', 'a<b>c'),
    ('replace("abc", "/b/", "$")', 'a$c'),
    ('replace("abc", "/b/", "$$")', 'a$c'),
    ('replace("aaa", "/a*/", "b")', 'b'),  # no empty match right after a match
    ('replace("aé", "//", "-")', '-a-é-'),
    ('regex("[[:alpha:]]+", "12ab3")', 'ab'),
    ('regex("(a)", "a")', ['a']),
    ('regex("(?P<x>a)(?P<y>z)?", "a")', {'x': 'a', 'y': None}),
    ('regex("(?<x>a)", "a")', {'x': 'a'}),
    ('regexall("(a)(x)?", "aa")', [['a', None], ['a', None]]),
    ('regexall("", "aé")', ['', '', '']),
    ('regexall("a", "aaa")', ['a', 'a', 'a']),
    ('can(regex("^o", "on"))', True),
))
def test_go_regular_expressions(src: str, expected: object) -> None:
    assert ev(src) == expected


@pytest.mark.parametrize('src', (
    'regex("a", "b")',  # no match
    'regex("(a)(?P<n>b)", "ab")',  # named and unnamed groups
))
def test_go_regular_expression_errors(src: str) -> None:
    with pytest.raises(EvalError):
        ev(src)


@pytest.mark.parametrize(('src', 'reason'), (
    # a pattern RE2 rejects, or only RE2 takes (\C): Go's verdict is not certain
    ('replace("a", "/[/", "b")', 'replace(): pattern "/[/" is not one this check can verify'),
    ('regex("\\C", "a")', 'regex(): pattern "\\\\C" is not one this check can verify'),
    ('regexall("a{1001}", "a")', 'regexall(): pattern "a{1001}" is not one this check can verify'),
))
def test_patterns_go_may_judge_otherwise_are_unknown(src: str, reason: str) -> None:
    assert ev(src) == Unknown(reason)


# --- Terraform's function semantics, or unknown (each answer checked with terraform console) ---

@pytest.mark.parametrize(('src', 'expected'), (
    ('trimspace("on\u001f")', 'on\u001f'),  # Go's IsSpace: not the separators \x1c-\x1f
    ('trimspace("\u00a0on\u0085")', 'on'),
    ('range(3, 0)', [3, 2, 1]),
    ('range(-2)', [0, -1]),
    ('range(1.5)', [0, 1]),
    ('substr("abc", -5, 1)', 'a'),
    ('substr("abc", 1, -2)', 'bc'),
    ('substr("abc", 5, 1)', ''),
    ('title("ǆa hello-world o\'neil x_y")', 'ǅa Hello-World O\'Neil X_y'),
    ('format("%05s", "on")', '000on'),
    ('format("%.0s|%.1s", "on", "on")', 'on|o'),
    ('format("%5t|%-5v|", true, "on")', 'true|on   |'),
    ('format("%[2]s %[1]s %s", "a", "b")', 'b a b'),
    ('format("%+d|%x|%#x|%08b|%o", 3, 255, 255, 5, 8)', '+3|ff|0xff|00000101|10'),
    ('format("%05.1f|%+.2e", -2.25, 12345)', '-02.2|+1.23e+04'),
    ('format("%v|%q", ["<", 1.5, true], "on")', '["\\u003c",1.5,true]|"on"'),
    ('jsonencode("<&>é")', '"\\u003c\\u0026\\u003eé"'),
))
def test_terraform_function_semantics(src: str, expected: object) -> None:
    assert ev(src) == expected


@pytest.mark.parametrize('src', (
    'range(0, 3, -1)',
    'range(3, 0, 1)',
    'substr("abc", 1.5, 1)',
    'format("%s", "a", "b")',  # too many arguments
    'format("%[3]s", "a", "b")',
    'format("%x", "on")',
))
def test_terraform_function_errors(src: str) -> None:
    with pytest.raises(EvalError):
        ev(src)


@pytest.mark.parametrize(('src', 'reason'), (
    ('substr("e\u0301x", 0, 1)', 'substr() counts grapheme clusters: not evaluated for characters from U+0300 up'),
    ('length("e\u0301x")', 'length() counts grapheme clusters: not evaluated for characters from U+0300 up'),
    ('strrev("e\u0301x")', 'strrev() counts grapheme clusters: not evaluated for characters from U+0300 up'),
    ('length("\\r\\n")', 'length() counts grapheme clusters: not evaluated for characters from U+0300 up'),
    ('format("%g", 0.1)', 'format(): %g is not evaluated'),
    ('format("%#o", 8)', 'format(): %#o is not evaluated'),
    ('format("%.20f", 0.1)', 'format(): %.20f is not evaluated'),
    ('format("%q", "é")', 'format(): %q is not evaluated'),
    ('format("%-[1]5s", "a")', 'format(): "%-[1]5s" is not evaluated'),
    ('range(0, 1, 0.3)', 'range() with a fractional start or step is not evaluated (Terraform adds in binary)'),
    ('format("%0999999999d", 0)', 'value too large to evaluate (more than 1000000 characters)'),
))
def test_what_is_not_implemented_exactly_is_unknown(src: str, reason: str) -> None:
    assert ev(src) == Unknown(reason)
