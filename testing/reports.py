"""Hand-built ``Result`` and ``Report`` values for the renderers' tests (text, JSON, SARIF)."""
from __future__ import annotations

from typing import Any

from check_postgresql_log_disconnections.results import Note, Report, Result, RunError
from check_postgresql_log_disconnections.syntax import Span

T = 'azurerm_postgresql_configuration'


def span(path: str, line: int, column: int, width: int = 5) -> Span:
    return Span(path, line, column, line, column + width, 0, width)


def res(**kw: Any) -> Result:
    """A result with defaults for what a test does not care about: non-compliant, in main.tf."""
    kw.setdefault('status', 'noncompliant')
    kw.setdefault('address', f'{T}.positive1')
    kw.setdefault('resource_type', T)
    kw.setdefault('location', span('main.tf', 5, 27))
    kw.setdefault('block', Span('main.tf', 1, 1, 6, 2, 0, 200))
    if 'value' in kw:
        kw.setdefault('value_known', True)
    return Result(**kw)


def sample_report(**kw: Any) -> Report:
    """One of everything: a finding through a module with an origin, a compliant, an unverified and a
    suppressed result, a parse error, a note and a fixed file."""
    return Report(
        results=[
            res(
                address=f'module.db.{T}.cfg["log_disconnections"]',
                location=Span('modules/db/main.tf', 8, 15, 8, 35, 120, 140),
                value='off',
                origin=Span('variables.tf', 14, 13, 14, 18, 300, 305),
                origin_what='default of var.params',
                via=('var.params',),
                callers=(Span('main.tf', 1, 1, 4, 2, 0, 60),),
                fixable=True,
            ),
            res(status='compliant', address=f'{T}.negative1', value='On'),
            res(
                status='unverified', address=f'{T}.u', location=span('main.tf', 12, 27),
                reason='data.x.y is only known after apply',
            ),
            res(
                address=f'{T}.s', location=span('main.tf', 20, 27), value=0,
                suppressed='kics-scan ignore-line',
            ),
        ],
        errors=[RunError('bad.tf', 'Unexpected token', 3, 4)],
        notes=[Note('main.tf', 30, 1, 'module source is a registry module: not followed')],
        fixed=['variables.tf'],
        files=['main.tf', 'modules/db/main.tf', 'variables.tf'],
        **kw,
    )
