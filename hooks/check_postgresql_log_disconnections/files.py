"""Paths -> source files: which files to check, which siblings feed them, how to read them.

Nothing here parses Terraform. Reading is byte-faithful: a BOM is remembered,
line endings are kept, so ``--fix`` can write back every byte it did not change.
"""
from __future__ import annotations

import os
import stat

from check_postgresql_log_disconnections.report import RunError
from check_postgresql_log_disconnections.rule import PARAMETER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

MAX_FILE_BYTES = 8 * 1024 * 1024  # bigger is generated data, not configuration


EXTENSIONS = ('.tf', '.tf.json', '.tofu', '.tofu.json', '.tfvars', '.tfvars.json')  # the names kind_of takes


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
    if 'override' not in path:
        return False  # (most paths: asked of every file of every module checked)
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


class Source:
    """One file as read. (A plain class: the fast path imports no ``dataclasses``.)"""

    __slots__ = ('bom', 'kind', 'path', 'text')

    def __init__(self, path: str, text: str, bom: bool, kind: str) -> None:
        self.path = path  # as displayed: relative to the working directory when inside it
        self.text = text  # decoded, BOM removed, line endings kept
        self.bom = bom
        self.kind = kind

    def __repr__(self) -> str:
        return f'Source({self.path!r}, {len(self.text)} characters, bom={self.bom}, kind={self.kind!r})'


# A local module source (`source = "./x"`), and one written so that its path can be read:
# `source = "./x"` in HCL, `"source": "./x"` in JSON (Terraform requires a literal). A source
# string with an escape (`"\u002e/pg"` is "./pg") is read by the parser, never skipped here.
# (Each starts with the word itself, its start checked after it: a pattern opening with `\b` is
# tried at every character, twenty times slower.)
_LOCAL_SOURCE = r'source\W+\.\.?[/\\]'
_SOURCE_PATH = r'source(?<!\wsource)"?[ \t]*[=:][ \t]*"(\.\.?[/\\][^"\\$%]*)"'
_ESCAPED_SOURCE = r'source(?<!\wsource)"?[ \t]*[=:][ \t]*"[^"\n]*\\'


def calls_matter(text: str, call_matters: Callable[[str], bool]) -> bool:
    """Does ``text`` call a local module whose path ``call_matters``? (Textual, no parse.)

    A local source written in a way this cannot read counts as mattering.
    """
    if './' not in text and '\\' not in text:
        return False  # the common case, without importing re
    import re

    if '\\' in text and re.search(_ESCAPED_SOURCE, text):
        return True
    paths = re.findall(_SOURCE_PATH, text)
    if len(paths) < len(re.findall(_LOCAL_SOURCE, text)):
        return True
    return any(call_matters(p) for p in paths)


def local_calls(text: str) -> list[tuple[str, int]]:
    """``(source, line)`` of each plainly written local module source in a file's text (no parse)."""
    import re

    return [(m.group(1), text.count('\n', 0, m.start()) + 1) for m in re.finditer(_SOURCE_PATH, text)]


def remote_matters(directory: str, sources: list[Source]) -> bool:
    """May a call of a registry, git or URL module matter here?

    When the directory's files name the parameter (a call may hand it to a
    module the hook cannot read: unverified), when Terraform installed modules
    for it (``.terraform/modules/modules.json``), or inside installed modules.
    """
    return any(mentions_parameter(src.text) for src in sources) or modules_installed(directory)


def mentions_parameter(text: str) -> bool:
    return PARAMETER in text.lower()  # (a case-insensitive regex costs ten times as much)


def modules_installed(directory: str) -> bool:
    """Did ``terraform init`` install modules for this directory, or is it one of them?"""
    return (os.path.isfile(os.path.join(directory, '.terraform', 'modules', 'modules.json'))
            or '.terraform' in directory.split(os.sep))


def local_source(text: str) -> bool:
    """Does ``text`` (a module block) name a local source (``./x``, ``../x``)?"""
    import re

    return re.search(_LOCAL_SOURCE, text) is not None


def display(path: str, cwd: str | None = None) -> str:
    """The path as printed: relative to the working directory (``cwd``, else asked) when inside it."""
    cwd = os.getcwd() if cwd is None else cwd
    if path.startswith(cwd) and path[len(cwd):len(cwd) + 1] == os.sep:
        return path[len(cwd) + 1:]  # the common case, without relpath's normalising
    rel = os.path.relpath(path, cwd)
    return path if rel.startswith('..') else rel


def absolute(path: str, cwd: str | None = None) -> str:
    """``os.path.abspath(path)`` with ``cwd`` as the working directory (None: the process's).

    A path with no ``.`` or ``..`` component, doubled or trailing slash (what
    pre-commit passes, what this module makes) is only joined, or kept:
    normalizing thousands of names costs more than reading the files.
    """
    if os.sep == '/' and path and '//' not in path and '/.' not in '/' + path and path[-1] != '/':
        if path[0] == '/':
            return path
        cwd = os.getcwd() if cwd is None else cwd
        return f'{cwd}/{path}' if cwd != '/' else f'/{path}'
    return os.path.normpath(os.path.join(os.getcwd() if cwd is None else cwd, path))


_SPECIAL = ((stat.S_ISFIFO, 'named pipe'), (stat.S_ISCHR, 'character device'), (stat.S_ISBLK, 'block device'),
            (stat.S_ISSOCK, 'socket'))


def not_regular(mode: int) -> str | None:
    """Why a file of this mode is never opened ('not a regular file (named pipe)'), None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return 'is a directory'
    kind = next((name for test, name in _SPECIAL if test(mode)), 'special file')
    return f'not a regular file ({kind})'


_OPEN = os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0) | getattr(os, 'O_BINARY', 0)
_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)


def read_bytes(path: str, limit: int = MAX_FILE_BYTES, mode: int | None = None, link: bool = True) -> bytes | str:
    """The bytes of a regular file of at most ``limit`` bytes, or why not.

    A FIFO, device or socket is never opened (opening a FIFO blocks until a
    writer comes; a device never ends): ``stat`` says what the path is first
    (``mode``, when the caller has asked already), the open does not block
    (``O_NONBLOCK``) and ``fstat`` on the open file checks again, in case the
    path was swapped in between. A path the caller found no symbolic link
    (``link=False``) is opened only if it still is none (``O_NOFOLLOW``).
    The read is capped whatever the size said.
    """
    try:
        why = not_regular(os.stat(path).st_mode if mode is None else mode)
        if why is not None:
            return why
        fd = os.open(path, _OPEN if link else _OPEN | _NOFOLLOW)
        try:
            st = os.fstat(fd)
            why = not_regular(st.st_mode)
            if why is not None:
                return why
            if st.st_size > limit:
                return f'file too large ({st.st_size} bytes > {limit})'
            data = _read_fd(fd, st.st_size, limit)
        finally:
            os.close(fd)
    except OSError as e:
        return e.strerror or str(e)
    if len(data) > limit:  # it grew after fstat
        return f'file too large (more than {limit} bytes)'
    return data


def _read_fd(fd: int, size: int, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of an open file ``fstat`` said was ``size`` bytes long.

    One ``read`` of ``size + 1`` bytes gets such a file whole; a file that grew,
    shrank or lied (``/proc``) is read on until its end or past the limit.
    """
    data = os.read(fd, size + 1)
    if len(data) == size:
        return data
    chunks = [data]
    total = len(data)
    while data and total <= limit:
        data = os.read(fd, min(1 << 16, limit + 1 - total))
        chunks.append(data)
        total += len(data)
    return b''.join(chunks)


def read(path: str, boundary: str | None = None, cwd: str | None = None,
         lstat: os.stat_result | None = None) -> Source | RunError:
    """One file as read; with ``boundary``, only if it (its symbolic links resolved) stays inside it.

    One ``lstat`` (or the caller's: ``expand`` asked already) says whether the
    path is a symbolic link (then ``stat`` says what it points to) and, for any
    other path, what ``read_bytes`` needs.
    """
    shown = display(path, cwd)
    st: os.stat_result | Exception
    try:
        st = os.lstat(path) if lstat is None else lstat
    except (OSError, ValueError) as e:
        st = e
    link = isinstance(st, os.stat_result) and stat.S_ISLNK(st.st_mode)
    if boundary is not None and not file_inside(path, boundary, link):
        what = 'symbolic link points outside' if link else 'is outside'
        return RunError(shown, f'{what} the repository: not followed', kind='boundary')
    if link:
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return RunError(shown, 'broken symbolic link', kind='read')
    if isinstance(st, Exception):
        return RunError(shown, getattr(st, 'strerror', None) or str(st), kind='read')
    data = read_bytes(path, mode=st.st_mode, link=link)
    if isinstance(data, str):
        return RunError(shown, data, kind='read')
    return decode(shown, data, kind_of(path) or 'tf')


def decode(shown: str, data: bytes, kind: str) -> Source | RunError:
    """A file's bytes as a ``Source`` (UTF-8, BOM remembered), or why they are not Terraform text."""
    if b'\0' in data:
        return RunError(shown, 'binary file (NUL bytes)', kind='read')
    bom = data.startswith(b'\xef\xbb\xbf')
    try:
        text = data[3 if bom else 0:].decode('utf-8')
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b'\n') + 1
        return RunError(shown, f'not UTF-8 (byte 0x{data[e.start]:02x} at line {line})', kind='read')
    return Source(shown, text, bom, kind)


def write_atomically(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data``: all or nothing (a temporary file beside it, ``fsync``, rename).

    An existing file keeps its mode and (when allowed) its owner; a new one gets
    the usual mode (0666 less the umask). A symbolic link is replaced, never
    written through.
    """
    try:
        st: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        st = None
    directory = os.path.dirname(path) or '.'
    import contextlib
    import tempfile  # only when writing: tempfile costs as much as starting Python

    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f'.{os.path.basename(path)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if st is not None and stat.S_ISREG(st.st_mode):
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            if hasattr(os, 'chown'):
                with contextlib.suppress(PermissionError):
                    os.chown(tmp, st.st_uid, st.st_gid)
        else:
            umask = os.umask(0o022)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError, AttributeError):  # best effort: make the rename durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def git_root(start: str) -> str | None:
    """The work tree holding ``start``, found without running git (remembered for the run: one
    ``stat`` a directory, however many files a directory holds)."""
    if len(_ROOTS) > _REMEMBERED:
        _ROOTS.clear()
    d = os.path.abspath(start)
    below: list[str] = []
    while d not in _ROOTS:
        below.append(d)
        if os.path.exists(os.path.join(d, '.git')):
            _ROOTS[d] = d
        elif os.path.dirname(d) == d:
            _ROOTS[d] = None
        else:
            d = os.path.dirname(d)
    for x in below:
        _ROOTS[x] = _ROOTS[d]
    return _ROOTS[d]


def is_work_tree(root: str) -> bool:
    """Is ``root/.git`` a repository (a directory with ``HEAD``, or a ``gitdir:`` file) rather than a stray name?"""
    dot_git = os.path.join(root, '.git')
    return os.path.isfile(dot_git) or os.path.isfile(os.path.join(dot_git, 'HEAD')) or 'GIT_DIR' in os.environ


def repository(base: str, start: str, start_root: str | None) -> tuple[str, str | None]:
    """The repository a path named on the command line is judged in: (boundary, git work tree or None).

    ``base`` is the directory named, or the directory of the file named. The
    boundary is what module sources, ``--var-file`` files and symbolic links may
    not leave. ``start`` is the working directory, ``start_root`` the work tree
    holding it (``git_root(start)``). A path inside that work tree is judged
    there, as pre-commit runs it; elsewhere, in its own work tree. A path in no
    work tree is refused when the hook runs in one (it is outside the
    repository); run outside git, it is judged in ``start`` when inside it, else
    in ``base``, never above.
    """
    root = start_root
    if root is None or not _within(_realpath(base), _realpath(root)):
        root = git_root(base) or root
    if root is None:
        return (start if _within(_realpath(base), _realpath(start)) else base), None
    if root not in _WORK_TREES:
        _WORK_TREES[root] = is_work_tree(root)
    return root, root if _WORK_TREES[root] else None  # (an empty .git only bounds the run)


class GitError(Exception):
    """git could not say which files it tracks: the verdict would depend on untracked files."""


def tracked(root: str) -> list[str]:
    """The Terraform and tfvars files git tracks in the work tree ``root`` and its submodules
    (``/``-separated, from ``root``), or raise ``GitError``.

    One git call for the whole repository, whichever directories a run turns
    out to need (git reads its whole index whatever it is asked); a path's real
    path is what counts (see ``under``), so a directory reached through a
    tracked symbolic link counts the files tracked where they are.
    """
    out = _git(root, 'ls-files', '--recurse-submodules', '-z', '--full-name', '--', *_PATTERNS, literal=False)
    return [p for p in out.decode('utf-8', 'replace').split('\0') if p]


def under(root: str, names: list[str]) -> list[str]:
    """git's names (``/``-separated, normalized already) as paths under ``root``."""
    if os.sep == '/':
        base = root.rstrip('/') + '/'
        return [base + n for n in names]
    return [os.path.normpath(os.path.join(root, n)) for n in names]


def _git(root: str, *args: str, literal: bool = True) -> bytes:
    command = ['git', *(['--literal-pathspecs'] if literal else []), '-C', root, *args]
    try:
        code, out, err = run_command(command, timeout=GIT_TIMEOUT)
    except FileNotFoundError:
        raise GitError('git is not installed or not on PATH') from None
    except OSError as e:
        raise GitError(str(e)) from None
    if code != 0:
        lines = err.decode('utf-8', 'replace').strip().splitlines() or [f'exit status {code}']
        raise GitError(lines[0].removeprefix('fatal: '))
    return out


GIT_TIMEOUT = 30.0  # seconds


def run_command(command: list[str], timeout: float) -> tuple[int, bytes, bytes]:
    """Run ``command`` (stdin inherited): its exit status, stdout and stderr.

    Raises ``OSError`` when it cannot start (``FileNotFoundError``: not on
    PATH) and ``TimeoutError`` (killed) when it runs past ``timeout`` seconds.
    With ``os.posix_spawnp``: importing ``subprocess`` (threads, signals,
    selectors) costs more than git takes to list a repository's files.
    """
    if not hasattr(os, 'posix_spawnp'):  # pragma: no cover (Windows)
        import subprocess

        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f'{command[0]} did not finish in {timeout:g} seconds') from None
        return done.returncode, done.stdout, done.stderr
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        pid = os.posix_spawnp(command[0], command, os.environ,
                              file_actions=[(os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)])
    except BaseException:
        os.close(out_r)
        os.close(err_r)
        raise
    finally:
        os.close(out_w)
        os.close(err_w)
    try:
        out, err = _drain([out_r, err_r], timeout)
    except BaseException:
        import contextlib

        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)  # SIGKILL (signal costs an import): nothing is left running
        raise
    finally:
        os.close(out_r)
        os.close(err_r)
        status = os.waitpid(pid, 0)[1]
    return os.waitstatus_to_exitcode(status), out, err


def _drain(fds: list[int], timeout: float) -> list[bytes]:
    """Everything written to these pipes until their writers close them (read together: neither fills
    while the other is waited on), or ``TimeoutError``."""
    import select
    import time

    deadline = time.monotonic() + timeout
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    got: dict[int, list[bytes]] = {fd: [] for fd in fds}
    left = set(fds)
    while left:
        wait = deadline - time.monotonic()
        if wait <= 0:
            raise TimeoutError(f'no answer in {timeout:g} seconds')
        for fd, _ in poller.poll(wait * 1000):
            data = os.read(fd, 1 << 16)
            if data:
                got[fd].append(data)
            else:
                poller.unregister(fd)
                left.discard(fd)
    return [b''.join(got[fd]) for fd in fds]


_PATTERNS = ('*.tf', '*.tf.json', '*.tofu', '*.tofu.json', '*.tfvars', '*.tfvars.json')  # every kind_of


def all_terraform(root: str, tracked_names: list[str] | None) -> list[str]:
    """Every Terraform configuration file under ``root``: the tracked ones in git (``tracked_names``,
    see ``tracked``), else all (``.terraform`` skipped)."""
    if tracked_names is not None:
        return under(root, [p for p in tracked_names if kind_of(p) in ('tf', 'tfjson')])
    found, _ = paths_from_args([root])
    return [p for p in found if kind_of(p) in ('tf', 'tfjson')]


def siblings(directory: str) -> list[str]:
    """Terraform and tfvars files of a directory (not recursive), sorted."""
    try:
        with os.scandir(directory) as entries:  # (DirEntry.path: joined in C)
            return sorted(e.path for e in entries if e.name.endswith(EXTENSIONS) and not e.is_dir())
    except OSError:
        return []


def paths_from_args(args: list[str]) -> tuple[list[str], list[RunError]]:
    """Command-line paths -> absolute file paths to check (directories walked, .terraform skipped)."""
    out: list[str] = []
    errors: list[RunError] = []
    cwd = os.getcwd()
    for arg in args:
        named = expand(arg, cwd)
        if named is None:
            errors.append(RunError(arg, 'no such file or directory', kind='read'))
        else:
            out.extend(named[1])
    return list(dict.fromkeys(out)), errors


def expand(arg: str, cwd: str, lstats: dict[str, os.stat_result] | None = None) -> tuple[str, list[str]] | None:
    """One command-line path -> (the directory named, or the file's, absolute; the files to check), None if missing.

    A directory is walked; a symbolic link to one is a file (never followed out
    of the repository). ``lstats`` gets what ``lstat`` said of a file named
    (for ``read``: thousands of files).
    """
    try:
        st = os.lstat(arg)
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(st.st_mode):
        out: list[str] = []
        for dirpath, dirnames, filenames in os.walk(arg):
            dirnames[:] = sorted(d for d in dirnames if d not in ('.terraform', '.git'))
            out.extend(absolute(os.path.join(dirpath, f), cwd) for f in sorted(filenames) if f.endswith(EXTENSIONS))
        return absolute(arg, cwd), out
    path = absolute(arg, cwd)
    if lstats is not None:
        lstats[path] = st
    return os.path.dirname(path), [path]


def inside(path: str, root: str) -> bool:
    """Does ``path``, symbolic links resolved, stay under ``root``?"""
    return _within(_realpath(absolute(path)), _realpath(root))


def file_inside(path: str, root: str, link: bool | None = None) -> bool:
    """``inside`` for a file, resolving its directory once per directory (thousands of files).

    ``link``: whether ``path`` is a symbolic link, when the caller knows already.
    """
    if link is None:
        link = os.path.islink(path)
    if link:
        return _within(os.path.realpath(path), _realpath(root))
    return _within(_realpath(os.path.dirname(path)), _realpath(root))  # (a name in a directory inside is inside)


_REMEMBERED = 1 << 16  # directories remembered a run: every one of a large repository, yet bounded
_REALPATHS: dict[str, str] = {}
_ROOTS: dict[str, str | None] = {}  # directory -> git_root(directory)
_WORK_TREES: dict[str, bool] = {}  # root -> is_work_tree(root)


def forget_paths() -> None:
    """A new run: symbolic links and repositories may have changed since the last one in this process."""
    _REALPATHS.clear()
    _ROOTS.clear()
    _WORK_TREES.clear()


def realpath(path: str) -> str:
    """``os.path.realpath(os.path.abspath(path))`` (``..`` taken lexically first, as the module
    paths this is asked about are), each directory's remembered for the run (see ``_realpath``)."""
    return _realpath(absolute(path))


def _realpath(path: str) -> str:
    """``os.path.realpath`` of a normalized absolute path, remembered for the run.

    Made from the parent's: one ``lstat`` a directory instead of one a
    component (a run over thousands of directories asks for each of them).
    """
    if path not in _REALPATHS:
        if len(_REALPATHS) > _REMEMBERED:
            _REALPATHS.clear()
        parent, name = os.path.split(path)
        if name and parent != path and name not in ('.', '..') and os.path.isabs(path):
            joined = os.path.join(_realpath(parent), name)
            _REALPATHS[path] = os.path.realpath(joined) if os.path.islink(joined) else joined
        else:
            _REALPATHS[path] = os.path.realpath(path)
    return _REALPATHS[path]


def _within(real: str, base: str) -> bool:
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)
