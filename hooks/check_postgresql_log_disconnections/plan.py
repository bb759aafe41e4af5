"""CI mode (``--plan FILE``): Terraform's plan JSON -> results, located in the user's files.

``terraform show -json plan.out`` (OpenTofu's ``tofu show -json`` is the same
format) holds every value Terraform will apply, for every module instance. The
reader uses the documented plan representation
(https://developer.hashicorp.com/terraform/internals/json-format):

* ``format_version``: major 0 or 1 is read; another major is refused, as the
  format's own rules ask.
* ``resource_changes``: one entry per resource instance, with ``change.actions``
  and the planned attributes ``change.after`` / ``change.after_unknown``. An
  instance the plan creates, updates, replaces (``delete`` + ``create``) or
  keeps unchanged (``no-op``: it goes on existing with that value) is judged by
  its planned ``name`` and ``value``; one being deleted (or forgotten, or a
  deposed object) is not. A value marked in ``after_unknown`` is unverified.
  (``planned_values`` holds the same values; ``prior_state`` is what exists now:
  neither is needed.)
* ``configuration``: the module calls (``module_calls``, their ``source``) that
  lead from the root module to each resource.

Each result is located in the user's files: the root module is the working
directory; a local module source is followed from its caller's directory, a
registry or git source through ``.terraform/modules/modules.json``. There the
``resource`` block is found and the result points at its ``value`` (or the
block), with the module calls as callers. When the module's code is not on disk
the result points at the calling ``module`` block, with a note saying why; when
not even that is found, it carries the plan file's name and no line (text:
``PLAN: ADDRESS: ...``). Where the static check of the working directory
reaches the same instance with the same value, its origin (a variable default,
a tfvars line...) is kept; when the plan's value differs (``TF_VAR_*``, a data
source), the plan wins and no origin is claimed.

A file that is not a plan is one ``RunError``: too large (``MAX_BYTES``, checked
with ``stat`` before reading), invalid or truncated JSON, nested too deeply,
another format. Memory stays near the file's size: the attributes of resources
of other types are dropped while the JSON is parsed.
"""
from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from check_postgresql_log_disconnections import files, installed
from check_postgresql_log_disconnections.record import replace
from check_postgresql_log_disconnections.results import Note, Report, Result, RunError
from check_postgresql_log_disconnections.rule import CONFIG_TYPES, compliant, is_parameter
from check_postgresql_log_disconnections.syntax import Span

if TYPE_CHECKING:
    from check_postgresql_log_disconnections import syntax as s

MAX_BYTES = 128 * 1024 * 1024  # a plan of tens of thousands of resources; more is not a plan to read here
STDIN = '<stdin>'  # how ``--plan -`` is named in the output
_JUDGED_ACTIONS = ('create', 'update', 'no-op')
_FORMAT = re.compile(r'([0-9]+)\.[0-9]+')
_MODULE_STEP = re.compile(r'module\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[(?:[0-9]+|"(?:[^"\\]|\\.)*")\])?(?:\.|$)')
_LOCAL = ('./', '../', '.\\', '..\\')
_AFTER_APPLY = 'known only after apply (the plan marks it unknown)'
Json = Any


# --- reading -----------------------------------------------------------------------

def _prune(obj: dict[str, Json]) -> dict[str, Json]:
    """json object_hook: forget the attributes of other resource types as soon as they are parsed."""
    rtype = obj.get('type')
    if isinstance(rtype, str) and rtype not in CONFIG_TYPES and ('change' in obj or 'values' in obj):
        return {k: v for k, v in obj.items() if k not in ('change', 'values', 'sensitive_values')}
    return obj


def read(path: str) -> tuple[str, dict[str, Json] | RunError]:
    """``(name shown, document or why it is not a plan)``; ``-`` reads standard input."""
    shown = STDIN if path == '-' else path
    try:
        if path == '-':
            data = sys.stdin.buffer.read(MAX_BYTES + 1)
        else:
            if os.path.isdir(path):
                return shown, RunError(shown, 'is a directory', kind='read')
            size = os.stat(path).st_size  # before reading: a 500 MB file is never read
            if size > MAX_BYTES:
                return shown, RunError(shown, _too_large(size), kind='read')
            with open(path, 'rb') as f:  # a FIFO (``--plan <(terraform show -json ...)``) too, bounded
                data = f.read(MAX_BYTES + 1)
    except OSError as e:
        return shown, RunError(shown, e.strerror or str(e), kind='read')
    if len(data) > MAX_BYTES:
        return shown, RunError(shown, _too_large(len(data)), kind='read')
    return shown, plan_document(data, shown)


def _too_large(size: int) -> str:
    return f'plan JSON too large ({size} bytes > {MAX_BYTES})'


def plan_document(data: bytes, shown: str) -> dict[str, Json] | RunError:
    """The plan document, checked to be one (UTF-8/16/32 as JSON allows: PowerShell writes UTF-16)."""
    try:
        doc = json.loads(data, object_hook=_prune)
    except json.JSONDecodeError as e:
        ends = ' (it ends early: truncated?)' if not data[e.pos:].strip() else ''
        return RunError(shown, f'invalid JSON: {e.msg}{ends}', e.lineno, e.colno, kind='plan')
    except UnicodeDecodeError:
        return RunError(shown, 'invalid JSON: not UTF-8', kind='plan')
    except RecursionError:
        return RunError(shown, 'invalid JSON: nested too deeply', kind='plan')
    except ValueError as e:  # what else json refuses
        return RunError(shown, f'invalid JSON: {e}', kind='plan')
    return _check(doc, shown)


def _check(doc: Json, shown: str) -> dict[str, Json] | RunError:
    def bad(why: str) -> RunError:
        return RunError(shown, why, kind='plan')

    if not isinstance(doc, dict):
        return bad('the JSON is not an object (expected the output of terraform show -json PLANFILE)')
    version = doc.get('format_version')
    m = _FORMAT.fullmatch(version) if isinstance(version, str) else None
    if m is None:
        return bad('no format_version (expected the output of terraform show -json PLANFILE)')
    if int(m.group(1)) > 1:
        return bad(f'format_version {version} is not supported (this version reads 0.x and 1.x)')
    if 'planned_values' not in doc and 'resource_changes' not in doc:
        if 'values' in doc:
            return bad('this is a state, not a plan (run terraform show -json on the saved plan file)')
        return bad('no planned_values or resource_changes (expected the output of terraform show -json PLANFILE)')
    if not isinstance(doc.get('resource_changes', []), list):
        return bad('resource_changes is not a list')
    return doc


# --- what the plan says -------------------------------------------------------------

@dataclass(frozen=True)
class Planned:
    """One configuration resource instance the plan keeps or makes, with its planned attributes."""

    address: str  # module.db["prod"].azurerm_...this["log_disconnections"]
    calls: tuple[str, ...] | None  # module call names, outermost first; None when unreadable
    resource_type: str
    resource_name: str
    after: dict[str, Json]
    unknown: dict[str, Json]


def _calls(module_address: str) -> tuple[str, ...] | None:
    """``module.db["prod"].module.inner[0]`` -> ``('db', 'inner')``."""
    out, pos = [], 0
    while pos < len(module_address):
        m = _MODULE_STEP.match(module_address, pos)
        if m is None:
            return None
        out.append(m.group(1))
        pos = m.end()
    return tuple(out)


def planned(doc: dict[str, Json], shown: str) -> tuple[list[Planned], list[RunError]]:
    out: list[Planned] = []
    errors: list[RunError] = []
    for i, entry in enumerate(doc.get('resource_changes', [])):
        if not isinstance(entry, dict) or entry.get('type') not in CONFIG_TYPES or entry.get('mode') == 'data':
            continue
        change = entry.get('change')
        change = change if isinstance(change, dict) else {}
        actions = change.get('actions')
        if not isinstance(actions, list):
            errors.append(RunError(shown, f'resource_changes[{i}] has no change.actions', kind='plan'))
            continue
        if entry.get('deposed') or not any(a in _JUDGED_ACTIONS for a in actions):
            continue  # deleted, forgotten, or an old object being replaced: Terraform will not keep it
        after, unknown = change.get('after'), change.get('after_unknown')
        address, name = entry.get('address'), entry.get('name')
        module = entry.get('module_address', '')
        if not (isinstance(after, dict) and isinstance(address, str) and isinstance(name, str)
                and isinstance(module, str)):
            errors.append(RunError(shown, f'resource_changes[{i}] has no address, name or change.after',
                                   kind='plan'))
            continue
        if unknown is True:  # the whole object unknown
            unknown = {'name': True, 'value': True}
        out.append(Planned(address, _calls(module), entry['type'], name, after,
                           unknown if isinstance(unknown, dict) else {}))
    return out, errors


def module_sources(doc: dict[str, Json]) -> dict[tuple[str, ...], str]:
    """Each module call path in the plan's ``configuration`` -> the call's ``source``."""
    out: dict[tuple[str, ...], str] = {}
    config = doc.get('configuration')
    todo: list[tuple[tuple[str, ...], Json]] = [((), config.get('root_module') if isinstance(config, dict) else None)]
    while todo:
        path, module = todo.pop()
        calls = module.get('module_calls') if isinstance(module, dict) else None
        for name, call in (calls.items() if isinstance(calls, dict) else ()):
            if isinstance(call, dict) and isinstance(call.get('source'), str):
                out[(*path, name)] = call['source']
                todo.append(((*path, name), call.get('module')))
    return out


# --- where it is in the user's files -------------------------------------------------

@dataclass(frozen=True)
class Where:
    location: Span
    block: Span
    callers: tuple[Span, ...] = ()


class Locator:
    """Finds the block of a planned instance: module call chain -> directory -> ``resource`` block."""

    def __init__(self, root: str, boundary: str, sources: dict[tuple[str, ...], str]) -> None:
        self.root = root
        self.boundary = boundary
        self.sources = sources  # from the plan's configuration
        self.notes: list[Note] = []
        self.texts: dict[str, str] = {}  # display path -> text, for suppressions
        self._manifest: installed.Manifest | None = None
        self._dirs: dict[str, list[files.Source]] = {}
        self._blocks: dict[tuple[str, str, tuple[str, ...]], s.Block | None] = {}
        self._found: dict[tuple[tuple[str, ...], str, str], Where | None] = {}

    def where(self, p: Planned) -> Where | None:
        if p.calls is None:
            return None
        key = (p.calls, p.resource_type, p.resource_name)
        if key not in self._found:
            self._found[key] = self._locate(*key)
        return self._found[key]

    def _locate(self, calls: tuple[str, ...], rtype: str, rname: str) -> Where | None:
        from check_postgresql_log_disconnections.judge import value_span

        directory: str | None = self.root
        callers: list[Span] = []
        for i, name in enumerate(calls):
            call = self._block(directory, 'module', (name,)) if directory else None
            if call is None:
                directory = None
                break
            callers.append(call.span)
            directory = self._child(directory or '', calls[:i + 1], call)
        block = self._block(directory, 'resource', (rtype, rname)) if directory else None
        if block is not None:
            return Where(value_span(block), block.span, tuple(callers))
        if callers:  # the module's code is not on disk: the call that instantiates it
            return Where(callers[-1], callers[-1], tuple(callers[:-1]))
        return None

    def _child(self, parent: str, path: tuple[str, ...], call: s.Block) -> str | None:
        from check_postgresql_log_disconnections import syntax as s

        source = self.sources.get(path)
        attr = call.attr('source')
        if source is None and attr is not None and isinstance(attr.expr, s.Lit):
            source = str(attr.expr.value)
        if source is None:
            return self._note(call, '?', 'the plan does not say its source')
        if source.startswith(_LOCAL):
            directory = os.path.normpath(os.path.join(parent, source))
        else:
            if self._manifest is None:
                self._manifest = installed.read(self.root, os.environ.get('TF_DATA_DIR') or installed.DATA_DIR)
            got = self._manifest.find('.'.join(path), source)
            if isinstance(got, str):
                return self._note(call, source, got)
            directory = got.directory
        if not files.inside(directory, self.boundary):
            return self._note(call, source, 'is outside the repository: not read')
        if not os.path.isdir(directory):
            return self._note(call, source, 'is not on disk')
        return directory

    def _note(self, call: s.Block, source: str, why: str) -> str | None:
        """Say why a module's code is not read; None: no directory."""
        text = f'module "{call.labels[0]}" (source {source}): {why}; its planned results point at this call'
        self.notes.append(Note(call.span.path, call.span.line, call.span.column, text))
        return None

    def _block(self, directory: str, type_: str, labels: tuple[str, ...]) -> s.Block | None:
        from check_postgresql_log_disconnections import modules

        key = (directory, type_, labels)
        if key not in self._blocks:
            self._blocks[key] = modules.find_block(self._read(directory), type_, labels)
        return self._blocks[key]

    def _read(self, directory: str) -> list[files.Source]:
        """Every Terraform file of the directory: the ones Terraform read, tracked or not."""
        if directory not in self._dirs:
            got = [files.read(p) for p in files.siblings(directory) if files.file_inside(p, self.boundary)]
            self._dirs[directory] = [x for x in got if isinstance(x, files.Source)]
            self.texts.update((x.path, x.text) for x in self._dirs[directory])
        return self._dirs[directory]


# --- judging --------------------------------------------------------------------------

def _as_planned(value: object) -> object:
    """A statically known value as the plan shows a string attribute (``1`` -> ``"1"``)."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return value


def judge(p: Planned, where: Where, static: Result | None) -> Result | None:
    """The result for one planned instance; None when it configures another parameter."""
    if static is not None:  # the static check reached this instance: its locations are file mode's
        where = Where(static.location, static.block, static.callers)
    base = Result(status='unverified', address=p.address, resource_type=p.resource_type,
                  location=where.location, block=where.block, callers=where.callers)
    if p.unknown.get('name') is True:
        return replace(base, reason=f'name {_AFTER_APPLY}')
    if not is_parameter(p.after.get('name')):
        return None
    if p.unknown.get('value') is True:
        return replace(base, reason=f'value {_AFTER_APPLY}')
    if 'value' not in p.after:
        return replace(base, reason='the plan has no value for it')
    value = p.after['value']
    result = replace(base, status='compliant' if compliant(value) else 'noncompliant', value=value,
                     value_known=True)
    if static is not None and static.value_known and _as_planned(static.value) == value:
        result = replace(result, origin=static.origin, origin_what=static.origin_what, via=static.via,
                         fixable=static.fixable, shared=static.shared)
    return result


@dataclass
class _Plans:
    results: list[Result] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)


def check(paths: Sequence[str], root: str, boundary: str, static: Callable[[], list[Result]]) -> Report:
    """Judge each plan file; ``static`` gives the static check's results for the root module."""
    from check_postgresql_log_disconnections import suppress

    out = _Plans()
    by_address: dict[str, Result] | None = None
    for path in paths:
        shown, doc = read(path)
        if isinstance(doc, RunError):
            out.errors.append(doc)
            continue
        instances, errors = planned(doc, shown)
        out.errors.extend(errors)
        if not instances:
            continue  # nothing to locate: the parser is never imported
        if by_address is None:
            by_address = {r.address: r for r in static()}
        locator = Locator(root, boundary, module_sources(doc))
        nowhere = Where(Span(shown, 0, 0, 0, 0, 0, 0), Span(shown, 0, 0, 0, 0, 0, 0))
        for p in instances:
            r = judge(p, locator.where(p) or nowhere, by_address.get(p.address))
            if r is not None:
                out.results.append(r)
        out.notes.extend(locator.notes)
        out.texts.update(locator.texts)
    results = suppress.apply(out.results, out.texts) if out.results else []
    return Report(results=results, errors=out.errors, notes=list(dict.fromkeys(out.notes)))


def merge(planned_results: list[Result], file_results: list[Result]) -> list[Result]:
    """Both kinds of result, an instance found by both once, with the plan's value.

    A file result is dropped when a plan result has its address and block, or
    when it is unverified and the plan judged instances of the same block (the
    plan knows what the static check could not).
    """
    same = {(r.address, r.block.path, r.block.start) for r in planned_results}
    blocks = {(r.block.path, r.block.start) for r in planned_results if r.block.line > 0}
    kept = [r for r in file_results
            if (r.address, r.block.path, r.block.start) not in same
            and not (r.status == 'unverified' and (r.block.path, r.block.start) in blocks)]
    return planned_results + kept
