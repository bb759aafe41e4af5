"""The hook through the real pre-commit, in a fresh git repository.

The hook repository is this checkout at its HEAD commit, as ``pre-commit
try-repo`` does: commit your work before running this test.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parents[1]
HOOK_ID = 'check-postgresql-log-disconnections'
PRE_COMMIT = str(Path(sys.executable).parent / 'pre-commit')
BAD = '''resource "azurerm_postgresql_configuration" "audit" {
  name                = "log_disconnections"
  resource_group_name = "rg"
  server_name         = "srv"
  value               = var.log_disconnections
}
'''
VARIABLES = 'variable "log_disconnections" {\n  default = "%s"\n}\n'

pytestmark = pytest.mark.skipif(shutil.which('git') is None, reason='git is not installed')


def _git(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(['git', *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope='module')
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    e = dict(os.environ)
    e.update({
        'PRE_COMMIT_HOME': str(tmp_path_factory.mktemp('pre-commit-home')),
        'GIT_AUTHOR_NAME': 't', 'GIT_AUTHOR_EMAIL': 't@example.invalid',
        'GIT_COMMITTER_NAME': 't', 'GIT_COMMITTER_EMAIL': 't@example.invalid',
        'GIT_CONFIG_GLOBAL': os.devnull, 'GIT_CONFIG_NOSYSTEM': '1',
    })
    e.pop('PRE_COMMIT', None)
    return e


@pytest.fixture
def repo(tmp_path: Path, env: dict[str, str]) -> Path:
    rev = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=HERE, capture_output=True, text=True,
                         check=True).stdout.strip()
    _git(tmp_path, 'init', '-q', '-b', 'main', env=env)
    (tmp_path / '.pre-commit-config.yaml').write_text(
        f'repos:\n-   repo: {HERE}\n    rev: {rev}\n    hooks:\n    -   id: {HOOK_ID}\n')
    pre_commit = [PRE_COMMIT]
    out = subprocess.run([*pre_commit, 'install'], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    _git(tmp_path, 'add', '.pre-commit-config.yaml', env=env)
    _git(tmp_path, 'commit', '-q', '-m', 'config', '--no-verify', env=env)
    return tmp_path


def test_commit_is_blocked_then_allowed_once_on(repo: Path, env: dict[str, str]) -> None:
    (repo / 'db').mkdir()
    (repo / 'db' / 'main.tf').write_text(BAD)
    (repo / 'db' / 'variables.tf').write_text(VARIABLES % 'off')
    _git(repo, 'add', '.', env=env)
    blocked = _git(repo, 'commit', '-m', 'add database', env=env)
    assert blocked.returncode != 0
    # git shows a hook's output on stderr
    assert 'db/main.tf:5:25: azurerm_postgresql_configuration.audit: log_disconnections is "off"' in blocked.stderr
    (repo / 'db' / 'variables.tf').write_text(VARIABLES % 'on')
    _git(repo, 'add', '.', env=env)
    allowed = _git(repo, 'commit', '-m', 'add database', env=env)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_changing_only_the_default_blocks_the_commit(repo: Path, env: dict[str, str]) -> None:
    (repo / 'main.tf').write_text(BAD)
    (repo / 'variables.tf').write_text(VARIABLES % 'on')
    _git(repo, 'add', '.', env=env)
    assert _git(repo, 'commit', '-m', 'ok', env=env).returncode == 0
    (repo / 'variables.tf').write_text(VARIABLES % 'OFF')
    _git(repo, 'add', 'variables.tf', env=env)
    blocked = _git(repo, 'commit', '-m', 'turn it off', env=env)
    assert blocked.returncode != 0
    assert '(value from variables.tf:2' in blocked.stderr


def test_all_files_reports_each_finding_once(repo: Path, env: dict[str, str]) -> None:
    for i in range(12):  # enough files for pre-commit to split them across processes
        d = repo / f'm{i:02d}'
        d.mkdir()
        (d / 'main.tf').write_text(BAD)
        (d / 'variables.tf').write_text(VARIABLES % 'off')
        for j in range(6):
            (d / f'other{j}.tf').write_text(f'resource "azurerm_resource_group" "g{j}" {{\n  name = "x"\n}}\n')
    _git(repo, 'add', '.', env=env)
    _git(repo, 'commit', '-q', '-m', 'all', '--no-verify', env=env)
    out = subprocess.run([PRE_COMMIT, 'run', '--all-files'], cwd=repo, env=env, capture_output=True, text=True)
    assert out.returncode == 1
    findings = re.findall(r'^(m\d\d/main\.tf):5:25: ', out.stdout, re.M)
    assert sorted(findings) == [f'm{i:02d}/main.tf' for i in range(12)]


OTHER = 'resource "azurerm_resource_group" "g" {\n  name = "x"\n}\n'


@pytest.mark.parametrize('args', ('', '\n        args: [--var-file, prod.tfvars, --unresolved, fail]'))
def test_file_names_that_look_like_options_are_files(repo: Path, env: dict[str, str],
                                                      tmp_path_factory: pytest.TempPathFactory, args: str) -> None:
    """`--` sorts first in `git ls-files`; pre-commit passes names after the args without `--`."""
    outside = tmp_path_factory.mktemp('outside') / 'report.tf'
    names = ['--output=main.tf', '--out=main.tf', '--var=log_disconnections={tf="on"}.tf', '--var-file=main.tf',
             f'--output={outside}']
    (repo / 'main.tf').write_text(BAD)
    (repo / 'variables.tf').write_text(VARIABLES % ('on' if args else 'off'))
    (repo / 'prod.tfvars').write_text('log_disconnections = "off"\n')
    for name in names:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(OTHER)
    config = repo / '.pre-commit-config.yaml'
    config.write_text(config.read_text() + args + '\n')
    _git(repo, 'add', '-A', env=env)
    _git(repo, 'commit', '-q', '-m', 'odd names', '--no-verify', env=env)
    out = subprocess.run([PRE_COMMIT, 'run', '--all-files'], cwd=repo, env=env, capture_output=True, text=True)
    assert out.returncode == 1, out.stdout + out.stderr
    assert 'main.tf:5:25: azurerm_postgresql_configuration.audit: log_disconnections is "off"' in out.stdout
    assert (repo / 'main.tf').read_text() == BAD
    assert not outside.exists()
    assert _git(repo, 'status', '--porcelain', env=env).stdout == ''  # nothing written, nothing added


CHILD = '''resource "azurerm_postgresql_flexible_server_configuration" "ld" {
  name      = "log_disconnections"
  server_id = "x"
  value     = var.log
}
'''


def test_splitting_the_files_does_not_change_the_verdict(repo: Path, env: dict[str, str]) -> None:
    # pre-commit hands parts of a big file list to several processes: the caller's "off" must still block
    (repo / 'modules' / 'pg').mkdir(parents=True)
    (repo / 'modules' / 'pg' / 'main.tf').write_text(CHILD)
    (repo / 'modules' / 'pg' / 'variables.tf').write_text('variable "log" {\n  default = "on"\n}\n')
    (repo / 'main.tf').write_text('module "pg" {\n  source = "./modules/pg"\n  log    = "off"\n}\n')
    # six files that pre-commit splits so that one process gets only the child module's files (2, 4, 8 jobs)
    for name in ('network', 'locals', 'backend'):
        (repo / f'{name}.tf').write_text(f'resource "azurerm_resource_group" "{name}" {{\n  name = "x"\n}}\n')
    _git(repo, 'add', '.', env=env)
    blocked = _git(repo, 'commit', '-m', 'add database', env=env)
    assert blocked.returncode != 0, blocked.stdout + blocked.stderr
    lines = re.findall(r'^modules/pg/main\.tf:4:15: .*$', blocked.stderr, re.M)
    assert lines == [
        'modules/pg/main.tf:4:15: module.pg.azurerm_postgresql_flexible_server_configuration.ld: log_disconnections '
        'is "off", expected "on" (value from main.tf:3, var.log) (module call at main.tf:1) '
        '[07f7134f-9f37-476e-8664-670c218e4702]']
    _git(repo, 'commit', '-q', '-m', 'add database', '--no-verify', env=env)
    out = subprocess.run([PRE_COMMIT, 'run', '--all-files'], cwd=repo, env=env, capture_output=True, text=True)
    assert out.returncode == 1
    assert re.findall(r'^modules/pg/main\.tf:4:15: .*$', out.stdout, re.M) == lines


def test_an_unverified_value_reaches_the_terminal(repo: Path, env: dict[str, str]) -> None:
    # the default --unresolved=warn exits 0: pre-commit shows the output of a passing hook only when verbose
    (repo / 'main.tf').write_text(BAD)
    (repo / 'variables.tf').write_text('variable "log_disconnections" {}\n')
    _git(repo, 'add', '.', env=env)
    done = _git(repo, 'commit', '-m', 'add database', env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ('main.tf:5:25: unverified: azurerm_postgresql_configuration.audit: value cannot be determined: '
            'var.log_disconnections has no default') in done.stdout + done.stderr
