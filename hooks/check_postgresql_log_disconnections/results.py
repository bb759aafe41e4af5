"""What a run produces: one ``Result`` per resource instance judged, plus run errors.

The later steps (suppressions, report formats, ``--fix``) work on these; of the
steps upstream, only ``--fix`` reads anything again: the files it rewrites
(``files.read``), to check each literal is still the one that was judged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

# What a run gathers besides results lives in ``report`` (plain classes, imported on the fast path).
from check_postgresql_log_disconnections.report import Note, Report, RunError

__all__ = ['Change', 'Note', 'Report', 'Result', 'RunError', 'Status']

if TYPE_CHECKING:
    from check_postgresql_log_disconnections.syntax import Span

Status = Literal['noncompliant', 'unverified', 'compliant']


@dataclass(frozen=True)
class Result:
    """One resource instance judged against the rule.

    ``location`` is the value expression in the resource block (or the block
    itself when there is none); line 0 when no file holds it (``--plan`` names
    the plan file then). ``origin`` is the literal the value came from
    when that literal is not the value expression itself (a variable default,
    a locals entry, a tfvars line, a for_each map entry...). ``fixable`` says
    the value is that literal's text unchanged, so rewriting it to ``on`` makes
    the instance compliant; ``shared`` says the same literal also feeds some
    other use, so a fix must not touch it.
    """

    status: Status
    address: str
    resource_type: str
    location: Span
    block: Span
    value: object = None
    value_known: bool = False
    reason: str = ''
    origin: Span | None = None
    origin_what: str = ''  # e.g. 'default of var.params', 'terraform.tfvars'
    fixable: bool = False
    shared: bool = False
    shared_via: str = ''  # the name through which something else reads the same literal
    via: tuple[str, ...] = ()  # names the value passed through: ('var.params', 'local.cfg')
    callers: tuple[Span, ...] = ()  # module blocks that instantiated this, outermost first
    installed: tuple[str, ...] = ()  # installed modules it lies in, outermost first: 'module.pg: SOURCE VERSION'
    suppressed: str = ''  # the comment form that suppresses it, '' when not suppressed
    view: str = ''  # 'as Terraform reads it...' when only one tool's reading of .tofu files gives this result


@dataclass(frozen=True)
class Change:
    """A literal ``--fix`` rewrote: where it was, the value it had, what it fed."""

    path: str
    line: int
    column: int
    old: object  # the value it had ('OFF')
    what: str  # where it lives when not in the resource block ('default of var.ld'), else ''
    addresses: tuple[str, ...]  # the resource instances it set, sorted
