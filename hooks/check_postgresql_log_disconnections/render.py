"""Render a ``Report`` as text, JSON or SARIF 2.1.0, and decide the exit code.

Pure: every function here returns a value and touches no file or stream.
All three formats share one human message per result (``message``).

Text (``--format text``, the default): one line per item, sorted by path,
line and column, nothing at all when everything is fine::

    PATH:LINE:COL: ADDRESS: log_disconnections is VALUE, expected "on"ORIGIN [RULE_ID]
    PATH:LINE:COL: unverified: ADDRESS: REASON [RULE_ID]
    PATH:LINE:COL: suppressed (FORM): MESSAGE          (only with show_suppressed)
    PATH:LINE:COL: cannot parse Terraform: REASON
    PATH: cannot read: REASON
    PATH:LINE:COL: note: TEXT
    PLAN: ADDRESS: ...                                 (--plan: an instance whose file was not found)
    N suppressed finding(s)                            (last; only with show_suppressed)

Instances of one resource whose lines would differ only in their address
(``count``, ``for_each``, module instances) share one line that ends, before
the rule id, with `` (N instances: ADDRESS, ...)`` (the first ``MAX_NAMED``
named, then ``and M more``); JSON and SARIF list every instance.

ORIGIN is `` (value from PATH:LINE[, WHAT])`` when the value came from a
literal elsewhere (a variable default, a tfvars line...), then
`` (module call at PATH:LINE)`` for each module call, outermost first, then
`` (installed module.NAME: SOURCE VERSION)`` for each module ``terraform init``
installed that it lies in.
VALUE is shown as Terraform shows it (``"off"``, ``true``, ``0``, ``null``);
a value that is not ``on``/``off`` in any case also gets ``(not an accepted
value; Azure takes "on" or "off")``. A configuration resource that is missing
altogether (``--require-explicit``) reads ``log_disconnections is not set``.
Unverified results are left out when ``unresolved == 'ignore'``; compliant
results never appear in text. A result whose location has line 0 (``--plan``
found no file for it: ``location.path`` is the plan file) prints no line or
column; JSON gives it ``"line": 0`` and SARIF no ``region``.

JSON (``--format json``), version 1. Compliant results are included too, so CI
can count what was checked; unverified ones are included whatever
``unresolved`` says (filter on ``status``)::

    {
      "version": 1,
      "rule": {"id": RULE_ID, "name": RULE_NAME, "severity": "MEDIUM",
               "cwe": "CWE-778", "cis": "CIS Microsoft Azure Foundations 4.3.4"},
      "results": [{
        "file": str, "line": int, "column": int, "end_line": int, "end_column": int,
        "address": str,            # e.g. azurerm_postgresql_configuration.cfg["x"]
        "resource_type": str,
        "value": JSON value | null, # null also when the value is unknown
        "value_known": bool,
        "reason": str,             # why it is unverified ('' otherwise)
        "via": [str],              # names the value passed through (var.x, local.y)
        "origin": {"file", "line", "column", "end_line", "end_column", "what"} | null,
        "callers": [{"file", "line", "column"}],   # module calls, outermost first
        "installed": [str],        # installed modules it lies in: "module.pg: SOURCE VERSION"
        "status": "noncompliant" | "unverified" | "compliant" | "suppressed",
        "verdict": "noncompliant" | "unverified" | "compliant",  # status before suppression
        "suppression": str | null, # the suppressing comment form
        "fixable": bool,           # --fix can rewrite the literal to "on"
        "message": str,            # as printed in text, without PATH:LINE:COL
        "rule_id": RULE_ID
      }],
      "errors": [{"file", "line", "column", "kind", "reason", "message"}],  # line 0: no position
      "notes": [{"file", "line", "column", "text"}],
      "fixed": [str],              # files rewritten by --fix
      "changes": [{"file", "line", "column", "from", "to", "what", "addresses": [str]}],
                                   # each literal --fix rewrote: its value before, "on" after,
                                   # where it lives ('default of var.x', '' in the block), what it set
      "summary": {"noncompliant", "unverified", "compliant", "suppressed", "errors": int}
    }

Positions are 1-based; ``end_column`` is exclusive. Lists are sorted by file,
line, column.

SARIF (``--format sarif``): see ``sarif.py``.
"""
from __future__ import annotations

import json
import math
import re

from check_postgresql_log_disconnections import rule
from check_postgresql_log_disconnections.record import replace
from check_postgresql_log_disconnections.rule import CIS, CWE, PARAMETER, RULE_ID, RULE_NAME, SEVERITY

FORMATS = ('text', 'json', 'sarif')
MAX_NAMED = 10  # instances a grouped text line names; JSON and SARIF list every one
_INSTANCE_KEY = re.compile(r'\["(?:[^"\\]|\\.)*"\]|\[[0-9*]+\]')  # ["k"], [0], [*]: what tells instances apart
UNRESOLVED = ('ignore', 'warn', 'fail')


TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from check_postgresql_log_disconnections.results import Change, Report, Result, RunError

    Json = Any


def _check(unresolved: str) -> None:
    if unresolved not in UNRESOLVED:
        raise ValueError(f'unresolved must be one of {UNRESOLVED}, not {unresolved!r}')


# --- values and messages ----------------------------------------------------

def _jsonable(value: object) -> Json:
    """The value as plain JSON data: tuples and sets become lists, NaN a string."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_jsonable(v) for v in value), key=_sort_key_any)
    return str(value)


def _sort_key_any(value: Json) -> str:
    return json.dumps(value, sort_keys=True)


def _printable(text: str) -> str:
    # json.dumps escapes C0 controls; escape the rest of what a terminal would
    # act on (bidi overrides, line separators...) so one finding is one line.
    # A file name that is not UTF-8 holds surrogates: they are escaped too.
    return ''.join(c if c.isprintable() else json.dumps(c)[1:-1] for c in text)


def printable(text: str) -> str:
    """``text`` (a path, a message) as one line with no control characters: what every printed line uses."""
    return _printable(text)


def fixing(path: str) -> str:
    """The line ``--fix`` prints for a file it rewrote."""
    return f'Fixing {_printable(path)}\n'


SHOWN_VALUE_CHARS = 200  # a message is one line an editor jumps to; JSON's "value" keeps it all


def show_value(value: object) -> str:
    """A value as Terraform would print it: ``"off"``, ``true``, ``0``, ``null``; long ones cut short."""
    text = _printable(json.dumps(_jsonable(value), ensure_ascii=False))
    if len(text) <= SHOWN_VALUE_CHARS:
        return text
    return f'{text[:SHOWN_VALUE_CHARS]}... ({len(text)} characters)'


# A message is a list of segments: plain text, or (text, n) where the text names
# related location n (1 the origin, then the module calls). Text joins them;
# SARIF turns the second kind into links GitHub shows (``[text](n)``).
def _origin_segments(result: Result) -> list[str | tuple[str, int]]:
    parts: list[str | tuple[str, int]] = []
    n = 0
    if result.origin is not None:
        n += 1
        what = f', {_printable(result.origin_what)}' if result.origin_what else ''
        parts += [' (value from ', (f'{_printable(result.origin.path)}:{result.origin.line}', n), f'{what})']
    for call in result.callers:
        n += 1
        parts += [' (module call at ', (f'{_printable(call.path)}:{call.line}', n), ')']
    for module in result.installed:
        parts.append(f' (installed {_printable(module)})')
    if result.view:
        parts.append(f' ({result.view})')
    return parts


def segments(result: Result, instances: Sequence[str] = ()) -> list[str | tuple[str, int]]:
    """The human message for a result as segments (see ``message``)."""
    address = _printable(result.address)  # for_each keys can hold any text
    if result.status == 'unverified':
        reason = result.reason or 'the value cannot be determined statically'
        return [f'unverified: {address}: {_printable(reason)}{_instances(instances)} [{RULE_ID}]']
    if not result.value_known:
        # The "Not Set" case: no configuration resource gives a value at all.
        why = f' ({_printable(result.reason)})' if result.reason else ''
        is_ = f'is not set{why}'
    else:
        is_ = f'is {show_value(result.value)}'
        if not rule.azure_accepts(result.value):
            is_ += f' (not an accepted value; Azure takes {_either(rule.AZURE_VALUES)})'
    if result.status == 'noncompliant':
        is_ += f', expected "{rule.ACCEPTED}"'
    return [f'{address}: {PARAMETER} {is_}', *_origin_segments(result), f'{_instances(instances)} [{RULE_ID}]']


def message(result: Result, instances: Sequence[str] = ()) -> str:
    """The human message for a result, the same in every format.

    It names the address, the value, what was expected and where the value
    came from, and ends with the KICS rule id. It never says "suppressed":
    the formats add that themselves. ``instances``: the addresses of all the
    instances one text line stands for, when more than one.
    """
    return ''.join(s if isinstance(s, str) else s[0] for s in segments(result, instances))


def _instances(addresses: Sequence[str]) -> str:
    """`` (3 instances: a, b, c)``: what a grouped text line stands for (JSON and SARIF list each)."""
    if len(addresses) < 2:
        return ''
    named = ', '.join(_printable(a) for a in addresses[:MAX_NAMED])
    more = f', and {len(addresses) - MAX_NAMED} more' if len(addresses) > MAX_NAMED else ''
    return f' ({len(addresses)} instances: {named}{more})'


def _either(values: tuple[str, ...]) -> str:
    return ' or '.join(f'"{v}"' for v in values)


def _shown(result: Result, unresolved: str) -> bool:
    """Whether a result is a finding this run reports (text and SARIF)."""
    if result.status == 'compliant':
        return False
    return result.status == 'noncompliant' or unresolved != 'ignore'


def _fixable(result: Result, files: frozenset[str]) -> bool:
    """What --fix rewrites in this run: a non-compliant, unsuppressed literal that feeds nothing
    else, in a file that was passed (only the process given a file writes it)."""
    literal = result.origin if result.origin is not None else result.location
    return (result.status == 'noncompliant' and result.fixable and not result.shared and not result.suppressed
            and literal.path in files)


def _error_message(error: RunError) -> str:
    prefix = {'parse': 'cannot parse Terraform: ', 'limit': 'cannot parse Terraform: ',
              'read': 'cannot read: ', 'plan': 'not a Terraform plan: '}.get(error.kind, '')
    return f'{prefix}{_printable(error.reason)}'


def _where(path: str, line: int, column: int) -> str:
    path = _printable(path)  # a directory named 'x.tf:1:1: note: all good' + newline forges no line
    if line <= 0:
        return path
    if column <= 0:
        return f'{path}:{line}'
    return f'{path}:{line}:{column}'


def change_line(change: Change) -> str:
    """What ``--fix`` rewrote, after its ``Fixing PATH`` line:
    ``variables.tf:2:13: "OFF" -> "on" (default of var.ld, for ADDRESS)``."""
    what = f'{_printable(change.what)}, ' if change.what else ''
    fed = ', '.join(_printable(a) for a in change.addresses)
    return (f'{_where(change.path, change.line, change.column)}: {show_value(change.old)} -> {rule.REPLACEMENT} '
            f'({what}for {fed})')


# --- exit code -----------------------------------------------------------------

def exit_code(report: Report, *, unresolved: str) -> int:
    """1 when something blocks the commit, else 0.

    Blocking: an unsuppressed noncompliant result, a file that could not be
    checked, a file that ``--fix`` rewrote, or (``unresolved == 'fail'``) an
    unsuppressed unverified result.
    """
    _check(unresolved)
    if report.errors or report.fixed:
        return 1
    for r in report.results:
        if r.suppressed:
            continue
        if r.status == 'noncompliant':
            return 1
        if r.status == 'unverified' and unresolved == 'fail':
            return 1
    return 0


# --- text ------------------------------------------------------------------------

def _text(report: Report, unresolved: str, show_suppressed: bool) -> str:
    lines: list[tuple[str, int, int, int, str]] = []
    suppressed = 0
    # instances whose lines would differ only in their address share one line that names them all
    groups: dict[tuple[str, int, int, str], list[Result]] = {}
    for r in report.results:
        if not _shown(r, unresolved):
            continue
        if r.suppressed:
            suppressed += 1
            if not show_suppressed:
                continue
        key = (r.location.path, r.location.line, r.location.column,
               _INSTANCE_KEY.sub('', r.address) + message(replace(r, address='')))
        groups.setdefault(key, []).append(r)
    for (path, line, column, _), same in groups.items():
        same.sort(key=lambda r: _address_order(r.address))
        r = same[0]
        text = message(r, [x.address for x in same])
        if r.suppressed:
            text = f'suppressed ({_printable(r.suppressed)}): {text}'
        lines.append((path, line, column, 1, text))
    for e in report.errors:
        lines.append((e.path, e.line, e.column, 0, _error_message(e)))
    for n in report.notes:
        lines.append((n.path, n.line, n.column, 2, f'note: {_printable(n.text)}'))
    lines.sort()
    out = [f'{_where(p, line, col)}: {text}' for p, line, col, _, text in lines]
    if show_suppressed and suppressed:
        out.append(f'{suppressed} suppressed finding(s)')
    return ''.join(f'{line}\n' for line in out)


def _address_order(address: str) -> list[tuple[int, int | str]]:
    """``x[2]`` before ``x[10]``: numbers in an address compare as numbers."""
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r'(\d+)', address)]


# --- JSON ------------------------------------------------------------------------

def _status(result: Result) -> str:
    return 'suppressed' if result.suppressed else result.status


def _result_json(r: Result, files: frozenset[str]) -> dict[str, Json]:
    loc = r.location
    origin = None
    if r.origin is not None:
        o = r.origin
        origin = {
            'file': o.path, 'line': o.line, 'column': o.column,
            'end_line': o.end_line, 'end_column': o.end_column, 'what': r.origin_what,
        }
    return {
        'file': loc.path,
        'line': loc.line,
        'column': loc.column,
        'end_line': loc.end_line,
        'end_column': loc.end_column,
        'address': r.address,
        'resource_type': r.resource_type,
        'value': _jsonable(r.value) if r.value_known else None,
        'value_known': r.value_known,
        'reason': r.reason,
        'via': list(r.via),
        'origin': origin,
        'callers': [{'file': c.path, 'line': c.line, 'column': c.column} for c in r.callers],
        'installed': list(r.installed),
        'status': _status(r),
        'verdict': r.status,
        'suppression': r.suppressed or None,
        'fixable': _fixable(r, files),
        'message': message(r),
        'rule_id': RULE_ID,
    }


def _result_order(r: Result) -> tuple[str, int, int, str]:
    return (r.location.path, r.location.line, r.location.column, r.address)


def _json(report: Report) -> str:
    results = sorted(report.results, key=_result_order)
    errors = sorted(report.errors, key=lambda e: (e.path, e.line, e.column, e.reason))
    notes = sorted(report.notes, key=lambda n: (n.path, n.line, n.column, n.text))
    summary = {
        'noncompliant': sum(not r.suppressed and r.status == 'noncompliant' for r in results),
        'unverified': sum(not r.suppressed and r.status == 'unverified' for r in results),
        'compliant': sum(not r.suppressed and r.status == 'compliant' for r in results),
        'suppressed': sum(bool(r.suppressed) for r in results),
        'errors': len(errors),
    }
    doc = {
        'version': 1,
        'rule': {'id': RULE_ID, 'name': RULE_NAME, 'severity': SEVERITY, 'cwe': CWE, 'cis': CIS},
        'results': [_result_json(r, frozenset(report.files)) for r in results],
        'errors': [
            {
                'file': e.path, 'line': e.line, 'column': e.column, 'kind': e.kind,
                'reason': e.reason, 'message': _error_message(e),
            }
            for e in errors
        ],
        'notes': [
            {'file': n.path, 'line': n.line, 'column': n.column, 'text': n.text}
            for n in notes
        ],
        'fixed': sorted(report.fixed),
        'changes': [
            {'file': c.path, 'line': c.line, 'column': c.column, 'from': _jsonable(c.old), 'to': rule.ACCEPTED,
             'what': c.what, 'addresses': list(c.addresses)}
            for c in report.changes
        ],
        'summary': summary,
    }
    return json.dumps(doc, indent=2, allow_nan=False) + '\n'


# --- entry -------------------------------------------------------------------------

def render(
    report: Report,
    fmt: str,
    *,
    unresolved: str = 'warn',
    show_suppressed: bool = False,
    include_suppressed: bool = False,
    tool_version: str | None = None,
) -> str:
    """The whole output of a run in ``fmt`` ('text', 'json' or 'sarif').

    ``unresolved`` ('ignore', 'warn', 'fail') decides whether unverified
    results are shown in text and SARIF; ``show_suppressed`` lists suppressed
    findings in text, ``include_suppressed`` keeps them in SARIF (JSON always
    carries them). ``tool_version`` defaults to the installed package's.
    """
    _check(unresolved)
    if fmt == 'text':
        return _text(report, unresolved, show_suppressed)
    if fmt == 'json':
        return _json(report)
    if fmt == 'sarif':
        from check_postgresql_log_disconnections import sarif

        return sarif.render(report, unresolved=unresolved, include_suppressed=include_suppressed,
                            tool_version=tool_version)
    raise ValueError(f'fmt must be one of {FORMATS}, not {fmt!r}')


