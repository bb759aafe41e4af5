"""What a run produces: one ``Result`` per resource instance judged, plus run errors.

The later steps (suppressions, report formats, ``--fix``) work on these; of the
steps upstream, only ``--fix`` reads anything again: the files it rewrites
(``files.read``), to check each literal is still the one that was judged.
"""
from __future__ import annotations

# What a run gathers besides results lives in ``report`` (plain classes, imported on the fast path).
from check_postgresql_log_disconnections.record import Record
from check_postgresql_log_disconnections.report import Note, Report, RunError

__all__ = ['Change', 'Note', 'Report', 'Result', 'RunError', 'Status']

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    from check_postgresql_log_disconnections.syntax import Span

    Status = Literal['noncompliant', 'unverified', 'compliant']


class Result(Record):
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

    __slots__ = (
        'address',
        'block',
        'callers',
        'fixable',
        'installed',
        'location',
        'origin',
        'origin_what',
        'reason',
        'resource_type',
        'shared',
        'shared_via',
        'status',
        'suppressed',
        'value',
        'value_known',
        'via',
        'view',
    )

    def __init__(self, status: Status, address: str, resource_type: str, location: Span, block: Span,
                 value: object = None, value_known: bool = False, reason: str = '', origin: Span | None = None,
                 origin_what: str = '', fixable: bool = False, shared: bool = False, shared_via: str = '',
                 via: tuple[str, ...] = (), callers: tuple[Span, ...] = (), installed: tuple[str, ...] = (),
                 suppressed: str = '', view: str = '') -> None:
        self.status: Status = status
        self.address = address
        self.resource_type = resource_type
        self.location = location
        self.block = block
        self.value = value
        self.value_known = value_known
        self.reason = reason
        self.origin = origin
        self.origin_what = origin_what  # e.g. 'default of var.params', 'terraform.tfvars'
        self.fixable = fixable
        self.shared = shared
        self.shared_via = shared_via  # the name through which something else reads the same literal
        self.via = via  # names the value passed through: ('var.params', 'local.cfg')
        self.callers = callers  # module blocks that instantiated this, outermost first
        # installed modules it lies in, outermost first: 'module.pg: SOURCE VERSION'
        self.installed = installed
        self.suppressed = suppressed  # the comment form that suppresses it, '' when not suppressed
        # 'as Terraform reads it...' when only one tool's reading of .tofu files gives this result
        self.view = view


class Change(Record):
    """A literal ``--fix`` rewrote: where it was, the value it had, what it fed."""

    __slots__ = ('addresses', 'column', 'line', 'old', 'path', 'what')

    def __init__(self, path: str, line: int, column: int, old: object, what: str,
                 addresses: tuple[str, ...]) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.old = old  # the value it had ('OFF')
        self.what = what  # where it lives when not in the resource block ('default of var.ld'), else ''
        self.addresses = addresses  # the resource instances it set, sorted
