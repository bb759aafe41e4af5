"""Terraform's own semantics through ``main()``: what Terraform reads is what is judged (issue 9).

Each expected value was checked with Terraform 1.11 (``terraform console``);
``test_*_agrees_with_terraform`` re-asks it when the binary is on this machine.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from check_postgresql_log_disconnections._main import main

ID = '07f7134f-9f37-476e-8664-670c218e4702'


def resource(value: str, name: str = 'ld', parameter: str = 'log_disconnections') -> str:
    return f'''resource "azurerm_postgresql_flexible_server_configuration" "{name}" {{
  name      = "{parameter}"
  server_id = "x"
  value     = {value}
}}
'''


def write(root: Path, tree: dict[str, str]) -> None:
    for name, text in tree.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(list(args))
    return code, capsys.readouterr().out.splitlines()


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv('PRE_COMMIT', raising=False)
    return tmp_path


def finding(path: str, line: int, address: str, value: str, origin: str = '') -> str:
    more = f' ({origin})' if origin else ''
    return f'{path}:{line}:15: {address}: log_disconnections is "{value}", expected "on"{more} [{ID}]'


# --- --var and --var-file: command-line order, root modules only ---

ROOT_AND_CHILD = {
    'modules/pg/main.tf': 'variable "ld" {\n  default = "off"\n}\n' + resource('var.ld'),
    'env/main.tf': 'variable "ld" {}\nmodule "pg" {\n  source = "../modules/pg"\n  ld     = var.ld\n}\n',
    'prod.tfvars': 'ld = "on"\n',
}
CHILD = 'module.pg.azurerm_postgresql_flexible_server_configuration.ld'


@pytest.mark.parametrize(('args', 'noncompliant'), (
    (('--var-file', 'prod.tfvars'), False),
    (('--var', 'ld=off', '--var-file', 'prod.tfvars'), False),  # the later wins, as in Terraform
    (('--var-file', 'prod.tfvars', '--var', 'ld=off'), True),
    (('--var', 'ld=on', '--var', 'ld=off'), True),
))
def test_var_and_var_file_apply_in_command_line_order(here: Path, capsys: pytest.CaptureFixture[str],
                                                      args: tuple[str, ...], noncompliant: bool) -> None:
    write(here, ROOT_AND_CHILD)
    code, out = run(capsys, *args, 'env/main.tf')
    expected = [f'modules/pg/main.tf:7:15: {CHILD}: log_disconnections is "off", expected "on" '
                f'(module call at env/main.tf:2) [{ID}]'] if noncompliant else []
    assert (code, out) == (int(noncompliant), expected)


def test_var_file_does_not_apply_to_a_child_module_judged_on_its_own(here: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    write(here, ROOT_AND_CHILD)
    code, out = run(capsys, '--var-file', 'prod.tfvars', 'modules/pg/main.tf')
    assert code == 1
    assert out == [
        'modules/pg/main.tf:1:1: note: --var and --var-file are not applied: this directory is a child module '
        '(called at env/main.tf:3), judged with its own defaults',
        finding('modules/pg/main.tf', 7, 'azurerm_postgresql_flexible_server_configuration.ld', 'off',
                'value from modules/pg/main.tf:2, default of var.ld'),
    ]


def test_var_applies_to_a_root_module(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {'main.tf': 'variable "ld" {\n  default = "off"\n}\n' + resource('var.ld')})
    assert run(capsys, '--var', 'ld=on', 'main.tf') == (0, [])


# --- null: nullable = false and optional(type, default) take the default ---

@pytest.mark.parametrize(('variables', 'tfvars', 'value'), (
    ('variable "ld" {\n  default  = "on"\n  nullable = false\n}\n', 'ld = null\n', 'var.ld'),
    ('variable "cfg" {\n  type = object({ ld = optional(string, "on") })\n}\n', 'cfg = { ld = null }\n',
     'var.cfg.ld'),
    ('variable "cfg" {\n  type    = map(object({ ld = optional(string, "on") }))\n'
     '  default = { a = { ld = null } }\n}\n', '', 'var.cfg["a"].ld'),
))
def test_null_takes_the_default_where_terraform_says_so(here: Path, capsys: pytest.CaptureFixture[str],
                                                        variables: str, tfvars: str, value: str) -> None:
    write(here, {'main.tf': variables + resource(value), 'terraform.tfvars': tfvars})
    assert run(capsys, 'main.tf') == (0, [])


def test_a_nullable_variable_given_null_is_null(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {'main.tf': 'variable "ld" {\n  default = "on"\n}\n' + resource('var.ld'),
                 'terraform.tfvars': 'ld = null\n'})
    code, out = run(capsys, 'main.tf')
    assert code == 1 and len(out) == 1 and 'log_disconnections is null' in out[0]


# --- module sources written with escapes ---

@pytest.mark.parametrize('source', (r'"\u002e/pg"', r'"./\u0070g"', r'"\u002E\u002Fpg"'))
def test_a_module_source_with_escapes_is_followed(here: Path, capsys: pytest.CaptureFixture[str],
                                                  source: str) -> None:
    write(here, {'main.tf': f'module "pg" {{\n  source = {source}\n  ld     = "off"\n}}\n',
                 'pg/main.tf': 'variable "ld" {\n  default = "on"\n}\n' + resource('var.ld')})
    code, out = run(capsys, 'main.tf')
    assert (code, out) == (1, [
        f'pg/main.tf:7:15: module.pg.azurerm_postgresql_flexible_server_configuration.ld: log_disconnections is '
        f'"off", expected "on" (value from main.tf:3, var.ld) (module call at main.tf:1) [{ID}]'])


# --- a heredoc closed by a marker with trailing blanks ---

HEREDOC = 'locals {\n  x = <<EOT\nhello\nEOT  \n}\n' + resource('"off"') + 'locals {\n  y = <<EOT\nbye\nEOT\n}\n'


def test_a_heredoc_closed_with_trailing_blanks_does_not_swallow_what_follows(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {'main.tf': HEREDOC})
    assert run(capsys, 'main.tf') == (1, [
        'main.tf:4:1: cannot parse Terraform: heredoc closing marker followed by blanks: python-hcl2 reads past it '
        '(remove the trailing blanks)'])


# --- one bad resource does not hide the others ---

BAD_NEIGHBOURS = (resource('"off"') + resource('[var.nodefault]', 'list') + resource('1e400 - 1e400', 'big')
                  + 'variable "nodefault" {}\n')


def test_one_bad_resource_does_not_hide_the_others(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {'main.tf': BAD_NEIGHBOURS})
    code, out = run(capsys, 'main.tf')
    assert (code, out) == (1, [
        finding('main.tf', 4, 'azurerm_postgresql_flexible_server_configuration.ld', 'off'),
        f'main.tf:9:15: unverified: azurerm_postgresql_flexible_server_configuration.list: value cannot be '
        f'determined: var.nodefault has no default [{ID}]',
        f'main.tf:14:15: azurerm_postgresql_flexible_server_configuration.big: log_disconnections is 0 (not an '
        f'accepted value; Azure takes "on" or "off"), expected "on" [{ID}]',
    ])
    assert run(capsys, '--fix', 'main.tf')[1][0] == 'Fixing main.tf'
    assert (here / 'main.tf').read_text() == BAD_NEIGHBOURS.replace('"off"', '"on"', 1)


def test_a_bug_of_ours_on_one_instance_is_one_line_at_it(here: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from check_postgresql_log_disconnections import judge

    real = judge.judge

    def broken(inst: judge.Instance) -> object:
        if inst.address.endswith('.list'):
            raise KeyError('simulated bug')
        return real(inst)

    monkeypatch.setattr(judge, 'judge', broken)
    write(here, {'main.tf': BAD_NEIGHBOURS})
    code, out = run(capsys, 'main.tf')
    assert code == 1
    assert out[:2] == [
        finding('main.tf', 4, 'azurerm_postgresql_flexible_server_configuration.ld', 'off'),
        "main.tf:9:15: internal error while checking azurerm_postgresql_flexible_server_configuration.list "
        "(KeyError: 'simulated bug'); please report it",
    ]


@pytest.mark.skipif(shutil.which('terraform') is None, reason='terraform is not installed')
def test_numbers_and_nulls_agree_with_terraform(tmp_path: Path) -> None:
    (tmp_path / 'main.tf').write_text(
        'variable "a" {\n  default  = "on"\n  nullable = false\n}\n'
        'variable "c" {\n  type = object({ ld = optional(string, "on") })\n}\n'
        'locals {\n  n = 1e400 - 1e400\n}\n')
    (tmp_path / 'terraform.tfvars').write_text('a = null\nc = { ld = null }\n')
    (tmp_path / 'empty.tfrc').write_text('')
    out = subprocess.run(['terraform', 'console'], input='jsonencode([var.a, var.c.ld, local.n])\n',
                         cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={**os.environ, 'TF_CLI_CONFIG_FILE': str(tmp_path / 'empty.tfrc')})
    assert out.stdout.strip() == r'"[\"on\",\"on\",0]"'


# --- override files: merged over the module's other files, argument by argument ---

OVERRIDE_BASE = {
    'main.tf': ('variable "ld" {\n  default     = "on"\n  description = "x"\n}\n'
                'locals {\n  a = "on"\n  b = "on"\n}\n'
                + resource('var.ld') + resource('"on"', 'two') + resource('local.a', 'three')),
}
FLEX = 'azurerm_postgresql_flexible_server_configuration'


@pytest.mark.parametrize(('name', 'text', 'expected'), (
    ('a_override.tf', 'variable "ld" {\n  default = "off"\n}\n',
     [finding('main.tf', 12, f'{FLEX}.ld', 'off', 'value from a_override.tf:2, default of var.ld')]),
    ('override.tf', f'resource "{FLEX}" "two" {{\n  value = "off"\n}}\n',
     [finding('override.tf', 2, f'{FLEX}.two', 'off').replace(':2:15:', ':2:11:')]),
    ('z_override.tf', 'locals {\n  a = "off"\n}\n',
     [finding('main.tf', 22, f'{FLEX}.three', 'off', 'value from z_override.tf:2, local.a')]),
    ('override.tf.json', '{"variable": {"ld": {"default": "off"}}}\n',
     [finding('main.tf', 12, f'{FLEX}.ld', 'off', 'value from override.tf.json:1, default of var.ld')]),
    # a resource override that changes nothing the rule reads: still judged with the base's arguments
    ('pg_override.tf', f'resource "{FLEX}" "two" {{\n  server_id = "y"\n}}\n', []),
))
def test_override_files_merge_over_the_other_files(here: Path, capsys: pytest.CaptureFixture[str],
                                                   name: str, text: str, expected: list[str]) -> None:
    write(here, {**OVERRIDE_BASE, name: text})
    assert run(capsys, 'main.tf', name) == (int(bool(expected)), expected)


def test_an_override_of_a_module_call_argument(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {'main.tf': 'module "pg" {\n  source = "./pg"\n  ld     = "on"\n}\n',
                 'override.tf': 'module "pg" {\n  ld = "off"\n}\n',
                 'pg/main.tf': 'variable "ld" {}\n' + resource('var.ld')})
    assert run(capsys, 'main.tf', 'override.tf') == (1, [
        f'pg/main.tf:5:15: module.pg.{FLEX}.ld: log_disconnections is "off", expected "on" '
        f'(value from override.tf:2, var.ld) (module call at main.tf:1) [{ID}]'])


def test_a_variable_file_later_in_name_order_is_not_an_override(here: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """An override file sorting after the primary file sets only what it names (not "the last file wins")."""
    write(here, {'main.tf': resource('var.ld'), 'vars_override.tf': 'variable "ld" {\n  description = "d"\n}\n',
                 'variables.tf': 'variable "ld" {\n  default = "off"\n}\n'})
    assert run(capsys, 'main.tf') == (1, [
        finding('main.tf', 4, f'{FLEX}.ld', 'off', 'value from variables.tf:2, default of var.ld')])


def test_an_override_with_nothing_to_override_is_reported(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {'main.tf': resource('"on"'), 'override.tf': resource('"on"', 'ghost')})
    assert run(capsys, 'override.tf') == (1, [
        f'override.tf:1:1: cannot parse Terraform: resource "{FLEX}" "ghost" in an override file overrides nothing: '
        'Terraform would fail (Missing base block for override)'])


@pytest.mark.skipif(shutil.which('terraform') is None, reason='terraform is not installed')
def test_override_merge_agrees_with_terraform(tmp_path: Path) -> None:
    (tmp_path / 'main.tf').write_text(
        'variable "ld" {\n  default = "off"\n  description = "x"\n}\n'
        'locals {\n  a = "off"\n  b = "off"\n}\n')
    (tmp_path / 'a_override.tf').write_text('variable "ld" {\n  default = "on"\n}\nlocals {\n  a = "on"\n}\n')
    (tmp_path / 'empty.tfrc').write_text('')
    out = subprocess.run(['terraform', 'console'], input='jsonencode([var.ld, local.a, local.b])\n',
                         cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={**os.environ, 'TF_CLI_CONFIG_FILE': str(tmp_path / 'empty.tfrc')})
    assert out.stdout.strip() == r'"[\"on\",\"on\",\"off\"]"'


# --- .tofu files: Terraform ignores them, OpenTofu reads x.tofu instead of x.tf ---

TOFU = {'main.tf': resource('var.ld'), 'variables.tf': 'variable "ld" {\n  default = "off"\n}\n',
        'variables.tofu': 'variable "ld" {\n  default = "on"\n}\n'}
AS_TERRAFORM = finding('main.tf', 4, f'{FLEX}.ld', 'off', 'value from variables.tf:2, default of var.ld').replace(
    ' [', ' (as Terraform reads it, without the .tofu files) [')


@pytest.mark.parametrize(('args', 'expected'), (
    ((), [AS_TERRAFORM]),
    (('--tool', 'terraform'), [AS_TERRAFORM.replace(' (as Terraform reads it, without the .tofu files)', '')]),
    (('--tool', 'opentofu'), []),
))
def test_tofu_files_are_read_as_each_tool_reads_them(here: Path, capsys: pytest.CaptureFixture[str],
                                                     args: tuple[str, ...], expected: list[str]) -> None:
    write(here, TOFU)
    assert run(capsys, *args, 'main.tf') == (int(bool(expected)), expected)


def test_tofu_file_off_where_terraform_reads_on(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {**TOFU, 'variables.tf': TOFU['variables.tofu'], 'variables.tofu': TOFU['variables.tf']})
    assert run(capsys, 'main.tf', 'variables.tofu') == (1, [
        finding('main.tf', 4, f'{FLEX}.ld', 'off', 'value from variables.tofu:2, default of var.ld').replace(
            ' [', ' (as OpenTofu reads it, with the .tofu files) [')])
    assert run(capsys, '--tool', 'terraform', 'main.tf') == (0, [])


# --- git tells the truth, or the hook says it cannot ---

def git(cwd: Path, *args: str) -> None:
    subprocess.run(['git', '-c', 'user.email=t@t', '-c', 'user.name=t', '-c', 'protocol.file.allow=always', *args],
                   cwd=cwd, check=True, capture_output=True)


CHILD_ON = resource('var.ld') + 'variable "ld" {\n  default = "on"\n}\n'


@pytest.mark.skipif(shutil.which('git') is None, reason='git is not installed')
def test_git_is_asked_about_symlinked_submodule_and_colon_directories(here: Path, capsys: pytest.CaptureFixture[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (here / 'other').mkdir()
    write(here / 'other', {'pg/main.tf': CHILD_ON})
    git(here / 'other', 'init', '-q')
    git(here / 'other', 'add', '-A')
    git(here / 'other', 'commit', '-qm', 'child')
    (here / 'repo').mkdir()
    repo = here / 'repo'
    write(repo, {'shared/pg/main.tf': CHILD_ON, ':odd/main.tf': CHILD_ON, 'root/main.tf': ''.join(
        f'module "{name}" {{\n  source = "../{source}"\n  ld     = "off"\n}}\n'
        for name, source in (('a', 'link'), ('b', ':odd'), ('c', 'sub/pg')))})
    (repo / 'link').symlink_to('shared/pg')
    git(repo, 'init', '-q')
    git(repo, 'submodule', 'add', '-q', str(here / 'other'), 'sub')
    git(repo, 'add', '-A')
    monkeypatch.chdir(repo)
    code, out = run(capsys, 'root/main.tf')
    assert code == 1
    assert [line.split(': ')[0:2] for line in out] == [
        [':odd/main.tf:4:15', f'module.b.{FLEX}.ld'],
        ['link/main.tf:4:15', f'module.a.{FLEX}.ld'],
        ['sub/pg/main.tf:4:15', f'module.c.{FLEX}.ld'],
    ]


@pytest.mark.skipif(shutil.which('git') is None, reason='git is not installed')
@pytest.mark.parametrize(('env', 'reason'), (
    ({'PATH': '/nonexistent'}, 'git is not installed or not on PATH'),
    ({'GIT_DIR': '/nonexistent'}, "not a git repository: '/nonexistent'"),
))
def test_when_git_cannot_be_asked_the_hook_says_so_and_fails(here: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             env: dict[str, str], reason: str) -> None:
    write(here, {'main.tf': resource('var.ld'), 'variables.tf': 'variable "ld" {\n  default = "off"\n}\n'})
    git(here, 'init', '-q')
    git(here, 'add', 'main.tf', 'variables.tf')
    (here / 'terraform.tfvars').write_text('ld = "on"\n')  # untracked: must never make it pass
    for name, value in env.items():
        monkeypatch.setenv(name, value.replace('HERE', str(here)))
    assert run(capsys, 'main.tf') == (1, [f'main.tf: cannot ask git which files are tracked ({reason}): not checked'])


@pytest.mark.skipif(shutil.which('git') is None, reason='git is not installed')
def test_a_repository_git_refuses_to_read_is_not_checked(here: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """git's "dubious ownership" (a repository owned by another user), played by a git that says so."""
    write(here, {'main.tf': resource('var.ld'), 'variables.tf': 'variable "ld" {\n  default = "off"\n}\n',
                 'terraform.tfvars': 'ld = "on"\n'})
    git(here, 'init', '-q')
    (here / 'bin').mkdir()
    (here / 'bin' / 'git').write_text('#!/bin/sh\n'
                                      """echo "fatal: detected dubious ownership in repository at '$PWD'" >&2\n"""
                                      'exit 128\n')
    (here / 'bin' / 'git').chmod(0o755)
    monkeypatch.setenv('PATH', f'{here / "bin"}{os.pathsep}{os.environ["PATH"]}')
    assert run(capsys, 'main.tf') == (1, [
        f"main.tf: cannot ask git which files are tracked (detected dubious ownership in repository at '{here}'): "
        'not checked'])


# --- valid Terraform never blocks a commit: a CDK for Terraform .tf.json of 2 MB ---

def cdktf(n: int, value: str) -> str:
    import json
    storage = {f'sa{i}': {'//': {'metadata': {'path': f'stack/sa{i}', 'uniqueId': f'sa{i}'}},
                          'name': f'sa{i}', 'location': '${var.location}', 'account_tier': 'Standard',
                          'tags': {'env': 'prod', 'idx': str(i)},
                          'network_rules': [{'default_action': 'Deny', 'ip_rules': ['10.0.0.1', '10.0.0.2']}]}
               for i in range(n)}
    return json.dumps({
        '//': {'metadata': {'backend': 'local', 'stackName': 's', 'version': '0.20.0'}},
        'data': {'azurerm_client_config': {'current': {}}},
        'variable': {'location': {'default': 'westeurope'}, 'ld': {'default': value}},
        'resource': {'azurerm_storage_account': storage,
                     FLEX: {'ld': {'name': 'log_disconnections', 'server_id': '${azurerm_x.main.id}',
                                   'value': '${var.ld}'}}},
    }, indent=2)


def test_a_large_cdk_for_terraform_json_file_is_checked(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = cdktf(4000, 'on')
    assert len(text) > 2_000_000
    write(here, {'cdk.tf.json': text})
    assert run(capsys, 'cdk.tf.json') == (0, [])
    write(here, {'cdk.tf.json': cdktf(4000, 'off')})
    code, out = run(capsys, 'cdk.tf.json')
    assert code == 1 and len(out) == 1
    assert out[0].endswith(f'{FLEX}.ld: log_disconnections is "off", expected "on" '
                           f'(value from cdk.tf.json:19, default of var.ld) [{ID}]')


def test_a_large_json_file_with_an_error_in_a_skipped_block_is_still_an_error(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {'cdk.tf.json': cdktf(4000, 'on').replace('"Deny"', '"Deny",', 1)})
    code, out = run(capsys, 'cdk.tf.json')
    assert code == 1 and len(out) == 1
    assert out == ['cdk.tf.json:40:38: cannot parse Terraform: expecting property name enclosed in double quotes']


@pytest.mark.parametrize(('expr', 'value'), (
    ('tostring(1e400 - 1e400)', '0'),
    ('tostring(jsondecode("1e400") - 1e400)', '0'),
    ('tostring(tonumber("1e400") - 1e400)', '0'),
    ('tostring(floor(1e400 / 7) > 1e399)', 'true'),
    ('tostring(1e400 % 7 >= 0)', 'true'),
    ('tostring(-7 % 3)', '-1'),
))
def test_numbers_beyond_a_float_are_exact_as_in_terraform(here: Path, capsys: pytest.CaptureFixture[str],
                                                          expr: str, value: str) -> None:
    """Each checked with ``terraform console``: Terraform's numbers have no infinity."""
    write(here, {'main.tf': resource(expr)})
    code, out = run(capsys, 'main.tf')
    assert (code, out) == (1, [f'main.tf:4:15: {FLEX}.ld: log_disconnections is "{value}" (not an accepted value; '
                               f'Azure takes "on" or "off"), expected "on" [{ID}]'])
