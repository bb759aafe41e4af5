"""A cheap textual pre-pass: which files can matter, and where their top-level items are.

python-hcl2 reads ~0.3 MB/s and fails on some valid Terraform, so the hook
parses only the top-level items it needs. Nothing here imports ``hcl2``.

``chunks(text)`` splits an HCL file into its top-level blocks and attributes
with the tokens of ``lexer``, or returns None when it is not sure; the caller then parses
the whole file. It returns a split only when the split is the same for
Terraform and for python-hcl2, which differ in a few corners: python-hcl2 lets
a quoted string span lines, ends ``$${...`` at the next ``}``, closes a heredoc
only on a marker line without trailing blanks, takes a newline before ``{``
in a block header, and starts a new item after a complete expression on the
same line (``x = 1 y = 2`` is two attributes to it). Each of those returns None.

The lexer jumps between interesting characters with compiled regexes, and
the common items are one regex match each: a block whose body holds plain code,
brackets, comments and strings without brackets in their text and closes on a
line starting with `}` (``lexer.bracketed``), and the common tfvars lines
(``name = "value"``, ``name = [...]`` / ``{...}`` two levels deep). Linear
time, no backtracking blow-up; anything else is read token by token.
"""
from __future__ import annotations

import re

from check_postgresql_log_disconnections import lexer
from check_postgresql_log_disconnections.record import Record


class Chunk(Record):  # (a slotted Record is made as fast as a NamedTuple, and needs no typing)
    """One top-level item: ``text[start:end]`` parses on its own.

    ``start`` is the beginning of the item's first line (so columns match the
    whole file) and ``end`` is past its line terminator, any comment on its
    last line included. Parse the slice and add ``line - 1`` to line numbers
    and ``start`` to offsets.
    """

    __slots__ = ('depth', 'end', 'labels', 'line', 'start', 'type')

    def __init__(self, type: str, labels: tuple[str, ...], start: int, end: int, line: int, depth: int) -> None:
        self.type = type  # block type; "" for a top-level attribute (tfvars)
        self.labels = labels  # unquoted block labels; (name,) for an attribute
        self.start = start
        self.end = end
        self.line = line  # 1-based line of ``start``
        self.depth = depth  # deepest ( [ { nesting, ``${`` / ``%{`` in quoted strings included


_IDENT = r'[A-Za-z_][A-Za-z0-9_-]*(?![A-Za-z0-9_-])'
# A label python-hcl2 and Terraform both read literally: no escapes, no templates.
_QLABEL = r'"[^"\\\r\n$%]*(?:[$%]+(?![$%{])[^"\\\r\n$%]*)*"'
# `name =` or `type label... {`; the brace must be on this line (Terraform requires it,
# python-hcl2 would also take it on the next).
_HEADER = re.compile(
    rf'(?P<name>{_IDENT})(?:[ \t]*(?P<eq>=)(?![=>])'
    rf'|(?P<labels>(?:[ \t]*(?:{_QLABEL}|{_IDENT}))*)[ \t]*\{{)')
# `type label... {`: a block whose body ``lexer.bracketed`` may read in one match.
_BLOCK = re.compile(rf'(?P<name>{_IDENT})(?P<labels>(?:[ \t]*(?:{_QLABEL}|{_IDENT}))*)[ \t]*\{{')
_LABEL = re.compile(r'"([^"]*)"|([A-Za-z_][A-Za-z0-9_-]*)')
# Between items: blanks, newlines, comments. An unterminated /* stops it.
_GAP = re.compile(r'(?:[ \t\n]+|\r(?=\n)|#[^\n]*|//[^\n]*|/\*.*?\*/)*', re.DOTALL)
# What may follow a block's `}` on its last line. (Written so that a failing
# match cannot backtrack exponentially.)
_TRAIL = re.compile(r'[ \t\r]*(?:/\*(?:[^*\n]|\*(?!/))*\*/[ \t\r]*)*(?:(?:#|//)[^\n]*)?(?:\n|\Z)')

# The common top-level attributes, one match each. Patterns, compiled (by ``re``'s cache) when a
# file first has a top-level attribute: a .tf file has none, and compiling them costs ~2 ms.
# `name = "string" | number | bool | reference` alone on its line (comment allowed).
_SIMPLE_ATTRIBUTE = (
    rf'({_IDENT})[ \t]*=(?![=>])[ \t]*(?:{lexer.SIMPLE_STRING}'
    r'|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![\w.])'
    r'|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?![\w.-]))'
    r'[ \t\r]*(?:(?:#|//)[^\n]*)?(?:\n|\Z)')


def _possessive(pattern: str, name: str) -> str:
    # Python < 3.11 has no `*+`: a lookahead is atomic, the backreference consumes it.
    return f'(?=(?P<{name}>{pattern}))(?P={name})'


def _bracketed() -> str:
    """``[...]`` or ``{...}`` holding plain code and at most one more level of brackets."""
    names = iter(range(100))  # each possessive group needs a name of its own
    def plain() -> str:
        return _possessive(lexer.PLAIN, f'p{next(names)}')
    def inner(name: str) -> str:
        return rf'(?P<{name}>\[{plain()}\]|\{{{plain()}\}}|\({plain()}\))'
    return (rf'\[{plain()}(?:{inner("i")}{plain()})*\]'
            rf'|\{{{plain()}(?:{inner("j")}{plain()})*\}}')


# `name = [...]` / `name = {...}`, two levels at most, no templates or heredocs in it.
_BRACKETED_ATTRIBUTE = (
    rf'(?s)({_IDENT})[ \t]*=(?![=>])[ \t]*(?:{_bracketed()})'
    r'[ \t\r]*(?:(?:#|//)[^\n]*)?(?:\n|\Z)')
# A block whose brackets nest deeper is lexed token by token.
_FAST_DEPTH = 32
# A top-level expression line that ends like this continues on the next (or is broken).
_CONTINUES = frozenset('=+-*/%&|<>!?:,.~\\')
# At the top level of an attribute, an operand right after another operand: not
# Terraform, and python-hcl2 would start a new item there (`x = 1 y = 2`).
_JUXTAPOSED = re.compile(
    r'[\w"\])}]\s+[\w"\[({]|["\])}][\w"({]|\w["{]|\.\*\s*[\w"({]'
    r'|(?<![\w.])\d[\d.]*(?![eE][+-]?\d)[A-Za-z_]')


def chunks(text: str) -> list[Chunk] | None:
    """The top-level items of HCL ``text``, or None when the lexer is not sure of the split."""
    out: list[Chunk] = []
    n = len(text)
    pos = 0
    line = 1
    counted = 0
    blocks = _OneMatchBlocks(text)
    while True:
        gap = _GAP.match(text, pos)
        gap_end = gap.end() if gap else pos
        if gap_end >= n:
            return out
        start = text.rfind('\n', 0, gap_end) + 1
        if start > pos and text.find('*', pos, start) >= 0:  # no /* */ may reach into the item's first line
            before = _GAP.match(text, pos, start)
            if before is None or before.end() != start:
                return None
        pos = gap_end
        if (block := blocks.read(pos)) is not None:  # the common block, in one match
            header, end, depth = block
            kind = header.group('name')
            labels = tuple(q or i for q, i in _LABEL.findall(header.group('labels')))
        elif (m := _HEADER.match(text, pos)) is None:
            return None
        elif m.group('eq'):  # (the attribute patterns start as the header's `name =` does)
            scanned = _attribute(text, pos, m.end(), n)
            if scanned is None:
                return None
            end, depth = scanned
            kind, labels = '', (m.group('name'),)
        else:
            scanned = _lex_code(text, m.end(), n, ['{'])
            if scanned is None:
                return None
            trail = _TRAIL.match(text, scanned[0])
            if trail is None:
                return None
            end, depth = trail.end(), scanned[1]
            kind = m.group('name')
            labels = tuple(q or i for q, i in _LABEL.findall(m.group('labels')))
        line += text.count('\n', counted, start)
        counted = start
        out.append(Chunk(kind, labels, start, end, line, depth))
        pos = end


def _attribute(text: str, pos: int, expression: int, limit: int) -> tuple[int, int] | None:
    """(end, deepest nesting) of the top-level attribute at ``pos`` whose expression starts at
    ``expression``: a common tfvars line in one match, else token by token; None when not sure."""
    m = re.compile(_SIMPLE_ATTRIBUTE).match(text, pos)
    if m is not None:
        return m.end(), 0
    m = re.compile(_BRACKETED_ATTRIBUTE).match(text, pos)
    if m is not None:
        return m.end(), 1 if m.group('i') is None and m.group('j') is None else 2
    return _lex_code(text, expression, limit, [])


class _OneMatchBlocks:
    """Blocks whose body ``lexer.bracketed`` reads in one match, up to a line starting with `}`.

    When that match reads further than the block (its `}` is not the first on
    a line), the tokens read the block again: such reads stop once they sum up
    to the text's length, so a file of them costs linear time too.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.masked: bytes | None = None  # lexer.mask(text), once a block needs it
        self.wasted = 0

    def read(self, pos: int) -> tuple[re.Match[str], int, int] | None:
        """(header, end, depth) of the block at ``pos`` as ``_lex_code`` would read it, or None."""
        text = self.text
        m = _BLOCK.match(text, pos) if self.wasted < len(text) else None
        if m is None:
            return None
        if self.masked is None:
            self.masked = lexer.mask(text)
        body_end, nesting = lexer.bracketed(self.masked, m.end(), _FAST_DEPTH)
        if nesting is not None and text.startswith('\n}', body_end):
            trail = _TRAIL.match(text, body_end + 2)
            if trail is not None:
                return m, trail.end(), nesting + 1
        self.wasted += body_end - pos
        return None


_STRING_CHECKED = frozenset({'template', 'escape', 'escaped_template'})


def _lex_code(text: str, pos: int, limit: int, stack: list[str]) -> tuple[int, int] | None:
    """Lex code from ``pos``; return (end, deepest nesting) or None.

    With an empty ``stack`` this is an attribute's expression: it ends past the
    first newline outside brackets (or at ``limit``). Otherwise it ends just
    past the bracket that empties ``stack`` (``['{']`` for a block body,
    ``['$']`` for a template interpolation); see ``lexer.tokens`` for the stack.
    """
    nested = bool(stack)
    depth = deepest = len(stack)  # brackets and interpolations open
    # For an attribute: its top-level text with strings and brackets elided,
    # and the comments in it, to judge where it ends.
    skeleton: list[str] = []
    comments: list[tuple[int, int]] = []
    at_top = not stack
    for kind, start, pos_after, heredoc in lexer.tokens(text, pos, limit, stack, detail=False):
        if at_top:
            skeleton.append(text[pos:start])
        pos = pos_after
        if kind in _STRING_CHECKED and not _string_token_agrees(text, kind, start, pos, limit):
            return None
        if kind in ('open', 'template'):
            depth += 1
            if depth > deepest:
                deepest = depth
            if at_top:
                skeleton.append(text[start])
        elif kind in ('close', 'template_end', 'unquote'):
            if kind != 'unquote':
                depth -= 1
            if not stack:
                if nested:
                    return pos, deepest
                skeleton.append(text[start])
        elif kind == 'newline':  # (the lexer skips newlines inside brackets)
            return (pos, deepest) if _ends(text, start, comments, skeleton) else None
        elif kind == 'comment':  # (inside brackets the lexer skips comments)
            if '\n' in text[start:pos]:  # python-hcl2 takes it for a newline, Terraform not
                return None
            comments.append((start, pos))
            skeleton.append(' ')
        elif kind == 'heredoc':
            assert heredoc is not None
            if not _heredoc_agrees(text, heredoc):
                return None
            if not stack:  # the heredoc took the newline that ends the attribute
                skeleton.append('"')
                return None if _JUXTAPOSED.search(''.join(skeleton)) else (pos, deepest)
        elif kind in lexer.DOUBTFUL:
            return None
        at_top = not stack
    if stack:
        return None
    skeleton.append(text[pos:limit])
    return (limit, deepest) if _ends(text, limit, comments, skeleton) else None


def _string_token_agrees(text: str, kind: str, start: int, end: int, limit: int) -> bool:
    """Whether python-hcl2 reads this token of a quoted string (``text[start:end]``) as Terraform does."""
    if kind == 'escape':
        return text[start + 1] != '\r'
    run = text[start:end - 1]
    if kind == 'template':
        return run in ('$', '%')
    # python-hcl2 reads the escape up to the next `}`; Terraform reads `${` only:
    # they agree unless a quote or newline is in between.
    close = text.find('}', end, limit)
    return run in ('$$', '%%') and close >= 0 and '"' not in text[end:close] and '\n' not in text[end:close]


def _ends(text: str, end: int, comments: list[tuple[int, int]], skeleton: list[str]) -> bool:
    """Whether an attribute's expression, ending at ``end``, is complete and alone."""
    p = end
    while True:  # back over blanks and comments; the `=` stops it at the latest
        if comments and comments[-1][1] == p:
            p = comments.pop()[0]
        elif text[p - 1] in ' \t\r':
            p -= 1
        else:
            break
    return text[p - 1] not in _CONTINUES and _JUXTAPOSED.search(''.join(skeleton)) is None


def _heredoc_agrees(text: str, h: lexer.Heredoc) -> bool:
    """Whether python-hcl2 closes the heredoc where Terraform does.

    Terraform closes at the first line that is the marker once blanks are
    trimmed; python-hcl2 at the first one with blanks before it only (its
    token is a regex that does not look at interpolations). Both agree when
    that first line has no trailing blanks and no interpolation in the body
    spans lines.
    """
    return h.closed and re.fullmatch(r'[ \t]*' + re.escape(h.marker) + r'\r?\n?', text[h.close:h.end]) is not None \
        and _one_line_templates(text, h.body, h.close)


def _one_line_templates(text: str, pos: int, stop: int) -> bool:
    """Whether every ``${`` / ``%{`` in a heredoc body closes on its own line."""
    while True:
        m = lexer.TEMPLATE_START.search(text, pos, stop)
        if m is None:
            return True
        run = m.group()[:-1]
        if run in ('$$', '%%'):
            pos = m.end()
            continue
        if run not in ('$', '%'):
            return False
        eol = text.find('\n', m.end(), stop)
        scanned = _lex_code(text, m.end(), stop if eol < 0 else eol, ['$'])
        if scanned is None:
            return False
        pos = scanned[0]
