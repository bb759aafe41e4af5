"""--plan against a REAL ``terraform show -json``: the envelope the hand-written fixtures assume.

Terraform cannot download the azurerm provider here, so the configuration uses
its built-in ``terraform_data`` resource (``input = { name, value }``) and
local modules. After a first apply, a second plan holds every action: update,
delete, replace (delete + create), no-op, and a value unknown until apply.
The test then renames ``terraform_data`` to the flexible-server configuration
type, in the plan (lifting ``input`` into the resource's attributes) and in
the files (the ``input = {`` / ``}`` lines become comments, so line numbers
stay), and runs ``main()`` on it. Skipped where ``terraform`` is absent.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from plan_test import PLAN  # the hand-written plan

from check_postgresql_log_disconnections._main import main

TERRAFORM = shutil.which('terraform')
pytestmark = pytest.mark.skipif(TERRAFORM is None, reason='terraform is not installed')
ID = '07f7134f-9f37-476e-8664-670c218e4702'
FLEX = 'azurerm_postgresql_flexible_server_configuration'

FIRST = {
    'main.tf': '''\
variable "log" {
  default = "off"
}

resource "terraform_data" "root" {
  count = 3
  input = { # plan
    name  = "log_disconnections"
    value = var.log
  } # plan
}

resource "terraform_data" "later" {
  input = { # plan
    name  = "log_disconnections"
    value = "on"
  } # plan
  triggers_replace = ["a"]
}

module "db" {
  source   = "./modules/pg"
  for_each = { prod = "off", dev = "on" }
  log      = each.value
}
''',
    'modules/pg/main.tf': '''\
variable "log" {}

resource "terraform_data" "this" {
  for_each = { log_disconnections = var.log }
  input = { # plan
    name  = each.key
    value = each.value
  } # plan
}

module "nested" {
  source = "./nested"
  count  = 1
  log    = var.log
}
''',
    'modules/pg/nested/main.tf': '''\
variable "log" {}

resource "terraform_data" "inner" {
  input = { # plan
    name  = "log_disconnections"
    value = var.log
  } # plan
}
''',
}
# The second plan: one instance fewer (a delete), a new default (updates), a value known
# only after apply with new triggers (a replace); the modules stay as they are (no-ops).
SECOND = {**FIRST, 'main.tf': FIRST['main.tf'].replace('default = "off"', 'default = "OFF"')
          .replace('count = 3', 'count = 2')
          .replace('value = "on"', 'value = terraform_data.root[0].output.value')
          .replace('["a"]', '["b"]')}


def terraform(cwd: Path, *args: str) -> str:
    env = {**os.environ, 'TF_CLI_CONFIG_FILE': str(cwd.parent / 'empty.tfrc'), 'TF_IN_AUTOMATION': '1',
           'CHECKPOINT_DISABLE': '1'}
    env.pop('TF_DATA_DIR', None)
    got = subprocess.run([TERRAFORM or 'terraform', *args], cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=300)
    assert got.returncode == 0, got.stderr
    return got.stdout


def write(root: Path, tree: dict[str, str]) -> None:
    for name, text in tree.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def lift(attrs: Any) -> Any:
    """``terraform_data`` attributes -> the configuration resource's: ``input``'s name and value."""
    if attrs is True:
        return {'name': True, 'value': True}
    return attrs.get('input', {}) if isinstance(attrs, dict) else attrs


def as_configuration(doc: Any) -> Any:
    """The real plan with terraform_data playing the flexible-server configuration resource."""
    if isinstance(doc, list):
        return [as_configuration(x) for x in doc]
    if not isinstance(doc, dict):
        return doc
    out = {k: as_configuration(v) for k, v in doc.items()}
    if out.get('type') == 'terraform_data':
        out['type'] = FLEX
        out['address'] = out['address'].replace('terraform_data.', f'{FLEX}.')
        if isinstance(out.get('change'), dict):
            out['change'] = {**out['change'], **{k: lift(out['change'].get(k)) for k in
                                                 ('before', 'after', 'after_unknown')}}
    return out


@pytest.fixture(scope='module')
def real_plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    base = tmp_path_factory.mktemp('terraform')
    (base / 'empty.tfrc').write_text('')
    root = base / 'root'
    write(root, FIRST)
    terraform(root, 'init', '-input=false', '-no-color')
    terraform(root, 'apply', '-auto-approve', '-input=false', '-no-color')
    write(root, SECOND)
    terraform(root, 'plan', '-out', 'plan.out', '-input=false', '-no-color')
    doc: dict[str, Any] = json.loads(terraform(root, 'show', '-json', 'plan.out'))
    return root, doc


def test_the_hand_written_envelope_is_terraform_s(real_plan: tuple[Path, dict[str, Any]]) -> None:
    """Every key the hand-written plan uses, Terraform writes too, where the fixture puts it."""
    _, real = real_plan
    assert real['format_version'].split('.')[0] == PLAN['format_version'].split('.')[0] == '1'
    assert set(PLAN) <= set(real)
    real_entry = set().union(*(e.keys() for e in real['resource_changes']))
    real_change = set().union(*(e['change'].keys() for e in real['resource_changes']))
    for entry in PLAN['resource_changes']:
        assert set(entry) - {'deposed'} <= real_entry, entry['address']  # deposed: only with create_before_destroy
        assert set(entry['change']) <= real_change
    actions = {tuple(e['change']['actions']) for e in real['resource_changes']}
    assert actions == {('update',), ('delete',), ('delete', 'create'), ('no-op',)}
    db = real['configuration']['root_module']['module_calls']['db']
    assert db['source'] == './modules/pg'
    assert db['module']['module_calls']['nested']['source'] == './nested'
    unknown = [e['change']['after_unknown'] for e in real['resource_changes'] if e['name'] == 'later']
    assert unknown[0]['input'] == {'value': True}


def test_main_on_a_real_plan(real_plan: tuple[Path, dict[str, Any]], tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root, real = real_plan
    shutil.copytree(root, tmp_path / 'root', ignore=shutil.ignore_patterns('terraform.tfstate*', 'plan.out'))
    for name, text in SECOND.items():
        (tmp_path / 'root' / name).write_text(
            text.replace('"terraform_data"', f'"{FLEX}"').replace('input = { # plan', '# input').replace(
                '} # plan', '#'))
    (tmp_path / 'root' / 'plan.json').write_text(json.dumps(as_configuration(real)))
    monkeypatch.chdir(tmp_path / 'root')
    monkeypatch.delenv('TF_DATA_DIR', raising=False)
    assert main(['--plan', 'plan.json']) == 1
    nc = 'log_disconnections is {}, expected "on"'
    assert capsys.readouterr().out == ''.join(f'{where}: {text} [{ID}]\n' for where, text in [
        ('main.tf:9:13', f'{FLEX}.root[0]: ' + nc.format('"OFF"') + ' (value from main.tf:2, default of var.log)'
         f' (2 instances: {FLEX}.root[0], {FLEX}.root[1])'),  # one text line names both instances
        ('main.tf:16:13', f'unverified: {FLEX}.later: value known only after apply (the plan marks it unknown)'),
        ('modules/pg/main.tf:7:13', f'module.db["prod"].{FLEX}.this["log_disconnections"]: ' + nc.format('"off"')
         + ' (value from main.tf:23, var.log) (module call at main.tf:21)'),
        ('modules/pg/nested/main.tf:6:13', f'module.db["prod"].module.nested[0].{FLEX}.inner: ' + nc.format('"off"')
         + ' (value from main.tf:23, var.log) (module call at main.tf:21) (module call at modules/pg/main.tf:11)'),
    ])
