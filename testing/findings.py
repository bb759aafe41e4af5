"""``findings(sources)``: the rule's outcome on module sources given as text, one line each, for table tests.

Drives ``texts.check_texts`` (load -> expand -> judge, no disk, cwd or git) and
prints results as ``PATH:LINE: STATUS: MESSAGE`` (the message without the rule
id every line would repeat), then errors and notes.
"""
from __future__ import annotations

from collections.abc import Mapping

from check_postgresql_log_disconnections import render
from check_postgresql_log_disconnections.rule import RULE_ID
from check_postgresql_log_disconnections.texts import check_texts
from check_postgresql_log_disconnections.values import Val


def findings(sources: Mapping[str, str], root: str = '.', *, var: Mapping[str, object] | None = None,
             require_explicit: bool = False) -> list[str]:
    var_values = {k: Val(v) for k, v in (var or {}).items()}  # type: ignore[arg-type]
    report = check_texts(sources, root, var_values=var_values, require_explicit=require_explicit)
    lines = [f'{r.location.path}:{r.location.line}: {r.status}: '
             + render.message(r).removesuffix(f' [{RULE_ID}]').removeprefix('unverified: ')
             for r in sorted(report.results, key=lambda r: (r.location.path, r.location.start, r.address))]
    lines += [f'{e.path}:{e.line}: error: {e.reason}' for e in report.errors]
    lines += [f'{n.path}:{n.line}: note: {n.text}' for n in report.notes]
    return lines


def resource(value: str, name: str = '"log_disconnections"', extra: str = '',
             rtype: str = 'azurerm_postgresql_configuration', label: str = 'c') -> str:
    """A configuration resource block: ``value`` and ``name`` are HCL expressions, ``extra`` more lines."""
    return f'resource "{rtype}" "{label}" {{\n{extra}  name  = {name}\n  value = {value}\n}}\n'
