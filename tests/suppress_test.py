from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from check_postgresql_log_disconnections import suppress
from check_postgresql_log_disconnections.record import replace
from check_postgresql_log_disconnections.results import Result
from check_postgresql_log_disconnections.rule import OUR_ID, RULE_ID
from check_postgresql_log_disconnections.suppress import (
    DISABLE,
    ENABLE,
    IGNORE,
    IGNORE_BLOCK,
    IGNORE_LINE,
    FileSuppressions,
    apply,
    file_suppressions,
    line_reason,
    reason,
)
from check_postgresql_log_disconnections.syntax import Span

if TYPE_CHECKING:
    from check_postgresql_log_disconnections.results import Status

OTHER = 'a3a055d2-9a2e-4b8a-8b26-1e0a2b0b6d41'

RESOURCE = '''\
resource "azurerm_postgresql_configuration" "c" {
  name  = "log_disconnections"
  value = "off"
}
'''


def src(*lines: str) -> str:
    return '\n'.join(lines) + '\n'


def crlf(text: str) -> str:
    return text.replace('\n', '\r\n')


def at(text: str, line: int, block_line: int = 0, block_end: int = 0) -> str:
    """The form suppressing a finding at ``line`` (in a block from ``block_line``)."""
    return reason(file_suppressions(text), line, block_line or line, block_end or line)


# --- whole-file forms, at the top of the file ---------------------------------

@pytest.mark.parametrize(('top', 'want'), [
    ('# kics-scan ignore', IGNORE),
    ('// kics-scan ignore', IGNORE),
    ('/* kics-scan ignore */', IGNORE),
    ('/*\n * kics-scan ignore\n */', IGNORE),
    ('#kics-scan ignore', IGNORE),
    ('# KICS-SCAN IGNORE', IGNORE),
    ('# kics-scan ignore: generated file', IGNORE),
    ('\n\n# header\n\n# kics-scan ignore\n', IGNORE),
    ('# license\n/* kics-scan ignore */', IGNORE),
    (f'# kics-scan disable={RULE_ID}', DISABLE),
    (f'// kics-scan disable={RULE_ID}', DISABLE),
    (f'/* kics-scan disable={RULE_ID} */', DISABLE),
    (f'/* kics-scan disable={RULE_ID}*/', DISABLE),
    (f'# kics-scan disable = {OTHER} , {RULE_ID.upper()}', DISABLE),
    (f'# kics-scan disable={OTHER},{RULE_ID}', DISABLE),
    (f'# kics-scan disable={OUR_ID}', DISABLE),
    (f'# kics-scan disable={OUR_ID.upper()}', DISABLE),
    (f'# kics-scan disable={OTHER}\n# kics-scan disable={RULE_ID}', DISABLE),
    (f'# kics-scan disable={RULE_ID}  # reason', DISABLE),
    (f'# kics-scan disable={OTHER}', ''),
    ('# kics-scan disable', ''),
    (f'# kics-scan disable={RULE_ID}-x', ''),
    (f'# kics-scan enable={OTHER}', ENABLE),
    ('# kics-scan enable', ENABLE),
    (f'# kics-scan enable={RULE_ID}', ''),
    (f'# kics-scan enable = {OTHER}, {OUR_ID}', ''),
    (f'# kics-scan enable={RULE_ID}\n# kics-scan disable={RULE_ID}', ''),  # enable wins
    (f'# kics-scan disable={RULE_ID}\n# kics-scan enable={OTHER}', ENABLE),
    ('# kics-scan ignored', ''),
    ('# kics-scan ignore-lines', ''),
    ('# note: kics-scan ignore', ''),
    ('# kics-scan', ''),
    ('# kicsscan ignore', ''),
    ('', ''),
])
def test_file_forms(top: str, want: str) -> None:
    text = src(top, RESOURCE)
    assert at(text, 4, 2, 5) == want
    assert at(crlf(text), 4, 2, 5) == want
    assert at('\ufeff' + text, 4, 2, 5) == want


@pytest.mark.parametrize('form', [
    '# kics-scan ignore', f'# kics-scan disable={RULE_ID}', f'# kics-scan enable={OTHER}',
])
def test_file_forms_only_count_before_the_code(form: str) -> None:
    text = src('locals {}', form, RESOURCE)
    assert at(text, 5, 3, 6) == ''
    # on the first code line, after the code: not at the top either
    assert at(src('locals {} ' + form, RESOURCE), 4, 2, 5) == ''


def test_file_form_after_code_on_the_same_line_as_a_block_comment() -> None:
    assert at(src('/* kics-scan ignore */ locals {}', RESOURCE), 4, 2, 5) == IGNORE
    assert at(src('locals {} /* kics-scan ignore */', RESOURCE), 4, 2, 5) == ''


# --- ignore-line -----------------------------------------------------------------

IGNORE_LINE_CASES = [
    # (text, line, want)
    (src('resource "a" "b" {', '  # kics-scan ignore-line', '  value = "off"', '}'), 3, IGNORE_LINE),
    (src('resource "a" "b" {', '  // kics-scan ignore-line', '  value = "off"', '}'), 3, IGNORE_LINE),
    (src('resource "a" "b" {', '  /* kics-scan ignore-line */', '  value = "off"', '}'), 3, IGNORE_LINE),
    (src('resource "a" "b" {', '  #kics-scan IGNORE-LINE', '  value = "off"', '}'), 3, IGNORE_LINE),
    (src('resource "a" "b" {', '  # kics-scan ignore-line: vendor default', '  value = "off"', '}'), 3,
     IGNORE_LINE),
    (src('resource "a" "b" {', '  /*', '  kics-scan ignore-line', '  */', '  value = "off"', '}'), 5,
     IGNORE_LINE),
    (src('resource "a" "b" {', '  /* kics-scan ignore-line */ value = "off"', '}'), 2, IGNORE_LINE),
    (src('resource "a" "b" {', f'  # kics-scan ignore-line={RULE_ID}', '  value = "off"', '}'), 3,
     IGNORE_LINE),
    (src('resource "a" "b" {', f'  # kics-scan ignore-line = {OTHER}, {OUR_ID}', '  value = "off"', '}'), 3,
     IGNORE_LINE),
    # only the line right after the comment
    (src('resource "a" "b" {', '  # kics-scan ignore-line', '  name = "x"', '  value = "off"', '}'), 4, ''),
    (src('resource "a" "b" {', '  # kics-scan ignore-line', '', '  value = "off"', '}'), 4, ''),
    (src('resource "a" "b" {', '  # kics-scan ignore-line', '  # why', '  value = "off"', '}'), 4, ''),
    (src('resource "a" "b" {', '  value = "off"', '  # kics-scan ignore-line', '}'), 2, ''),
    # a comment after code on its line is not a command (KICS): neither this line nor the next
    (src('resource "a" "b" {', '  value = "off" # kics-scan ignore-line', '}'), 2, ''),
    (src('resource "a" "b" {', '  name = "x" # kics-scan ignore-line', '  value = "off"', '}'), 3, ''),
    # another query's id
    (src('resource "a" "b" {', f'  # kics-scan ignore-line={OTHER}', '  value = "off"', '}'), 3, ''),
    # not a command
    (src('resource "a" "b" {', '  # kics-scan do-not-ignore', '  value = "off"', '}'), 3, ''),
    (src('resource "a" "b" {', '  # see kics-scan ignore-line', '  value = "off"', '}'), 3, ''),
]


@pytest.mark.parametrize(('text', 'line', 'want'), IGNORE_LINE_CASES)
def test_ignore_line(text: str, line: int, want: str) -> None:
    assert at(text, line, 1, 99) == want
    assert at(crlf(text), line, 1, 99) == want


def test_ignore_line_does_not_suppress_other_lines() -> None:
    text = src('resource "a" "b" {', '  # kics-scan ignore-line', '  value = "off"', '  other = 1', '}')
    assert [line for line in range(1, 7) if at(text, line, 1, 5)] == [3]


# --- text that only looks like a comment -------------------------------------------

@pytest.mark.parametrize('line', [
    '  description = "# kics-scan ignore-line"',
    '  description = "// kics-scan ignore-line"',
    '  description = "/* kics-scan ignore-line */"',
    '  description = "a \\" # kics-scan ignore-line"',
    '  description = "a \\\\" # kics-scan ignore-line',  # escaped backslash: the string has ended
    '  description = "${lookup(m, "k")} # kics-scan ignore-line"',
    '  description = "${ {a = "}"}["a"] } # kics-scan ignore-line"',
    '  description = "%{ if x }y%{ endif } # kics-scan ignore-line"',
    '  description = "$${ # kics-scan ignore-line"',
])
def test_comment_markers_inside_strings_are_not_comments(line: str) -> None:
    text = src('resource "a" "b" {', line, '  value = "off"', '}')
    # the escaped-backslash line is the one real (trailing) comment: trailing, so no command either
    assert at(text, 3, 1, 4) == ''
    assert file_suppressions(text).ignore_lines == frozenset()


@pytest.mark.parametrize('opener', ['<<EOT', '<<-EOT'])
def test_comment_markers_inside_heredocs_are_not_comments(opener: str) -> None:
    text = src(
        '# ordinary comment',
        'resource "a" "b" {',
        f'  description = {opener}',
        '# kics-scan ignore-line',
        '/* kics-scan ignore-block */',
        '  }',
        '  EOT',
        '  value = "off"',
        '}',
    )
    if opener == '<<EOT':
        text = text.replace('  EOT', 'EOT')
    assert file_suppressions(text) == FileSuppressions()
    assert at(text, 8, 2, 9) == ''


def test_string_after_interpolation_with_nested_string() -> None:
    text = src(
        'resource "a" "b" {',
        '  name = "${var.x == "y" ? "#" : "//"}"',
        '  # kics-scan ignore-line',
        '  value = "off"',
        '}',
    )
    assert at(text, 4, 1, 5) == IGNORE_LINE


def test_unterminated_string_does_not_swallow_the_file() -> None:
    text = src('x = "abc', '# kics-scan ignore-line', 'y = 1')
    assert at(text, 3) == IGNORE_LINE


def test_unterminated_heredoc_and_block_comment() -> None:
    assert file_suppressions(src('x = <<EOT', '# kics-scan ignore-line', 'y = 1')) == FileSuppressions()
    assert file_suppressions('x = 1\n/* kics-scan ignore-line\ny = 1') == FileSuppressions(ignore_lines=frozenset({4}))


# --- ignore-block --------------------------------------------------------------------

BLOCK = src(
    'locals {',                                         # 1
    '  a = 1',                                          # 2
    '}',                                                # 3
    '',                                                 # 4
    '{marker}',                                         # 5
    'resource "azurerm_postgresql_flexible_server_configuration" "c" {',  # 6
    '  name      = "log_disconnections"',               # 7
    '  server_id = azurerm_postgresql_flexible_server.s.id',  # 8
    '  value     = "off"',                              # 9
    '}',                                                # 10
    '',                                                 # 11
    'resource "b" "c" {',                               # 12
    '  value = "off"',                                  # 13
    '}',                                                # 14
)


@pytest.mark.parametrize(('marker', 'want'), [
    ('# kics-scan ignore-block', IGNORE_BLOCK),
    ('// kics-scan ignore-block', IGNORE_BLOCK),
    ('/* kics-scan ignore-block */', IGNORE_BLOCK),
    ('# KICS-SCAN Ignore-Block: accepted risk, ticket 42', IGNORE_BLOCK),
    (f'# kics-scan ignore-block={RULE_ID}', IGNORE_BLOCK),
    (f'# kics-scan ignore-block={OTHER}', ''),
    ('# kics-scan ignore-blocks', ''),
    ('# an ordinary comment', ''),
])
def test_ignore_block_covers_the_whole_block(marker: str, want: str) -> None:
    text = BLOCK.replace('{marker}', marker)
    for variant in (text, crlf(text)):
        sup = file_suppressions(variant)
        for line in range(6, 11):
            assert reason(sup, line, 6, 10) == want
            assert line_reason(sup, line) == want
        for line in (*range(1, 6), *range(11, 15)):
            assert line_reason(sup, line) == ''
        assert reason(sup, 13, 12, 14) == ''


def test_ignore_block_skips_blank_and_comment_lines() -> None:
    text = src('# kics-scan ignore-block', '', '# accepted risk', '', RESOURCE)
    assert file_suppressions(text).block_starts == frozenset({5})
    assert at(text, 7, 5, 8) == IGNORE_BLOCK


def test_ignore_block_decides_by_the_block_start() -> None:
    # the location's line is outside what the comment scanner measured: the block's first line decides
    sup = FileSuppressions(block_starts=frozenset({6}), blocks=((6, 6),))
    assert reason(sup, 9, 6, 10) == IGNORE_BLOCK
    assert reason(sup, 9, 7, 10) == ''


@pytest.mark.parametrize(('body', 'covered'), [
    # before a nested block: that block only
    (['  # kics-scan ignore-block', '  parameter {', '    name  = "log_disconnections"',
      '    value = "off"', '  }', '  parameter {', '    value = "off"', '  }'], [3, 4, 5, 6]),
    # before a multi-line attribute
    (['  # kics-scan ignore-block', '  tags = {', '    a = "}"', '  }', '  value = "off"'], [3, 4, 5]),
    # before a one-line attribute
    (['  # kics-scan ignore-block', '  value = "off"', '  other = 1'], [3]),
    # before a call over several lines, with brackets in strings
    (['  # kics-scan ignore-block', '  value = lookup(', '    { a = "]" },', '    "a")', '  other = 1'],
     [3, 4, 5]),
    # before an attribute holding a heredoc with braces
    (['  # kics-scan ignore-block', '  policy = <<EOT', '{ "a": [', 'EOT', '  value = "off"'], [3, 4, 5]),
    # a block comment in the middle of the element does not end it
    (['  # kics-scan ignore-block', '  tags = { /*', '  } */', '    a = 1', '  }', '  value = "off"'],
     [3, 4, 5, 6]),
    # code right after a block comment on the same line
    (['  /* kics-scan ignore-block */ value = "off"', '  other = 1'], [2]),
    # nothing after the comment
    (['  # kics-scan ignore-block'], []),
])
def test_ignore_block_before_a_nested_element(body: list[str], covered: list[int]) -> None:
    text = src('resource "a" "b" {', *body, '}')
    last = len(body) + 2
    for variant in (text, crlf(text)):
        sup = file_suppressions(variant)
        assert [line for line in range(1, last + 1) if line_reason(sup, line)] == covered
        assert all(reason(sup, line, 1, last) == IGNORE_BLOCK for line in covered)


def test_ignore_block_on_an_unbalanced_block_runs_to_the_end() -> None:
    text = src('# kics-scan ignore-block', 'resource "a" "b" {', '  value = "off"')
    assert file_suppressions(text).blocks == ((2, 4),)


def test_trailing_ignore_block_is_not_a_command() -> None:
    text = src('locals {} # kics-scan ignore-block', RESOURCE)
    assert file_suppressions(text) == FileSuppressions()


def test_interpolation_braces_do_not_end_the_block() -> None:
    text = src('# kics-scan ignore-block', 'resource "a" "b" {', '  name = "${var.x}}"', '  value = "off"', '}',
               'y = 1')
    assert file_suppressions(text).blocks == ((2, 5),)


# --- precedence ------------------------------------------------------------------------

def test_file_form_wins_over_line_forms() -> None:
    text = src('# kics-scan ignore', '# kics-scan ignore-block', 'resource "a" "b" {', '  # kics-scan ignore-line',
               '  value = "off"', '}')
    assert at(text, 5, 3, 6) == IGNORE
    sup = replace(file_suppressions(text), file_form='')
    assert reason(sup, 5, 3, 6) == IGNORE_LINE
    assert reason(replace(sup, ignore_lines=frozenset()), 5, 3, 6) == IGNORE_BLOCK


# --- apply -------------------------------------------------------------------------------

def span(path: str, line: int, end_line: int | None = None) -> Span:
    return Span(path, line, 3, end_line or line, 10, 0, 0)


def result(status: Status, line: int, *, path: str = 'main.tf', block: tuple[int, int] = (1, 4),
           origin: Span | None = None, suppressed: str = '') -> Result:
    return Result(
        status=status, address='azurerm_postgresql_configuration.c',
        resource_type='azurerm_postgresql_configuration', location=span(path, line),
        block=span(path, *block), origin=origin, suppressed=suppressed,
    )


MAIN = src(
    'resource "azurerm_postgresql_configuration" "c" {',  # 1
    '  name  = "log_disconnections"',                    # 2
    '  # kics-scan ignore-line',                           # 3
    '  value = "off"',                                   # 4
    '}',                                                 # 5
    'resource "azurerm_postgresql_configuration" "d" {',  # 6
    '  name  = "log_disconnections"',                    # 7
    '  value = var.v',                                   # 8
    '}',                                                 # 9
)
VARIABLES = src(
    'variable "v" {',                                    # 1
    '  # kics-scan ignore-line',                           # 2
    '  default = "off"',                                 # 3
    '}',                                                 # 4
    'variable "w" {',                                    # 5
    '  default = "off"',                                 # 6
    '}',                                                 # 7
    '# kics-scan ignore-block',                          # 8
    'variable "x" {',                                    # 9
    '  default = {',                                     # 10
    '    log = "off"',                                   # 11
    '  }',                                               # 12
    '}',                                                 # 13
)
TEXTS = {'main.tf': MAIN, 'variables.tf': VARIABLES, 'off.tf': src(f'# kics-scan disable={OUR_ID}', RESOURCE)}


@pytest.mark.parametrize(('given', 'want'), [
    (result('noncompliant', 4, block=(1, 5)), IGNORE_LINE),
    (result('unverified', 4, block=(1, 5)), IGNORE_LINE),
    (result('compliant', 4, block=(1, 5)), ''),
    (result('noncompliant', 4, block=(1, 5), suppressed='inline'), 'inline'),
    (result('noncompliant', 8, block=(6, 9)), ''),
    (result('noncompliant', 8, block=(6, 9), origin=span('variables.tf', 3)), IGNORE_LINE),
    (result('noncompliant', 8, block=(6, 9), origin=span('variables.tf', 6)), ''),
    (result('noncompliant', 8, block=(6, 9), origin=span('variables.tf', 11)), IGNORE_BLOCK),
    (result('noncompliant', 8, block=(6, 9), origin=span('missing.tf', 3)), ''),
    (result('noncompliant', 4, path='off.tf', block=(2, 5)), DISABLE),
    (result('unverified', 4, path='unknown.tf'), ''),
])
def test_apply(given: Result, want: str) -> None:
    (got,) = apply([given], TEXTS)
    assert got.suppressed == want
    assert got == (given if want == given.suppressed else replace(given, suppressed=want))


def test_apply_keeps_order_and_parses_each_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = suppress.file_suppressions

    def counting(text: str) -> FileSuppressions:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(suppress, 'file_suppressions', counting)
    given = [result('noncompliant', 4, block=(1, 5)), result('noncompliant', 8, block=(6, 9)),
             result('unverified', 4, block=(1, 5))]
    got = apply(given, TEXTS)
    assert [r.suppressed for r in got] == [IGNORE_LINE, '', IGNORE_LINE]
    assert [r.location for r in got] == [r.location for r in given]
    assert calls == [MAIN]


def test_apply_empty() -> None:
    assert apply([], {}) == []


def test_ignore_block_at_the_end_of_the_file_covers_nothing() -> None:
    assert file_suppressions(src(RESOURCE, '# kics-scan ignore-block')) == FileSuppressions()
    assert file_suppressions(src(RESOURCE, '/* kics-scan ignore-block */')) == FileSuppressions()


def test_parse_of_a_whole_file() -> None:
    text = src(
        '# kics-scan disable=other',          # 1
        '# kics-scan ignore-block',           # 2
        'resource "a" "b" {',                 # 3
        '  # kics-scan ignore-line',          # 4
        '  value = "off"',                    # 5
        '  // kics-scan ignore-block',        # 6
        '  parameter {',                      # 7
        '    value = "off"',                  # 8
        '  }',                                # 9
        '}',                                  # 10
    )
    assert file_suppressions(text) == FileSuppressions(
        file_form='', ignore_lines=frozenset({5}), block_starts=frozenset({3, 7}), blocks=((3, 10), (7, 9)),
    )
    assert file_suppressions(crlf(text)) == file_suppressions(text)
