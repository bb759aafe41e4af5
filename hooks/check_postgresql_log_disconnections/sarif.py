"""SARIF 2.1.0 for GitHub code scanning (``--format sarif``). Pure, like ``render``.

One run, two rules, shaped by what GitHub shows:

* ``RULE_ID`` (KICS 07f7134f, security-severity 5.0: a Medium security alert)
  for non-compliant values, level ``error``.
* ``check-postgresql-log-disconnections-unverified`` for values that cannot be known statically: no
  ``security`` tag and no security-severity, so GitHub shows a note, never a
  security alert; level ``note`` (``warning`` with ``--unresolved=fail``, when
  they block). ``--unresolved=ignore`` leaves them out.
* Suppressed results are left out: GitHub does not read ``suppressions`` and
  would show them as open alerts. ``include_suppressed`` (``--sarif-include-suppressed``)
  keeps them, with an ``inSource`` suppression. Compliant results never appear.
* Every ``uri`` is a relative reference against ``%SRCROOT%``, the repository
  root (the git top level; outside git, the directory the run started in),
  whatever the working directory, percent-encoded as RFC 3986 requires, ``:``
  included, so no path segment can read as a URI scheme. A path outside the root
  gets no location (only notifications can have one: nothing outside is read).
* ``partialFingerprints.primaryLocationLineHash`` is computed as
  github/codeql-action's upload computes it (``line_hashes``), so an upload
  through the REST API tracks alerts as the action does; ``resourceAddress/v1``
  follows the resource across moves.
* Related locations (the literal's origin, module calls) are linked from the
  message, ``[variables.tf:7](1)``, the only way GitHub links them; literal
  ``[``, ``]`` and ``\\`` in messages are escaped with a backslash (SARIF 3.11.6).
* A fixable result carries a ``fixes`` entry replacing the literal with ``"on"``.
  Run errors and notes are tool execution notifications; ``executionSuccessful``
  is false when a file could not be checked.
"""
from __future__ import annotations

import hashlib
import os
import posixpath
from array import array
from operator import mul
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from check_postgresql_log_disconnections import about, rule
from check_postgresql_log_disconnections.render import (
    _error_message,
    _fixable,
    _jsonable,
    _result_order,
    _shown,
    exit_code,
    segments,
)
from check_postgresql_log_disconnections.rule import CIS, CWE, HELP_URI, OUR_ID, RULE_ID, RULE_NAME, SEVERITY

if TYPE_CHECKING:
    from check_postgresql_log_disconnections.results import Report, Result
    from check_postgresql_log_disconnections.syntax import Span

Json = Any

SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json'
SRCROOT = '%SRCROOT%'
# RFC 3986 pchar minus ':' (unreserved and '/' are quote()'s own safe set): a
# relative reference whose first segment held a ':' would read as a scheme.
_SUB_DELIMS = "!$&'()*+,;=@"


# --- paths -------------------------------------------------------------------------

def _quote(path: str) -> str:
    # A path decoded with surrogateescape names raw bytes: quote those bytes.
    try:
        return quote(path, safe='/' + _SUB_DELIMS, errors='surrogateescape')
    except UnicodeEncodeError:
        return quote(path, safe='/' + _SUB_DELIMS, errors='surrogatepass')


def repo_path(path: str, root: str, cwd: str) -> str | None:
    """A displayed path (relative to ``cwd``, or absolute) relative to ``root``, POSIX style; None outside it.

    Without a root (a report built by hand), relative paths are taken as relative to it.
    """
    if not root:
        return None if PurePath(path).is_absolute() else posixpath.normpath(PurePath(path).as_posix())
    rel = os.path.relpath(os.path.normpath(os.path.join(cwd, path)), root)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return None
    return PurePath(rel).as_posix()


class _Paths:
    def __init__(self, report: Report) -> None:
        self.root, self.cwd = report.root, report.cwd

    def artifact(self, path: str) -> dict[str, str] | None:
        rel = repo_path(path, self.root, self.cwd)
        return None if rel is None else {'uri': _quote(rel), 'uriBaseId': SRCROOT}

    def physical(self, span: Span) -> dict[str, Json] | None:
        artifact = self.artifact(span.path)
        if artifact is None:
            return None
        loc: dict[str, Json] = {'artifactLocation': artifact}
        region = _region(span)
        if region:
            loc['region'] = region
        return loc


def _region(span: Span) -> dict[str, int]:
    region: dict[str, int] = {}
    if span.line >= 1:
        region['startLine'] = span.line
        if span.column >= 1:
            region['startColumn'] = span.column
        if span.end_line >= span.line:
            region['endLine'] = span.end_line
            if span.end_column >= 1 and (span.end_line > span.line or span.end_column >= span.column):
                region['endColumn'] = span.end_column
    return region


# --- fingerprints -------------------------------------------------------------------

_WINDOW = 100  # characters hashed from the start of a line
_BASE = 37
_MASK = (1 << 64) - 1
_POWERS = [pow(_BASE, _WINDOW - 1 - i, 1 << 64) for i in range(_WINDOW)]
_EOF = 0xFFFF  # what the action appends after the last character


def _normalized(text: str) -> tuple[list[int], list[int]]:
    """The UTF-16 code units the action hashes (blanks dropped, CR and CRLF as LF, EOF last),
    and where each line starts among them."""
    units = array('H', text.encode('utf-16-le'))
    if units.itemsize != 2 or array('H', b'\x01\x00')[0] != 1:  # a big-endian machine
        units.byteswap()
    out: list[int] = []
    starts: list[int] = []
    line_start, after_cr = True, False
    for c in [*units, _EOF]:
        if c in (0x20, 0x09) or (after_cr and c == 0x0A):
            after_cr = False
            continue
        after_cr = c == 0x0D
        if after_cr:
            c = 0x0A
        if line_start:
            starts.append(len(out))
            line_start = False
        line_start = c == 0x0A
        out.append(c)
    return out, starts


def line_hashes(text: str, lines: set[int]) -> dict[int, str]:
    """``primaryLocationLineHash`` for each wanted 1-based line, as github/codeql-action computes it.

    A polynomial hash (base 37, modulo 2**64) of the first 100 non-blank UTF-16
    code units from the line's start, then ``:n`` for the n-th line of the file
    with that hash. Lines past the end get none.
    """
    if not lines:
        return {}
    units, starts = _normalized(text)
    units += [0] * _WINDOW
    seen: dict[str, int] = {}
    out: dict[int, str] = {}
    last = max(lines)
    for number, start in enumerate(starts[:last], 1):
        value = format(sum(map(mul, units[start:start + _WINDOW], _POWERS)) & _MASK, 'x')
        seen[value] = seen.get(value, 0) + 1
        if number in lines:
            out[number] = f'{value}:{seen[value]}'
    return out


def _address_fingerprint(r: Result, uri: str) -> str:
    key = '\0'.join((RULE_ID, uri, r.address))
    return hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()[:32]


# --- results ------------------------------------------------------------------------

def _escape(text: str) -> str:
    return text.replace('\\', '\\\\').replace('[', '\\[').replace(']', '\\]')


def message_text(r: Result) -> str:
    """The message with its related locations linked: ``[variables.tf:7](1)``."""
    return ''.join(_escape(s) if isinstance(s, str) else f'[{_escape(s[0])}]({s[1]})' for s in segments(r))


def _related(r: Result, paths: _Paths) -> list[dict[str, Json]]:
    spans: list[tuple[str, Span]] = []
    if r.origin is not None:
        spans.append((f'value from {r.origin_what}' if r.origin_what else 'where the value comes from', r.origin))
    spans += [('module call', call) for call in r.callers]
    related = []
    for n, (text, span) in enumerate(spans, 1):
        entry: dict[str, Json] = {'id': n, 'message': {'text': text}}
        physical = paths.physical(span)
        if physical is not None:
            entry['physicalLocation'] = physical
        related.append(entry)
    return related


def _fixes(r: Result, files: frozenset[str], paths: _Paths) -> list[dict[str, Json]]:
    literal = r.origin if r.origin is not None else r.location
    artifact = paths.artifact(literal.path)
    if not _fixable(r, files) or not _region(literal) or artifact is None:
        return []
    return [{
        'description': {'text': rule.FIX_DESCRIPTION},
        'artifactChanges': [{
            'artifactLocation': artifact,
            'replacements': [{'deletedRegion': _region(literal), 'insertedContent': {'text': rule.REPLACEMENT}}],
        }],
    }]


def _result(r: Result, report: Report, paths: _Paths, hashes: dict[tuple[str, int], str],
            unresolved: str) -> dict[str, Json]:
    unverified = r.status == 'unverified'
    level = 'error' if not unverified else 'warning' if unresolved == 'fail' else 'note'
    location: dict[str, Json] = {'logicalLocations': [{'fullyQualifiedName': r.address, 'kind': 'resource'}]}
    physical = paths.physical(r.location)
    if physical is not None:
        location['physicalLocation'] = physical
    artifact = paths.artifact(r.location.path)
    fingerprints = {'resourceAddress/v1': _address_fingerprint(r, artifact['uri'] if artifact else r.location.path)}
    line_hash = hashes.get((r.location.path, r.location.line))
    if line_hash:
        fingerprints['primaryLocationLineHash'] = line_hash
    out: dict[str, Json] = {
        'ruleId': rule.UNVERIFIED_ID if unverified else RULE_ID,
        'ruleIndex': 1 if unverified else 0,
        'level': level,
        'message': {'text': message_text(r)},
        'locations': [location],
        'partialFingerprints': fingerprints,
    }
    related = _related(r, paths)
    if related:
        out['relatedLocations'] = related
    if r.suppressed:
        out['suppressions'] = [{'kind': 'inSource', 'justification': r.suppressed}]
    fixes = _fixes(r, frozenset(report.files), paths)
    if fixes:
        out['fixes'] = fixes
    props: dict[str, Json] = {'resourceType': r.resource_type}
    if r.value_known:
        props['value'] = _jsonable(r.value)
    out['properties'] = props
    return out


def _hashes(results: list[Result], texts: dict[str, str]) -> dict[tuple[str, int], str]:
    wanted: dict[str, set[int]] = {}
    for r in results:
        if r.location.path in texts and r.location.line >= 1:
            wanted.setdefault(r.location.path, set()).add(r.location.line)
    return {(path, line): h for path, lines in wanted.items() for line, h in line_hashes(texts[path], lines).items()}


# --- rules and run ------------------------------------------------------------------

def _pascal(name: str) -> str:
    # SARIF's friendly name: one Pascal-case identifier ('PostgresqlLogDisconnectionsNotSet')
    return ''.join(word[:1].upper() + word[1:].lower() for word in name.replace('_', ' ').split())


def _rules() -> list[dict[str, Json]]:
    full = rule.DESCRIPTION
    markdown = (
        f'{full}\n\n```hcl\n{rule.EXAMPLE}```\n\n'
        f'KICS query `{RULE_ID}` ({SEVERITY}, {rule.CATEGORY}), {CWE}, {CIS}.'
    )
    finding = {
        'id': RULE_ID,
        'name': _pascal(RULE_NAME),
        'shortDescription': {'text': RULE_NAME},
        'fullDescription': {'text': full},
        'help': {'text': f'{full} KICS query {RULE_ID}; {CWE}; {CIS}.', 'markdown': markdown},
        'helpUri': HELP_URI,
        'defaultConfiguration': {'level': 'error'},
        'relationships': [{
            'target': {'id': CWE.split('-')[1], 'toolComponent': {'name': 'CWE'}},
            'kinds': ['superset'],
        }],
        'properties': {
            'tags': ['security', rule.CATEGORY.lower(), CWE, rule.CIS_TAG],
            'security-severity': rule.SECURITY_SEVERITY,
            'precision': 'high',
            'problem.severity': 'error',
            'kics-severity': SEVERITY,
            'cwe': CWE,
            'cis': CIS,
        },
    }
    unverified = {
        'id': rule.UNVERIFIED_ID,
        'name': _pascal(rule.UNVERIFIED_NAME),
        'shortDescription': {'text': rule.UNVERIFIED_NAME},
        'fullDescription': {'text': rule.UNVERIFIED_DESCRIPTION},
        'help': {'text': rule.UNVERIFIED_DESCRIPTION, 'markdown': rule.UNVERIFIED_DESCRIPTION},
        'helpUri': HELP_URI,
        'defaultConfiguration': {'level': 'note'},
        'properties': {'tags': ['unverified', rule.CATEGORY.lower()], 'precision': 'low',
                       'problem.severity': 'recommendation'},
    }
    return [finding, unverified]


def _notification(level: str, text: str, span: Span, kind: str, paths: _Paths) -> dict[str, Json]:
    out: dict[str, Json] = {'level': level, 'message': {'text': _escape(text)}, 'descriptor': {'id': kind}}
    physical = paths.physical(span)
    if physical is not None:
        if 'region' in physical:
            physical['region'] = {k: v for k, v in physical['region'].items() if k in ('startLine', 'startColumn')}
        out['locations'] = [{'physicalLocation': physical}]
    return out


def _invocation(report: Report, unresolved: str, paths: _Paths) -> dict[str, Json]:
    from check_postgresql_log_disconnections.syntax import Span

    def at(path: str, line: int, column: int) -> Span:
        return Span(path, line, column, line, column, 0, 0)

    errors = sorted(report.errors, key=lambda e: (e.path, e.line, e.column, e.reason))
    notes = sorted(report.notes, key=lambda n: (n.path, n.line, n.column, n.text))
    notifications = [
        _notification('error', f'{e.path}: {_error_message(e)}', at(e.path, e.line, e.column), e.kind, paths)
        for e in errors
    ] + [
        _notification('note', f'{n.path}: {n.text}', at(n.path, n.line, n.column), 'note', paths)
        for n in notes
    ]
    invocation: dict[str, Json] = {
        'executionSuccessful': not errors,
        'exitCode': exit_code(report, unresolved=unresolved),
    }
    if notifications:
        invocation['toolExecutionNotifications'] = notifications
    if report.fixed:  # --fix: the files it rewrote
        invocation['properties'] = {'fixed': sorted(report.fixed)}
    return invocation


def _driver(tool_version: str | None) -> dict[str, Json]:
    driver: dict[str, Json] = {'name': OUR_ID, 'version': tool_version or about.version()}
    if about.home_page():
        driver['informationUri'] = about.home_page()
    driver['rules'] = _rules()
    driver['supportedTaxonomies'] = [{'name': 'CWE'}]
    return driver


def document(report: Report, *, unresolved: str = 'warn', include_suppressed: bool = False,
             tool_version: str | None = None) -> dict[str, Json]:
    paths = _Paths(report)
    results = [r for r in sorted(report.results, key=_result_order)
               if _shown(r, unresolved) and (include_suppressed or not r.suppressed)]
    hashes = _hashes(results, report.texts)
    run: dict[str, Json] = {
        'tool': {'driver': _driver(tool_version)},
        'taxonomies': [{
            'name': 'CWE',
            'organization': 'MITRE',
            'shortDescription': {'text': 'The MITRE Common Weakness Enumeration'},
            'taxa': [{'id': '778', 'name': 'Insufficient Logging',
                      'helpUri': 'https://cwe.mitre.org/data/definitions/778.html'}],
        }],
        'invocations': [_invocation(report, unresolved, paths)],
        'originalUriBaseIds': {SRCROOT: _root_location(report.root)},
        'columnKind': 'unicodeCodePoints',
        'results': [_result(r, report, paths, hashes, unresolved) for r in results],
    }
    return {'$schema': SCHEMA, 'version': '2.1.0', 'runs': [run]}


def _root_location(root: str) -> dict[str, Json]:
    where: dict[str, Json] = {'description': {'text': 'The repository root (git top level)'}}
    path = PurePath(root)
    if root and path.is_absolute():
        drive = path.drive  # 'C:' on Windows, '' on POSIX
        rest = path.as_posix()[len(drive):].rstrip('/') + '/'
        where['uri'] = 'file://' + (f'/{drive}' if drive else '') + _quote(rest)
    return where


def render(report: Report, *, unresolved: str = 'warn', include_suppressed: bool = False,
           tool_version: str | None = None) -> str:
    import json

    doc = document(report, unresolved=unresolved, include_suppressed=include_suppressed, tool_version=tool_version)
    return json.dumps(doc, indent=2, allow_nan=False) + '\n'
