"""The pipeline: paths -> module directories -> parsed modules -> instances -> results -> report.

Which results a run prints: those whose resource value, origin or module call
lies in a file that was passed. Under pre-commit, which splits the file list
across processes, a result belongs to the process that was given its resource
file; a process given only the origin (a ``variables.tf`` whose default feeds
a resource in ``main.tf``) prints it only when the origin has staged changes
and the resource file has none, so the commit that changes a default is
blocked and ``pre-commit run --all-files`` prints each finding once.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from hooks import files, hcl, modules, rule, suppress
from hooks.evaluate import evaluate
from hooks.instances import Settings, expand
from hooks.results import Note, Report, Result, RunError
from hooks.values import Val, Value


@dataclass
class Options:
    var_values: list[tuple[str, str]] = field(default_factory=list)  # --var NAME=VALUE, in order
    var_files: list[str] = field(default_factory=list)
    require_explicit: bool = False


class _Run:
    def __init__(self, boundary: str, git_root: str | None, passed: set[str]) -> None:
        self.boundary = boundary
        self.git_root = git_root
        self.passed = passed
        self.modules: dict[str, modules.Module | None] = {}
        self.sources: dict[str, files.Source | RunError] = {}
        self.tracked: set[str] | None = None

    def read(self, path: str) -> files.Source | RunError:
        if path not in self.sources:
            if not files.inside(path, self.boundary):
                self.sources[path] = RunError(files.display(path),
                                              'symbolic link points outside the repository: not followed',
                                              kind='boundary')
            else:
                self.sources[path] = files.read(path)
        return self.sources[path]

    def dir_files(self, directory: str) -> list[str]:
        """The files that feed a directory's verdict: tracked ones in git, all of them outside."""
        paths = files.siblings(directory)
        paths += [p for p in self.passed if os.path.dirname(p) == directory and p not in paths]
        if self.tracked is not None:
            paths = [p for p in paths if p in self.tracked or p in self.passed]
        return sorted(paths)

    def module(self, directory: str) -> modules.Module | None:
        if directory not in self.modules:
            if not os.path.isdir(directory) or not files.inside(directory, self.boundary):
                self.modules[directory] = None
            else:
                sources = [x for x in (self.read(p) for p in self.dir_files(directory)) if isinstance(x, files.Source)]
                self.modules[directory] = modules.load(directory, sources)
        return self.modules[directory]


def _cli_value(text: str) -> Value:
    """``--var name=VALUE``: HCL for a list or map, as Terraform does, else a plain string."""
    if text.lstrip().startswith(('{', '[')):
        try:
            body = hcl.parse(f'v = {text}\n', '<--var>')
            return evaluate(body.attributes[0].expr, _Const())
        except hcl.ParseError:
            pass
    return Val(text)


class _Const:
    def var(self, name: str) -> Value:
        from hooks.values import Unknown
        return Unknown(f'var.{name} cannot be used here')

    local = var


def _settings(opts: Options, run: _Run, report: Report) -> Settings:
    settings = Settings()
    for path in opts.var_files:
        ap = os.path.abspath(path)
        if not files.inside(ap, run.boundary):
            report.errors.append(RunError(path, '--var-file is outside the repository: not read', kind='boundary'))
            continue
        src = files.read(ap)
        if isinstance(src, RunError):
            report.errors.append(src)
            continue
        errors: list[RunError] = []
        src = replace(src, kind='tfvarsjson' if path.endswith('.json') else 'tfvars')
        attrs = modules.parse_tfvars(src, errors)
        report.errors.extend(errors)
        for name, attr in (attrs or {}).items():
            settings.var_values[name] = evaluate(attr.expr, _Const())
    for name, text in opts.var_values:
        settings.var_values[name] = _cli_value(text)
    return settings


def run(args: list[str], opts: Options, *, under_pre_commit: bool | None = None) -> Report:
    paths, errors = files.expand(args)
    report = Report(errors=list(errors))
    root = files.git_root(os.getcwd())
    boundary = root or os.getcwd()
    passed = set(paths)
    state = _Run(boundary, root, passed)
    settings = _settings(opts, state, report)

    directories: dict[str, list[files.Source]] = {}
    for p in paths:
        src = state.read(p)
        if isinstance(src, RunError):
            report.errors.append(src)
            continue
        directories.setdefault(os.path.dirname(p), [])

    relevant = []
    for d in sorted(directories):
        candidates = files.siblings(d) + [q for q in passed if os.path.dirname(q) == d]
        sources = [x for x in map(state.read, candidates) if isinstance(x, files.Source)]
        if modules.relevant(sources):
            relevant.append(d)
    if root is not None and relevant:
        state.tracked = files.tracked(root, relevant)

    shown = {files.display(p) for p in passed}
    report.files = sorted(shown)
    results: list[Result] = []
    for d in relevant:
        mod = state.module(d)
        if mod is None:  # pragma: no cover (relevant dirs exist and are inside)
            continue
        report.errors.extend(e for e in mod.errors if e.path in shown)
        instances = expand(mod, settings, state.module, report.notes, stack=())
        results.extend(rule.judge_all(instances))
        if opts.require_explicit:
            results.extend(rule.not_set(mod, instances))

    pre_commit = os.environ.get('PRE_COMMIT') == '1' if under_pre_commit is None else under_pre_commit
    report.results = _select(results, shown, pre_commit, root)
    report.results = suppress.apply(report.results, {p: s.text for p, s in _texts(state).items()})
    report.notes = _dedupe_notes(report.notes, shown)
    report.errors = list(dict.fromkeys(report.errors))
    return report


def _texts(state: _Run) -> dict[str, files.Source]:
    return {s.path: s for s in state.sources.values() if isinstance(s, files.Source)}


def _dedupe_notes(notes: list[Note], shown: set[str]) -> list[Note]:
    return list(dict.fromkeys(n for n in notes if n.path in shown))


def _select(results: list[Result], shown: set[str], pre_commit: bool, root: str | None) -> list[Result]:
    staged: Callable[[], set[str]] = _staged_paths(root)
    out: dict[tuple[object, ...], Result] = {}
    for r in results:
        others = {r.origin.path} if r.origin else set()
        others |= {c.path for c in r.callers}
        if r.location.path in shown:
            keep = True
        elif not others & shown:
            keep = False
        elif not pre_commit:
            keep = True
        else:
            changed = staged()
            keep = r.location.path not in changed and bool(others & shown & changed)
        if keep:
            key = (r.location.path, r.location.start, r.origin, r.status, repr(r.value), r.reason)
            out.setdefault(key, r)
    return list(out.values())


def _staged_paths(root: str | None) -> Callable[[], set[str]]:
    cache: list[set[str]] = []

    def get() -> set[str]:
        if not cache:
            got = files.staged(root) if root else None
            cache.append({files.display(p) for p in got or set()})
        return cache[0]
    return get
