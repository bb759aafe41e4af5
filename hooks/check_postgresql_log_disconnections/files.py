"""Paths -> source files: which files to check, which siblings feed them, how to read them.

Nothing here parses Terraform. Reading is byte-faithful: a BOM is remembered,
line endings are kept, so ``--fix`` can write back every byte it did not change.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from check_postgresql_log_disconnections.results import RunError
from check_postgresql_log_disconnections.rule import TYPE_STEM

MAX_FILE_BYTES = 8 * 1024 * 1024  # bigger is generated data, not configuration


def kind_of(path: str) -> str | None:
    """'tf', 'tfjson', 'tfvars', 'tfvarsjson', or None for a file we do not take."""
    name = os.path.basename(path)
    if name.endswith(('.tf.json', '.tofu.json')):
        return 'tfjson'
    if name.endswith(('.tf', '.tofu')):
        return 'tf'
    if name.endswith('.tfvars.json'):
        return 'tfvarsjson'
    if name.endswith('.tfvars'):
        return 'tfvars'
    return None


def stem(path: str) -> str:
    """The name without its Terraform extension: ``main`` for ``main.tf.json``."""
    name = os.path.basename(path)
    for ext in ('.tf.json', '.tofu.json', '.tf', '.tofu'):
        if name.endswith(ext):
            return name[:-len(ext)]
    return name


def is_override(path: str) -> bool:
    """``override.tf``, ``x_override.tf`` (and ``.tf.json``, ``.tofu`` forms): merged over the other files."""
    name = stem(path)
    return kind_of(path) in ('tf', 'tfjson') and (name == 'override' or name.endswith('_override'))


def for_tool(paths: list[str], tool: str) -> list[str]:
    """The files ``terraform`` reads (no ``.tofu``), or ``tofu`` reads (``x.tofu`` hides ``x.tf``)."""
    tofu = {p for p in paths if p.endswith(('.tofu', '.tofu.json'))}
    if tool == 'terraform':
        return [p for p in paths if p not in tofu]
    hidden = {p[:-len('.tofu')] + '.tf' for p in tofu if p.endswith('.tofu')}
    hidden |= {p[:-len('.tofu.json')] + '.tf.json' for p in tofu if p.endswith('.tofu.json')}
    return [p for p in paths if p not in hidden]


@dataclass(frozen=True)
class Source:
    path: str  # as displayed: relative to the working directory when inside it
    text: str  # decoded, BOM removed, line endings kept
    bom: bool
    kind: str


def may_configure(text: str) -> bool:
    """False only when ``text`` provably declares no PostgreSQL server/configuration resource.

    ``may_configure(text)`` is False only when ``text`` cannot declare a resource
    of the types ``azurerm_postgresql_configuration``,
    ``azurerm_postgresql_flexible_server_configuration``, ``azurerm_postgresql_server``
    or ``azurerm_postgresql_flexible_server``. Why a substring test cannot miss one:
    all four contain ``azurerm_postgresql``, and Terraform compares resource types
    byte for byte (case-sensitive). In HCL the type is a block label: either a bare
    identifier, which is written out literally, or a quoted string, which cannot
    span lines and in which neither interpolation nor ``%{`` directives are
    allowed; the only escapes that can produce letters, digits or ``_`` are
    ``\\uXXXX`` and ``\\UXXXXXXXX`` (``\\n``, ``\\t``, ``\\"``, ``$${``... cannot).
    In Terraform JSON the type is an object key, a JSON string taken literally,
    whose only letter-producing escape is ``\\uXXXX``. So a file that declares such
    a resource either contains ``azurerm_postgresql`` verbatim or contains ``\\u`` /
    ``\\U``. (No other character's NFC form contains one of those letters, so
    Unicode normalization cannot spell it either. A comment or an unrelated string
    that mentions the type only costs a parse: this is a pre-filter.)
    """
    return TYPE_STEM in text or '\\u' in text or '\\U' in text


def display(path: str) -> str:
    """The path as printed: relative to the working directory when inside it."""
    cwd = os.getcwd()
    if path.startswith(cwd) and path[len(cwd):len(cwd) + 1] == os.sep:
        return path[len(cwd) + 1:]  # the common case, without relpath's normalising
    rel = os.path.relpath(path)
    return path if rel.startswith('..') else rel


def read(path: str) -> Source | RunError:
    shown = display(path)
    kind = kind_of(path) or 'tf'
    try:
        if os.path.islink(path) and not os.path.exists(path):
            return RunError(shown, 'broken symbolic link', kind='read')
        if os.path.isdir(path):
            return RunError(shown, 'is a directory', kind='read')
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            return RunError(shown, f'file too large ({size} bytes > {MAX_FILE_BYTES})', kind='read')
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        return RunError(shown, e.strerror or str(e), kind='read')
    if b'\0' in data:
        return RunError(shown, 'binary file (NUL bytes)', kind='read')
    bom = data.startswith(b'\xef\xbb\xbf')
    try:
        text = data[3 if bom else 0:].decode('utf-8')
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b'\n') + 1
        return RunError(shown, f'not UTF-8 (byte 0x{data[e.start]:02x} at line {line})', kind='read')
    return Source(shown, text, bom, kind)


def git_root(start: str) -> str | None:
    """The work tree holding ``start``, found without running git."""
    d = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(d, '.git')):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def is_work_tree(root: str) -> bool:
    """Is ``root/.git`` a repository (a directory with ``HEAD``, or a ``gitdir:`` file) rather than a stray name?"""
    dot_git = os.path.join(root, '.git')
    return os.path.isfile(dot_git) or os.path.isfile(os.path.join(dot_git, 'HEAD')) or 'GIT_DIR' in os.environ


class GitError(Exception):
    """git could not say which files it tracks: the verdict would depend on untracked files."""


def tracked(root: str, dirs: list[str]) -> set[str]:
    """Real absolute paths git tracks under ``dirs``, or raise ``GitError``.

    Directories are asked by their real path, so one reached through a tracked
    symbolic link is asked where its files are tracked; submodules are asked too;
    names are literal (a directory named ``:x`` is no pathspec magic).
    """
    if not dirs:
        return set()
    real_root = os.path.realpath(root)
    specs = [os.path.relpath(os.path.realpath(d), real_root) for d in dirs]
    out = _git(root, 'ls-files', '--recurse-submodules', '-z', '--full-name', '--', *specs)
    return {os.path.normpath(os.path.join(real_root, p)) for p in out.decode('utf-8', 'replace').split('\0') if p}


def _git(root: str, *args: str, literal: bool = True) -> bytes:
    import subprocess  # only when a relevant directory is in a git work tree

    command = ['git', *(['--literal-pathspecs'] if literal else []), '-C', root, *args]
    try:
        run = subprocess.run(command, capture_output=True, timeout=30, check=False)
    except FileNotFoundError:
        raise GitError('git is not installed or not on PATH') from None
    except (OSError, subprocess.SubprocessError) as e:
        raise GitError(str(e)) from None
    if run.returncode != 0:
        lines = run.stderr.decode('utf-8', 'replace').strip().splitlines() or [f'exit status {run.returncode}']
        raise GitError(lines[0].removeprefix('fatal: '))
    return run.stdout


_PATTERNS = ('*.tf', '*.tf.json', '*.tofu', '*.tofu.json')


def all_terraform(root: str, git: bool) -> list[str]:
    """Every Terraform configuration file under ``root``: the tracked ones in git, else all (``.terraform`` skipped)."""
    if git:
        try:
            out = _git(root, 'ls-files', '--recurse-submodules', '-z', '--full-name', '--', *_PATTERNS, literal=False)
        except GitError:
            return []  # (the files' own git question has failed, and said so, already)
        return [os.path.join(root, p) for p in out.decode('utf-8', 'replace').split('\0') if p]
    found, _ = paths_from_args([root])
    return [p for p in found if kind_of(p) in ('tf', 'tfjson')]


def staged(root: str) -> set[str] | None:
    """Absolute paths with staged changes (what this commit changes), or None."""
    import subprocess

    try:
        out = subprocess.run(['git', '-C', root, 'diff', '--cached', '--name-only', '-z'],
                             capture_output=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {os.path.normpath(os.path.join(root, p)) for p in out.decode('utf-8', 'replace').split('\0') if p}


def siblings(directory: str) -> list[str]:
    """Terraform and tfvars files of a directory (not recursive), sorted."""
    try:
        names = sorted(e.name for e in os.scandir(directory) if kind_of(e.name) and not e.is_dir())
    except OSError:
        return []
    return [os.path.join(directory, n) for n in names]


def paths_from_args(args: list[str]) -> tuple[list[str], list[RunError]]:
    """Command-line paths -> absolute file paths to check (directories walked, .terraform skipped)."""
    out: list[str] = []
    errors: list[RunError] = []
    for arg in args:
        if os.path.isdir(arg) and not os.path.islink(arg):
            for dirpath, dirnames, filenames in os.walk(arg):
                dirnames[:] = sorted(d for d in dirnames if d not in ('.terraform', '.git'))
                out.extend(os.path.abspath(os.path.join(dirpath, f)) for f in sorted(filenames) if kind_of(f))
        elif os.path.lexists(arg):
            out.append(os.path.abspath(arg))
        else:
            errors.append(RunError(arg, 'no such file or directory', kind='read'))
    return list(dict.fromkeys(out)), errors


def inside(path: str, root: str) -> bool:
    """Does ``path``, symbolic links resolved, stay under ``root``?"""
    return _within(os.path.realpath(path), _realpath(root))


def file_inside(path: str, root: str) -> bool:
    """``inside`` for a file, resolving its directory once per directory (thousands of files)."""
    directory, name = os.path.split(path)
    real = os.path.realpath(path) if os.path.islink(path) else os.path.join(_realpath(directory), name)
    return _within(real, _realpath(root))


@functools.lru_cache(maxsize=4096)
def _realpath(path: str) -> str:
    return os.path.realpath(path)


def _within(real: str, base: str) -> bool:
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)
