"""Terraform's regular expressions: Go's ``regexp`` (RE2 syntax, linear time) over Google's RE2.

``regex``, ``regexall`` and ``replace`` with a ``/pattern/`` are Go's
``FindStringSubmatch``, ``FindAllStringSubmatch`` and ``ReplaceAllString``.
RE2 and Go share the syntax and the leftmost-first semantics, and RE2 never
backtracks, so ``^(a+)+$`` answers at once. What Python's ``re`` wrappers would
do differently is written out here: Go's rules for empty matches and its
``$name`` / ``${name}`` replacement expansion. A pattern RE2 rejects (or that
only RE2 accepts) gives ``None``: unverified, not Terraform's error.
"""
from __future__ import annotations

import re
from typing import Any

import re2

Match = Any  # re2's match and pattern objects: google-re2 ships no type information
Pattern = Any

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print a bad pattern to stderr
# \C (any byte) is RE2's own: Go rejects it
_RE2_ONLY = re.compile(r'(?<!\\)(?:\\\\)*\\C')


class TooMany(Exception):
    """More matches than the caller wants to build."""


def compile_pattern(pattern: str) -> Any | None:
    """The compiled pattern, or None when Go's verdict on it is not certain."""
    if _RE2_ONLY.search(pattern):
        return None
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error:
        return None


def names(rx: Any) -> dict[int, str]:
    """Capture group number -> name, for the named groups."""
    return {int(i): str(n) for n, i in rx.groupindex.items()}


def matches(rx: Any, text: str, limit: int) -> list[Match]:
    """Go's ``allMatches``: an empty match right after a match is skipped."""
    out: list[Match] = []
    pos, prev_end = 0, -1
    while pos <= len(text):
        m = rx.search(text, pos)
        if m is None:
            break
        start, end = m.span()
        accept = True
        if end == pos:  # empty, here: step one character (a rune: Python indexes runes)
            pos += 1
            accept = start != prev_end
        else:
            pos = end
        prev_end = end
        if accept:
            out.append(m)
            if len(out) > limit:
                raise TooMany
    return out


def replace_all(rx: Any, text: str, template: str, limit: int) -> str:
    """Go's ``ReplaceAllString``; ``TooMany`` when the result would pass ``limit`` characters."""
    groups = names(rx)
    out: list[str] = []
    size, last, pos = 0, 0, 0
    while pos <= len(text):
        m = rx.search(text, pos)
        if m is None:
            break
        start, end = m.span()
        out.append(text[last:start])
        if end > last or start == 0:  # no replacement for an empty match right after a match
            out.append(expand(template, m, groups))
        size += len(out[-1]) + start - last
        if size > limit:
            raise TooMany
        last = end
        pos = pos + 1 if pos + 1 > end else end
    out.append(text[last:])
    return ''.join(out)


_NAME = re.compile(r'\{(\w+)\}|(\w+)')


def expand(template: str, m: Match, groups: dict[int, str]) -> str:
    """Go's ``Regexp.Expand``: ``$1``, ``${1}``, ``$name``; ``$1x`` is the group named ``1x``."""
    out: list[str] = []
    i = 0
    while True:
        j = template.find('$', i)
        if j < 0:
            break
        out.append(template[i:j])
        if template.startswith('$$', j):
            out.append('$')
            i = j + 2
            continue
        ref = _NAME.match(template, j + 1)
        if ref is None:  # malformed: the $ is text
            out.append('$')
            i = j + 1
            continue
        i = ref.end()
        out.append(_group(m, ref.group(1) or ref.group(2), groups))
    out.append(template[i:])
    return ''.join(out)


def _group(m: Match, name: str, groups: dict[int, str]) -> str:
    if name.isascii() and name.isdigit() and (name == '0' or not name.startswith('0')):
        n = int(name)  # a number, unless it has leading zeros
        if n <= len(m.groups()) and m.group(n) is not None:
            return str(m.group(n))
        return ''
    for n, group_name in sorted(groups.items()):
        if group_name == name:
            return str(m.group(n)) if m.group(n) is not None else ''
    return ''


def submatches(rx: Any, m: Match) -> object:
    """One match as Terraform returns it: the text, a list of captures, or a map of named ones."""
    if rx.groups == 0:
        return m.group(0)
    groups = names(rx)
    if not groups:
        return [m.group(i) for i in range(1, rx.groups + 1)]
    return {name: m.group(i) for i, name in sorted(groups.items())}


def mixed_groups(rx: Any) -> bool:
    """Terraform refuses a pattern with named and unnamed capture groups."""
    named, total = len(rx.groupindex), int(rx.groups)
    return 0 < named < total
