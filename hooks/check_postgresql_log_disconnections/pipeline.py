"""The pipeline: paths -> module directories -> parsed modules -> instances -> results -> report.

Which results a run prints: those whose resource value, origin or module call
lies in a file that was passed, each once. The hook manifest sets
``require_serial``, so pre-commit gives one process every file and how it
would split the list never changes a verdict.
"""
from __future__ import annotations

import os

from check_postgresql_log_disconnections import files, rule
from check_postgresql_log_disconnections.report import Note, Report, RunError

# No dataclasses, typing or collections at import: a commit that touches no PostgreSQL
# configuration imports this module, files, report and rule, and nothing else of ours.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from check_postgresql_log_disconnections import installed
    from check_postgresql_log_disconnections.instances import RootInputs, Tree
    from check_postgresql_log_disconnections.modules import Module
    from check_postgresql_log_disconnections.results import Result
    from check_postgresql_log_disconnections.values import Value


class Options:
    def __init__(self, inputs: Sequence[tuple[str, object]] = (), require_explicit: bool = False,
                 plans: Sequence[str] = (), tool: str = 'both', fix: bool = False, cache: bool = True) -> None:
        # ('var', (NAME, VALUE)) and ('var-file', FILE) in command-line order: the later wins
        self.inputs = inputs
        self.require_explicit = require_explicit
        self.plans = plans  # --plan FILE ('-': stdin), judged besides the files
        self.tool = tool  # whose reading of .tofu files: terraform, opentofu or both (a finding in either counts)
        self.fix = fix  # --fix: rewrite what can be fixed, then report what is left
        self.cache = cache  # parsed blocks from and to the user's cache directory (see cache.py)


class _Loader:
    """What one run has read: sources, which directories matter, loaded modules."""

    def __init__(self, boundary: str, git_root: str | None, passed: set[str], tool: str = 'terraform', *,
                 servers: bool = False, lstats: dict[str, os.stat_result] | None = None) -> None:
        self.tool = tool  # terraform ignores .tofu files; opentofu reads x.tofu instead of x.tf
        self.boundary = boundary
        self.servers = servers  # --require-explicit: a server alone makes a directory matter
        self.git_root = git_root
        self.cwd = os.getcwd()  # (asked once: thousands of paths are displayed relative to it)
        self.lstats = lstats if lstats is not None else {}  # what lstat said of files named (read once each)
        self.passed = passed
        self.passed_in: dict[str, list[str]] = {}  # directory -> the passed files in it
        for path in sorted(passed):
            self.passed_in.setdefault(os.path.dirname(path), []).append(path)
        self.modules: dict[str, Module] = {}
        self._indexed: dict[str, Module] = {}  # modules indexed, not yet parsed (``index_ahead``)
        self.sources: dict[str, files.Source | RunError] = {}
        self.tracked: set[str] | None = None  # real paths of the files git tracks (see track)
        self.tracked_names: list[str] | None = None  # the same as git names them
        self._may_configure: dict[str, bool] = {}
        self._siblings: dict[str, list[str]] = {}
        self.manifests: dict[str, installed.Manifest] = {}  # root directory -> what terraform init recorded

    def view(self, tool: str) -> _Loader:
        """The same run as another tool reads it: files read and listed are shared, modules are not."""
        other = _Loader(self.boundary, self.git_root, self.passed, tool)
        other.sources, other._siblings, other._may_configure = self.sources, self._siblings, self._may_configure
        other.tracked, other.tracked_names = self.tracked, self.tracked_names
        return other

    def saw_tofu(self) -> bool:
        """Did any directory this run looked at hold a ``.tofu`` file (then the tools read it differently)?"""
        return any(p.endswith(('.tofu', '.tofu.json')) for ps in self._siblings.values() for p in ps) or \
            any(p.endswith(('.tofu', '.tofu.json')) for p in self.passed)

    def read(self, path: str) -> files.Source | RunError:
        if path not in self.sources:
            self.sources[path] = files.read(path, self.boundary, self.cwd, self.lstats.pop(path, None))
        return self.sources[path]

    def siblings(self, directory: str) -> list[str]:
        """A directory's Terraform and tfvars files, listed once per run."""
        if directory not in self._siblings:
            self._siblings[directory] = files.siblings(directory)
        return self._siblings[directory]

    def _paths(self, directory: str) -> list[str]:
        """A directory's files: its Terraform and tfvars files, and the files passed in it (a ``.txt``...)."""
        paths = self.siblings(directory)
        known = set(paths)
        extra = [p for p in self.passed_in.get(directory, []) if p not in known]
        return paths + extra if extra else paths

    def _readable(self, paths: list[str]) -> list[files.Source]:
        return [x for x in map(self.read, paths) if isinstance(x, files.Source)]

    def may_configure(self, directory: str) -> bool:
        """Can this directory, or a local module it calls, hold a configuration? (Textual, no parse.)"""
        if directory not in self._may_configure:
            self._may_configure[directory] = False  # a module calling itself: decided by the rest
            # (a directory a file was passed in exists)
            if (directory in self.passed_in or os.path.isdir(directory)) and files.inside(directory, self.boundary):
                self._may_configure[directory] = _sources_may_configure(
                    directory, self._readable(self._paths(directory)),
                    lambda src: self.call_matters(_join(directory, src)),
                    self.servers)
        return self._may_configure[directory]

    def track(self) -> None:
        """Learn which files git tracks: one git call for the repository, the first time a run needs it."""
        if self.git_root is None or self.tracked is not None:
            return
        self.tracked_names = files.tracked(self.git_root)  # GitError: never guess (fail closed)
        self.tracked = set(files.under(files.realpath(self.git_root), self.tracked_names))

    def dir_files(self, directory: str) -> list[str]:
        """The files that feed a directory's verdict: tracked ones in git, all of them outside."""
        paths = self._paths(directory)
        self.track()
        if self.tracked is not None and not _installed_dir(directory):
            real = files.realpath(directory)  # (git names real paths: see files.tracked)
            paths = [p for p in paths if os.path.join(real, os.path.basename(p)) in self.tracked or p in self.passed]
        return files.for_tool(sorted(paths), self.tool)

    def module(self, directory: str) -> Module:
        from check_postgresql_log_disconnections import modules

        if directory not in self.modules:
            mod = self._indexed.pop(directory, None) or self._index(directory)
            modules.finish(mod)
            self.modules[directory] = mod
        return self.modules[directory]

    def index_ahead(self, directories: list[str]) -> None:
        """Modules about to be checked, indexed now when a worker process runs (see ``worker``): it is
        sent all their likely blocks at once, and parses them while this process checks the first."""
        from check_postgresql_log_disconnections import hcl

        if hcl.prefetching():
            for directory in directories:
                if directory not in self.modules and directory not in self._indexed:
                    self._indexed[directory] = self._index(directory)

    def _index(self, directory: str) -> Module:
        from check_postgresql_log_disconnections import modules

        sources = self._readable(self.dir_files(directory))
        return modules.index(directory, sources, lambda src: self.call_matters(_join(directory, src)),
                             files.remote_matters(directory, sources))

    def any_module(self, directory: str) -> Module | str:
        """A local module whose outputs are read, whether or not it configures anything."""
        if not files.inside(directory, self.boundary):
            return 'is outside the repository: not followed'
        if not os.path.isdir(directory):
            return 'does not exist: not followed'
        return self.module(directory)

    def installed(self, root: str, key: str, source: str) -> tuple[Module, str] | str:
        """The module ``terraform init`` installed for call ``key`` of root module ``root``, or why not."""
        if root not in self.manifests:
            from check_postgresql_log_disconnections import installed

            self.manifests[root] = installed.read(root)
        found = self.manifests[root].find(key, source)
        if isinstance(found, str):
            return found
        if not os.path.isdir(found.directory):
            return f'the directory {self.manifests[root].path} records for module {key} is missing (run terraform init)'
        if not files.inside(found.directory, self.boundary):
            return f'{self.manifests[root].path} records a directory outside the repository for it: not followed'
        return self.module(found.directory), found.version

    def tree(self, inputs: RootInputs, notes: list[Note], root: str) -> Tree:
        """How to expand the root module in directory ``root``: local modules, their outputs, installed modules."""
        from check_postgresql_log_disconnections.instances import Tree

        return Tree(inputs, self.child, notes, identity=files.realpath, load_any=self.any_module,
                    installed=lambda key, source: self.installed(root, key, source))

    def call_matters(self, directory: str) -> bool:
        """A module call is parsed when its source may matter, or when it is not followed (to say so)."""
        if not os.path.isdir(directory) or not files.inside(directory, self.boundary):
            return True
        return self.may_configure(directory)

    def child(self, directory: str) -> Module | str:
        """A called module's directory: the module, or why it is not followed ('' = nothing to check)."""
        if not files.inside(directory, self.boundary):
            return 'is outside the repository: not followed'
        if not os.path.isdir(directory):
            return 'does not exist: not followed'
        if not self.may_configure(directory):
            return ''
        return self.module(directory)


def _join(directory: str, source: str) -> str:
    return os.path.normpath(os.path.join(directory, source))


def _installed_dir(directory: str) -> bool:
    """Inside ``.terraform/``: what ``terraform init`` installed, never tracked by git, read as it is."""
    return '.terraform' in directory.split(os.sep)


def _sources_may_configure(directory: str, sources: list[files.Source], call_matters: Callable[[str], bool],
                           servers: bool) -> bool:
    """Can these files (one directory's) produce a result? ``rule.may_matter`` on each; then, where
    ``terraform init`` installed modules, any module call; then local module calls that lead to one."""
    if any(rule.may_matter(src.text, servers=servers) for src in sources):
        return True  # (a file naming the parameter is among these: see files.remote_matters)
    tf = [src for src in sources if src.kind in ('tf', 'tfjson')]
    if any('module' in src.text for src in tf) and files.modules_installed(directory):
        return True  # a registry, git or URL module call may be followed (installed)
    return any(files.calls_matter(src.text, call_matters) for src in tf)


def _cli_value(text: str) -> Value:
    """``--var name=VALUE``: HCL for a list or map, as Terraform does, else a plain string.

    Raises ``EvalError`` for a value Terraform rejects (``[1][5]``).
    """
    from check_postgresql_log_disconnections import hcl
    from check_postgresql_log_disconnections.evaluate import evaluate
    from check_postgresql_log_disconnections.instances import Constant
    from check_postgresql_log_disconnections.values import Val

    if text.lstrip().startswith(('{', '[')):
        try:
            body = hcl.parse(f'v = {text}\n', '<--var>')
            return evaluate(body.attributes[0].expr, Constant())
        except hcl.ParseError:
            pass
    return Val(text)


def var_problem(text: str) -> str | None:
    """Why ``--var NAME=TEXT`` is a value Terraform rejects, or None (checked with the arguments)."""
    if not text.lstrip().startswith(('{', '[')):
        return None  # a plain string: nothing to parse
    from check_postgresql_log_disconnections.values import EvalError

    try:
        _cli_value(text)
    except EvalError as e:
        return f'invalid value: {e.reason}'
    return None


def _constant(name: str, compute: Callable[[], Value]) -> Value:
    """A --var or --var-file value; one Terraform rejects is unverified with why, as a tfvars line is."""
    from check_postgresql_log_disconnections.values import EvalError, Unknown

    try:
        return compute()
    except EvalError as e:
        return Unknown(f'var.{name}: Terraform would fail: {e.reason}')


def _root_inputs(opts: Options, run: _Loader, report: Report) -> RootInputs:
    import functools

    from check_postgresql_log_disconnections import modules
    from check_postgresql_log_disconnections.evaluate import evaluate
    from check_postgresql_log_disconnections.instances import Constant, RootInputs

    root_inputs = RootInputs()
    for kind, arg in opts.inputs:
        if kind == 'var':
            name, text = arg if isinstance(arg, tuple) else ('', str(arg))
            root_inputs.var_values[name] = _constant(name, functools.partial(_cli_value, text))
            continue
        path = str(arg)
        ap = os.path.abspath(path)
        if not files.inside(ap, run.boundary):
            report.errors.append(RunError(path, '--var-file is outside the repository: not read', kind='boundary'))
            continue
        src = files.read(ap)
        if isinstance(src, RunError):
            report.errors.append(src)
            continue
        errors: list[RunError] = []
        src = files.Source(src.path, src.text, src.bom, 'tfvarsjson' if path.endswith('.json') else 'tfvars')
        attrs = modules.parse_tfvars(src, errors)
        report.errors.extend(errors)
        for name, attr in (attrs or {}).items():
            root_inputs.var_values[name] = _constant(name, functools.partial(evaluate, attr.expr, Constant()))
    return root_inputs


def _called(state: _Loader, dirs: list[str]) -> dict[str, str]:
    """Which of ``dirs`` another module of the repository calls (-> ``FILE:LINE`` of one call).

    ``--var`` and ``--var-file`` set root-module variables: a child module
    judged on its own keeps its defaults, as it would under Terraform.
    """
    from check_postgresql_log_disconnections import modules

    state.track()  # (done already: one git call a run)
    wanted = {files.realpath(d): d for d in dirs}
    out: dict[str, str] = {}
    for path in files.all_terraform(state.boundary, state.tracked_names):
        src = state.sources.get(path) or files.read(path)
        if not isinstance(src, files.Source) or 'source' not in src.text:
            continue
        for source, line in modules.local_calls(src.text):
            target = wanted.get(files.realpath(_join(os.path.dirname(path), source)))
            if target is not None and target != os.path.dirname(path):
                out.setdefault(target, f'{src.path}:{line}')
    return out


def run(args: list[str], opts: Options) -> Report:
    files.forget_paths()
    try:
        report = _check_files(args, opts)
        if opts.plans:
            report = _with_plans(report, opts)
        if opts.fix:
            report = _fix_and_recheck(report, args, opts)
    finally:
        _stop_worker()
    return report


def _stop_worker() -> None:
    import sys

    worker = sys.modules.get('check_postgresql_log_disconnections.worker')
    if worker is not None:  # (not imported: none was started)
        worker.stop()


def _fix_and_recheck(report: Report, args: list[str], opts: Options) -> Report:
    """``--fix``: rewrite the files, then report what is left as it now stands (``fixed`` says what changed)."""
    from check_postgresql_log_disconnections import fix

    fixed = fix.apply(report)
    if not fixed:
        return report
    import copy

    recheck = copy.copy(opts)
    recheck.fix = False
    again = run(args, recheck)
    again.fixed, again.changes = fixed, report.changes
    again.notes = list(dict.fromkeys(report.notes + again.notes))
    return again


def _with_plans(report: Report, opts: Options) -> Report:
    """``--plan``: the plans' results, merged with the files' (see ``plan.merge``)."""
    from check_postgresql_log_disconnections import plan

    cwd = os.getcwd()
    root = files.git_root(cwd)
    loader = _Loader(root or cwd, root, set())

    def static() -> list[Result]:
        # only where the plan's values came from: a failure here costs an origin, never a result
        try:
            return _root_results(loader, opts, cwd)
        except Exception:
            return []

    got = plan.check(opts.plans, cwd, loader.boundary, static)
    report.results = plan.merge(got.results, report.results)
    report.errors = list(dict.fromkeys(report.errors + got.errors))
    report.notes = list(dict.fromkeys(report.notes + got.notes))
    return report


def _root_results(loader: _Loader, opts: Options, directory: str) -> list[Result]:
    """The static check of one root module directory, every instance (nothing selected)."""
    if not loader.may_configure(directory):
        return []
    from check_postgresql_log_disconnections.texts import check_module

    inputs = _root_inputs(opts, loader, Report())
    loader.track()
    return check_module(loader.module(directory), loader.tree(inputs, [], directory), [], set())


def _by_repository(args: list[str], lstats: dict[str, os.stat_result]) -> tuple[
        dict[tuple[str, str | None], list[str]], list[RunError]]:
    """The files to check, grouped by the repository each command-line path is judged in (``files.repository``).

    ``lstats``: what ``lstat`` said of each file named (see ``files.expand``).
    """
    start = os.getcwd()
    start_root = files.git_root(start)
    groups: dict[tuple[str, str | None], list[str]] = {}
    repositories: dict[str, tuple[str, str | None]] = {}  # base directory -> its repository (thousands of files)
    seen: set[str] = set()
    errors: list[RunError] = []
    for arg in args:
        named = files.expand(arg, start, lstats)
        if named is None:
            errors.append(RunError(arg, 'no such file or directory', kind='read'))
            continue
        base, found = named
        new = [p for p in found if p not in seen]
        if new:
            seen.update(new)
            if base not in repositories:
                repositories[base] = files.repository(base, start, start_root)
            groups.setdefault(repositories[base], []).extend(new)
    return groups, errors


def _check_files(args: list[str], opts: Options) -> Report:
    """Each repository named on the command line checked within its own boundary, in one report."""
    lstats: dict[str, os.stat_result] = {}
    groups, errors = _by_repository(args, lstats)
    cwd = os.getcwd()
    shown = {files.display(p, cwd) for paths in groups.values() for p in paths}
    # SARIF's %SRCROOT%: the one repository checked, else the one the run started in
    root = next(iter(groups))[0] if len(groups) == 1 else files.git_root(cwd) or cwd
    report = Report(errors=errors, files=sorted(shown), root=root, cwd=cwd)
    tool = 'opentofu' if opts.tool == 'opentofu' else 'terraform'
    for (boundary, git), paths in groups.items():
        loader = _Loader(boundary, git, set(paths), tool, servers=opts.require_explicit, lstats=lstats)
        part = _check_repository(loader, opts, shown)
        report.results += part.results
        report.errors += part.errors
        report.notes += part.notes
        report.texts.update(part.texts)
    report.results = _select(report.results, shown)  # (each once, should two repositories reach one module)
    report.errors = list(dict.fromkeys(report.errors))
    report.notes = list(dict.fromkeys(report.notes))
    return report


def _check_repository(state: _Loader, opts: Options, shown: set[str]) -> Report:
    """The files passed in one repository (``state.passed``); ``shown``: every file the run was given."""
    report = Report()
    directories: set[str] = set()
    warm = False  # (python-hcl2 is loaded in a second process, or that is decided: see worker.py)
    for directory, paths in state.passed_in.items():
        for p in paths:
            src = state.read(p)
            if isinstance(src, RunError):
                report.errors.append(src)
            else:
                directories.add(directory)
                if not warm and rule.may_matter(src.text, servers=state.servers):
                    warm = _warm_up(state, opts, src)
    candidates = sorted(d for d in directories if state.may_configure(d))
    if not candidates and not any(kind == 'var-file' for kind, _ in opts.inputs):
        return report  # nothing can configure PostgreSQL: python-hcl2 is never imported
    from check_postgresql_log_disconnections import cache

    cache.configure(opts.cache, lambda directory: files.inside(directory, state.boundary))
    from check_postgresql_log_disconnections import suppress
    from check_postgresql_log_disconnections.instances import RootInputs

    root_inputs = _root_inputs(opts, state, report)
    try:
        if candidates:  # (a commit that touches no configuration never starts git)
            state.track()
    except files.GitError as e:  # which files count is unknown: check nothing rather than guess
        report.errors.extend(RunError(files.display(state.passed_in[d][0]), f'cannot ask git which files are '
                                      f'tracked ({e}): not checked', kind='git') for d in candidates)
        return report
    children = _called(state, candidates) if root_inputs.var_values and candidates else {}
    for d in candidates:
        if d in children:
            first = files.display(state.passed_in[d][0])
            report.notes.append(Note(first, 1, 1, '--var and --var-file are not applied: this directory is a '
                                     f'child module (called at {children[d]}), judged with its own defaults'))
    inputs = {d: RootInputs() if d in children else root_inputs for d in candidates}
    state.index_ahead(candidates)
    results = _check_views(state, inputs, opts, report, shown)

    report.results = _select(results, shown)
    report.results = suppress.apply(report.results, _texts(state))
    report.texts = {s.path: '\ufeff' * s.bom + s.text for s in state.sources.values() if isinstance(s, files.Source)}
    report.notes = _dedupe_notes(report.notes, shown)
    report.errors = list(dict.fromkeys(report.errors))
    return report



def _warm_up(state: _Loader, opts: Options, src: files.Source) -> bool:
    """A file that may matter: python-hcl2 starts loading in a second process unless its blocks are cached."""
    from check_postgresql_log_disconnections import cache, worker

    cache.configure(opts.cache, lambda directory: files.inside(directory, state.boundary))
    return worker.warm_up(src, state.servers)


def _check_views(state: _Loader, inputs: dict[str, RootInputs], opts: Options, report: Report,
                 shown: set[str]) -> list[Result]:
    """Each directory of ``inputs`` checked as Terraform reads it, and as OpenTofu does when they differ."""
    from check_postgresql_log_disconnections.texts import check_module

    views: list[tuple[_Loader, list[Result]]] = []
    for tool in ('terraform', 'opentofu') if opts.tool == 'both' else (opts.tool,):
        if tool == 'opentofu' and opts.tool == 'both' and not state.saw_tofu():
            break  # no .tofu file anywhere: both tools read the same
        view = state.view(tool) if views else state
        results: list[Result] = []
        for d, root_inputs in inputs.items():
            try:
                mod = view.module(d)
                tree = view.tree(root_inputs, report.notes, d)
                results.extend(check_module(mod, tree, report.errors, shown, require_explicit=opts.require_explicit))
            except Exception as e:  # a bug of ours must not hide the other directories
                report.errors.extend(
                    RunError(files.display(p), f'internal error while checking this module ({type(e).__name__}: '
                             f'{e}); please report it', kind='internal')
                    for p in state.passed_in.get(d, []))
        views.append((view, results))
    for view, _ in views:
        for mod in view.modules.values():
            report.errors.extend(e for e in mod.errors if e.path in shown)
    return _merge_views([r for _, r in views])

_AS = {'terraform': 'as Terraform reads it, without the .tofu files',
       'opentofu': 'as OpenTofu reads it, with the .tofu files'}


def _merge_views(views: list[list[Result]]) -> list[Result]:
    """Results of the Terraform and OpenTofu readings: the same once, one reading's own marked as such."""
    if len(views) < 2:
        return views[0] if views else []
    from check_postgresql_log_disconnections.record import replace

    def key(r: Result) -> tuple[object, ...]:
        return (r.address, r.location, r.origin, r.status, repr(r.value), r.reason, r.callers)

    keys = [{key(r) for r in results} for results in views]
    out: dict[tuple[object, ...], Result] = {}
    for tool, results, other in zip(('terraform', 'opentofu'), views, reversed(keys)):
        for r in results:
            obvious = r.location.path.endswith(('.tofu', '.tofu.json'))  # only OpenTofu reads that file
            out.setdefault(key(r), r if key(r) in other or obvious else replace(r, view=_AS[tool]))
    return list(out.values())


def _texts(state: _Loader) -> dict[str, str]:
    return {s.path: s.text for s in state.sources.values() if isinstance(s, files.Source)}


def _dedupe_notes(notes: list[Note], shown: set[str]) -> list[Note]:
    return list(dict.fromkeys(n for n in notes if n.path in shown))


def _select(results: list[Result], shown: set[str]) -> list[Result]:
    out: dict[tuple[object, ...], Result] = {}
    for r in results:
        paths = {r.location.path, *(c.path for c in r.callers)}
        if r.origin is not None:
            paths.add(r.origin.path)
        if paths & shown:
            key = (r.address, r.location, r.origin, r.callers, r.status, repr(r.value), r.reason)
            out.setdefault(key, r)
    return list(out.values())
