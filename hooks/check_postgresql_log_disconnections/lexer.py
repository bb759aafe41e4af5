"""The one HCL lexer of the textual passes (no parser): the block splitter (``scan``),
the suppression scanner (``suppress``) and ``--fix``'s heredocs all read code,
quoted strings, ``${ }`` / ``%{ }`` templates, heredocs and comments through it.

``tokens`` walks the text as a state machine whose state is a stack: brackets
``{ [ (``, ``$`` for an open template interpolation, ``"`` for a quoted string.
It yields only the tokens that change that state or that a consumer may need;
what lies between two tokens is plain code or plain string text on one line.
Where Terraform would reject the text, or python-hcl2 may read it otherwise,
the token's kind says so (``DOUBTFUL``) and each consumer decides: the splitter
gives up, the suppression scanner reads on as KICS would.

``bracketed`` is its fast path for the body of a block: one regex match over a
mask of the text, for the common code that holds no heredoc and no bracket in a
string's or comment's text; it reads exactly what ``tokens`` reads there, or
says it cannot.

Terraform's heredoc marker grammar lives here and nowhere else.
"""
from __future__ import annotations

import functools
import re

from check_postgresql_log_disconnections.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Optional

# Terraform reads the marker as an HCL identifier: ID_Start or `_`, then
# ID_Continue or `-` (`<<_EOT` and `<<E-1` open heredocs, `<<E.1` does not), and
# the newline follows it at once (`<<EOT ` is no heredoc).
HEREDOC_MARKER = r'[^\W\d][\w-]*'
_HEREDOC_START = re.compile(rf'<<(-?)({HEREDOC_MARKER})\r?\n')

# A quoted string without templates, in one step. (A run of $ or % is taken
# whole: quadratic or exponential backtracking otherwise.)
SIMPLE_STRING = r'"[^"\\\n$%]*(?:(?:\\[^\r\n]|[$%]+(?![$%{]))[^"\\\n$%]*)*"'
# Code inside brackets up to the next bracket or unusual token: plain text, simple
# strings, comments (a `/* */` may span lines there), newlines.
PLAIN = (r'(?:[^"#/{}\[\]()<\\]+|' + SIMPLE_STRING
         + r'|#[^\n]*|//[^\n]*|/\*.*?\*/|/(?![/*])|<(?!<))*')
_PLAIN = re.compile(PLAIN, re.DOTALL)
# What changes the state in code, and in a quoted string.
_CODE = re.compile(r'[\n"#/{}\[\]()<\\]')
_STRING = re.compile(r'["\\\n]|[$%]+\{')
# A template start or its escape, in a quoted string or a heredoc body.
TEMPLATE_START = re.compile(r'[$%]+\{')
_CLOSER = {'{': '}', '[': ']', '(': ')', '$': '}'}

# The fast path of ``tokens(detail=False)`` inside brackets works on a mask of the text:
# each character that changes nothing there is an `a` (regexes step over a run of one
# character far faster than over a class), the others are kept, offsets stay.
_KEPT = b'"#/{}[]()<\\\n\r$%*'
_MASK = bytes(c if c in _KEPT else ord('a') for c in range(256))
_NB = rb'{}\[\]()'  # (in a character class)
# Code inside brackets as ``PLAIN`` reads it, brackets included, when no comment or quoted
# string holds a bracket in its text and every template holds plain code on its line: its
# brackets are then exactly the code's and the templates'. It stops before a line starting
# with `}` and at anything else (`\` in code, `<<`, an unclosed `/*`, a string that does
# not close on its line or holds `$${`, `%%{` or `\` CR: what the splitter looks at closer).
_BRACKETED = re.compile(  # (the items begin with distinct characters: the most common first)
    rb'(?:a+|"a*(?:[^a"\\\n$%' + _NB + rb']a*)*(?:(?:\\[^\r\n' + _NB + rb']|[$%]+(?![$%{])'
    rb'|[$%]\{a*(?:[^a"#/' + _NB + rb'<\\\n]a*)*\})a*(?:[^a"\\\n$%' + _NB + rb']a*)*)*"'
    rb'|\n(?!\})|[' + _NB + rb']|[^a"#/' + _NB + rb'<\\\n]+'
    rb'|#a*(?:[^a\n' + _NB + rb']a*)*(?![^\n])|//a*(?:[^a\n' + _NB + rb']a*)*(?![^\n])'
    rb'|/\*a*(?:(?:[^a*' + _NB + rb']|\*(?!/))a*)*\*/|/(?![/*])|<(?!<))*')
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b'{}[]()')
_PAIRS = re.compile(rb'\(\)|\[\]|\{\}')


def mask(text: str) -> bytes:
    """The mask of ``text`` for ``bracketed``: one byte a character."""
    return text.encode('ascii', 'replace').translate(_MASK)


def bracketed(masked: bytes, pos: int, max_depth: int) -> tuple[int, int | None]:
    """Code inside brackets from ``pos`` in one match, as ``tokens(detail=False)`` reads it.

    ``masked`` is ``mask(text)``. Returns where ``_BRACKETED`` stops, and how
    deep the brackets nest up to there when they pair up (the stack is then as
    it was at ``pos``); None when they do not, or nest deeper than
    ``max_depth`` (each level costs a pass).
    """
    end = _BRACKETED.match(masked, pos).end()  # type: ignore[union-attr]  # (matches empty)
    return end, _nesting(masked[pos:end].translate(None, _NOT_BRACKETS), max_depth)


@functools.lru_cache(maxsize=4096)  # blocks of one shape have one skeleton: most are looked up
def _nesting(brackets: bytes, max_depth: int) -> int | None:
    depth = 0
    while brackets:  # each pass takes out the innermost pairs: one level
        inner = _PAIRS.sub(b'', brackets)
        if len(inner) == len(brackets) or depth == max_depth:
            return None
        brackets = inner
        depth += 1
    return depth


# Kinds Terraform rejects or python-hcl2 may read otherwise.
DOUBTFUL = frozenset({
    'backslash',         # `\` in code
    'bad_escape',        # `\` at the end of a line in a quoted string
    'string_newline',    # a quoted string runs into a newline (the string is closed there)
    'unclosed_comment',  # `/*` with no `*/`
    'not_heredoc',       # `<<` that does not start a heredoc
    'mismatch',          # a closing bracket that closes nothing open (nothing is popped)
})


class Heredoc(Record):
    """A heredoc from its ``<<`` to past its closing line, as Terraform reads it.

    Terraform closes it at the first line that is the marker once blanks are
    trimmed. ``close`` is that line's start and ``end`` is past its newline;
    both are the limit when it never closes (``closed`` False).
    """

    __slots__ = ('body', 'close', 'closed', 'end', 'marker', 'start', 'trim')

    def __init__(self, start: int, marker: str, trim: bool, body: int, close: int, end: int, closed: bool) -> None:
        self.start = start
        self.marker = marker
        self.trim = trim  # `<<-`
        self.body = body  # the first body line
        self.close = close
        self.end = end
        self.closed = closed


def heredoc(text: str, pos: int, limit: int | None = None) -> Heredoc | None:
    """The heredoc whose ``<<`` is at ``pos``, or None when no heredoc starts there."""
    limit = len(text) if limit is None else limit
    m = _HEREDOC_START.match(text, pos, limit)
    if m is None:
        return None
    marker, body = m.group(2), m.end()
    p = body
    while True:
        k = text.find(marker, p, limit)
        if k < 0:
            return Heredoc(pos, marker, bool(m.group(1)), body, limit, limit, False)
        first = text.rfind('\n', body - 1, k) + 1
        eol = text.find('\n', k, limit)
        last = limit if eol < 0 else eol
        if text[first:last].strip() == marker:
            return Heredoc(pos, marker, bool(m.group(1)), body, first, limit if eol < 0 else eol + 1, True)
        p = last + 1  # not k + 1: a line full of markers would cost quadratic time


# (kind, start, end, heredoc): ``text[start:end]`` is the token; ``heredoc`` is set for kind
# ``heredoc`` only. A plain tuple: a class instance per token costs a tenth of the splitter's time.
if TYPE_CHECKING:
    Token = tuple[str, int, int, Optional[Heredoc]]


def tokens(text: str, pos: int = 0, limit: int | None = None, stack: list[str] | None = None, *,
           detail: bool = True) -> Iterator[Token]:
    """The state-changing tokens of ``text[pos:limit]``; ``stack`` is the state, updated as it goes.

    Kinds in code: ``newline``, ``comment``, ``open``, ``close``, ``template_end``
    (the ``}`` of an interpolation), ``quote`` (a string opens), ``heredoc`` and
    the ``DOUBTFUL`` ones. In a quoted string: ``unquote``, ``escape``,
    ``template`` (``${`` / ``%{`` opens an interpolation: the token is the whole
    run of ``$``/``%`` and the brace) and ``escaped_template`` (``$${`` / ``%%{``).
    With ``detail`` False, code inside brackets is skipped up to the next
    bracket or unusual token: no newline, comment or template-free string there.
    """
    limit = len(text) if limit is None else limit
    stack = [] if stack is None else stack
    while pos < limit:
        if stack and stack[-1] == '"':
            tok = _string_token(text, pos, limit, stack)
        else:
            if not detail and stack:  # up to the next character of _CODE, or the end
                i = _PLAIN.match(text, pos, limit).end()  # type: ignore[union-attr]  # (matches empty)
                if i >= limit:
                    return
            else:
                m = _CODE.search(text, pos, limit)
                if m is None:
                    return
                i = m.start()
            c = text[i]
            if c in '{[(':  # brackets first: they are most of the tokens
                stack.append(c)
                tok = ('open', i, i + 1, None)
            elif c in '}])' and stack and _CLOSER[stack[-1]] == c:
                tok = ('template_end' if stack.pop() == '$' else 'close', i, i + 1, None)
            else:
                tok = _code_token(text, i, limit, stack)
        if tok is None:
            return
        yield tok
        pos = tok[2]


def _string_token(text: str, pos: int, limit: int, stack: list[str]) -> Token | None:
    m = _STRING.search(text, pos, limit)
    if m is None:
        return None
    i = m.start()
    c = text[i]
    if c == '"':
        stack.pop()
        return ('unquote', i, i + 1, None)
    if c == '\\':
        if i + 1 >= limit or text[i + 1] == '\n':
            return ('bad_escape', i, i + 1, None)
        return ('escape', i, i + 2, None)
    if c == '\n':
        stack.pop()  # Terraform's quoted strings end on their line; read on after it
        return ('string_newline', i, i + 1, None)
    run = m.group()
    if len(run) > 2 and run[-3] == run[-2]:  # `$${` / `%%{`: the template start escaped
        return ('escaped_template', i, m.end(), None)
    stack.append('$')
    return ('template', i, m.end(), None)


def _code_token(text: str, i: int, limit: int, stack: list[str]) -> Token | None:
    """The token at ``text[i]``, a character of ``_CODE`` other than a matching bracket."""
    while True:
        c = text[i]
        if c == '\n':
            return ('newline', i, i + 1, None)
        if c == '"':
            stack.append('"')
            return ('quote', i, i + 1, None)
        if c in '}])':  # closes nothing open, or the wrong bracket
            if stack and stack[-1] != '$':
                stack.pop()
            return ('mismatch', i, i + 1, None)
        if c == '#' or text.startswith('//', i):
            eol = text.find('\n', i, limit)
            return ('comment', i, limit if eol < 0 else eol, None)
        if text.startswith('/*', i):
            close = text.find('*/', i + 2, limit)
            return ('unclosed_comment', i, limit, None) if close < 0 else ('comment', i, close + 2, None)
        if text.startswith('<<', i):
            h = heredoc(text, i, limit)
            return ('not_heredoc', i, i + 2, None) if h is None else ('heredoc', i, h.end, h)
        if c == '\\':
            return ('backslash', i, i + 1, None)
        m = _CODE.search(text, i + 1, limit)  # `/` or `<` as an operator: plain code
        if m is None:
            return None
        i = m.start()
