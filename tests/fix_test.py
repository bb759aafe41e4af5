from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from check_postgresql_log_disconnections import hcl
from check_postgresql_log_disconnections.fix import apply, edits_for, fix_text
from check_postgresql_log_disconnections.results import Note, Report, Result
from check_postgresql_log_disconnections.syntax import Lit, Span

T = 'azurerm_postgresql_configuration'
BOM = b'\xef\xbb\xbf'


# --- spans built by hand -------------------------------------------------------

def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count('\n', 0, offset) + 1
    return line, offset - (text.rfind('\n', 0, offset) + 1) + 1


def span_at(text: str, start: int, end: int, path: str = 'main.tf') -> Span:
    line, column = _position(text, start)
    end_line, end_column = _position(text, end)
    return Span(path, line, column, end_line, end_column, start, end)


def span_of(text: str, needle: str, nth: int = 0, path: str = 'main.tf') -> Span:
    """The span of the ``nth`` occurrence of ``needle`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return span_at(text, start, start + len(needle), path)


def heredoc(text: str, marker: str = 'EOT', path: str = 'main.tf') -> Span:
    """From ``<<`` to just after the closing marker's line ending, as the parser gives it."""
    start = text.index('<<')
    close = text.index(marker, text.index('\n', start))
    end = close + len(marker)
    while end < len(text) and text[end] in '\r\n':
        end += 1
        if text[end - 1] == '\n':
            break
    return span_at(text, start, end, path)


def crlf(text: str) -> str:
    return text.replace('\n', '\r\n')


# --- fix_text: one literal -------------------------------------------------------

RESOURCE = '''\
resource "azurerm_postgresql_configuration" "c" {
  name      = "log_disconnections"
  server_id = azurerm_postgresql_server.s.id
  value     = "off"
}
'''

ALIGNED = '''\
resource "azurerm_postgresql_configuration" "c" {
  name                = "log_disconnections"   # the parameter
  resource_group_name = "rg"
  value               = "off"                  # CIS 4.3.4 wants on
}
'''

VARIABLE = '''\
variable "log_disconnections" {
  type    = string
  default = "off" # change me
}
'''

LOCALS = '''\
locals {
  params = {
    log_checkpoints    = "off"
    log_disconnections = "off"
    log_connections    = "on"
  }
}
'''

TFVARS = '''\
log_checkpoints    = "off"
log_disconnections = "Off"
'''

FOR_EACH = '''\
resource "azurerm_postgresql_flexible_server_configuration" "c" {
  for_each = {
    log_disconnections = "OFF"
    connection_throttle = "on"
  }
  name      = each.key
  value     = each.value
  server_id = azurerm_postgresql_flexible_server.s.id
}
'''

TF_JSON = '''\
{
  "resource": {
    "azurerm_postgresql_configuration": {
      "c": {
        "name": "log_disconnections",
        "value": "off"
      }
    }
  }
}
'''

BARE_FALSE = 'resource "x" "y" {\n  name  = "log_disconnections"\n  value = false\n}\n'
ONE_LINE_OBJECT = 'locals {\n  p = { name = "log_disconnections", value = "off" }\n}\n'
ONE_LINE_BLOCK = 'resource "azurerm_postgresql_configuration" "c" { value = "off" }\n'
NO_NEWLINE = 'resource "x" "y" {\n  name  = "log_disconnections"\n  value = "off"\n}'
NON_ASCII = '# paramètre réglé à "off" 🙂\nlocals {\n  ld = "off" # é\n}\n'


@pytest.mark.parametrize(('src', 'span', 'expected'), [
    pytest.param(RESOURCE, span_of(RESOURCE, '"off"'), RESOURCE.replace('"off"', '"on"'), id='resource'),
    pytest.param(ALIGNED, span_of(ALIGNED, '"off"'),
                 ALIGNED.replace('= "off"                  #', '= "on"                  #'), id='aligned-comment'),
    pytest.param(VARIABLE, span_of(VARIABLE, '"off"'), VARIABLE.replace('"off"', '"on"'), id='variable-default'),
    pytest.param(LOCALS, span_of(LOCALS, '"off"', nth=1),
                 LOCALS.replace('log_disconnections = "off"', 'log_disconnections = "on"'), id='locals-map'),
    pytest.param(TFVARS, span_of(TFVARS, '"Off"', path='terraform.tfvars'),
                 'log_checkpoints    = "off"\nlog_disconnections = "on"\n', id='tfvars'),
    pytest.param(FOR_EACH, span_of(FOR_EACH, '"OFF"'), FOR_EACH.replace('"OFF"', '"on"'), id='for-each-map'),
    pytest.param(TF_JSON, span_of(TF_JSON, '"off"', path='main.tf.json'),
                 TF_JSON.replace('"value": "off"', '"value": "on"'), id='tf-json'),
    pytest.param(BARE_FALSE, span_of(BARE_FALSE, 'false'), BARE_FALSE.replace('false', '"on"'), id='bare-false'),
    pytest.param('a = true\n', span_of('a = true\n', 'true'), 'a = "on"\n', id='bare-true'),
    pytest.param('a = 0\n', span_of('a = 0\n', '0'), 'a = "on"\n', id='number'),
    pytest.param('a = 1.5e3 # n\n', span_of('a = 1.5e3 # n\n', '1.5e3'), 'a = "on" # n\n', id='float'),
    pytest.param('{"value": -1}', span_of('{"value": -1}', '-1'), '{"value": "on"}', id='json-number'),
    pytest.param('a = null\n', span_of('a = null\n', 'null'), 'a = "on"\n', id='null'),
    pytest.param(crlf(RESOURCE), span_of(crlf(RESOURCE), '"off"'), crlf(RESOURCE).replace('"off"', '"on"'),
                 id='crlf'),
    pytest.param(ONE_LINE_OBJECT, span_of(ONE_LINE_OBJECT, '"off"'),
                 'locals {\n  p = { name = "log_disconnections", value = "on" }\n}\n', id='one-line-object'),
    pytest.param(ONE_LINE_BLOCK, span_of(ONE_LINE_BLOCK, '"off"'),
                 'resource "azurerm_postgresql_configuration" "c" { value = "on" }\n', id='one-line-block'),
    pytest.param(NO_NEWLINE, span_of(NO_NEWLINE, '"off"'),
                 'resource "x" "y" {\n  name  = "log_disconnections"\n  value = "on"\n}', id='no-final-newline'),
    pytest.param(NON_ASCII, span_of(NON_ASCII, '"off"', nth=1),
                 '# paramètre réglé à "off" 🙂\nlocals {\n  ld = "on" # é\n}\n', id='non-ascii-before'),
    pytest.param('a = "o\\u0066f"  \n', span_of('a = "o\\u0066f"  \n', '"o\\u0066f"'), 'a = "on"  \n',
                 id='escapes-trailing-space'),
])
def test_fix_text_one_literal(src: str, span: Span, expected: str) -> None:
    assert fix_text(src, [span]) == expected


HEREDOC = '''\
resource "x" "y" {
  name  = "log_disconnections"
  value = <<EOT
off
EOT
  server_id = "s"
}
'''

HEREDOC_TRIM = '''\
resource "x" "y" {
  name  = "log_disconnections"
  value = <<-EOT
    off
    EOT
}
'''

HEREDOC_EMPTY = 'locals {\n  v = <<EOT\nEOT\n}\n'
HEREDOC_AT_EOF = 'v = <<EOT\noff\nEOT'


@pytest.mark.parametrize(('src', 'expected'), [
    pytest.param(HEREDOC, HEREDOC.replace('<<EOT\noff\nEOT\n', '"on"\n'), id='heredoc'),
    pytest.param(HEREDOC_TRIM, HEREDOC_TRIM.replace('<<-EOT\n    off\n    EOT\n', '"on"\n'), id='heredoc-trim'),
    pytest.param(crlf(HEREDOC), crlf(HEREDOC.replace('<<EOT\noff\nEOT\n', '"on"\n')), id='heredoc-crlf'),
    pytest.param(HEREDOC_EMPTY, 'locals {\n  v = "on"\n}\n', id='heredoc-empty'),
    pytest.param(HEREDOC_AT_EOF, 'v = "on"', id='heredoc-at-eof'),
])
def test_fix_text_heredoc(src: str, expected: str) -> None:
    assert fix_text(src, [heredoc(src)]) == expected


# --- fix_text: several spans -----------------------------------------------------

MANY = '''\
locals {
  a = "off"
  b = false
  c = <<EOT
off
EOT
  d = "OFF" # last
}
'''


def test_fix_text_multiple_edits_any_order() -> None:
    spans = [span_of(MANY, '"off"'), span_of(MANY, 'false'), heredoc(MANY), span_of(MANY, '"OFF"')]
    expected = 'locals {\n  a = "on"\n  b = "on"\n  c = "on"\n  d = "on" # last\n}\n'
    assert fix_text(MANY, spans) == expected
    assert fix_text(MANY, list(reversed(spans))) == expected
    assert fix_text(crlf(MANY), [span_of(crlf(MANY), '"off"'), heredoc(crlf(MANY))]) == crlf(
        'locals {\n  a = "on"\n  b = false\n  c = "on"\n  d = "OFF" # last\n}\n')


def test_fix_text_duplicate_spans_are_merged() -> None:
    sp = span_of(VARIABLE, '"off"')
    assert fix_text(VARIABLE, [sp, sp, sp]) == VARIABLE.replace('"off"', '"on"')


def test_fix_text_nothing_to_do() -> None:
    assert fix_text(RESOURCE, []) == RESOURCE


@pytest.mark.parametrize(('src', 'needle'), [
    ('a = var.x\n', 'var.x'),
    ('a = "off\n', '"off'),
    ('a = offish\n', 'offish'),
    ('a = <<EOT\noff\nEOF\n', '<<EOT\noff\nEOF\n'),
    ('a = "on"\n', '= "on"'),
])
def test_fix_text_refuses_what_is_not_a_literal(src: str, needle: str) -> None:
    with pytest.raises(ValueError):
        fix_text(src, [span_of(src, needle)])


def test_fix_text_refuses_spans_outside_the_text() -> None:
    with pytest.raises(ValueError):
        fix_text('a = "off"\n', [Span('main.tf', 1, 5, 1, 10, 4, 40)])


def test_fix_text_refuses_partial_overlaps() -> None:
    src = 'a = "off"\n'
    with pytest.raises(ValueError):
        fix_text(src, [span_at(src, 4, 9), span_at(src, 6, 10)])


@pytest.mark.parametrize(('src', 'kind', 'expected'), [
    ('a = "off"\n', str, 'a = "on"\n'),
    ('a = false # x\n', bool, 'a = "on" # x\n'),
    ('a = 12\n', int, 'a = "on"\n'),
    ('a = 0.5\n', float, 'a = "on"\n'),
    ('a = <<EOT\noff\nEOT\nb = 1\n', str, 'a = "on"\nb = 1\n'),
    ('a = <<-EOT\n  off\n  EOT\nb = 1\n', str, 'a = "on"\nb = 1\n'),
    (crlf('a = <<-EOT\n  off\n  EOT\nb = 1\n'), str, crlf('a = "on"\nb = 1\n')),
])
def test_fix_text_takes_the_parser_spans(src: str, kind: type, expected: str) -> None:
    expr = hcl.parse(src, 'main.tf').attributes[0].expr
    assert isinstance(expr, Lit) and isinstance(expr.value, kind)
    new = fix_text(src, [expr.span])
    assert new == expected
    assert hcl.parse(new, 'main.tf').attributes[0].expr == Lit('on', span_of(new, '"on"'), quoted=True)


@settings(deadline=None)
@given(before=st.text(), after=st.text(), literal=st.sampled_from(['"off"', 'false', '"OFF"', '1', '<<X\nno\nX']))
def test_fix_text_keeps_every_other_character(before: str, after: str, literal: str) -> None:
    src = before + literal + after
    sp = span_at(src, len(before), len(before) + len(literal))
    assert fix_text(src, [sp]) == before + '"on"' + after


# --- edits_for -------------------------------------------------------------------

def result(location: Span, **kw: Any) -> Result:
    kw.setdefault('status', 'noncompliant')
    kw.setdefault('address', f'{T}.c')
    kw.setdefault('resource_type', T)
    kw.setdefault('block', Span(location.path, 1, 1, 5, 2, 0, location.end + 2))
    kw.setdefault('value', 'off')
    kw.setdefault('value_known', True)
    kw.setdefault('fixable', True)
    return Result(location=location, **kw)


def test_edits_for_picks_the_literal_and_merges_duplicates() -> None:
    loc = span_of(RESOURCE, '"off"')
    origin = span_of(VARIABLE, '"off"', path='variables.tf')
    main = RESOURCE.replace('"off"', 'var.x')
    plan, notes = edits_for([
        result(loc),
        result(span_of(main, 'var.x'), origin=origin),
        result(span_of(main, 'var.x'), origin=origin, address=f'{T}.d'),
    ], {'main.tf', 'variables.tf'})
    assert plan == {'main.tf': [loc], 'variables.tf': [origin]}
    assert notes == []


def test_edits_for_explains_what_it_will_not_fix() -> None:
    loc = span_of(RESOURCE, '"off"')
    origin = span_of(VARIABLE, '"off"', path='variables.tf')
    server = Span('main.tf', 1, 1, 3, 2, 0, 40)
    results = [
        result(loc, fixable=False, address='a.computed'),
        result(loc, origin=origin, shared=True, address='a.shared'),
        result(loc, origin=origin, address='a.elsewhere'),
        result(server, block=server, value=None, value_known=False, fixable=False, address='a.server',
               resource_type='azurerm_postgresql_flexible_server'),
        result(loc, status='unverified', value=None, value_known=False, fixable=False, address='a.unknown',
               reason='value cannot be determined: var.x has no value'),
        result(loc, suppressed='# kics-scan ignore-line', address='a.suppressed'),
        result(loc, status='compliant', value='on', fixable=False, address='a.ok'),
    ]
    plan, notes = edits_for(results, {'main.tf'})
    assert plan == {}
    assert [(n.path, n.line) for n in notes] == [('main.tf', 4)] * 3 + [('main.tf', 1)]
    texts = [n.text for n in notes]
    assert texts[0] == 'a.computed: not fixed: the value is computed, not a literal; set log_disconnections ' \
                       'to "on" by hand'
    assert texts[1] == 'a.shared: not fixed: the literal at variables.tf:3 also feeds another setting; ' \
                       'change it by hand'
    assert texts[2] == 'a.elsewhere: not fixed: the value comes from variables.tf:3, which was not passed; ' \
                       'run the hook on it to fix'
    assert texts[3] == ('a.server: not fixed: log_disconnections is not set for this server; add an '
                        'azurerm_postgresql_flexible_server_configuration with name log_disconnections and value on')


def test_edits_for_one_note_per_reason() -> None:
    loc = span_of(RESOURCE, '"off"')
    _, notes = edits_for([result(loc, fixable=False)] * 3, {'main.tf'})
    assert len(notes) == 1


# --- apply -----------------------------------------------------------------------

@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str, bom: bool = False) -> bytes:
    data = (BOM if bom else b'') + text.encode('utf-8')
    path.write_bytes(data)
    return data


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_apply_rewrites_the_literal_and_reports_it(cwd: Path) -> None:
    write(cwd / 'main.tf', RESOURCE)
    report = Report(results=[result(span_of(RESOURCE, '"off"'))], files=['main.tf'])
    assert apply(report) == ['main.tf']
    assert (cwd / 'main.tf').read_bytes() == RESOURCE.replace('"off"', '"on"').encode()
    assert report.fixed == ['main.tf']
    assert report.notes == []
    assert listing(cwd) == ['main.tf']  # no temporary file left behind


def test_apply_writes_only_passed_files(cwd: Path) -> None:
    main = RESOURCE.replace('value     = "off"', 'value     = var.ld')
    (cwd / 'mod').mkdir()
    other = 'locals {\n  x = "off"\n}\n'
    before_vars = write(cwd / 'variables.tf', VARIABLE)
    write(cwd / 'main.tf', main)
    write(cwd / 'mod' / 'other.tf', other)
    origin = span_of(VARIABLE, '"off"', path='variables.tf')
    report = Report(results=[
        result(span_of(main, 'var.ld'), origin=origin, address=f'{T}.c'),
        result(span_of(other, '"off"', path=os.path.join('mod', 'other.tf')), address=f'module.m.{T}.c'),
    ], files=['main.tf', os.path.join('mod', 'other.tf')])
    assert apply(report) == [os.path.join('mod', 'other.tf')]
    assert (cwd / 'variables.tf').read_bytes() == before_vars
    assert (cwd / 'main.tf').read_text() == main
    assert (cwd / 'mod' / 'other.tf').read_text() == other.replace('"off"', '"on"')
    assert report.notes == [Note('main.tf', 4, 15, f'{T}.c: not fixed: the value comes from variables.tf:3, '
                                                   'which was not passed; run the hook on it to fix')]


def test_apply_keeps_bom_crlf_and_other_bytes(cwd: Path) -> None:
    text = crlf('# réglage 🙂  \nlocals {\n  a = "off"   # é\n  b = <<EOT\noff\nEOT\n}')
    write(cwd / 'main.tf', text, bom=True)
    report = Report(results=[
        result(span_of(text, '"off"'), address='a'),
        result(heredoc(text), value='off\n', address='b'),
    ], files=['main.tf'])
    assert apply(report) == ['main.tf']
    assert (cwd / 'main.tf').read_bytes() == BOM + crlf(
        '# réglage 🙂  \nlocals {\n  a = "on"   # é\n  b = "on"\n}').encode('utf-8')


def test_apply_keeps_the_file_mode(cwd: Path) -> None:
    write(cwd / 'main.tf', RESOURCE)
    os.chmod(cwd / 'main.tf', 0o640)
    assert apply(Report(results=[result(span_of(RESOURCE, '"off"'))], files=['main.tf'])) == ['main.tf']
    assert stat.S_IMODE(os.stat(cwd / 'main.tf').st_mode) == 0o640


def test_apply_twice_changes_nothing_the_second_time(cwd: Path) -> None:
    write(cwd / 'main.tf', RESOURCE)
    loc = span_of(RESOURCE, '"off"')
    assert apply(Report(results=[result(loc)], files=['main.tf'])) == ['main.tf']
    fixed = (cwd / 'main.tf').read_bytes()
    mtime = os.stat(cwd / 'main.tf').st_mtime_ns
    # the second run judges the fixed file compliant
    fixed_loc = span_of(fixed.decode(), '"on"')
    report = Report(results=[result(fixed_loc, status='compliant', value='on', fixable=False)], files=['main.tf'])
    assert apply(report) == []
    assert report.fixed == [] and report.notes == []
    # even results from before the fix do not write again
    stale = Report(results=[result(loc)], files=['main.tf'])
    assert apply(stale) == []
    assert stale.fixed == []
    assert (cwd / 'main.tf').read_bytes() == fixed
    assert os.stat(cwd / 'main.tf').st_mtime_ns == mtime


@pytest.mark.skipif(not hasattr(os, 'symlink'), reason='no symbolic links')
def test_apply_does_not_write_through_a_symlink(cwd: Path) -> None:
    real = write(cwd / 'real.tf', RESOURCE)
    try:
        os.symlink('real.tf', cwd / 'link.tf')
    except OSError:
        pytest.skip('cannot create symbolic links here')
    report = Report(results=[result(span_of(RESOURCE, '"off"', path='link.tf'))], files=['link.tf'])
    assert apply(report) == []
    assert os.path.islink(cwd / 'link.tf')
    assert (cwd / 'real.tf').read_bytes() == real
    assert report.fixed == []
    assert len(report.notes) == 1
    assert report.notes[0].path == 'link.tf'
    assert 'symbolic link' in report.notes[0].text


def test_apply_notes_what_it_cannot_fix_and_writes_nothing(cwd: Path) -> None:
    before = write(cwd / 'main.tf', RESOURCE)
    loc = span_of(RESOURCE, '"off"')
    server = span_at(RESOURCE, 0, len(RESOURCE) - 1)
    report = Report(results=[
        result(loc, fixable=False, address='a.computed'),
        result(loc, shared=True, address='a.shared'),
        result(server, block=server, value=None, value_known=False, fixable=False, address='a.server',
               resource_type='azurerm_postgresql_server'),
        result(loc, status='unverified', value=None, value_known=False, fixable=False, address='a.unknown',
               reason='value cannot be determined: unknown'),
    ], files=['main.tf'])
    assert apply(report) == []
    assert (cwd / 'main.tf').read_bytes() == before
    assert report.fixed == []
    assert [n.text.split(':')[0] for n in report.notes] == ['a.computed', 'a.shared', 'a.server']
    assert 'azurerm_postgresql_configuration with name log_disconnections' in report.notes[2].text


def test_apply_without_fixable_results_writes_nothing(cwd: Path) -> None:
    before = write(cwd / 'main.tf', RESOURCE)
    loc = span_of(RESOURCE, '"off"')
    report = Report(results=[
        result(loc, status='compliant', value='on', fixable=False),
        result(loc, suppressed='# kics-scan ignore-line'),
    ], files=['main.tf'])
    assert apply(report) == []
    assert report.fixed == [] and report.notes == []
    assert (cwd / 'main.tf').read_bytes() == before
    assert listing(cwd) == ['main.tf']
    assert apply(Report()) == []


def test_apply_skips_a_file_that_changed_since_it_was_read(cwd: Path) -> None:
    loc = span_of(RESOURCE, '"off"')
    changed = RESOURCE.replace('value     = "off"', 'value = var.x    ')
    write(cwd / 'main.tf', changed)
    report = Report(results=[result(loc)], files=['main.tf'])
    assert apply(report) == []
    assert (cwd / 'main.tf').read_text() == changed
    assert len(report.notes) == 1 and 'no longer the literal' in report.notes[0].text
    # a quoted literal with other text in it is a change too
    other = RESOURCE.replace('"off"', '"OFF"')
    write(cwd / 'main.tf', other)
    report = Report(results=[result(loc)], files=['main.tf'])
    assert apply(report) == []
    assert (cwd / 'main.tf').read_text() == other


def test_apply_notes_a_file_it_cannot_read(cwd: Path) -> None:
    report = Report(results=[result(span_of(RESOURCE, '"off"'))], files=['main.tf'])
    assert apply(report) == []
    assert len(report.notes) == 1 and 'cannot read main.tf' in report.notes[0].text


def test_apply_notes_a_failed_write(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = write(cwd / 'main.tf', RESOURCE)

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, 'Permission denied')

    monkeypatch.setattr(os, 'replace', refuse)
    report = Report(results=[result(span_of(RESOURCE, '"off"'))], files=['main.tf'])
    assert apply(report) == []
    assert (cwd / 'main.tf').read_bytes() == before
    assert listing(cwd) == ['main.tf']
    assert report.notes[0].text == 'not fixed: cannot write main.tf: Permission denied'
