"""The rule on module sources held as text: load -> expand -> judge, with no disk, cwd or git.

``check_texts({'main.tf': ..., 'modules/pg/main.tf': ...})`` judges the module
in the mapping's root directory, following local module calls into its other
directories, as a run of the hook over that directory outside a git work tree
would. ``pipeline`` wraps the same ``check_module`` step with what needs the
disk: reading files, git, which results a run prints, suppressions.
"""
from __future__ import annotations

import posixpath

from check_postgresql_log_disconnections import files, judge, modules
from check_postgresql_log_disconnections.instances import RootInputs, Tree, expand
from check_postgresql_log_disconnections.report import Report, RunError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from check_postgresql_log_disconnections.modules import Module
    from check_postgresql_log_disconnections.results import Result
    from check_postgresql_log_disconnections.values import Value


def check_module(mod: Module, tree: Tree, errors: list[RunError], shown: set[str], *,
                 require_explicit: bool = False) -> list[Result]:
    """One loaded root module and the modules it calls, expanded and judged."""
    instances = expand(mod, tree)
    results = judge.judge_all(instances, errors, shown)
    if require_explicit:
        results.extend(judge.not_set(mod, instances))
    return results


def check_texts(sources: Mapping[str, str], root: str = '.', *, var_values: Mapping[str, Value] | None = None,
                require_explicit: bool = False, tool: str = 'terraform') -> Report:
    """Judge the module in directory ``root`` of ``sources`` (relative path -> text).

    ``var_values`` are the root module's ``--var`` values. Results, errors
    (files that do not parse) and notes (modules not followed) come back in a
    ``Report``; nothing is selected or suppressed.
    """
    by_dir: dict[str, list[str]] = {}
    for path in sorted(sources):
        if files.kind_of(path):
            by_dir.setdefault(_dir(path), []).append(path)
    loaded: dict[str, Module] = {}

    def load(directory: str) -> Module | str:
        directory = posixpath.normpath(directory)
        if directory not in by_dir:
            return 'does not exist: not followed'
        if directory not in loaded:
            srcs = [files.Source(p, sources[p], False, files.kind_of(p) or 'tf')
                    for p in files.for_tool(by_dir[directory], tool)]
            loaded[directory] = modules.load(directory, srcs, lambda _source: True)
        return loaded[directory]

    report = Report(files=sorted(sources))
    mod = load(root)
    if isinstance(mod, str):
        return report
    tree = Tree(RootInputs(dict(var_values or {})), load, report.notes, identity=posixpath.normpath)
    report.results = check_module(mod, tree, report.errors, set(sources), require_explicit=require_explicit)
    report.errors.extend(e for m in loaded.values() for e in m.errors)
    return report


def _dir(path: str) -> str:
    return posixpath.dirname(posixpath.normpath(path)) or '.'
