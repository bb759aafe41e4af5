"""``--fix``: rewrite the literal a non-compliant ``log_disconnections`` value comes from to ``"on"``.

Three steps, the first two pure:

* ``edits_for`` picks, per file, the literal spans to rewrite, and explains
  (as a ``Note``) every non-compliant result it will not fix;
* ``fix_text`` splices ``"on"`` into those spans, keeping every other character;
* ``apply`` re-reads each file, checks the spans still hold the literals that
  were judged, and replaces the file atomically when its text changed.

Only files that were passed are written: pre-commit splits the file list
across processes, and only the process given a file may rewrite it.
"""
from __future__ import annotations

import os
import re
import stat

from check_postgresql_log_disconnections import files, lexer, rule
from check_postgresql_log_disconnections.results import Change, Note, Report, Result
from check_postgresql_log_disconnections.syntax import Span

_BOM = '\ufeff'.encode()

_NUMBER = r'-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?'
_BARE_RE = re.compile(rf'(?:true|false|null|{_NUMBER})')
_QUOTED_RE = re.compile(r'"[^\r\n]*"')

# --- planning --------------------------------------------------------------------

def _literal(result: Result) -> Span:
    return result.origin if result.origin is not None else result.location


def _note(result: Result, text: str) -> Note:
    at = result.location
    return Note(at.path, at.line, at.column, f'{result.address}: not fixed: {text}')


def _why_not(result: Result, passed: set[str]) -> str | None:
    """Why a non-compliant result cannot be fixed; None when it can."""
    lit = _literal(result)
    if not result.value_known and result.location == result.block:
        return rule.not_set_hint(result.resource_type)
    if not result.fixable:
        return rule.fix_by_hand()
    if result.shared and result.shared_via:
        return (f'the literal at {lit.path}:{lit.line} is also read through {result.shared_via} elsewhere; '
                f'change it by hand (give this setting its own "on")')
    if result.shared:
        return f'the literal at {lit.path}:{lit.line} also feeds another setting; change it by hand'
    if '.terraform' in lit.path.replace('\\', '/').split('/'):
        return (f'the value is in a module terraform init installed ({lit.path}:{lit.line}); '
                'change the module call or its version')
    if lit.path not in passed:
        return f'the value comes from {lit.path}:{lit.line}, which was not passed; run the hook on it to fix'
    return None


def edits_for(results: list[Result], passed: set[str]) -> tuple[dict[str, list[Span]], list[Note]]:
    """The literal spans to rewrite per file (sorted, without duplicates), and why the rest are not fixed.

    Compliant and suppressed results are left alone silently; every other one
    is either planned or explained by a ``Note``.
    """
    edits: dict[str, list[Span]] = {}
    notes: list[Note] = []
    for r in results:
        # an unverified result already says why on its own line
        if r.status != 'noncompliant' or r.suppressed:
            continue
        why = _why_not(r, passed)
        if why is not None:
            notes.append(_note(r, why))
            continue
        lit = _literal(r)
        spans = edits.setdefault(lit.path, [])
        if lit not in spans:
            spans.append(lit)
    for spans in edits.values():
        spans.sort(key=lambda sp: (sp.start, sp.end))
    return edits, list(dict.fromkeys(notes))


# --- splicing --------------------------------------------------------------------

def replacement(source: str) -> str | None:
    """What the literal whose source text is ``source`` becomes, or None when it is no literal."""
    if _QUOTED_RE.fullmatch(source) or _BARE_RE.fullmatch(source):
        return rule.REPLACEMENT
    h = lexer.heredoc(source, 0)
    # the closing line ends the span, with the newline(s) after the marker that the span took in
    m = h and h.closed and re.fullmatch(r'[ \t]*' + re.escape(h.marker) + r'([\r\n]*)', source[h.close:])
    if m:
        # Terraform's heredoc value ends with a newline, so "on\n" would still be
        # non-compliant: the whole heredoc becomes "on", keeping the newline(s)
        # after the closing marker that the span took in.
        return rule.REPLACEMENT + m.group(1)
    return None


def _merged(spans: list[Span]) -> list[Span]:
    """Spans by position, duplicates and spans inside another dropped; partial overlaps refused."""
    out: list[Span] = []
    for sp in sorted(spans, key=lambda x: (x.start, -x.end)):
        if out and sp.start < out[-1].end:
            if sp.end <= out[-1].end:
                continue  # the same literal again (it feeds several instances), or inside one
            raise ValueError(f'{sp.path}:{sp.line}:{sp.column}: overlapping edits')
        out.append(sp)
    return out


def fix_text(text: str, spans: list[Span]) -> str:
    """``text`` with each literal span rewritten to ``"on"``; every other character kept.

    Raises ``ValueError`` when a span is out of range or does not hold a
    literal (a quoted string, a heredoc, ``true``/``false``/``null`` or a number).
    """
    out = text
    for sp in reversed(_merged(spans)):
        if not 0 <= sp.start < sp.end <= len(text):
            raise ValueError(f'{sp.path}:{sp.line}:{sp.column}: span outside the file')
        new = replacement(text[sp.start:sp.end])
        if new is None:
            raise ValueError(f'{sp.path}:{sp.line}:{sp.column}: not a literal: {text[sp.start:sp.end][:40]!r}')
        out = out[:sp.start] + new + out[sp.end:]
    return out


# --- writing ---------------------------------------------------------------------

def _expected(results: list[Result], passed: set[str]) -> dict[tuple[str, int, int], object]:
    """The value each planned literal had when it was judged."""
    return {(lit.path, lit.start, lit.end): r.value
            for r in results
            if r.status == 'noncompliant' and not r.suppressed and _why_not(r, passed) is None
            for lit in [_literal(r)]}


def _still_there(text: str, sp: Span, value: object) -> bool:
    """The span still holds the literal that was judged (the file may have changed since)."""
    if not 0 <= sp.start < sp.end <= len(text):
        return False
    source = text[sp.start:sp.end]
    if replacement(source) is None:
        return False
    body = source[1:-1]
    if source.startswith('"') and isinstance(value, str) and '\\' not in body and '$$' not in body \
            and '%%' not in body:
        return body == value
    return True


def _write(path: str, old: bytes, new: bytes) -> str | None:
    """Write ``new`` over ``path``, which held ``old`` when it was checked; why not, or None when written.

    A read-only file is not written: its mode says so. A file with several hard
    links is rewritten in place, so every name sees the fix (a rename would
    leave the other names with the old text); everything else is replaced
    atomically (a temporary file, ``fsync``, rename), keeping its mode.
    """
    st = os.lstat(path)
    if not st.st_mode & 0o222:
        return f'{path} is read-only; make it writable to let --fix rewrite it'
    if st.st_nlink > 1:
        return _write_in_place(path, st, old, new)
    files.write_atomically(path, new)
    return None


def _write_in_place(path: str, st: os.stat_result, old: bytes, new: bytes) -> str | None:
    flags = os.O_RDWR | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_NONBLOCK', 0) | getattr(os, 'O_BINARY', 0)
    with open(os.open(path, flags), 'r+b') as f:
        now = os.fstat(f.fileno())
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino) or not stat.S_ISREG(now.st_mode) \
                or f.read(len(old) + 1) != old:  # the atomic check: still the file and the bytes judged
            return f'{path} changed while it was being checked; run the hook again'
        f.seek(0)
        f.write(new)
        f.truncate()
        f.flush()
        os.fsync(f.fileno())
    return None


def _fix_file(path: str, spans: list[Span], expected: dict[tuple[str, int, int], object]) -> Note | bool:
    """Rewrite one file; True when written, False when unchanged, a Note when it cannot be fixed."""
    first = spans[0]

    def note(text: str) -> Note:
        return Note(path, first.line, first.column, text)

    if os.path.islink(path):
        return note(f'not fixed: {path} is a symbolic link and is not rewritten; run the hook on the file it '
                    'points to')
    src = files.read(path)
    if not isinstance(src, files.Source):
        return note(f'not fixed: cannot read {path}: {src.reason}')
    for sp in spans:
        if not _still_there(src.text, sp, expected.get((sp.path, sp.start, sp.end))):
            return Note(path, sp.line, sp.column,
                        f'not fixed: the text at {path}:{sp.line} is no longer the literal that was checked '
                        '(changed since?); run the hook again')
    try:
        new = fix_text(src.text, spans)
    except ValueError as e:
        return note(f'not fixed: {e}')
    if new == src.text:
        return False
    bom = _BOM if src.bom else b''
    try:
        why = _write(path, bom + src.text.encode('utf-8'), bom + new.encode('utf-8'))
    except OSError as e:
        why = f'cannot write {path}: {e.strerror or e}'
    return True if why is None else note(f'not fixed: {why}')


def changes(results: list[Result], changed: set[str], passed: set[str]) -> list[Change]:
    """What was rewritten in the ``changed`` files: one ``Change`` per literal, by position."""
    fed: dict[Span, list[Result]] = {}
    for r in results:
        if r.status == 'noncompliant' and not r.suppressed and _why_not(r, passed) is None \
                and _literal(r).path in changed:
            fed.setdefault(_literal(r), []).append(r)
    out = []
    for lit, rs in fed.items():
        what = rs[0].origin_what if rs[0].origin is not None else ''
        out.append(Change(lit.path, lit.line, lit.column, rs[0].value, what,
                          tuple(sorted({r.address for r in rs}))))
    return sorted(out, key=lambda c: (c.path, c.line, c.column))


def apply(report: Report) -> list[str]:
    """Fix what can be fixed in the files that were passed; returns the rewritten paths, sorted.

    Notes for what is not fixed are appended to ``report.notes``; the
    rewritten paths are added to ``report.fixed``.
    """
    passed = set(report.files)
    edits, notes = edits_for(report.results, passed)
    expected = _expected(report.results, passed)
    broken = {e.path: e for e in report.errors if e.kind in ('parse', 'limit')}
    changed: list[str] = []
    for path in sorted(edits):
        if path in broken:  # a file that does not parse is never rewritten
            e = broken[path]
            notes.append(Note(path, e.line, e.column, 'not fixed: part of this file could not be parsed'))
            continue
        done = _fix_file(path, edits[path], expected)
        if isinstance(done, Note):
            notes.append(done)
        elif done:
            changed.append(path)
    report.notes.extend(n for n in dict.fromkeys(notes) if n not in report.notes)
    report.fixed.extend(p for p in changed if p not in report.fixed)
    report.changes.extend(changes(report.results, set(changed), passed))
    return changed
