"""Long-running fuzzer for the hook: ``python -m testing.fuzz --minutes 10`` (or ``--count N``).

Not part of the test run. It takes realistic Terraform -- the project's
``examples/``, the Terraform fixture strings in ``tests/*_test.py``, a few
modules written below, and a small monorepo from ``testing.corpus`` --
splices top-level blocks from different files together, mutates the bytes
(truncation, stray braces and quotes, merge-conflict markers, NUL bytes,
invalid UTF-8, BOMs in the middle, huge identifiers, deep nesting, CRLF, lone
CR, huge numbers...), sometimes adds symbolic links (a module directory that
links to itself, a module source or a ``.tf`` file that links out of the
repository), sometimes a hostile name: a file named like an option
(``--output=m/main.tf``) passed as pre-commit passes it, after
``--pre-commit`` and the options; a file name that is not UTF-8 or holds
control characters; a named pipe (FIFO) beside the module, passed, walked or
given as ``--var-file``. It runs the hook's ``main()`` in-process on each
input, in a pool of worker processes. Every input must keep the invariants of issue 6:

* no exception escapes ``main()`` (a traceback is a *crash*);
* it returns within ``--timeout`` seconds (else the worker is killed: a *hang*);
* the exit code is 0 or 1, and 1 exactly when a blocking line is printed;
  nothing reaches stderr; every text line has a documented form
  (``LINE_RE``); JSON and SARIF output parse;
* without ``--fix`` no file changes; with ``--fix`` the only changes are the
  literals that a ``--format json`` run just before called ``fixable``, in
  files that were passed, each replaced by ``"on"``; a file with a read or
  parse error is never rewritten; no file is created or removed; a second
  ``--fix`` changes nothing;
* no result comes from a file outside the repository, and nothing is written
  outside it;
* a name passed after ``--pre-commit`` is a file: the output is the same as
  when the name is given as ``./NAME`` after ``--``;
* no "internal error" line (a bug the hook caught) is printed: it counts as a crash.

Input ``i`` of seed ``S`` is generated from ``random.Random(f'{S}:{i}')`` alone,
so a run is reproducible and any input can be regenerated. A failing input is
saved under ``--save DIR`` (files, ``case.json`` with the argv, ``failure.txt``
with the traceback or violation); ``--replay DIR/<case>`` runs one again,
in-process, and prints what happens.

``tests/fuzz_test.py`` imports the invariant checks and the mutation set from
here, so the bounded property tests and this fuzzer check the same things.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import multiprocessing
import multiprocessing.connection
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RULE_ID = '07f7134f-9f37-476e-8664-670c218e4702'
BOM = b'\xef\xbb\xbf'


# =====================================================================================
# invariants

class Violation(AssertionError):
    """An invariant of issue 6 does not hold."""


class Crash(Exception):
    """Something escaped ``main()``; ``str()`` is the traceback."""


class Hang(BaseException):  # not an Exception: nothing in the hook may swallow it
    pass


def _require(ok: object, message: str) -> None:
    if not ok:
        raise Violation(message)


# One regex for every line text output may hold (see hooks/report.py):
#   PATH:LINE:COL: ADDRESS: log_disconnections is VALUE[, expected "on"][ (value from ...)] [RULE_ID]
#   PATH:LINE:COL: unverified: ADDRESS: REASON [RULE_ID]
#   PATH:LINE:COL: suppressed (FORM): MESSAGE [RULE_ID]
#   PATH[:LINE[:COL]]: cannot parse Terraform: REASON
#   PATH: cannot read: REASON
#   PATH[:LINE[:COL]]: note: TEXT
#   PATH: symbolic link points outside the repository: not followed
#   PATH: is outside the repository: not followed
#   PATH: --var-file is outside the repository: not read
#   PATH: internal error while checking this module (TYPE: TEXT); please report it
#   Fixing PATH
#   PATH:LINE:COL: VALUE -> "on" ([WHAT, ]for ADDRESS[, ADDRESS...])    (after its Fixing line)
#   N suppressed finding(s)
# The named group that matched (``m.lastgroup``) says what kind of line it is.
LINE_RE = re.compile(
    r'(?P<fixing>Fixing [^\n]+)'
    r'|(?P<count>[1-9][0-9]* suppressed finding\(s\))'
    r'|(?P<path>[^:\n]+)(?::(?P<line>[1-9][0-9]*)(?::(?P<col>[1-9][0-9]*))?)?: (?:'
    rf'(?P<unverified>unverified: [^\n]+ \[{RULE_ID}\])'
    rf'|(?P<suppressed>suppressed \([^\n]+?\): [^\n]+ \[{RULE_ID}\])'
    rf'|(?P<finding>[^\n]+: log_disconnections is [^\n]+ \[{RULE_ID}\])'
    r'|(?P<error>cannot parse Terraform: [^\n]+|cannot read: [^\n]+'
    r'|(?:symbolic link points|is) outside the repository: not followed'
    r'|--var-file is outside the repository: not read)'
    r'|(?P<change>[^\n]+ -> "on" \((?:[^\n]+, )?for [^\n]+\))'
    r'|(?P<internal>internal error while checking this module \([^\n]+\); please report it)'
    r'|(?P<note>note: [^\n]+))')


def check_text_output(out: str, rc: int, *, unresolved: str = 'warn') -> list[re.Match[str]]:
    """Every line has a documented form; the exit code is 1 exactly when a line blocks."""
    _require(out == '' or out.endswith('\n'), f'output does not end with a newline: {out[-200:]!r}')
    matches = []
    for line in out.splitlines():
        _require(line.isprintable(), f'unprintable character in output line {line!r}')
        m = LINE_RE.fullmatch(line)
        _require(m is not None, f'undocumented output line: {line!r}')
        assert m is not None
        if m['error'] and m['error'].startswith('cannot read'):
            _require(m['line'] is None, f'"cannot read" with a position: {line!r}')
        matches.append(m)
    blocking = {'fixing', 'finding', 'error', 'internal'} | ({'unverified'} if unresolved == 'fail' else set())
    blocked = any(m.lastgroup in blocking for m in matches)
    _require(rc == (1 if blocked else 0), f'exit code {rc} for this output:\n{out}')
    return matches


def internal_errors(out: str) -> list[str]:
    """The hook's own 'internal error' lines (a bug it caught), in any format."""
    return [x.strip() for x in out.splitlines() if 'internal error while checking this module' in x]


def check_json_output(out: str, rc: int, *, unresolved: str = 'warn') -> dict[str, Any]:
    try:
        doc: dict[str, Any] = json.loads(out)
    except ValueError as e:
        raise Violation(f'--format json output does not parse: {e}: {out[:300]!r}') from None
    _require(doc.get('version') == 1, 'JSON version is not 1')
    summary = doc['summary']
    _require(summary['errors'] == len(doc['errors']), f'summary {summary} does not count the errors')
    blocked = bool(doc['errors'] or doc['fixed'] or summary['noncompliant']
                   or (unresolved == 'fail' and summary['unverified']))
    _require(rc == (1 if blocked else 0), f'exit code {rc} for JSON summary {summary}, fixed {doc["fixed"]} '
                                          f'(--unresolved {unresolved})')
    return doc


def check_sarif_output(out: str, rc: int) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = json.loads(out)
    except ValueError as e:
        raise Violation(f'--format sarif output does not parse: {e}: {out[:300]!r}') from None
    _require(doc.get('version') == '2.1.0' and len(doc.get('runs', ())) == 1, 'not one SARIF 2.1.0 run')
    for artifact in _artifact_locations(doc['runs'][0].get('results', [])):
        uri = artifact.get('uri', '')
        _require(artifact.get('uriBaseId') == '%SRCROOT%' and ':' not in uri and not uri.startswith('/'),
                 f'SARIF uri {uri!r} is not a relative reference under %SRCROOT%')
    for result in doc['runs'][0].get('results', []):
        _require('suppressions' not in result, 'a suppressed result in SARIF (GitHub shows it as an open alert)')
    return doc


def _artifact_locations(node: object) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get('artifactLocation'), dict):
            yield node['artifactLocation']
        for value in node.values():
            yield from _artifact_locations(value)
    elif isinstance(node, list):
        for value in node:
            yield from _artifact_locations(value)


def check_output(out: str, rc: int, argv: Sequence[str]) -> None:
    """The output checks for whatever ``--format`` and ``--unresolved`` ``argv`` asks for."""
    fmt, unresolved = _option(argv, '--format', 'text'), _option(argv, '--unresolved', 'warn')
    if fmt == 'json':
        check_json_output(out, rc, unresolved=unresolved)
    elif fmt == 'sarif':
        check_sarif_output(out, rc)
    else:
        check_text_output(out, rc, unresolved=unresolved)


def _option(argv: Sequence[str], name: str, default: str) -> str:
    value = default
    for i, a in enumerate(argv[:-1]):
        if a == name:
            value = argv[i + 1]
    return value


# --- running main() ---------------------------------------------------------------

@contextlib.contextmanager
def time_limit(seconds: int | None) -> Iterator[None]:
    """Raise ``Hang`` after ``seconds`` (SIGALRM; only in the main thread, only where it exists)."""
    if not seconds or not hasattr(signal, 'SIGALRM'):
        yield
        return

    fired: list[bool] = []

    def on_alarm(signum: int, frame: object) -> None:
        # The exception can land in a finalizer (a generator closed by the garbage
        # collector), where Python swallows it: fire again until it sticks.
        fired.append(True)
        signal.alarm(1)
        raise Hang(f'main() took more than {seconds} s')

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    if fired:  # swallowed every time, and main() finished after all: still too slow
        raise Hang(f'main() took more than {seconds} s')


@contextlib.contextmanager
def in_dir(path: Path) -> Iterator[None]:
    """chdir for the duration, with PRE_COMMIT unset (a run must not depend on it)."""
    old = os.getcwd()
    saved = os.environ.pop('PRE_COMMIT', None)
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)
        if saved is not None:
            os.environ['PRE_COMMIT'] = saved


def run_main(root: Path, argv: list[str], *, limit: int | None = None) -> tuple[int, str]:
    """``main(argv)`` in ``root``: (exit code, stdout).

    Anything escaping ``main()`` (``SystemExit`` included: every argv here is
    valid), and an "internal error" line (a bug the hook caught and reported),
    becomes ``Crash``; output on stderr or an exit code other than 0/1 is a
    ``Violation``.
    """
    from check_postgresql_log_disconnections._main import main

    out, err = io.StringIO(), io.StringIO()
    with in_dir(root), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), time_limit(limit):
        try:
            rc = main(argv)
        except Hang:
            raise
        except BaseException as e:  # a traceback is exactly what must never happen
            raise Crash(f'main({argv!r}) raised:\n{traceback.format_exc()}') from e
    internal = internal_errors(out.getvalue())
    if internal:
        raise Crash(f'main({argv!r}) reported an internal error:\n' + '\n'.join(internal))
    _require(err.getvalue() == '', f'main({argv!r}) wrote to stderr: {err.getvalue()[:500]!r}')
    _require(rc in (0, 1), f'main({argv!r}) returned {rc!r}')
    return rc, out.getvalue()


def snapshot(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` (symbolic links not followed), by relative path."""
    out = {}
    for dirpath, _dirs, names in os.walk(root):
        for n in names:
            p = Path(dirpath, n)
            if p.is_file() and not p.is_symlink():  # never open a FIFO
                out[str(p.relative_to(root))] = p.read_bytes()
    return dict(sorted(out.items()))


def write_files(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


# --- what --fix may change -----------------------------------------------------------

def printable(path: str) -> str:
    """A path as the hook prints it (escaped like its messages)."""
    from check_postgresql_log_disconnections.render import printable as escape

    return escape(path)


def _decoded(data: bytes) -> str:
    return data[len(BOM):].decode('utf-8') if data.startswith(BOM) else data.decode('utf-8')


def _offset(text: str, line: int, column: int) -> int:
    """1-based line/column (lines end at \\n, columns count characters) -> 0-based offset."""
    start = 0
    for _ in range(line - 1):
        start = text.index('\n', start) + 1
    return start + column - 1


_LITERAL = re.compile(r'"[^\r\n]*"|true|false|null|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?'
                      r'|<<-?([A-Za-z][A-Za-z0-9._-]*)\r?\n(?:.*\n)?[ \t]*\1([\r\n]*)', re.DOTALL)

Spans = dict[str, set[tuple[int, int, int, int]]]


def fixable_spans(doc: dict[str, Any]) -> Spans:
    """file -> (line, column, end_line, end_column) of each literal a JSON report calls fixable."""
    out: Spans = {}
    for r in doc['results']:
        if r['fixable'] and r['status'] == 'noncompliant':  # --fix leaves suppressed results alone
            at = r['origin'] or r
            out.setdefault(at['file'], set()).add((at['line'], at['column'], at['end_line'], at['end_column']))
    return out


def expected_fix(data: bytes, spans: set[tuple[int, int, int, int]]) -> bytes:
    """``data`` with each span, which must hold a literal, replaced as --fix documents: ``"on"``,
    keeping the line ending(s) a heredoc's span takes in after its closing marker."""
    text = _decoded(data)
    for line, col, end_line, end_col in sorted(spans, reverse=True):
        start, end = _offset(text, line, col), _offset(text, end_line, end_col)
        m = _LITERAL.fullmatch(text, start, end)
        _require(m is not None, f'a fixable span {line}:{col}-{end_line}:{end_col} holds {text[start:end]!r}, '
                                'not a literal')
        assert m is not None
        text = text[:start] + '"on"' + (m.group(2) or '') + text[end:]
    return (BOM if data.startswith(BOM) else b'') + text.encode('utf-8')


def check_inside(out: str, argv: Sequence[str]) -> None:
    """No result may come from a file outside the repository (run from its root, such paths leave it)."""
    fmt = _option(argv, '--format', 'text')
    if fmt == 'text':
        paths = [m['path'] for m in map(LINE_RE.fullmatch, out.splitlines())
                 if m and m.lastgroup in ('finding', 'unverified', 'suppressed')]
        paths += re.findall(r'\(value from ([^:\n]+):', out)
    elif fmt == 'json':
        paths = [r['file'] for r in json.loads(out)['results']]
        paths += [r['origin']['file'] for r in json.loads(out)['results'] if r['origin']]
    else:
        return
    for p in paths:
        _require(not (p.startswith(('..', '/')) or os.path.isabs(p)), f'a result from outside the repository: {p}')


_VALUED = ('--format', '--unresolved', '--var', '--var-file', '--output', '--tool', '--plan')
_TF_NAME = re.compile(r'\.(tf|tofu|tfvars)(\.json)?$')


def passed_files(root: Path, argv: Sequence[str]) -> set[str]:
    """The files ``argv`` passes (directories walked as the hook walks them), relative to ``root``.

    After ``--``, and after ``--pre-commit``'s options (at the first item that
    does not start with ``-`` or that ends in a Terraform suffix), every item is a file.
    """
    out: set[str] = set()
    args = iter(argv)
    files_only = False
    for a in args:
        if not files_only:
            if a == '--':
                files_only = True
                continue
            if a in _VALUED:
                next(args, None)
                continue
            if a.startswith('-') and not (argv[:1] == ['--pre-commit'] and _TF_NAME.search(a)):
                continue
            files_only = argv[:1] == ['--pre-commit']
        if (root / a).is_dir() and not (root / a).is_symlink():
            for dirpath, dirs, names in os.walk(root / a):
                dirs[:] = [d for d in dirs if d not in ('.terraform', '.git')]
                out.update(os.path.relpath(os.path.join(dirpath, n), root) for n in names)
        else:
            out.add(os.path.normpath(a))
    return out


def _as_json(argv: list[str]) -> list[str]:
    """``argv`` asking for ``--format json`` (among the options: after ``--pre-commit``'s, items are files)."""
    out = list(argv)
    if '--format' in out[:-1]:
        out[out.index('--format') + 1] = 'json'
    elif out[:1] == ['--pre-commit']:
        out[1:1] = ['--format', 'json']
    else:
        out += ['--format', 'json']
    return out


def check_case(root: Path, argv: list[str], *, limit: int | None = None, same_as: list[str] | None = None) -> str:
    """Run ``main(argv)`` in ``root`` (files already written) and check every invariant; returns its output.

    With ``--fix`` in ``argv``: a ``--format json`` run without it first says
    what is fixable; the fix may change those literals (in files that were
    passed and have no error) and nothing else, and a second ``--fix`` must
    change nothing. ``same_as``: another argv that must print the same (without ``--fix``).
    """
    before = snapshot(root)
    if '--fix' not in argv:
        rc, out = run_main(root, argv, limit=limit)
        check_output(out, rc, argv)
        check_inside(out, argv)
        _require(snapshot(root) == before, f'main({argv!r}) changed a file without --fix')
        if same_as is not None:
            _require(run_main(root, same_as, limit=limit) == (rc, out),
                     f'main({argv!r}) and main({same_as!r}) differ: a file name acted as an option')
        return out
    plain = [a for a in argv if a != '--fix']
    rc, out = run_main(root, _as_json(plain), limit=limit)
    doc = check_json_output(out, rc, unresolved=_option(argv, '--unresolved', 'warn'))
    passed = passed_files(root, argv)  # --fix writes only those (see hooks/fix.py)...
    broken = {e['file'] for e in doc['errors']}  # ...and never a file it could not read or parse whole
    spans = {f: sp for f, sp in fixable_spans(doc).items() if f in passed and f not in broken}
    rc, out = run_main(root, argv, limit=limit)
    check_output(out, rc, argv)
    after = snapshot(root)
    _require(sorted(after) == sorted(before),
             f'--fix created or removed files: {sorted(set(after) ^ set(before))}')
    for name in before:
        display = os.path.normpath(name)
        expected = expected_fix(before[name], spans[display]) if display in spans else before[name]
        _require(after[name] == expected,
                 f'--fix changed {name} beyond the literals its report called fixable' if display in spans
                 else f'--fix rewrote {name}, in which its report found nothing fixable')
    if _option(argv, '--format', 'text') == 'text':
        fixing = {line[len('Fixing '):] for line in out.splitlines() if line.startswith('Fixing ')}
        changed = {printable(os.path.normpath(n)) for n in before if after[n] != before[n]}
        _require(fixing == changed, f'"Fixing" lines {sorted(fixing)} but changed files {sorted(changed)}')
    rc2, out2 = run_main(root, argv, limit=limit)
    check_output(out2, rc2, argv)
    _require(snapshot(root) == after, 'a second --fix changed files again (not idempotent)')
    return out


# =====================================================================================
# mutations (the same set the property tests draw from)

CONFLICT = b'<<<<<<< HEAD\n  value = "on"\n=======\n  value = "off"\n>>>>>>> feature\n'
INSERTS = (
    b'{', b'}', b'"', b'[', b']', b'(', b')', b'${', b'%{', b'=', b'\n', b'\\', b'\\u', b'/*', b'*/', b'#', b'//',
    b'<<EOT\n', b'\nEOT\n', b'<<-', b'<<<<<<< HEAD\n', b'=======\n', b'>>>>>>> feature\n', CONFLICT,
    b'\x00', b'\xff', b'\xc3(', b'\xed\xa0\x80', b'\x80', BOM, b'\r\n', b'\r', b'\t', b'\x0c',
    '\u202e'.encode(), '\u2028'.encode(), b'x' * 5000, b'log_disconnections' * 300,
    b'[' * 200 + b']' * 200, b'{' * 100, b'(' * 300, b'"${' * 70 + b'"', BOM * 3,
    b'resource "azurerm_postgresql_configuration" "z" {\n', b'module "self" {\n  source = "./"\n}\n',
    b'module "up" {\n  source = "../"\n}\n', b'module "out" {\n  source = "../../../elsewhere"\n}\n',
    b'  for_each = { for i in range(100000) : "k${i}" => "off" }\n',
)
MUTATIONS = ('truncate', 'insert', 'insert_random', 'delete', 'duplicate', 'byte', 'crlf', 'cr', 'number')
BIG_NUMBERS = (0, -1, 999, 10_000, 10_001, 100_000, 10 ** 9, 10 ** 30, 1.5, 1e308)
_DIGITS = re.compile(rb'[0-9]+')


def mutate(data: bytes, op: tuple[Any, ...]) -> bytes:
    """Apply one mutation. Positions are taken modulo the length, so any int will do.

    ``('truncate', pos)``, ``('insert', pos, blob)``, ``('delete', pos, n)``,
    ``('duplicate', pos, n, to)``, ``('byte', pos, value)``, ``('crlf',)`` (every
    line ending CRLF), ``('cr',)`` (every line ending a lone CR), ``('number', pos,
    value)`` (the first run of digits from ``pos`` on, or the last one, becomes ``value``).
    """
    kind = op[0]
    if kind == 'crlf':
        return data.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
    if kind == 'cr':
        return data.replace(b'\r\n', b'\n').replace(b'\n', b'\r')
    at = op[1] % (len(data) + 1)
    if kind == 'truncate':
        return data[:at]
    if kind == 'insert':
        blob: bytes = op[2]
        return data[:at] + blob + data[at:]
    if kind == 'delete':
        return data[:at] + data[at + op[2]:]
    if kind == 'duplicate':
        piece = data[at:at + op[2]]
        to = op[3] % (len(data) + 1)
        return data[:to] + piece + data[to:]
    if kind == 'byte':
        return data[:at] + bytes([op[2]]) + data[at + 1:] if data else bytes([op[2]])
    if kind == 'number':
        m = _DIGITS.search(data, at) or next(iter(reversed(list(_DIGITS.finditer(data)))), None)
        return data if m is None else data[:m.start()] + repr(op[2]).encode() + data[m.end():]
    raise ValueError(f'unknown mutation {op!r}')


def random_mutation(r: random.Random) -> tuple[Any, ...]:
    kind = r.choices(MUTATIONS, weights=(2, 6, 2, 3, 2, 3, 1, 1, 2))[0]
    pos = r.randrange(1 << 20)
    if kind == 'insert':
        return ('insert', pos, r.choice(INSERTS))
    if kind == 'insert_random':
        return ('insert', pos, bytes(r.randrange(256) for _ in range(r.randint(1, 8))))
    if kind == 'delete':
        return ('delete', pos, r.randint(1, 40))
    if kind == 'duplicate':
        return ('duplicate', pos, r.randint(1, 200), r.randrange(1 << 20))
    if kind == 'byte':
        return ('byte', pos, r.randrange(256))
    if kind == 'truncate':
        return ('truncate', pos)
    if kind == 'number':
        return ('number', pos, r.choice(BIG_NUMBERS))
    return (kind,)


# =====================================================================================
# evaluation bombs: regexes that backtrack in Python's re, values that double, large builds
# (each family stays harmless only while the evaluator's bounds hold; see tests/eval_bombs_test.py)

EVAL_BOMB_FAMILIES = ('regex', 'doubling_string', 'doubling_list', 'format_width', 'big_build')
_BACKTRACKING = ('^(a+)+$', '(a|aa)+$', '(a*)*b', '^(a|a?)+$', '(x+x+)+y', '^([a-z]+)*[0-9]$')
EVAL_BOMB_REASONS = ('value too large to evaluate', 'evaluation too large', 'collection too large to evaluate',
                     'is not one this check can verify', 'is not evaluated', 'Terraform would fail')


def eval_bomb(r: random.Random, family: str | None = None) -> str:
    """``locals`` and a configuration whose value would cost a naive evaluator minutes or gigabytes."""
    family = family or r.choice(EVAL_BOMB_FAMILIES)
    before, value = {'regex': _regex_bomb, 'doubling_string': _doubling_string, 'doubling_list': _doubling_list,
                     'format_width': _format_width, 'big_build': _big_build}[family](r)
    return (f'{before}resource "azurerm_postgresql_configuration" "bomb_{family}" {{\n'
            f'  name        = "log_disconnections"\n  server_name = "psql"\n  value       = {value}\n}}\n')


def _regex_bomb(r: random.Random) -> tuple[str, str]:
    subject = r.choice('ax') * r.randint(20, 300) + r.choice(('!', '', 'b', '0'))
    pattern = r.choice(_BACKTRACKING).replace('\\', '\\\\')
    call = r.choice((f'replace("{subject}", "/{pattern}/", "on")', f'regex("{pattern}", "{subject}")',
                     f'regexall("{pattern}", "{subject}")', f'can(regex("{pattern}", "{subject}")) ? "on" : "off"'))
    return '', call


def _doubling(r: random.Random, first: str, steps: tuple[str, ...]) -> tuple[str, str]:
    n = r.randint(10, 40)
    lines = [f'  d0 = {first}'] + [f'  d{i} = ' + r.choice(steps).format(p=f'local.d{i - 1}') for i in range(1, n + 1)]
    return 'locals {\n' + '\n'.join(lines) + '\n}\n', f'local.d{n}'


def _doubling_string(r: random.Random) -> tuple[str, str]:
    before, last = _doubling(r, '"off"', ('"${{{p}}}${{{p}}}"', '"${{{p}}}-${{{p}}}-${{{p}}}"',
                                          'join("", [{p}, {p}])', 'format("%s%s", {p}, {p})',
                                          'replace({p}, "o", {p})'))
    return before, r.choice((last, f'substr({last}, 0, 3)', f'length({last}) > 0 ? "on" : "off"'))


def _doubling_list(r: random.Random) -> tuple[str, str]:
    before, last = _doubling(r, '["off"]', ('[{p}, {p}]', 'concat({p}, {p})', '{{ a = {p}, b = {p} }}',
                                            'flatten([{p}, {p}])'))
    return before, r.choice((f'jsonencode({last})', f'length({last}) > 0 ? "on" : "off"', f'one(flatten({last}))'))


def _format_width(r: random.Random) -> tuple[str, str]:
    w = r.choice((10 ** 6, 10 ** 6 + 1, 10 ** 9 - 1, 2 ** 31, 10 ** 12))
    return '', r.choice((f'format("%0{w}d", 0)', f'format("%{w}s", "on")', f'format("%.{w}f", 1)',
                         f'format("%-{w}v|", "off")'))


def _big_build(r: random.Random) -> tuple[str, str]:
    a, b = r.choice((10, 100, 1000)), r.choice((10, 100, 1000))
    width = r.randint(1, 10 ** 6)
    before = f'locals {{\n  r = flatten([for i in range({a}) : range({b})])\n  s = format("%0{width}d", 0)\n}}\n'
    return before, r.choice((
        'length([for i in local.r : length(toset(local.r))]) > 0 ? "on" : "off"',
        'jsonencode([for i in local.r : local.r])',
        'length(jsonencode([for i in local.r : local.s])) > 0 ? "on" : "off"',
        'join("", [for i in local.r : local.s])',
        'length(distinct(concat(local.r, local.r, local.r))) > 0 ? "on" : "off"',
        '[for i in local.r : contains(local.r, i)][0] ? "on" : "off"',
    ))


# =====================================================================================
# seed corpus

KICS_POSITIVE = '''resource "azurerm_postgresql_configuration" "positive1" {
    name                = "log_disconnections"
    resource_group_name = data.azurerm_resource_group.example.name
    server_name         = azurerm_postgresql_server.example.name
    value               = "off"
}

resource "azurerm_postgresql_configuration" "positive2" {
    name                = "log_disconnections"
    resource_group_name = data.azurerm_resource_group.example.name
    server_name         = azurerm_postgresql_server.example.name
    value               = "Off"
}

resource "azurerm_postgresql_configuration" "positive3" {
    name                = "log_disconnections"
    resource_group_name = data.azurerm_resource_group.example.name
    server_name         = azurerm_postgresql_server.example.name
    value               = "OFF"
}
'''

SEEDS = (
    KICS_POSITIVE,
    KICS_POSITIVE.replace('"off"', '"on"').replace('"Off"', '"On"').replace('"OFF"', '"ON"'),
    '''variable "server_parameters" {
  description = "PostgreSQL server parameters"
  type        = map(string)
  default = {
    log_checkpoints    = "on"
    log_connections    = "on"
    log_disconnections = "off" # kics-scan ignore-line
  }
}

locals {
  defaults = { log_disconnections = "on", connection_throttling = "on" }
  params   = merge(local.defaults, var.server_parameters)
  enabled  = var.environment == "prod" ? "on" : "off"
}

resource "azurerm_postgresql_flexible_server_configuration" "this" {
  for_each  = { for k, v in local.params : k => v if k != "shared_preload_libraries" }
  name      = each.key
  server_id = azurerm_postgresql_flexible_server.main.id
  value     = each.value
}

resource "azurerm_postgresql_flexible_server_configuration" "toggle" {
  count     = var.create ? 1 : 0
  name      = "log_disconnections"
  server_id = azurerm_postgresql_flexible_server.main.id
  value     = lower(local.enabled)
}
''',
    '''terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm", version = "~> 3.100" }
  }
}

resource "azurerm_postgresql_flexible_server" "main" {
  name                = "psql-${var.name}"
  resource_group_name = var.resource_group_name
  location            = var.location
  version             = "16"
  sku_name            = "GP_Standard_D2s_v3"
  storage_mb          = 32768

  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
  }

  lifecycle {
    ignore_changes = [zone, high_availability[0].standby_availability_zone]
  }
}

# kics-scan disable=07f7134f-9f37-476e-8664-670c218e4702
resource "azurerm_postgresql_configuration" "legacy" {
  name                = "LOG_DISCONNECTIONS"
  resource_group_name = "rg-db"
  server_name         = "psql-legacy"
  value               = <<-EOT
    off
  EOT
}

output "server_id" {
  value = azurerm_postgresql_flexible_server.main.id
}
''',
    '''module "db" {
  source              = "./modules/db"
  count               = 2
  name                = "orders"
  log_disconnections  = var.log_disconnections
  server_parameters   = { log_disconnections = "off" }
}

module "remote" {
  source  = "Azure/postgresql/azurerm"
  version = "2.1.0"
}

variable "log_disconnections" {
  type    = string
  default = "off"
}

variable "environment" {
  type = string
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "Unknown environment."
  }
}
''',
    'log_disconnections = "OFF"\nserver_parameters = {\n  log_disconnections = "off"\n  log_checkpoints    = "on"\n}\n'
    'environment = "prod"\n',
)
CHILD_MODULE = '''variable "name" {}
variable "replicas" {
  default = 3
}
variable "log_disconnections" {
  default = "on"
}
variable "server_parameters" {
  type    = map(string)
  default = {}
}

resource "azurerm_postgresql_configuration" "this" {
  count               = var.replicas
  name                = "log_disconnections"
  resource_group_name = "rg"
  server_name         = "${var.name}-${count.index}"
  value               = var.log_disconnections
}

resource "azurerm_postgresql_configuration" "params" {
  for_each            = var.server_parameters
  name                = each.key
  resource_group_name = "rg"
  server_name         = var.name
  value               = each.value
}
'''
_TERRAFORM_MARKERS = ('resource "', 'variable "', 'locals {', 'module "', 'log_disconnections')


def fixture_strings(tests_dir: Path) -> list[str]:
    """The Terraform text held in string and bytes constants of ``tests/*_test.py``."""
    out: list[str] = []
    for path in sorted(tests_dir.glob('*_test.py')):
        if path.name == 'fuzz_test.py':
            continue
        try:
            tree = ast.parse(path.read_text(encoding='utf-8'))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
                text = node.value if isinstance(node.value, str) else node.value.decode('utf-8', 'replace')
                if '{' in text and any(m in text for m in _TERRAFORM_MARKERS) and len(text) < 200_000:
                    out.append(text)
    return sorted(set(out))


class Corpus:
    """Seed texts (single files) and seed trees (whole small repositories, relative path -> bytes)."""

    def __init__(self, repo: Path = REPO, *, monorepo: bool = True) -> None:
        self.texts: list[bytes] = [s.encode() for s in SEEDS]
        self.trees: list[dict[str, bytes]] = []
        examples = repo / 'examples'
        if examples.is_dir():
            tree = {str(p.relative_to(examples)): p.read_bytes() for p in sorted(examples.rglob('*')) if p.is_file()}
            self.trees.append(tree)
            self.texts.extend(tree.values())
        self.texts.extend(s.encode('utf-8', 'surrogateescape') for s in fixture_strings(repo / 'tests'))
        self.monorepo_note = ''
        if monorepo:
            self._add_monorepos()
        self.blocks = [b for t in self.texts for b in top_level_blocks(t)]

    def _add_monorepos(self) -> None:
        try:
            from testing import corpus as gen
        except ImportError as e:  # pragma: no cover (the benchmark package is a sibling)
            self.monorepo_note = f'testing.corpus not available ({e}): no generated monorepo seeds'
            return
        for seed in (0, 1):
            with tempfile.TemporaryDirectory() as d:
                try:
                    gen.generate(Path(d), scale=0.02, seed=seed, all_styles=True)
                except Exception as e:  # another helper's generator: use it when it works
                    self.monorepo_note = f'testing.corpus.generate failed ({e!r}): no generated monorepo seeds'
                    return
                self.trees.append(snapshot(Path(d)))


_BLOCK_START = re.compile(rb'^[A-Za-z_][^\n]*\{[ \t]*\r?$', re.MULTILINE)
_BLOCK_END = re.compile(rb'^\}[ \t]*\r?$', re.MULTILINE)


def top_level_blocks(text: bytes) -> list[bytes]:
    """The top-level blocks of formatted Terraform (a header line ending in ``{`` up to a ``}`` line)."""
    out = []
    for m in _BLOCK_START.finditer(text):
        end = _BLOCK_END.search(text, m.end())
        if end is not None:
            out.append(text[m.start():end.end()] + b'\n')
    return out


# =====================================================================================
# inputs

def make_case(corpus: Corpus, seed: int, index: int) -> dict[str, Any]:
    """Input ``index`` of run ``seed``: files, symbolic links, argv, whether a ``.git`` marks the root.

    Deterministic: the same (seed, index) always gives the same input.
    """
    r = random.Random(f'{seed}:{index}')
    files: dict[str, bytes] = {}
    links: dict[str, str] = {}  # symbolic links: path -> target
    if corpus.trees and r.random() < 0.3:
        tree = r.choice(corpus.trees)
        files.update(tree)
        dirs = sorted({os.path.dirname(p) for p in tree})
        checked = r.choice(dirs) or '.'
        targets = [p for p in tree if (os.path.dirname(p) or '.') == checked]
        mutable = targets + [p for p in tree if p.startswith('modules') and r.random() < 0.05]
    else:
        checked = 'm'
        for i in range(r.randint(1, 3)):
            name = r.choice(('main.tf', 'variables.tf', 'locals.tf', 'db.tf', 'terraform.tfvars', 'x.auto.tfvars',
                             'main.tf.json', f'f{i}.tf'))
            files[f'm/{name}'] = r.choice(corpus.texts)
        if r.random() < 0.3:
            files['m/modules/db/main.tf'] = CHILD_MODULE.encode()
        first = sorted(files)[0]
        roll = r.random()
        if roll < 0.06:  # a module that calls itself through a symbolic link to its own directory
            links['m/loop'] = '.'
            files[first] += b''.join(b'module "loop%d" {\n  source = "./loop"\n}\n' % j for j in range(r.randint(1, 3)))
        elif roll < 0.10:  # a module source that is a symbolic link out of the repository
            links['m/vendor'] = '../../outside'
            files[first] += b'module "vendor" {\n  source = "./vendor"\n}\n'
        elif roll < 0.14:  # a .tf file that is a symbolic link out of the repository
            links['m/escape.tf'] = '../../outside/main.tf'
        targets = sorted(files) + (['m/escape.tf'] if 'm/escape.tf' in links and r.random() < 0.5 else [])
        mutable = sorted(files)
    if r.random() < 0.08:  # a value that backtracks, doubles or builds too much (each family a bound)
        files[r.choice(mutable)] += eval_bomb(r).encode()
    for _ in range(r.choice((0, 0, 1, 1, 2))):  # splice blocks from other files in
        if not corpus.blocks:
            break
        name = r.choice(mutable)
        data = files[name]
        cuts = [0, len(data)] + [m.start() for m in _BLOCK_START.finditer(data)]
        at = r.choice(cuts)
        files[name] = data[:at] + r.choice(corpus.blocks) + data[at:]
    for _ in range(r.choice((0, 0, 1, 1, 2, 3))):
        name = r.choice(mutable)
        files[name] = mutate(files[name], random_mutation(r))
    opts: list[str] = []
    if r.random() < 0.3:
        opts.append('--fix')
    opts += ['--format', r.choices(('text', 'json', 'sarif'), weights=(6, 2, 1))[0]]
    if r.random() < 0.2:
        opts += ['--unresolved', r.choice(('ignore', 'warn', 'fail'))]
    if r.random() < 0.1:
        opts.append('--require-explicit')
    if r.random() < 0.1:
        opts.append('--show-suppressed')
    if r.random() < 0.1:
        opts += ['--var', r.choice(('log_disconnections=off', 'server_parameters={log_disconnections="OFF"}',
                                    'environment=prod', 'x=[[[['))]
    if r.random() < 0.05:
        opts += ['--var-file', r.choice((*[p for p in files if p.endswith('.tfvars')], '../outside.tfvars'))]
    paths = [checked] if r.random() < 0.2 else targets
    case = {'files': files, 'links': links, 'argv': [*opts, *paths], 'git': r.random() < 0.5, 'seed': seed,
            'index': index}
    _hostile(r, corpus, case, opts, paths, checked)
    return case


# Files named like options (pre-commit passes them after the options, `--...` sorted first), names that are
# not UTF-8 or hold control characters, named pipes: the hook must judge each as the file it is.
OPTION_LIKE = ('--output=m/main.tf', '--out=m/main.tf', '--output=../outside/report.tf',
               '--var=log_disconnections={tf="on"}.tf', '--var-file=m/main.tf', '--fix.tf', '-h.tf',
               '--format=json.tf', '--unresolved=ignore.tf', '--plan=m/plan.tf.json', '--tool=opentofu.tofu', '--.tf')
ODD_NAMES = ('caf\udce9.tf', '\udcff\udcfe.tfvars', 'x\x1b[2J.tf', 'a\nb.tf', 'r\u202etl.tf', 't\tab.auto.tfvars',
             '\x1b]0;title\x07.tf')
FIFOS = ('scratch.tf', 'pipe.tf', 'pipe.tfvars', 'terraform.tfvars')


def _hostile(r: random.Random, corpus: Corpus, case: dict[str, Any], opts: list[str], paths: list[str],
             checked: str) -> None:
    roll = r.random()
    files: dict[str, bytes] = case['files']
    if roll < 0.08:  # as pre-commit runs the manifest's entry: --pre-commit, the args, the file names
        name = r.choice(OPTION_LIKE)
        files[name] = r.choice(corpus.texts)
        paths = [name, *paths]
        case['argv'] = ['--pre-commit', *opts, *paths]
        case['same_as'] = [*opts, '--', *(f'./{p}' if p.startswith('-') else p for p in paths)]
    elif roll < 0.14:
        name = os.path.normpath(os.path.join(checked, r.choice(ODD_NAMES)))
        files[name] = r.choice(corpus.texts)
        if r.random() < 0.7 and paths != [checked]:
            case['argv'] = [*opts, *paths, name]
    elif roll < 0.2:  # beside the module (read before the tracked filter), passed, walked, or a --var-file
        fifo = os.path.normpath(os.path.join(checked, r.choice(FIFOS)))
        files.pop(fifo, None)
        case['fifos'] = [fifo]
        if fifo.endswith('.tfvars') and r.random() < 0.5:
            case['argv'] = [*opts, '--var-file', fifo, *paths]
        elif r.random() < 0.5 and paths != [checked]:
            case['argv'] = [*opts, *paths, fifo]


def run_case(case: dict[str, Any], base: Path, limit: int | None = None) -> str:
    """Write the case into a fresh directory under ``base`` and check it; returns the hook's output."""
    outside = base / 'outside' / 'main.tf'  # what a link out of the repository reaches: never to be read
    if not outside.exists():
        write_files(base, {'outside/main.tf': KICS_POSITIVE.encode()})
    root = Path(tempfile.mkdtemp(dir=base))
    try:
        write_files(root, case['files'])
        for path, target in case.get('links', {}).items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(target, root / path)
        for path in case.get('fifos', ()):
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            os.mkfifo(root / path)
        if case['git']:
            (root / '.git').mkdir()  # the repository root: module sources and --var-file may not leave it
        out = check_case(root, list(case['argv']), limit=limit, same_as=case.get('same_as'))
        escaped = base / 'outside' / 'report.tf'  # where `--output=../outside/report.tf` would write
        if escaped.exists():
            escaped.unlink()
            raise Violation(f'main({case["argv"]!r}) wrote outside the repository: {escaped}')
        return out
    finally:
        shutil.rmtree(root, ignore_errors=True)


def save_case(case: dict[str, Any], kind: str, detail: str, save: Path) -> Path:
    d = save / f'{kind}-seed{case["seed"]}-{case["index"]}'
    if d.exists():
        shutil.rmtree(d)
    write_files(d / 'files', case['files'])
    meta = {k: v for k, v in case.items() if k != 'files'}
    (d / 'case.json').write_text(json.dumps({**meta, 'kind': kind}, indent=2) + '\n', encoding='utf-8')
    (d / 'failure.txt').write_text(detail, encoding='utf-8', errors='replace')
    return d


def load_case(d: Path) -> dict[str, Any]:
    meta = json.loads((d / 'case.json').read_text(encoding='utf-8'))
    files = {str(p.relative_to(d / 'files')): p.read_bytes() for p in sorted((d / 'files').rglob('*')) if p.is_file()}
    return {**meta, 'files': files}


# =====================================================================================
# worker pool

def outcome(out: str) -> str:
    """A rough class of what the hook said, for the summary (any format)."""
    if 'cannot parse Terraform' in out or 'cannot read' in out or 'outside the repository' in out:
        return 'file error'
    if 'log_disconnections is' in out:
        return 'finding'
    if 'unverified' in out:
        return 'unverified only'
    return 'clean'


def _worker(conn: multiprocessing.connection.Connection, base: str, memory_mb: int) -> None:
    if memory_mb:
        with contextlib.suppress(ImportError, ValueError, OSError):
            import resource
            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if hasattr(signal, 'SIGINT'):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C is for the parent, which then stops the workers
    parent = os.getppid()
    while True:
        try:
            if not conn.poll(1.0):
                if os.getppid() != parent:  # the parent is gone (killed): so are we
                    return
                continue
            case = conn.recv()
        except (EOFError, OSError):
            return
        if case is None:
            return
        start = time.perf_counter()
        try:
            out = run_case(case, Path(base))
            status, detail = 'ok', outcome(out)
        except Crash as e:
            status, detail = 'crash', str(e)
        except Violation as e:
            status, detail = 'violation', f'{e}\n\n{traceback.format_exc()}'
        except Exception:  # the harness itself failed (disk full...): report it, do not hide it
            status, detail = 'crash', f'fuzz harness error:\n{traceback.format_exc()}'
        conn.send((case['index'], status, detail, time.perf_counter() - start))


class _Slot:
    def __init__(self, ctx: Any, base: Path, memory_mb: int) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, str(base), memory_mb), daemon=True)
        self.proc.start()
        child.close()
        self.case: dict[str, Any] | None = None
        self.started = 0.0

    def give(self, case: dict[str, Any]) -> None:
        self.case, self.started = case, time.monotonic()
        self.conn.send(case)

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


def signature(kind: str, detail: str) -> str:
    """What makes two failures the same bug: the exception line of a traceback, the first line of a
    violation; numbers and quoted text blanked out."""
    lines = [x for x in detail.strip().splitlines() if x.strip()]
    if kind == 'crash':
        frames = [x.strip() for x in lines if x.strip().startswith('File ')]
        head = (lines[-1] if lines else '') + (f' at {frames[-1]}' if frames else '')
    else:
        head = lines[0] if lines else kind
    head = re.sub(r"'[^']*'|\"[^\"]*\"", '...', head)
    return f'{kind}: ' + re.sub(r'[0-9]+', 'N', head)[:200]


class Stats:
    def __init__(self) -> None:
        self.inputs = 0
        self.crashes = 0
        self.hangs = 0
        self.violations = 0
        self.saved: list[Path] = []
        self.signatures: dict[str, list[int]] = {}  # signature -> failing input indexes
        self.slowest: list[tuple[float, int]] = []
        self.outcomes: dict[str, int] = {}
        self.elapsed = 0.0
        self.interrupted = False

    @property
    def failures(self) -> int:
        return self.crashes + self.hangs + self.violations


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def fuzz(args: argparse.Namespace) -> Stats:
    corpus = Corpus(REPO, monorepo=not args.no_monorepo)
    if corpus.monorepo_note:
        print(corpus.monorepo_note, file=sys.stderr)
    print(f'seed corpus: {len(corpus.texts)} texts, {len(corpus.trees)} trees, {len(corpus.blocks)} blocks',
          file=sys.stderr)
    stats = Stats()
    ctx = multiprocessing.get_context('fork' if 'fork' in multiprocessing.get_all_start_methods() else 'spawn')
    deadline = time.monotonic() + args.minutes * 60 if args.minutes else None
    count = args.count
    save = Path(args.save)
    next_index = args.start
    last_report = time.monotonic()
    t0 = time.monotonic()

    def record(case: dict[str, Any], kind: str, detail: str) -> None:
        if kind == 'crash':
            stats.crashes += 1
        elif kind == 'hang':
            stats.hangs += 1
        else:
            stats.violations += 1
        sig = signature(kind, detail)
        seen = stats.signatures.setdefault(sig, [])
        seen.append(case['index'])
        if len(seen) <= args.save_per_bug:
            d = save_case(case, kind, detail, save)
            stats.saved.append(d)
            print(f'{kind.upper()}: input {case["index"]}: {sig}  -> {d}', file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix='pgld-fuzz-') as base:
        slots = [_Slot(ctx, Path(base), args.memory_mb) for _ in range(args.jobs)]
        if hasattr(signal, 'SIGTERM'):
            signal.signal(signal.SIGTERM, _interrupt)  # kill PID: stop the workers, print what was found
        try:
            while True:
                more = (count is None or next_index < args.start + count) and \
                       (deadline is None or time.monotonic() < deadline)
                for i, s in enumerate(slots):
                    if s.case is None and more:
                        s.give(make_case(corpus, args.seed, next_index))
                        next_index += 1
                        more = (count is None or next_index < args.start + count) and \
                               (deadline is None or time.monotonic() < deadline)
                    slots[i] = s
                busy = [s for s in slots if s.case is not None]
                if not busy:
                    break
                ready = multiprocessing.connection.wait([s.conn for s in busy], timeout=0.5)
                for i, s in enumerate(slots):
                    if s.case is None:
                        continue
                    case = s.case
                    if s.conn in ready:
                        try:
                            index, status, detail, seconds = s.conn.recv()
                        except (EOFError, OSError):
                            s.proc.join(5)
                            record(case, 'crash', f'worker process died (exit code {s.proc.exitcode}): '
                                                  'interpreter crash or out of memory')
                            s.kill()
                            slots[i] = _Slot(ctx, Path(base), args.memory_mb)
                            stats.inputs += 1
                            continue
                        stats.inputs += 1
                        stats.slowest = sorted([*stats.slowest, (seconds, index)], reverse=True)[:5]
                        if status == 'ok':
                            stats.outcomes[detail] = stats.outcomes.get(detail, 0) + 1
                        else:
                            record(case, status, detail)
                        s.case = None
                    elif time.monotonic() - s.started > args.timeout:
                        record(case, 'hang', f'no answer after {args.timeout} s (worker killed)\n'
                                             f'argv: {case["argv"]}')
                        stats.inputs += 1
                        s.kill()
                        slots[i] = _Slot(ctx, Path(base), args.memory_mb)
                if time.monotonic() - last_report > 30:
                    last_report = time.monotonic()
                    print(f'... {stats.inputs} inputs, {stats.failures} failures, '
                          f'{time.monotonic() - t0:.0f} s', file=sys.stderr)
        except KeyboardInterrupt:
            stats.interrupted = True
        finally:
            for s in slots:
                with contextlib.suppress(OSError, ValueError):
                    s.conn.send(None)
            for s in slots:
                s.proc.join(2)
                if s.proc.is_alive():
                    s.kill()
    stats.elapsed = time.monotonic() - t0
    if stats.signatures:
        save.mkdir(parents=True, exist_ok=True)
        summary = {'seed': args.seed, 'start': args.start, 'inputs': stats.inputs, 'crashes': stats.crashes,
                   'hangs': stats.hangs, 'violations': stats.violations, 'failures': stats.signatures}
        (save / f'summary-seed{args.seed}.json').write_text(json.dumps(summary, indent=1) + '\n', encoding='utf-8')
    return stats


def replay(d: Path, timeout: int) -> int:
    case = load_case(d)
    print(f'replaying {d}: argv {case["argv"]}, git root: {case["git"]}')
    with tempfile.TemporaryDirectory(prefix='pgld-replay-') as base:
        try:
            out = run_case(case, Path(base), limit=timeout)
        except (Crash, Violation, Hang) as e:
            print(f'{type(e).__name__}: {e}')
            return 1
    print(out, end='')
    print('all invariants hold')
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog='python -m testing.fuzz', description=(__doc__ or '').split('\n')[0])
    p.add_argument('--minutes', type=float, default=None, help='stop starting new inputs after this long')
    p.add_argument('--count', type=int, default=None, help='number of inputs (default: --minutes 10)')
    p.add_argument('--seed', type=int, default=0, help='run seed: input i is generated from (seed, i) alone')
    p.add_argument('--start', type=int, default=0, help='index of the first input')
    p.add_argument('--jobs', type=int, default=os.cpu_count() or 1, help='worker processes')
    p.add_argument('--timeout', type=float, default=10.0, help='seconds an input may take before it is a hang')
    p.add_argument('--memory-mb', type=int, default=2048, help='address-space limit of a worker (0: none)')
    p.add_argument('--save', default=os.path.join(tempfile.gettempdir(), 'check-postgresql-log-disconnections-fuzz'),
                   help='directory for failing inputs')
    p.add_argument('--save-per-bug', type=int, default=5, help='failing inputs saved per distinct failure')
    p.add_argument('--no-monorepo', action='store_true', help='do not seed with a testing.corpus monorepo')
    p.add_argument('--replay', metavar='CASE_DIR', help='run one saved input again and exit')
    args = p.parse_args(argv)
    if args.minutes is None and args.count is None:
        args.minutes = 10.0
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.replay:
        return replay(Path(args.replay), int(args.timeout))
    stats = fuzz(args)
    print(f'fuzz: seed {args.seed}, inputs {args.start}..{args.start + stats.inputs - 1}, '
          f'{args.jobs} workers, timeout {args.timeout:g} s, {stats.elapsed:.0f} s')
    if stats.interrupted:
        print('interrupted: the counts are for the inputs finished so far')
    print(f'inputs: {stats.inputs} (passing ones: '
          + ', '.join(f'{n} {k}' for k, n in sorted(stats.outcomes.items(), key=lambda kv: -kv[1])) + ')')
    print(f'crashes: {stats.crashes}')
    print(f'hangs: {stats.hangs}')
    print(f'invariant violations: {stats.violations}')
    print('slowest: ' + ', '.join(f'#{i} {s:.2f} s' for s, i in stats.slowest))
    for sig, indexes in sorted(stats.signatures.items(), key=lambda kv: -len(kv[1])):
        shown = ', '.join(map(str, indexes[:5])) + (', ...' if len(indexes) > 5 else '')
        print(f'  {len(indexes)} x {sig}  (inputs {shown})')
    if stats.saved:
        print(f'failing inputs saved under {Path(args.save)}, every failing index in '
              f'summary-seed{args.seed}.json (replay one with python -m testing.fuzz --replay DIR, or '
              f'regenerate input I with --seed {args.seed} --start I --count 1):')
        for d in stats.saved:
            print(f'  {d}')
    return 1 if stats.failures else 0


if __name__ == '__main__':
    sys.exit(main())
