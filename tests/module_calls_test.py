"""Modules and instances, through ``main()``: what the hook follows, and that nothing is silent.

Every Terraform instance is its own result; a module the hook cannot read,
and a chain of calls deeper than it follows, end in an unverified line, never
in silence; outputs of local modules are evaluated; modules Terraform has
installed (``.terraform/modules/modules.json``) are followed read-only.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from check_postgresql_log_disconnections._main import main
from check_postgresql_log_disconnections.rule import CONFIG_TYPES, PARAMETER, RULE_ID

ID = f'[{RULE_ID}]'
SINGLE, FLEX = CONFIG_TYPES


def cfg(value: str, *, label: str = 'x', extra: str = '') -> str:
    return (f'resource "{SINGLE}" "{label}" {{\n{extra}  name        = "{PARAMETER}"\n'
            f'  server_name = "psql"\n  value       = {value}\n}}\n')


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / '.git').mkdir()  # the repository's root: module sources may not leave it
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    rc = main(list(argv))
    return rc, capsys.readouterr().out.splitlines()


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    rc = main(['--format', 'json', *argv])
    return rc, json.loads(capsys.readouterr().out)


# --- every instance is its own result -------------------------------------------------------------

def test_count_gives_one_result_per_instance(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, {'main.tf': cfg('"off"', extra='  count       = 3\n')})
    addresses = [f'{SINGLE}.x[{i}]' for i in range(3)]
    assert run(capsys, 'main.tf') == (1, [
        f'main.tf:5:17: {SINGLE}.x[0]: log_disconnections is "off", expected "on" '
        f'(3 instances: {", ".join(addresses)}) {ID}'])
    _, doc = run_json(capsys, 'main.tf')
    assert [r['address'] for r in doc['results']] == addresses  # type: ignore[index]
    assert doc['summary']['noncompliant'] == 3  # type: ignore[index]
    main(['--format', 'sarif', 'main.tf'])
    sarif = json.loads(capsys.readouterr().out)
    assert [r['locations'][0]['logicalLocations'][0]['fullyQualifiedName']
            for r in sarif['runs'][0]['results']] == addresses


def test_module_instances_reaching_the_same_literal_are_each_a_result(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, {
        'main.tf': 'module "db" {\n  count  = 2\n  source = "./db"\n}\n\n'
                   'module "env" {\n  for_each = toset(["dev", "prod"])\n  source   = "./db"\n}\n',
        'db/main.tf': cfg('var.log'),
        'db/variables.tf': 'variable "log" {\n  default = "off"\n}\n',
    })
    db = [f'module.db[{i}].{SINGLE}.x' for i in range(2)]
    env = [f'module.env["{k}"].{SINGLE}.x' for k in ('dev', 'prod')]
    rc, lines = run(capsys, 'main.tf')
    assert (rc, lines) == (1, [
        f'db/main.tf:4:17: {db[0]}: log_disconnections is "off", expected "on" (value from db/variables.tf:2, '
        f'default of var.log) (module call at main.tf:1) (2 instances: {", ".join(db)}) {ID}',
        f'db/main.tf:4:17: {env[0]}: log_disconnections is "off", expected "on" (value from db/variables.tf:2, '
        f'default of var.log) (module call at main.tf:6) (2 instances: {", ".join(env)}) {ID}',
    ])
    rc, doc = run_json(capsys, 'main.tf')
    assert [r['address'] for r in doc['results']] == db + env  # type: ignore[index]
    assert doc['summary']['noncompliant'] == 4  # type: ignore[index]


def test_a_long_group_names_the_first_instances_and_counts_the_rest(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, {'main.tf': cfg('"off"', extra='  count       = 25\n')})
    _, lines = run(capsys, 'main.tf')
    named = ', '.join(f'{SINGLE}.x[{i}]' for i in range(10))
    assert lines == [f'main.tf:5:17: {SINGLE}.x[0]: log_disconnections is "off", expected "on" '
                     f'(25 instances: {named}, and 15 more) {ID}']


# --- modules the hook cannot read ---------------------------------------------------------------------

AVM = 'Azure/avm-res-dbforpostgresql-flexibleserver/azurerm'
NO_INIT = 'no .terraform/modules/modules.json (run terraform init)'


def unread(where: str, address: str, argument: str, source: str, why: str = NO_INIT) -> str:
    return (f'{where}: unverified: {address}: argument {argument} passes {PARAMETER} to module source "{source}", '
            f'which the hook cannot read: {why} {ID}')


@pytest.mark.parametrize(('call', 'extra', 'expected'), (
    pytest.param(
        f'module "pg" {{\n  source  = "{AVM}"\n  version = "0.1.4"\n  server_configuration = {{\n'
        f'    ld = {{ name = "{PARAMETER}", config = "off" }}\n  }}\n}}\n', {},
        [unread('main.tf:4:26', 'module.pg', 'server_configuration', AVM)], id='verified module, string value'),
    pytest.param(
        'module "pg" {\n  source = "Azure/postgresql/azurerm"\n'
        f'  postgresql_configurations = {{ {PARAMETER} = "off" }}\n}}\n', {},
        [unread('main.tf:3:31', 'module.pg', 'postgresql_configurations', 'Azure/postgresql/azurerm')],
        id='older module, map key'),
    pytest.param(
        'module "pg" {\n  count  = 2\n  source = "git::https://example.com/pg.git?ref=v1"\n'
        '  settings = var.settings\n}\n',
        {'variables.tf': f'variable "settings" {{\n  default = {{ server = {{ {PARAMETER.upper()} = "off" }} }}\n}}\n'},
        [unread('main.tf:4:14', 'module.pg[0]', 'settings', 'git::https://example.com/pg.git?ref=v1').replace(
            f' {ID}', f' (2 instances: module.pg[0], module.pg[1]) {ID}')],
        id='git, through a variable, each instance'),
    pytest.param(
        'module "pg" {\n  source = "./missing"\n  params = { ld = "log_disconnections" }\n}\n', {},
        ['main.tf:1:1: note: module "pg" source ./missing does not exist: not followed',
         unread('main.tf:3:12', 'module.pg', 'params', './missing', 'its directory does not exist: not followed')],
        id='missing local directory'),
    pytest.param(
        'module "pg" {\n  source = "s3::https://s3.amazonaws.com/b/pg.zip"\n  params = var.none\n}\n',
        {'variables.tf': 'variable "none" {}\n'}, [], id='nothing names the parameter'),
))
def test_a_module_it_cannot_read_is_unverified_at_the_argument(
        repo: Path, capsys: pytest.CaptureFixture[str], call: str, extra: dict[str, str],
        expected: list[str]) -> None:
    write(repo, {'main.tf': call, **extra})
    assert run(capsys, 'main.tf') == (0, expected)
    assert run(capsys, '--unresolved', 'fail', 'main.tf') == (1 if expected else 0, expected)


def test_a_chain_deeper_than_the_limit_is_not_silent(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from check_postgresql_log_disconnections.instances import MAX_MODULE_DEPTH
    n = MAX_MODULE_DEPTH + 1  # "off" passed down 17 local calls
    write(repo, {'main.tf': 'module "m" {\n  source = "./m1"\n  log    = "off"\n}\n'})
    for i in range(1, n):
        write(repo, {f'm{i}/main.tf': f'variable "log" {{}}\nmodule "m" {{\n  source = "../m{i + 1}"\n'
                                      '  log    = var.log\n}\n'})
    write(repo, {f'm{n}/main.tf': 'variable "log" {}\n' + cfg('var.log')})
    line = (f'm{MAX_MODULE_DEPTH}/main.tf:2:1: unverified: {"module.m." * MAX_MODULE_DEPTH}module.m: module "m" '
            f'(source ../m{n}) is more than {MAX_MODULE_DEPTH} module calls deep: what it configures is not checked '
            f'{ID}')
    assert run(capsys, 'main.tf') == (0, [line])
    assert run(capsys, '--unresolved', 'fail', 'main.tf') == (1, [line])


# --- outputs of local modules ------------------------------------------------------------------------

SETTINGS = '''variable "env" {}

locals {
  base      = { log_disconnections = "on", log_checkpoints = "on" }
  overrides = { prod = { log_disconnections = "off" } }
}

output "params" {
  value = merge(local.base, lookup(local.overrides, var.env, {}))
}
'''
USES_SETTINGS = f'''resource "{FLEX}" "this" {{
  for_each  = {{EXPR}}
  name      = each.key
  server_id = "x"
  value     = each.value
}}
'''


@pytest.mark.parametrize(('calls', 'expr', 'address', 'what'), (
    ('module "settings" {\n  source = "./settings"\n  env    = "prod"\n}\n', 'module.settings.params',
     f'{FLEX}.this["log_disconnections"]', 'module.settings.params'),
    ('module "settings" {\n  source   = "./settings"\n  for_each = toset(["dev", "prod"])\n  env      = each.key\n}\n',
     'module.settings["prod"].params', f'{FLEX}.this["log_disconnections"]', 'module.settings'),
    ('module "settings" {\n  source = "./settings"\n  count  = 2\n  env    = ["dev", "prod"][count.index]\n}\n',
     'module.settings[1].params', f'{FLEX}.this["log_disconnections"]', 'module.settings'),
))
def test_outputs_of_a_local_module_are_evaluated(repo: Path, capsys: pytest.CaptureFixture[str], calls: str,
                                                  expr: str, address: str, what: str) -> None:
    # terraform console agrees: module.settings.params is {log_checkpoints = "on", log_disconnections = "off"}
    write(repo, {'main.tf': USES_SETTINGS.replace('{EXPR}', expr) + calls, 'settings/main.tf': SETTINGS})
    assert run(capsys, 'main.tf') == (1, [
        f'main.tf:5:15: {address}: log_disconnections is "off", expected "on" (value from settings/main.tf:5, '
        f'{what}) {ID}'])
    write(repo, {'settings/main.tf': SETTINGS.replace('prod =', 'staging =')})  # prod keeps "on"
    assert run(capsys, 'main.tf') == (0, [])


def test_an_output_that_is_known_only_after_apply_is_unverified(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, {'main.tf': cfg('module.srv.log') + 'module "srv" {\n  source = "./srv"\n}\n',
                 'srv/main.tf': 'output "log" {\n  value = azurerm_postgresql_flexible_server.x.name\n}\n'})
    assert run(capsys, 'main.tf') == (0, [
        f'main.tf:4:17: unverified: {SINGLE}.x: value cannot be determined: '
        f'azurerm_postgresql_flexible_server.x is known only after apply {ID}'])


# --- modules terraform init installed -----------------------------------------------------------------

REGISTRY_CALL = '''module "pg" {
  source  = "Azure/postgresql/azurerm"
  version = "3.1.1"
  postgresql_configurations = { log_disconnections = "off" }
}
'''
INSTALLED = f'''variable "postgresql_configurations" {{
  default = {{}}
}}

resource "{SINGLE}" "db" {{
  for_each            = var.postgresql_configurations
  name                = each.key
  server_name         = "psql"
  value               = each.value
}}

module "child" {{
  source = "Azure/child/azurerm"
  log    = lookup(var.postgresql_configurations, "log_disconnections", "on")
}}
'''
CHILD = 'variable "log" {}\n' + cfg('var.log', label='nested')


def manifest(**sources: str) -> str:
    modules = [{'Key': '', 'Source': '', 'Dir': '.'}]
    for key, source in sources.items():
        key = key.replace('__', '.')
        modules.append({'Key': key, 'Source': source, 'Version': '3.1.1' if key == 'pg' else '1.0.0',
                        'Dir': f'.terraform/modules/{key}'})
    return json.dumps({'Modules': modules})


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import subprocess
    subprocess.run(['git', 'init', '-q', str(tmp_path)], check=True)
    (tmp_path / '.gitignore').write_text('.terraform/\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_installed_module_is_followed_read_only(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    write(git_repo, {
        'main.tf': REGISTRY_CALL,
        '.terraform/modules/modules.json': manifest(pg='registry.terraform.io/Azure/postgresql/azurerm',
                                                    pg__child='registry.terraform.io/Azure/child/azurerm'),
        '.terraform/modules/pg/main.tf': INSTALLED,
        '.terraform/modules/pg.child/main.tf': CHILD,
    })
    subprocess.run(['git', 'add', 'main.tf', '.gitignore'], check=True)  # .terraform is never tracked
    pg = '(installed module.pg: Azure/postgresql/azurerm 3.1.1)'
    child = '(installed module.pg.module.child: Azure/child/azurerm 1.0.0)'
    assert run(capsys, 'main.tf') == (1, [
        f'.terraform/modules/pg.child/main.tf:5:17: module.pg.module.child.{SINGLE}.nested: log_disconnections is '
        f'"off", expected "on" (value from main.tf:4, var.postgresql_configurations) (module call at main.tf:1) '
        f'(module call at .terraform/modules/pg/main.tf:12) {pg} {child} {ID}',
        f'.terraform/modules/pg/main.tf:9:25: module.pg.{SINGLE}.db["log_disconnections"]: log_disconnections is '
        f'"off", expected "on" (value from main.tf:4, var.postgresql_configurations) (module call at main.tf:1) '
        f'{pg} {ID}',
    ])
    before = (git_repo / '.terraform/modules/pg/main.tf').read_text()
    assert main(['--fix', 'main.tf']) == 1
    assert capsys.readouterr().out.splitlines()[0] == 'Fixing main.tf'
    assert (git_repo / 'main.tf').read_text() == REGISTRY_CALL.replace('"off"', '"on"')
    assert (git_repo / '.terraform/modules/pg/main.tf').read_text() == before
    assert run(capsys, 'main.tf') == (0, [])


@pytest.mark.parametrize(('records', 'why'), (
    ({}, 'no .terraform/modules/modules.json (run terraform init)'),
    ({'pg': 'registry.terraform.io/Azure/postgresql/azurerm', 'other': 'x'}, ''),
    ({'other': 'registry.terraform.io/Azure/other/azurerm'},
     'module pg is not in .terraform/modules/modules.json (run terraform init)'),
    ({'pg': 'registry.terraform.io/Azure/old-postgresql/azurerm'},
     '.terraform/modules/modules.json records module pg from registry.terraform.io/Azure/old-postgresql/azurerm, '
     'not Azure/postgresql/azurerm (run terraform init)'),
))
def test_a_missing_or_stale_record_is_unverified_with_why(
        repo: Path, capsys: pytest.CaptureFixture[str], records: dict[str, str], why: str) -> None:
    write(repo, {'main.tf': REGISTRY_CALL, '.terraform/modules/pg/main.tf': INSTALLED.split('module "child"')[0],
                 '.terraform/modules/other/main.tf': ''})
    if records:
        write(repo, {'.terraform/modules/modules.json': manifest(**records)})
    rc, lines = run(capsys, 'main.tf')
    if not why:  # listed with the same source: followed
        assert (rc, len(lines)) == (1, 1)
        assert lines[0].startswith(f'.terraform/modules/pg/main.tf:9:25: module.pg.{SINGLE}.db["log_disconnections"]')
        return
    assert (rc, lines) == (0, [unread('main.tf:4:31', 'module.pg', 'postgresql_configurations',
                                      'Azure/postgresql/azurerm', why)])


def test_fix_never_writes_under_dot_terraform(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    installed = cfg('"off"', label='db')  # the installed module itself sets "off"
    write(git_repo, {
        'main.tf': 'module "pg" {\n  source = "Azure/postgresql/azurerm"\n}\n',
        '.terraform/modules/modules.json': manifest(pg='registry.terraform.io/Azure/postgresql/azurerm'),
        '.terraform/modules/pg/main.tf': installed,
    })
    assert main(['--fix', 'main.tf', '.terraform/modules/pg/main.tf']) == 1
    out = capsys.readouterr().out
    assert 'Fixing' not in out
    assert ('not fixed: the value is in a module terraform init installed (.terraform/modules/pg/main.tf:4); '
            'change the module call or its version') in out
    assert (git_repo / '.terraform/modules/pg/main.tf').read_text() == installed
