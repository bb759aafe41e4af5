"""The python-hcl2 adapter: what an expression reads as (through ``texts.check_texts``), whose fault an error is."""
from __future__ import annotations

from pathlib import Path

import pytest

from check_postgresql_log_disconnections import hcl, hcl_parser
from check_postgresql_log_disconnections._main import main
from testing.findings import findings, resource

CONFIG = '''resource "azurerm_postgresql_configuration" "cfg" {
  name                = "log_disconnections"
  resource_group_name = "rg"
  server_name         = "srv"
  value               = "off"
}
'''


def _broken_conversion(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: object, rule: object) -> object:
        raise KeyError('simulated bug')

    monkeypatch.setattr(hcl._Convert, 'expr', broken)


def test_a_bug_in_our_conversion_is_not_blamed_on_python_hcl2(monkeypatch: pytest.MonkeyPatch) -> None:
    _broken_conversion(monkeypatch)
    with pytest.raises(KeyError, match='simulated bug'):
        hcl.parse('x = 1\n', 'x.tf')


def test_a_bug_in_our_conversion_is_an_internal_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / 'main.tf').write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    _broken_conversion(monkeypatch)
    assert main(['main.tf']) == 1
    out = capsys.readouterr()
    assert 'Traceback' not in out.out + out.err
    assert out.out.splitlines() == [
        "main.tf: internal error while checking this module (KeyError: 'simulated bug'); please report it",
    ]


@pytest.mark.parametrize(('raised', 'reason'), (
    (ValueError('bad token'), 'python-hcl2 failed: ValueError: bad token'),
    (RecursionError(), 'expression too deeply nested'),
))
def test_python_hcl2_failing_is_a_parse_error(monkeypatch: pytest.MonkeyPatch, raised: Exception,
                                              reason: str) -> None:
    def failing(text: str) -> object:
        raise raised

    monkeypatch.setattr(hcl_parser, 'parses_to_tree', failing)
    with pytest.raises(hcl.ParseError) as e:
        hcl.parse('x = 1\n', 'x.tf', line=3)
    assert (e.value.reason, e.value.line) == (reason, 3)


@pytest.mark.parametrize(('text', 'reason'), (
    ('x = "%{ if a }on"\n', 'python-hcl2 failed: Unterminated template if directive'),
    ('x = "%{ if a }on%{ else }off"\n', 'python-hcl2 failed: Unterminated template if directive'),
    ('x = "%{ for a in b }${a}"\n', 'python-hcl2 failed: Unterminated template for directive'),
    ('x = "%{ if a }%{ for b in c }%{ endif }"\n', 'python-hcl2 failed: Unterminated template for directive'),
    ('x = "${"%{ if a }"}%{ for b in c }%{ endfor }"\n', 'python-hcl2 failed: Unterminated template if directive'),
))
def test_an_unterminated_directive_is_a_parse_error(text: str, reason: str) -> None:
    with pytest.raises(hcl.ParseError) as e:
        hcl.parse(text, 'x.tf', line=3)
    assert (e.value.reason, e.value.line) == (reason, 3)


@pytest.mark.parametrize('text', (
    'x = "%{ if a }on%{ else }off%{ endif }"\n',
    'x = "%{ for a in b }%{ if a }${a}%{ endif }%{ endfor }"\n',
    'x = "%{ endfor }%{ else }"\n',  # python-hcl2 leaves a stray closing directive alone
))
def test_a_directive_is_unsupported(text: str) -> None:
    assert hcl.parse(text, 'x.tf').attributes[0].expr.what == 'template directive'  # type: ignore[union-attr]


def test_a_tree_too_deep_to_walk_is_a_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def deep(self: object, rule: object) -> object:
        raise RecursionError

    monkeypatch.setattr(hcl._Convert, 'expr', deep)
    with pytest.raises(hcl.ParseError) as e:
        hcl.parse('x = 1\n', 'x.tf')
    assert e.value.reason == 'expression too deeply nested'


def case(name: str, sources: dict[str, str], want: list[str], **kw: object) -> object:
    return pytest.param(sources, want, kw, id=name)


HCL_CASES = (
    case('heredoc',
         {'main.tf': resource('<<EOT\non\nEOT')},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "on\\n" '
          '(not an accepted value; Azure takes "on" or "off"), expected "on"']),
    case('heredoc_trim',
         {'main.tf': resource('<<-EOT\n    on\n    EOT')},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "on\\n" '
          '(not an accepted value; Azure takes "on" or "off"), expected "on"']),
    case('template',
         {'main.tf': resource('"o${local.n}"'),
          'l.tf': 'locals {\n  n = "n"\n}\n'},
         ['main.tf:3: compliant: azurerm_postgresql_configuration.c: log_disconnections is "on" '
          '(value from l.tf:2, local.n)']),
    case('escape',
         {'main.tf': resource('"\\u006fn"')},
         ['main.tf:3: compliant: azurerm_postgresql_configuration.c: log_disconnections is "on"']),
    case('negative',
         {'main.tf': resource('-1')},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is -1 '
          '(not an accepted value; Azure takes "on" or "off"), expected "on"']),
    case('multiline_string',
         {'main.tf': resource('"o\nn"')},
         ['main.tf:3: error: invalid multi-line string: a quoted string cannot span lines']),
    case('directive',
         {'main.tf': resource('"%{ if true }on%{ endif }"')},
         ['main.tf:3: unverified: azurerm_postgresql_configuration.c: value cannot be determined: '
          'template directive is not evaluated']),
    case('heredoc_interpolation',
         {'main.tf': resource('<<EOT\n${"on"}\nEOT')},
         ['main.tf:3: unverified: azurerm_postgresql_configuration.c: value cannot be determined: '
          'heredoc with interpolation is not evaluated']),
    case('comment_before_operator',  # Terraform reads `a # c` NEWLINE `+ b` in parentheses as `a + b`
         {'main.tf': resource('(1 # one\n  + 1) == 2 ? "on" : "off"')},
         ['main.tf:3: compliant: azurerm_postgresql_configuration.c: log_disconnections is "on" '
          '(value from main.tf:4)']),
    case('number_float',
         {'main.tf': resource('1.5')},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is 1.5 '
          '(not an accepted value; Azure takes "on" or "off"), expected "on"']),
)


@pytest.mark.parametrize(('sources', 'want', 'kw'), HCL_CASES)
def test_hcl(sources: dict[str, str], want: list[str], kw: dict[str, object]) -> None:
    assert findings(sources, **kw) == want  # type: ignore[arg-type]


POSITION_TEXTS = (
    CONFIG,
    'locals {\n  a = var.on ? "on" : "off"  # why\n  b = [for k, v in var.m : upper(v) if k != "x"]\n'
    '  c = { for s in var.l : s.name => s... }\n  d = var.list[*].id\n  e = aws.x.*.y[0]\n}\n',
    'a = <<EOT\noff\nEOT\nb = <<-EOT\n    on\n  EOT\nc = "pre-${var.x}-%{ if var.y }on%{ endif }"\n',
    'a = (1\n  + 2 # two\n  * 3)\nb = !true\nc = -1.5e3\nd = { (local.k) = 1, "s" = 2, in = 3, true = 4 }\n',
    '/* block */ a = merge(var.a, { "k" = [1, 2, 3] }, local.x...)\n// line\nb = local.m["k"][0].z\n',
    'module "m" {\n  source = "./x"\n  dynamic "d" {\n    for_each = var.s\n    content { v = d.value }\n  }\n}\n',
)


@pytest.mark.parametrize('text', POSITION_TEXTS)
def test_a_span_is_its_first_to_last_token_as_lark_propagates_it(text: str) -> None:
    """``_Convert.span`` reads the tokens; lark's own position propagation must agree on every node."""
    import hcl2

    tree = hcl2.parses_to_tree(text)  # python-hcl2's own parser: positions propagated into every node
    convert = hcl._Convert('x.tf', 0, 0, 0)
    checked = 0
    for node in tree.iter_subtrees():
        m = node.meta
        if m.empty:
            continue
        sp = convert.span(node)
        assert (sp.line, sp.column, sp.end_line, sp.end_column, sp.start, sp.end) == (
            m.line, m.column, m.end_line, m.end_column, m.start_pos, m.end_pos), node
        checked += 1
    assert checked > 10


def test_the_trees_converted_carry_no_positions_and_convert_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """lark copies positions into every node only for python-hcl2's own parser; hcl.py's trees skip that."""
    import hcl2

    assert not hcl2.parses_to_tree(CONFIG).children[0].meta.empty  # python-hcl2's parser is left as it was
    assert all(t.meta.empty for t in hcl_parser.parses_to_tree(CONFIG).iter_subtrees())
    fast = [hcl.parse(text, 'x.tf', line=3, offset=9) for text in POSITION_TEXTS]
    monkeypatch.setattr(hcl_parser._State, 'tree_parser', hcl2.parser.parser())
    assert [hcl.parse(text, 'x.tf', line=3, offset=9) for text in POSITION_TEXTS] == fast


def test_a_lark_laid_out_otherwise_keeps_its_positions() -> None:
    other = object()
    assert hcl_parser._without_positions(other) is other  # type: ignore[arg-type]


@pytest.mark.parametrize(('text', 'where'), (  # each checked with terraform console 1.11
    ('x = "\roff"\n', (3, 6)),  # in a quoted string: "Unterminated template string"
    ('\rx = "off"\n', (3, 1)),  # in code: "Invalid character"
    ('x = 1\ny = <<EOT\na\rb\nEOT\n', (5, 2)),  # in a heredoc's body: "Invalid character"
    ('x = 1 \r \n', (3, 7)),
    ('x = 1\ny = 2\r', (4, 6)),
    ('x = 1\n# a\rb\ny = 2\r', (5, 6)),  # the one in the comment is allowed, not the last
))
def test_a_lone_carriage_return_outside_a_comment_is_a_parse_error(text: str, where: tuple[int, int]) -> None:
    """python-hcl2 reads it as a blank; Terraform refuses the file."""
    with pytest.raises(hcl.ParseError) as e:
        hcl.parse(text, 'x.tf', line=3)
    assert (e.value.line, e.value.column) == where
    assert e.value.reason.startswith('a carriage return without a newline after it')


@pytest.mark.parametrize('text', (
    'x = "on"\r\ny = 1\r\n',  # CRLF line endings
    'x = 1 # a\rb\n',  # in comments Terraform allows it
    'x = 1 // a\rb\n',
    'x = 1 /* a\r\rb */\n',
))
def test_a_carriage_return_terraform_allows_is_read(text: str) -> None:
    assert hcl.parse(text, 'x.tf').attributes[0].name == 'x'


@pytest.mark.parametrize(('text', 'where'), (
    (b'locals {\n  l3 = "off"\n}\n\r', '4:1'),  # between blocks
    (b'locals {\n  l3 = "off"\n} \r \n', '3:3'),  # after a block's `}`
    (b'locals {\n  l3 = "off"\n} /* c */\r', '3:10'),
))
def test_a_lone_carriage_return_between_blocks_is_a_parse_error(text: bytes, where: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Found by the fuzzer: a CR between blocks is no blank to Terraform ("Argument or block definition
    required"), and the file's value must not be judged as if it were."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'main.tf').write_bytes(resource('local.l3').encode())
    (tmp_path / 'locals.tf').write_bytes(text)
    assert main(['main.tf', 'locals.tf']) == 1
    out = capsys.readouterr().out
    assert out.startswith(f'locals.tf:{where}: cannot parse Terraform: a carriage return without a newline after it')
    assert 'unverified' in out and 'is "off"' not in out
