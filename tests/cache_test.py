"""The parsed-block cache (``cache.py``) through ``main()``: it makes a run faster, never different.

Each test has an empty cache directory of its own (``conftest.py``).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from check_postgresql_log_disconnections import cache, hcl_parser
from check_postgresql_log_disconnections._main import main

MAIN = '''\
resource "azurerm_postgresql_flexible_server_configuration" "a" {
  name      = "log_disconnections"
  server_id = "x"
  value     = var.log_disconnections
}
'''
VARIABLES = '''\
variable "log_disconnections" {
  default = "off"
}
'''
FINDING = ('main.tf:4:15: azurerm_postgresql_flexible_server_configuration.a: log_disconnections is "off", '
           'expected "on" (value from variables.tf:2, default of var.log_disconnections) '
           '[07f7134f-9f37-476e-8664-670c218e4702]\n')


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / 'repo').mkdir()
    (tmp_path / 'repo' / 'main.tf').write_text(MAIN)
    (tmp_path / 'repo' / 'variables.tf').write_text(VARIABLES)
    monkeypatch.chdir(tmp_path / 'repo')
    return tmp_path / 'repo'


def _entries() -> list[Path]:
    """The parsed blocks' entries (the parser kept beside them is ``hcl_parser_test``'s)."""
    return sorted(Path(os.environ[cache.ENV_DIR]).rglob('*.json'))


def _files() -> list[Path]:
    return sorted(p for p in Path(os.environ[cache.ENV_DIR]).rglob('*') if p.is_file())


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    rc = main([*args, 'main.tf', 'variables.tf'])
    return rc, capsys.readouterr().out


def _no_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(text: str, **kw: object) -> object:
        raise AssertionError('python-hcl2 was asked to parse')
    monkeypatch.setattr(hcl_parser, 'parses_to_tree', fail)


def test_a_second_run_takes_the_blocks_from_the_cache(repo: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(capsys) == (1, FINDING)
    assert len(_entries()) == 2  # the configuration and the variable
    _no_parser(monkeypatch)
    assert _run(capsys) == (1, FINDING)


# What a run over unchanged files must not import: each costs more than the run's own work
# (dataclasses, typing, hashlib with OpenSSL, importlib.metadata, the parser...).
PACKAGE = 'check_postgresql_log_disconnections'
HEAVY = frozenset({
    'argparse', 'dataclasses', 'typing', 'inspect', 'ast', 'hashlib', '_hashlib', 'decimal', 'email',
    'importlib.metadata', 'importlib.util', 'pathlib', 'tempfile', 'subprocess', 'hcl2', 'lark', 'regex', 're2',
    *(f'check_postgresql_log_disconnections.{m}' for m in (
        'about', 'fix', 'goformat', 'goregex', 'installed', 'plan', 'sarif', 'tfjson')),
})
# A commit that touches no PostgreSQL configuration reads its files and stops.
PIPELINE = frozenset(f'check_postgresql_log_disconnections.{m}' for m in (
    'cache', 'evaluate', 'funcs', 'hcl', 'instances', 'judge', 'lexer', 'modules', 'record', 'render', 'results',
    'scan', 'suppress', 'syntax', 'texts', 'values'))
RUN = ('import sys; from check_postgresql_log_disconnections._main import main; rc = main(sys.argv[1:]); '
       'sys.stderr.write(" ".join(sys.modules)); sys.exit(rc)')


def _imported(*args: str) -> tuple[int, str, set[str]]:
    """Run the hook as pre-commit does, in a fresh interpreter: exit code, output, the modules it imported.

    Without the worker: on an idle machine a first run would import python-hcl2 in that second
    process only, and what this one imports would depend on the machine's load."""
    env = dict(os.environ, CHECK_POSTGRESQL_LOG_DISCONNECTIONS_WORKER='0')
    got = subprocess.run([sys.executable, '-c', RUN, '--pre-commit', *args], capture_output=True, text=True,
                         env=env)
    return got.returncode, got.stdout, set(got.stderr.split())


def test_a_second_run_imports_neither_the_parser_nor_heavy_modules(repo: Path) -> None:
    rc, out, first = _imported('main.tf', 'variables.tf')
    assert (rc, out) == (1, FINDING)
    assert 'hcl2' in first  # (the test sees what it guards)
    rc, out, second = _imported('main.tf', 'variables.tf')
    assert (rc, out, second & HEAVY) == (1, FINDING, set())


def test_a_file_that_cannot_matter_imports_no_more_than_reading_it(repo: Path) -> None:
    (repo / 'other').mkdir()
    (repo / 'other' / 'main.tf').write_text('resource "azurerm_postgresql_server" "s" {\n  name = "x"\n}\n')
    rc, out, imported = _imported('other/main.tf')
    assert (rc, out, imported & (HEAVY | PIPELINE)) == (0, '', set())


def test_configured_options_do_not_read_the_installed_metadata(repo: Path) -> None:
    # (argparse is built for them; only --version needs importlib.metadata, which costs ~50 ms)
    rc, out, imported = _imported('--unresolved', 'fail', 'main.tf', 'variables.tf')
    assert (rc, out) == (1, FINDING)
    assert 'argparse' in imported
    assert imported & {'importlib.metadata', 'email', f'{PACKAGE}.about'} == set()


def test_an_entry_serves_the_same_block_at_another_place(repo: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(capsys) == (1, FINDING)
    (repo / 'main.tf').write_text('# moved down\n\n' + MAIN)  # same block bytes, two lines lower
    _no_parser(monkeypatch)
    assert _run(capsys) == (1, FINDING.replace('main.tf:4:15', 'main.tf:6:15'))


@pytest.mark.parametrize('damage', [
    pytest.param(lambda data, other: b'', id='empty'),
    pytest.param(lambda data, other: data[:len(data) // 2], id='truncated'),
    pytest.param(lambda data, other: b'\xff\x00garbage', id='garbage'),
    pytest.param(lambda data, other: data.replace(b'"off"', b'"on"'), id='a value changed, checksum kept'),
    pytest.param(lambda data, other: other, id='foreign: the entry of another block'),
    pytest.param(lambda data, other: data.split(b'\n', 1)[0] + b'\n["Body",["T"],["T"]]', id='foreign payload'),
])
def test_a_corrupt_or_foreign_entry_changes_no_verdict(repo: Path, capsys: pytest.CaptureFixture[str],
                                                       damage: object) -> None:
    assert _run(capsys) == (1, FINDING)
    first, second = _entries()
    one, two = first.read_bytes(), second.read_bytes()
    first.write_bytes(damage(one, two))  # type: ignore[operator]
    second.write_bytes(damage(two, one))  # type: ignore[operator]
    assert _run(capsys) == (1, FINDING)
    assert [p.read_bytes() for p in _entries()] == [one, two]  # ignored, then written again


def test_an_unreadable_cache_directory_is_no_error(repo: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / 'a-file').write_text('not a directory')
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / 'a-file' / 'cache'))
    assert _run(capsys) == (1, FINDING)
    assert _run(capsys) == (1, FINDING)


@pytest.mark.parametrize('how', ['option', 'environment'])
def test_turned_off(repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                    how: str) -> None:
    if how == 'environment':
        monkeypatch.setenv(cache.ENV_OFF, '1')
    assert _run(capsys, *(['--no-cache'] if how == 'option' else [])) == (1, FINDING)
    assert _files() == []  # neither blocks nor the parser


def test_never_inside_the_repository(repo: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / '.git').mkdir()  # the repository is what the hook checks, not the user's cache
    monkeypatch.setenv(cache.ENV_DIR, str(repo / '.cache'))
    assert _run(capsys) == (1, FINDING)
    assert not (repo / '.cache').exists()


@pytest.mark.parametrize(('env', 'expected'), [
    ({cache.ENV_DIR: '/somewhere'}, '/somewhere'),
    ({'XDG_CACHE_HOME': '/xdg'}, '/xdg/check-postgresql-log-disconnections'),
    ({'HOME': '/home/u'}, '/home/u/.cache/check-postgresql-log-disconnections'),
])
def test_where(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str) -> None:
    for name in (cache.ENV_DIR, 'XDG_CACHE_HOME'):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cache.default_directory() == expected


def test_a_file_is_read_whole_even_when_it_is_longer_than_fstat_says(tmp_path: Path) -> None:
    kept = tmp_path / 'entry'
    kept.write_bytes(b'x' * 100_000)
    assert cache._contents(str(kept)) == b'x' * 100_000
    if os.path.exists('/proc/self/status'):  # fstat says 0 bytes: the rest is read on
        assert cache._contents('/proc/self/status').startswith(b'Name:')
    with pytest.raises(OSError):
        cache._contents(str(tmp_path / 'missing'))
