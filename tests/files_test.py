"""files.py's path and read helpers (tables), and how often a run asks the file system and git."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from check_postgresql_log_disconnections import files
from check_postgresql_log_disconnections._main import main


@pytest.mark.parametrize(('path', 'cwd', 'expected'), (
    ('main.tf', '/repo', '/repo/main.tf'),
    ('live/prod/main.tf', '/repo', '/repo/live/prod/main.tf'),
    ('main.tf', '/', '/main.tf'),
    ('/abs/main.tf', '/repo', '/abs/main.tf'),
    ('/', '/repo', '/'),
    ('/abs/', '/repo', '/abs'),
    ('//abs', '/repo', '//abs'),  # (POSIX keeps two leading slashes)
    ('///abs', '/repo', '/abs'),
    ('/abs/./main.tf', '/repo', '/abs/main.tf'),
    ('/abs/../x/main.tf', '/repo', '/x/main.tf'),
    ('./main.tf', '/repo', '/repo/main.tf'),
    ('a/../main.tf', '/repo', '/repo/main.tf'),
    ('../main.tf', '/repo/sub', '/repo/main.tf'),
    ('a//main.tf', '/repo', '/repo/a/main.tf'),
    ('a/', '/repo', '/repo/a'),
    ('.', '/repo', '/repo'),
    ('.github/main.tf', '/repo', '/repo/.github/main.tf'),
    ('a/.hidden.tf', '/repo', '/repo/a/.hidden.tf'),
    ('a/..b/main.tf', '/repo', '/repo/a/..b/main.tf'),
    ('x\\..\\main.tf', '/repo', '/repo/x\\..\\main.tf'),  # (a backslash is a name's character on POSIX)
))
@pytest.mark.skipif(os.sep != '/', reason='POSIX paths')
def test_absolute(path: str, cwd: str, expected: str) -> None:
    assert files.absolute(path, cwd) == expected == os.path.normpath(os.path.join(cwd, path))


def test_absolute_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert [files.absolute(p) for p in ('main.tf', './main.tf', str(tmp_path))] == [
        os.path.abspath('main.tf'), os.path.abspath('main.tf'), str(tmp_path)]


@pytest.mark.parametrize(('root', 'names', 'expected'), (
    ('/repo', ['main.tf', 'a/b.tfvars'], ['/repo/main.tf', '/repo/a/b.tfvars']),
    ('/repo/', ['main.tf'], ['/repo/main.tf']),
    ('/', ['main.tf'], ['/main.tf']),
    ('/repo', [], []),
))
@pytest.mark.skipif(os.sep != '/', reason='POSIX paths')
def test_under(root: str, names: list[str], expected: list[str]) -> None:
    assert files.under(root, names) == expected


@pytest.mark.parametrize(('data', 'limit', 'expected'), (
    (b'', 10, b''),
    (b'abc', 10, b'abc'),
    (b'x' * 10, 10, b'x' * 10),
    (b'x' * 11, 10, 'file too large (11 bytes > 10)'),
))
def test_read_bytes(tmp_path: Path, data: bytes, limit: int, expected: bytes | str) -> None:
    (tmp_path / 'f').write_bytes(data)
    assert files.read_bytes(str(tmp_path / 'f'), limit) == expected


@pytest.mark.skipif(not os.path.isfile('/proc/self/status'), reason='no /proc')
def test_read_bytes_reads_a_file_whose_size_lies() -> None:
    """``/proc`` files say 0 bytes and hold more: read on to the end, however many reads it takes."""
    data = files.read_bytes('/proc/self/status')
    assert isinstance(data, bytes) and data.startswith(b'Name:') and data.endswith(b'\n')
    assert files.read_bytes('/proc/self/status', 10) == 'file too large (more than 10 bytes)'


def test_read_is_one_lstat_for_a_file_and_follows_a_link_inside(tmp_path: Path) -> None:
    (tmp_path / 'main.tf').write_text('a = 1\n')
    (tmp_path / 'link.tf').symlink_to('main.tf')
    (tmp_path / 'broken.tf').symlink_to('missing.tf')
    root = str(tmp_path)
    got = [files.read(str(tmp_path / n), root, root) for n in ('main.tf', 'link.tf', 'broken.tf', 'missing.tf')]
    assert [(type(x).__name__, x.path, getattr(x, 'text', getattr(x, 'reason', None))) for x in got] == [
        ('Source', 'main.tf', 'a = 1\n'),
        ('Source', 'link.tf', 'a = 1\n'),
        ('RunError', 'broken.tf', 'broken symbolic link'),
        ('RunError', 'missing.tf', 'No such file or directory'),
    ]


def test_git_root_is_remembered_for_a_run_only(tmp_path: Path) -> None:
    (tmp_path / 'a' / 'b').mkdir(parents=True)
    files.forget_paths()
    assert files.git_root(str(tmp_path / 'a' / 'b')) is None
    (tmp_path / 'a' / '.git').mkdir()
    assert files.git_root(str(tmp_path / 'a' / 'b')) is None  # the same run: remembered
    files.forget_paths()
    assert files.git_root(str(tmp_path / 'a' / 'b')) == str(tmp_path / 'a')
    assert files.git_root(str(tmp_path / 'a')) == str(tmp_path / 'a')


# --- git: one call a repository, whatever the run turns out to need ---

FLEX = 'azurerm_postgresql_flexible_server_configuration'
CHILD = (f'resource "{FLEX}" "ld" {{\n  name      = "log_disconnections"\n  server_id = "x"\n  value     = var.ld\n}}\n'
         'variable "ld" {\n  default = "off"\n}\n')


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(['git', '-c', 'user.email=t@t', '-c', 'user.name=t', *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.mark.skipif(shutil.which('git') is None, reason='git is not installed')
def test_one_git_call_a_run_and_tracked_tfvars_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A root calling a module in a directory not passed: git is asked once (not once for the
    root, again for the module); a tracked ``.tfvars`` counts as it stands, an untracked one never."""
    repo = tmp_path / 'repo'
    root = 'variable "ld" {}\nmodule "pg" {\n  source = "../modules/pg"\n  ld     = var.ld\n}\n'
    for name, text in {'modules/pg/main.tf': CHILD, 'env/a.auto.tfvars': 'ld = "on"\n', 'env/main.tf': root}.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    _git(repo, 'init', '-q')
    _git(repo, 'add', '-A')
    (repo / 'env' / 'a.auto.tfvars').write_text('ld = "off"\n')  # tracked, changed: read as it is
    (repo / 'env' / 'z.auto.tfvars').write_text('ld = "on"\n')  # untracked: never read
    log = tmp_path / 'git.log'
    real = shutil.which('git')
    (tmp_path / 'bin').mkdir()
    (tmp_path / 'bin' / 'git').write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {real} "$@"\n')
    (tmp_path / 'bin' / 'git').chmod(0o755)
    monkeypatch.setenv('PATH', f'{tmp_path / "bin"}{os.pathsep}{os.environ["PATH"]}')
    monkeypatch.chdir(repo)
    assert main(['env/main.tf']) == 1
    assert capsys.readouterr().out.splitlines() == [
        f'modules/pg/main.tf:4:15: module.pg.{FLEX}.ld: log_disconnections is "off", expected "on" '
        '(value from env/a.auto.tfvars:1, var.ld) (module call at env/main.tf:2) '
        '[07f7134f-9f37-476e-8664-670c218e4702]']
    assert len(log.read_text().splitlines()) == 1


# --- run_command: git without importing subprocess ---

@pytest.mark.skipif(shutil.which('sh') is None, reason='no sh')
@pytest.mark.parametrize(('script', 'expected'), (
    ('echo out; echo err >&2; exit 3', (3, b'out\n', b'err\n')),
    ('exit 0', (0, b'', b'')),
    ('kill -9 $$', (-9, b'', b'')),
    # more than a pipe holds on both streams: read together, neither blocks the other
    ('head -c 300000 /dev/zero >&2; head -c 200000 /dev/zero', (0, bytes(200000), bytes(300000))),
))
def test_run_command(script: str, expected: tuple[int, bytes, bytes]) -> None:
    assert files.run_command(['sh', '-c', script], timeout=60) == expected


def test_run_command_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        files.run_command([str(tmp_path / 'no-such-command')], timeout=60)
    with pytest.raises(TimeoutError, match=r'no answer in 0\.2 seconds'):
        files.run_command(['sleep', '30'], timeout=0.2)


# --- calls_matter / local_calls: a local module source, found without a parse ---

@pytest.mark.parametrize(('text', 'calls'), (
    ('module "a" {\n  source = "./pg"\n}\n', [('./pg', 2)]),
    ('module "a" {\n  source="../pg"\n}\n', [('../pg', 2)]),
    ('{"module": {"a": {"source": "./pg"}}}', [('./pg', 1)]),
    ('module "a" {\n  datasource = "./pg"\n}\n', []),  # another word ending in "source"
    ('resource "x" "y" {\n  source_dir = "./pg"\n}\n', []),
    ('module "a" {\n  source = "registry/pg"\n}\n', []),
    ('source = "./a"\nsource = "./b"\n', [('./a', 1), ('./b', 2)]),
    ('_source = "./pg"\n', []),
    ('ésource = "./pg"\n', []),  # (a Unicode letter is a word character too)
    ('-source = "./pg"\n', [('./pg', 1)]),
))
def test_local_calls(text: str, calls: list[tuple[str, int]]) -> None:
    assert files.local_calls(text) == calls


@pytest.mark.parametrize(('text', 'matters', 'asked'), (
    ('module "a" {\n  source = "./pg"\n}\n', True, ['./pg']),
    ('module "a" {\n  source = "./other"\n}\n', False, ['./other']),
    ('module "a" {\n  source = "./other"\n}\nmodule "b" {\n  source = "../x"\n}\n', False, ['./other', '../x']),
    ('module "a" {\n  source = "\\u002e/pg"\n}\n', True, []),  # an escape: read by the parser
    ('module "a" {\n  source = "./${var.x}"\n}\n', True, []),  # a path this cannot read
    ('module "a" {\n  datasource = "./pg"\n}\n', True, []),  # (the cheap test errs on the safe side)
    ('module "a" {\n  datasource = "\\u002e/pg"\n}\n', False, []),
    ('no call at all, a path ./x and a \\ backslash', False, []),
))
def test_calls_matter(text: str, matters: bool, asked: list[str]) -> None:
    seen: list[str] = []

    def call_matters(path: str) -> bool:
        seen.append(path)
        return path == './pg'

    assert (files.calls_matter(text, call_matters), seen) == (matters, asked)


def test_a_file_swapped_for_a_link_after_its_lstat_is_not_followed(tmp_path: Path) -> None:
    """``read`` trusts the ``lstat`` that ``expand`` made (one a file): a file replaced by a symbolic
    link since then is not opened through it (``O_NOFOLLOW``), whatever it points to."""
    (tmp_path / 'repo').mkdir()
    (tmp_path / 'outside.tf').write_text('secret = 1\n')
    path = tmp_path / 'repo' / 'main.tf'
    path.write_text('a = 1\n')
    before = os.lstat(path)
    path.unlink()
    path.symlink_to(tmp_path / 'outside.tf')
    got = files.read(str(path), str(tmp_path / 'repo'), str(tmp_path / 'repo'), before)
    assert (type(got).__name__, got.path, getattr(got, 'reason', None)) == (
        'RunError', 'main.tf', 'Too many levels of symbolic links')


@pytest.mark.parametrize('path', (
    'real/pg', 'link/pg', 'link', 'chain', 'up/real', 'real/missing/x', 'loop', 'loop/x', 'real/../link/pg', '.',
    'chain/../x',
))
def test_realpath_is_os_path_realpath(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    (tmp_path / 'real' / 'pg').mkdir(parents=True)
    (tmp_path / 'link').symlink_to('real')
    (tmp_path / 'chain').symlink_to('link/pg')
    (tmp_path / 'up').symlink_to('real/..')
    (tmp_path / 'loop').symlink_to('loop')
    monkeypatch.chdir(tmp_path)
    files.forget_paths()
    for p in (path, str(tmp_path / path)):
        assert files.realpath(p) == os.path.realpath(os.path.abspath(p))
