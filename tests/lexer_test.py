"""The one HCL lexer: its tokens, and Terraform's heredoc marker grammar."""
from __future__ import annotations

import pytest

from check_postgresql_log_disconnections import lexer


def kinds(text: str, stack: list[str] | None = None, *, detail: bool = True) -> list[tuple[str, str]]:
    return [(kind, text[start:end]) for kind, start, end, _ in lexer.tokens(text, 0, None, stack, detail=detail)]


@pytest.mark.parametrize(('text', 'want'), (
    ('a = 1\n', [('newline', '\n')]),
    ('x = [1, (2)]', [('open', '['), ('open', '('), ('close', ')'), ('close', ']')]),
    ('x = "a${b}c"', [('quote', '"'), ('template', '${'), ('template_end', '}'), ('unquote', '"')]),
    ('x = "%{if a}"', [('quote', '"'), ('template', '%{'), ('template_end', '}'), ('unquote', '"')]),
    ('x = "$${b}"', [('quote', '"'), ('escaped_template', '$${'), ('unquote', '"')]),
    ('x = "$%{b}"', [('quote', '"'), ('template', '$%{'), ('template_end', '}'), ('unquote', '"')]),
    ('x = "a\\"b"', [('quote', '"'), ('escape', '\\"'), ('unquote', '"')]),
    ('x = "a\nb', [('quote', '"'), ('string_newline', '\n')]),
    ('x = "a\\\n', [('quote', '"'), ('bad_escape', '\\'), ('string_newline', '\n')]),
    ('# c\n// d\n/* e\n*/', [('comment', '# c'), ('newline', '\n'), ('comment', '// d'), ('newline', '\n'),
                             ('comment', '/* e\n*/')]),
    ('x = 1 /* e', [('unclosed_comment', '/* e')]),
    ('x = a / b < c', []),
    ('x = a << b', [('not_heredoc', '<<')]),
    ('x = \\"a\\"', [('backslash', '\\'), ('quote', '"'), ('escape', '\\"')]),
    ('x = (]', [('open', '('), ('mismatch', ']')]),
    ('x = ]', [('mismatch', ']')]),
    ('x = "${]}"', [('quote', '"'), ('template', '${'), ('mismatch', ']'), ('template_end', '}'),
                    ('unquote', '"')]),
    ('x = <<EOT\n# no comment\nEOT\ny', [('heredoc', '<<EOT\n# no comment\nEOT\n')]),
))
def test_tokens(text: str, want: list[tuple[str, str]]) -> None:
    assert kinds(text) == want


def test_without_detail_plain_code_in_brackets_is_skipped() -> None:
    text = '{\n  a = "s" # c\n  b = [1, 2]\n  c = "${x}"\n}\n'
    assert kinds(text, detail=False) == [
        ('open', '{'), ('open', '['), ('close', ']'), ('quote', '"'), ('template', '${'), ('template_end', '}'),
        ('unquote', '"'), ('close', '}'), ('newline', '\n')]


def test_the_stack_is_the_state() -> None:
    stack = ['$']
    assert kinds('a["}"]} "', stack) == [('open', '['), ('quote', '"'), ('unquote', '"'), ('close', ']'),
                                         ('template_end', '}'), ('quote', '"')]
    assert stack == ['"']


# What Terraform 1.11 says (terraform console): a marker is an HCL identifier and the
# newline follows it at once.
@pytest.mark.parametrize(('opening', 'marker'), (
    ('<<EOT\n', 'EOT'),
    ('<<-EOT\r\n', 'EOT'),
    ('<<_EOT\n', '_EOT'),
    ('<<E-1\n', 'E-1'),
    ('<<E_1\n', 'E_1'),
    ('<<\u00c9\n', '\u00c9'),
    ('<<E.1\n', None),
    ('<<EOT  \n', None),
    ('<<1EOT\n', None),
    ('<<\n', None),
))
def test_heredoc_marker_is_terraforms(opening: str, marker: str | None) -> None:
    h = lexer.heredoc(f'{opening}hi\n{marker}\n', 0)
    assert (h.marker if h else None) == marker


@pytest.mark.parametrize(('text', 'close', 'end', 'closed'), (
    ('<<EOT\na\nEOT\nx', 8, 12, True),
    ('<<EOT\na\n  EOT  \nx', 8, 16, True),   # blanks trimmed, as Terraform does
    ('<<EOT\nEOTX\nEOT', 11, 14, True),      # a line holding more than the marker does not close
    ('<<EOT\na\n', 8, 8, False),
))
def test_heredoc_closes_where_terraform_closes(text: str, close: int, end: int, closed: bool) -> None:
    h = lexer.heredoc(text, 0)
    assert h is not None and (h.close, h.end, h.closed) == (close, end, closed)


# The one-match path inside a block body: (where it stops, how deep the brackets up to there nest)
@pytest.mark.parametrize(('body', 'stop', 'nesting'), (
    (' a = 1\n b = [1, (2)]\n c {\n  d = {}\n }\n}', '\n}', 2),
    (' a = "x-${var.y}" # ok, really\n}', '\n}', 1),
    (' a = "%{if x}y%{endif}"\n /* x */ b = "\\"" // y\n}', '\n}', 1),
    (' a = 1 }\n b {\n}', '\n}', None),        # the body's `}` before the last line
    (' a = (]\n}', '\n}', None),               # brackets of two kinds
    (' a = "(x"\n}', '"(x', 0),                # a bracket in a string: the tokens tell
    (' a = "${f(1)}"\n}', '"${', 0),           # a template holding more than plain code
    (' a = "$${x}"\n}', '"$$', 0),             # an escaped template
    (' a = "\\\r"\n}', '"\\', 0),              # `\` CR
    (' a = "x\n}', '"x', 0),                   # a string running into the newline
    (' a = <<EOT\n}\nEOT\n}', '<<', 0),        # a heredoc
    (' a = 1 /* x\n}', '/*', 0),               # an unclosed comment
    (' a = 1 # ] x\n}', '#', 0),               # a bracket in a comment
    (' a = \\x\n}', '\\', 0),                  # `\` in code
    (' a = "\u00e9" # \u00e9\n}', '\n}', 0),     # one mask byte a character
))
def test_bracketed(body: str, stop: str, nesting: int | None) -> None:
    text = 'b {' + body
    masked = lexer.mask(text)
    assert len(masked) == len(text)
    assert lexer.bracketed(masked, 3, 32) == (text.index(stop, 3), nesting)


def test_bracketed_gives_up_deep_nesting() -> None:
    text = '{' + '[' * 40 + ']' * 40 + '\n}'
    assert lexer.bracketed(lexer.mask(text), 1, 32) == (81, None)
    assert lexer.bracketed(lexer.mask(text), 1, 40) == (81, 40)
