"""KICS suppression comments, so teams moving from KICS keep theirs.

The forms (``#``, ``//`` and ``/* */`` comments alike, case-insensitive)::

    # kics-scan ignore                 at the top of a file: every query, whole file
    # kics-scan disable=<id>[,<id>]    at the top of a file: those queries, whole file
    # kics-scan enable=<id>[,<id>]     at the top of a file: only those queries run
    # kics-scan ignore-line            the line after the comment
    # kics-scan ignore-block           the block, attribute or element starting on
                                       the next code line, to its end

"At the top" means before the first code of the file, as KICS has it. Like
KICS, ``enable`` wins over ``disable``, and an ``enable`` with an empty list
runs nothing. Like current KICS, a comment that follows code on its own line
(``x = 1 # kics-scan ignore-line``) is not a command. ``ignore-line=<id>``
and ``ignore-block=<id>`` (newer KICS) apply to the listed queries only.
Our query id and ``OUR_ID`` both name this rule in an id list.

Only real comments count: ``lexer`` tells them from quoted strings (with
escapes and ``${ }`` interpolations) and heredocs. Everything here is pure.
"""
from __future__ import annotations

import re

from check_postgresql_log_disconnections import lexer
from check_postgresql_log_disconnections.record import Record, replace
from check_postgresql_log_disconnections.rule import OUR_ID, RULE_ID

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from check_postgresql_log_disconnections.results import Result

_OUR_IDS = frozenset({RULE_ID.lower(), OUR_ID.lower()})
_SUPPRESSIBLE = ('noncompliant', 'unverified')

IGNORE = 'kics-scan ignore'
DISABLE = 'kics-scan disable'
ENABLE = 'kics-scan enable'
IGNORE_LINE = 'kics-scan ignore-line'
IGNORE_BLOCK = 'kics-scan ignore-block'

# One line of a comment's text: comment markers, then the command and its ids. (Patterns are
# compiled by ``re``'s cache when a file has a kics-scan comment: most have none.)
_COMMAND = (r'(?i)[\s#/*]*kics-scan\s+(ignore-line|ignore-block|ignore|disable|enable)(?![\w-])'
            r'(?:\s*=\s*([\w.-]+(?:\s*,\s*[\w.-]+)*))?')


class FileSuppressions(Record):
    """What one file's KICS comments say about this rule, lines 1-based."""

    __slots__ = ('block_starts', 'blocks', 'file_form', 'ignore_lines')

    def __init__(self, file_form: str = '', ignore_lines: frozenset[int] = frozenset(),
                 block_starts: frozenset[int] = frozenset(), blocks: tuple[tuple[int, int], ...] = ()) -> None:
        self.file_form = file_form  # IGNORE / DISABLE / ENABLE when the whole file is suppressed
        self.ignore_lines = ignore_lines  # lines an ignore-line covers
        self.block_starts = block_starts  # first lines of ignore-block elements
        self.blocks = blocks  # (first, last) lines of those elements


class _Comment:
    def __init__(self, start: int, line: int, end_line: int, text: str, leading: bool, code_after: bool) -> None:
        self.start = start  # offset of the comment's first character
        self.line = line
        self.end_line = end_line
        self.text = text
        self.leading = leading  # nothing but whitespace before it on its line
        self.code_after = code_after  # a /* */ comment followed by code on its last line


class _Lexed:
    def __init__(self, comments: list[_Comment], code_lines: list[int], first_code: int, levels: list[int]) -> None:
        self.comments = comments
        self.code_lines = code_lines  # sorted lines holding code (outside comments)
        self.first_code = first_code  # offset of the first code character, len(text) when none
        self.levels = levels  # levels[n]: nesting at the end of line n; levels[0] = 0


class _Lines:
    """What ``_lex_comments`` learns, line by line, as the lexer's tokens go by."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lexed = _Lexed([], [], len(text), [0])
        self.line = 1
        self.code_on_line = False

    def code(self, at: int) -> None:
        if not self.code_on_line:
            self.lexed.code_lines.append(self.line)
            self.code_on_line = True
        if self.lexed.first_code == len(self.text):
            self.lexed.first_code = at

    def newline(self, level: int) -> None:
        self.lexed.levels.append(level)
        self.line += 1
        self.code_on_line = False

    def comment(self, start: int, end: int, level: int) -> None:
        text = self.text
        start_line, leading = self.line, not self.code_on_line
        for _ in range(text.count('\n', start, end)):  # a comment is no part of an element
            self.newline(level)
        code_after = False
        if text.startswith('/*', start):
            eol = text.find('\n', end)
            rest = text[end:len(text) if eol < 0 else eol].strip()
            code_after = bool(rest) and not rest.startswith(('#', '//', '/*'))
        self.lexed.comments.append(_Comment(start, start_line, self.line, text[start:end], leading, code_after))

    def heredoc(self, h: lexer.Heredoc, level: int) -> None:
        """Body lines and the closing line are code, one level deeper."""
        self.code(h.start)
        self.newline(level + 1)
        for _ in range(self.text.count('\n', h.body, h.close)):
            self.lexed.code_lines.append(self.line)
            self.newline(level + 1)
        self.lexed.code_lines.append(self.line)
        self.code_on_line = True
        if h.closed and self.text[h.end - 1] == '\n':
            self.newline(level)


def _lex_comments(text: str) -> _Lexed:
    """One pass over ``text``: comments, code lines and nesting level per line.

    The nesting level counts open brackets, interpolations and heredocs, so an element starting on line ``t`` ends on
    the first line at or after ``t`` whose level is back to that before ``t``.
    """
    not_blank = re.compile(r'[^ \t\r]').search
    lines = _Lines(text)
    stack: list[str] = []
    pos = 0
    in_string = False
    for kind, start, end, heredoc in lexer.tokens(text, 0, len(text), stack):
        if not in_string:  # between tokens: plain code (or blanks) on one line
            gap = not_blank(text, pos, start)
            if gap is not None:
                lines.code(gap.start())
        if kind in ('newline', 'string_newline'):
            lines.newline(len(stack))
        elif kind in ('comment', 'unclosed_comment'):
            lines.comment(start, end, len(stack))
        elif kind == 'heredoc':
            assert heredoc is not None
            lines.heredoc(heredoc, len(stack))
        elif not in_string:
            lines.code(start)
        pos = end
        in_string = bool(stack) and stack[-1] == '"'
    if not in_string:
        gap = not_blank(text, pos)
        if gap is not None:
            lines.code(gap.start())
    lines.lexed.levels.append(len(stack))
    return lines.lexed


def _element_ends(levels: list[int]) -> list[int]:
    """``ends[t]``: the last line of the element starting on line ``t``.

    That is the first line ``L >= t`` with ``levels[L] <= levels[t - 1]``
    (a "next smaller or equal" search, one pass with a stack); the last line
    of the file when the nesting never comes back.
    """
    last = len(levels) - 1
    ends = [last] * (last + 1)
    pending: list[int] = []  # positions p waiting for their L, levels increasing
    for pos, level in enumerate(levels):
        while pending and levels[pending[-1]] >= level:
            ends[pending.pop() + 1] = pos
        if pos < last:
            pending.append(pos)
    return ends


def _commands(comment: _Comment) -> list[tuple[str, frozenset[str] | None]]:
    """The kics-scan commands of a comment: (command, ids or None when no ``=``)."""
    found: list[tuple[str, frozenset[str] | None]] = []
    for text_line in comment.text.split('\n'):
        m = re.match(_COMMAND, text_line)
        if m is None:
            continue
        ids = None
        if m.group(2) is not None:
            ids = frozenset(p.strip().lower() for p in m.group(2).split(','))
        found.append((m.group(1).lower(), ids))
    return found


def file_suppressions(text: str) -> FileSuppressions:
    """Read the KICS comments of one file's text, for this rule."""
    if 'kics-scan' not in text.lower():
        return FileSuppressions()  # the common case: no need to find the comments
    import bisect

    text = text.removeprefix('\ufeff')
    lexed = _lex_comments(text)
    ends = _element_ends(lexed.levels)
    ignore_file = False
    enable: set[str] | None = None
    disable: set[str] = set()
    ignore_lines: set[int] = set()
    starts: set[int] = set()
    blocks: list[tuple[int, int]] = []
    for comment in lexed.comments:
        if not comment.leading:  # `x = 1 # kics-scan ...`: not a command (KICS)
            continue
        at_top = comment.start < lexed.first_code
        for command, ids in _commands(comment):
            ours = ids is None or not ids.isdisjoint(_OUR_IDS)
            if command == 'ignore-line':
                if ours:
                    ignore_lines.add(comment.end_line + (0 if comment.code_after else 1))
            elif command == 'ignore-block':
                if not ours:
                    continue
                if comment.code_after:
                    target = comment.end_line
                else:
                    k = bisect.bisect_right(lexed.code_lines, comment.end_line)
                    if k == len(lexed.code_lines):
                        continue
                    target = lexed.code_lines[k]
                    if lexed.levels[target] < lexed.levels[target - 1]:  # `}`: no element starts here
                        continue
                starts.add(target)
                blocks.append((target, ends[target]))
            elif not at_top:
                continue
            elif command == 'ignore':
                ignore_file = True
            elif command == 'enable':
                enable = (enable or set()) | (ids or set())
            else:
                disable |= ids or set()
    form = ''
    if ignore_file:
        form = IGNORE
    elif enable is not None:
        form = '' if enable & _OUR_IDS else ENABLE
    elif disable & _OUR_IDS:
        form = DISABLE
    return FileSuppressions(form, frozenset(ignore_lines), frozenset(starts), tuple(blocks))


def line_reason(sup: FileSuppressions, line: int) -> str:
    """The line-level form (ignore-line, ignore-block) covering ``line``, or ''."""
    if line in sup.ignore_lines:
        return IGNORE_LINE
    if any(first <= line <= last for first, last in sup.blocks):
        return IGNORE_BLOCK
    return ''


def reason(sup: FileSuppressions, location_line: int, block_line: int, block_end_line: int) -> str:
    """The form that suppresses a finding at ``location_line`` in the block
    spanning ``block_line``..``block_end_line``; '' when none does.

    An ignore-block before the block's first line ignores all of it, so the
    block's first line decides and ``block_end_line`` needs no check; other
    ignore-blocks (before a nested block or attribute) cover ``location_line``
    when it lies in the element they precede.
    """
    if sup.file_form:
        return sup.file_form
    if location_line in sup.ignore_lines:
        return IGNORE_LINE
    if block_line in sup.block_starts:  # the whole resource block is ignored
        return IGNORE_BLOCK
    return line_reason(sup, location_line)


def apply(results: list[Result], texts: Mapping[str, str]) -> list[Result]:
    """``results`` with ``suppressed`` set where a KICS comment says so.

    Each result is looked up in the text of ``location.path``; a result whose
    value comes from elsewhere (``origin``) is also suppressed by an
    ignore-line or ignore-block covering the origin's line in its file.
    Compliant results, and results already suppressed, are left as they are.
    """
    cache: dict[str, FileSuppressions | None] = {}

    def sups(path: str) -> FileSuppressions | None:
        if path not in cache:
            text = texts.get(path)
            cache[path] = None if text is None else file_suppressions(text)
        return cache[path]

    out: list[Result] = []
    for r in results:
        if r.status not in _SUPPRESSIBLE or r.suppressed:
            out.append(r)
            continue
        form = ''
        here = sups(r.location.path)
        if here is not None:
            form = reason(here, r.location.line, r.block.line, r.block.end_line)
        if not form and r.origin is not None:
            there = sups(r.origin.path)
            if there is not None:
                form = line_reason(there, r.origin.line)
        out.append(replace(r, suppressed=form) if form else r)
    return out
