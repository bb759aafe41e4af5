"""The hook through the real pre-commit, in a fresh git repository.

The hook repository is this checkout at its HEAD commit, as ``pre-commit
try-repo`` does: commit your work before running this test.
"""
from __future__ import annotations

import json
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


def test_json_output_under_pre_commit_is_one_whole_document(repo: Path, env: dict[str, str]) -> None:
    # the hook runs serially (require_serial): one process, one document, however many files
    config = (repo / '.pre-commit-config.yaml').read_text()
    (repo / '.pre-commit-config.yaml').write_text(config + '        args: [--format, json, --output, report.json]\n')
    for i in range(24):
        d = repo / f'm{i:02d}'
        d.mkdir()
        (d / 'main.tf').write_text(BAD)
        (d / 'variables.tf').write_text(VARIABLES % 'off')
        for j in range(4):
            (d / f'other{j}.tf').write_text(f'resource "azurerm_resource_group" "g{j}" {{\n  name = "x"\n}}\n')
    _git(repo, 'add', '.', env=env)
    _git(repo, 'commit', '-q', '-m', 'all', '--no-verify', env=env)
    out = subprocess.run([PRE_COMMIT, 'run', '--all-files'], cwd=repo, env=env, capture_output=True, text=True)
    assert out.returncode == 1, out.stdout + out.stderr
    doc = json.loads((repo / 'report.json').read_text())
    assert sorted(r['file'] for r in doc['results']) == [f'm{i:02d}/main.tf' for i in range(24)]
    assert doc['summary']['noncompliant'] == 24


# --- the README, copied as a new user would -------------------------------------------------

README = (HERE / 'README.md').read_text()
PLACEHOLDER = 'https://github.com/OWNER/check-postgresql-log-disconnections'


def _block(heading: str, lang: str, index: int = 0) -> str:
    section = README.split(f'\n## {heading}\n', 1)[1].split('\n## ', 1)[0]
    return re.findall(rf'^```{lang}\n(.*?)^```$', section, re.M | re.S)[index]


@pytest.fixture(scope='module')
def hosted(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A clone of this repository at HEAD, with HEAD on a branch named main, as it would be hosted."""
    rev = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=HERE, capture_output=True, text=True,
                         check=True).stdout.strip()
    clone = tmp_path_factory.mktemp('hosted') / 'check-postgresql-log-disconnections.git'
    subprocess.run(['git', 'init', '-q', '--bare', str(clone)], check=True)
    subprocess.run(['git', 'push', '-q', str(clone), f'{rev}:refs/heads/main'], cwd=HERE, check=True)
    subprocess.run(['git', 'symbolic-ref', 'HEAD', 'refs/heads/main'], cwd=clone, check=True)
    return str(clone), rev


def _console(block: str, url: str) -> list[list[str]]:
    """The commands of a console block (`$ ...` lines), the placeholder URL replaced."""
    return [line[2:].split('  #')[0].replace(PLACEHOLDER, url).split()
            for line in block.splitlines() if line.startswith('$ ')]


def test_the_readme_setup_blocks_a_commit_and_its_fix_path_lets_it_through(
        tmp_path: Path, env: dict[str, str], hosted: tuple[str, str]) -> None:
    url, rev = hosted
    _git(tmp_path, 'init', '-q', '-b', 'main', env=env)
    config = _block('Use it', 'yaml')
    assert PLACEHOLDER in config and 'rev: main' in config
    (tmp_path / '.pre-commit-config.yaml').write_text(config.replace(PLACEHOLDER, url))
    autoupdate, install = _console(_block('Use it', 'console'), url)
    assert autoupdate[:2] == ['pre-commit', 'autoupdate'] and install == ['pre-commit', 'install']
    for command in (autoupdate, install):
        out = subprocess.run([PRE_COMMIT, *command[1:]], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr
    # no tag yet: autoupdate pins the newest commit
    assert f'rev: {rev}' in (tmp_path / '.pre-commit-config.yaml').read_text()
    _git(tmp_path, 'add', '.', env=env)
    assert _git(tmp_path, 'commit', '-q', '-m', 'pre-commit', env=env).returncode == 0

    (tmp_path / 'db').mkdir()
    (tmp_path / 'db' / 'main.tf').write_text(BAD)
    (tmp_path / 'db' / 'variables.tf').write_text(VARIABLES % 'off')
    _git(tmp_path, 'add', '.', env=env)
    blocked = _git(tmp_path, 'commit', '-m', 'add database', env=env)
    assert blocked.returncode == 1
    assert 'db/main.tf:5:25: azurerm_postgresql_configuration.audit: log_disconnections is "off"' in (
        blocked.stdout + blocked.stderr)

    # the documented fix path, output as the README shows it
    fix_block = _block('`--fix`', 'console')
    (fix,) = [c for c in _console(fix_block, url) if c[0] == 'pre-commit']
    out = subprocess.run([PRE_COMMIT, *fix[1:]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 1
    shown = fix_block.split('\n$ ')[0].split('\n', 1)[1]  # what the block shows after the command
    assert out.stdout.strip('\n') == shown.strip('\n')
    assert (tmp_path / 'db' / 'variables.tf').read_text() == VARIABLES % 'on'
    _git(tmp_path, 'add', '.', env=env)
    allowed = _git(tmp_path, 'commit', '-m', 'add database', env=env)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
