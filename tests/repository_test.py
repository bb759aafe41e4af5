"""A path named on the command line is judged in its own repository, wherever the hook runs.

The boundary (what module sources, ``--var-file`` files and symbolic links may
not leave) is the git work tree holding the path named, or, outside git, the
directory named; run from elsewhere, the files are checked, not refused.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from check_postgresql_log_disconnections._main import main

pytestmark = pytest.mark.skipif(shutil.which('git') is None, reason='git is not installed')

ID = '[07f7134f-9f37-476e-8664-670c218e4702]'
CFG = '''resource "azurerm_postgresql_configuration" "x" {
  name                = "log_disconnections"
  server_name         = "psql"
  value               = var.ld
}
'''
DEFAULT_OFF = 'variable "ld" {\n  default = "off"\n}\n'
FINDING = ('main.tf:4:25: azurerm_postgresql_configuration.x: log_disconnections is "off", expected "on" '
           '(value from {d}variables.tf:2, default of var.ld) ' + ID)


def write(root: Path, tree: dict[str, str]) -> None:
    for name, text in tree.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def git_repo(root: Path, tree: dict[str, str], untracked: dict[str, str] | None = None) -> Path:
    write(root, tree)
    subprocess.run(['git', 'init', '-q', str(root)], check=True)
    subprocess.run(['git', '-C', str(root), 'add', '--', *tree], check=True)
    write(root, untracked or {})
    return root


def check(cwd: Path, argv: list[str], monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    monkeypatch.delenv('PRE_COMMIT', raising=False)
    monkeypatch.chdir(cwd)
    rc = main(argv)
    return rc, capsys.readouterr().out.splitlines()


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    (tmp_path / 'elsewhere').mkdir()
    return tmp_path / 'elsewhere'


def test_a_git_repository_checked_from_outside_it(tmp_path: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    repo = git_repo(tmp_path / 'repo', {'main.tf': CFG, 'variables.tf': DEFAULT_OFF},
                    untracked={'terraform.tfvars': 'ld = "on"\n'})
    d = f'{repo}{os.sep}'
    # git of the repository named decides which siblings count: the untracked "on" does not
    assert check(elsewhere, [str(repo / 'main.tf')], monkeypatch, capsys) == (1, [d + FINDING.format(d=d)])
    assert check(repo, ['main.tf'], monkeypatch, capsys) == (1, [FINDING.format(d='')])  # as from inside it
    # a directory named passes its files, the untracked one too, as from inside it
    assert check(elsewhere, [str(repo)], monkeypatch, capsys) == (0, [])
    assert check(repo, ['.'], monkeypatch, capsys) == (0, [])
    os.remove(repo / 'terraform.tfvars')
    assert check(elsewhere, [str(repo)], monkeypatch, capsys) == (1, [d + FINDING.format(d=d)])
    # SARIF's paths are relative to the repository checked, not to where the hook ran
    rc, out = check(elsewhere, ['--format', 'sarif', str(repo)], monkeypatch, capsys)
    assert rc == 1
    run = json.loads('\n'.join(out))['runs'][0]
    assert run['originalUriBaseIds']['%SRCROOT%']['uri'] == repo.resolve().as_uri() + '/'
    assert run['results'][0]['locations'][0]['physicalLocation']['artifactLocation']['uri'] == 'main.tf'


def test_two_repositories_in_one_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    a = git_repo(tmp_path / 'a', {'main.tf': CFG, 'variables.tf': DEFAULT_OFF})
    # b's module is followed inside b
    b = git_repo(tmp_path / 'b', {'main.tf': 'module "pg" {\n  source = "./pg"\n}\n', 'pg/main.tf': CFG,
                                  'pg/variables.tf': DEFAULT_OFF})
    b_line = (f'{b}/pg/main.tf:4:25: module.pg.azurerm_postgresql_configuration.x: log_disconnections is "off", '
              f'expected "on" (value from {b}/pg/variables.tf:2, default of var.ld) (module call at '
              f'{b}/main.tf:1) {ID}')
    assert check(a, ['main.tf', str(b / 'main.tf')], monkeypatch, capsys) == (1, [b_line, FINDING.format(d='')])
    d = f'{a}{os.sep}'
    assert check(tmp_path, ['a', 'b'], monkeypatch, capsys) == (1, [  # (b/pg named too: judged on its own as well)
        'a/' + FINDING.format(d='a/'), 'b/pg/' + FINDING.format(d='b/pg/'), b_line.replace(f'{b}/', 'b/')])
    assert check(tmp_path / 'b', [str(a), 'main.tf'], monkeypatch, capsys) == (1, [
        d + FINDING.format(d=d), b_line.replace(f'{b}/', '')])  # (sorted: absolute paths first)


def test_a_directory_outside_git_checked_from_elsewhere(tmp_path: Path, elsewhere: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / 'plain'
    write(plain, {'env/main.tf': 'module "pg" {\n  source = "../modules/pg"\n}\n',
                  'modules/pg/main.tf': CFG, 'modules/pg/variables.tf': DEFAULT_OFF})
    m = f'{plain}/modules/pg/'
    line = (f'{m}main.tf:4:25: module.pg.azurerm_postgresql_configuration.x: log_disconnections is "off", '
            f'expected "on" (value from {m}variables.tf:2, default of var.ld) (module call at {plain}/env/main.tf:1) '
            f'{ID}')
    # the directory named bounds the run: its modules are followed
    assert check(elsewhere, [str(plain)], monkeypatch, capsys) == (1, [
        f'{m}' + FINDING.format(d=m), line])  # modules/pg named too: judged on its own as well
    # a file named: its own directory bounds it, so the module above it is not followed
    assert check(elsewhere, [str(plain / 'env' / 'main.tf')], monkeypatch, capsys) == (0, [
        f'{plain}/env/main.tf:1:1: note: module "pg" source ../modules/pg is outside the repository: not followed'])


@pytest.mark.parametrize('in_git', (True, False), ids=('git', 'plain'))
def test_a_module_source_leaving_a_path_named_from_elsewhere_is_not_followed(
        tmp_path: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        in_git: bool) -> None:
    write(tmp_path, {'outside/main.tf': CFG, 'outside/variables.tf': DEFAULT_OFF})  # its "off" is never read
    tree = {'env/main.tf': 'module "o" {\n  source = "../../outside"\n}\n'}
    root = git_repo(tmp_path / 'repo', tree) if in_git else tmp_path / 'repo'
    write(root, tree)
    note = f'{root}/env/main.tf:1:1: note: module "o" source ../../outside is outside the repository: not followed'
    assert check(elsewhere, [str(root)], monkeypatch, capsys) == (0, [note])


def test_a_symlink_named_from_elsewhere_that_leaves_its_repository_is_not_followed(
        tmp_path: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {'outside/secret.tf': CFG + DEFAULT_OFF})
    repo = git_repo(tmp_path / 'repo', {'main.tf': '# nothing\n'})
    os.symlink(tmp_path / 'outside' / 'secret.tf', repo / 'escape.tf')
    line = f'{repo}/escape.tf: symbolic link points outside the repository: not followed'
    assert check(elsewhere, [str(repo / 'escape.tf')], monkeypatch, capsys) == (1, [line])
    assert check(elsewhere, [str(repo)], monkeypatch, capsys) == (1, [line])


def test_a_var_file_is_read_within_the_repository_named(tmp_path: Path, elsewhere: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    write(elsewhere, {'local.tfvars': 'ld = "off"\n'})
    repo = git_repo(tmp_path / 'repo', {'main.tf': CFG.replace('var.ld', 'var.ld2') + 'variable "ld2" {}\n',
                                        'prod.tfvars': 'ld2 = "off"\n'})
    assert check(elsewhere, ['--var-file', str(repo / 'prod.tfvars'), str(repo)], monkeypatch, capsys) == (1, [
        f'{repo}/main.tf:4:25: azurerm_postgresql_configuration.x: log_disconnections is "off", expected "on" '
        f'(value from {repo}/prod.tfvars:1, var.ld2) {ID}'])
    # a --var-file outside the repository checked is not read, wherever the hook runs
    assert check(elsewhere, ['--var-file', 'local.tfvars', str(repo)], monkeypatch, capsys) == (1, [
        f'{repo}/main.tf:4:25: unverified: azurerm_postgresql_configuration.x: value cannot be determined: '
        f'var.ld2 has no default {ID}', 'local.tfvars: --var-file is outside the repository: not read'])
