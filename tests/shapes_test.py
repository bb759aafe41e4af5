"""Module shapes found in real Azure PostgreSQL modules, each through ``main()``.

Every fixture here is written for this project; each mirrors one way real
modules route ``log_disconnections`` to the resource.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from check_postgresql_log_disconnections._main import main

ID = '[07f7134f-9f37-476e-8664-670c218e4702]'
FLEX = 'azurerm_postgresql_flexible_server_configuration'
SINGLE = 'azurerm_postgresql_configuration'

FOR_EACH_BLOCK = f'''resource "{FLEX}" "this" {{
  for_each  = {{FOR_EACH}}
  name      = each.key
  server_id = azurerm_postgresql_flexible_server.main.id
  value     = each.value
}}
'''


def for_each(expr: str) -> str:
    return FOR_EACH_BLOCK.replace('{FOR_EACH}', expr)


def single(value: str, label: str = 'cfg') -> str:
    return f'''resource "{SINGLE}" "{label}" {{
  name                = "log_disconnections"
  resource_group_name = "rg"
  server_name         = "srv"
  value               = {value}
}}
'''


CASES: dict[str, tuple[dict[str, str], list[str], list[str]]] = {
    'var default map and for_each': (
        {'main.tf': for_each('var.params'),
         'variables.tf': 'variable "params" {\n  default = {\n    log_checkpoints    = "on"\n'
                         '    log_disconnections = "off"\n  }\n}\n'},
        ['main.tf'],
        [f'main.tf:5:15: {FLEX}.this["log_disconnections"]: log_disconnections is "off", expected "on" '
         f'(value from variables.tf:4, default of var.params) {ID}'],
    ),
    'for_each map without log_disconnections': (
        {'main.tf': for_each('var.params'),
         'variables.tf': 'variable "params" {\n  default = { log_checkpoints = "off" }\n}\n'},
        ['main.tf'],
        [],
    ),
    'count over a list': (
        {'main.tf': f'''resource "{SINGLE}" "cfg" {{
  count               = length(var.settings)
  name                = var.settings[count.index].name
  resource_group_name = "rg"
  server_name         = "srv"
  value               = var.settings[count.index].value
}}
variable "settings" {{
  default = [
    {{ name = "log_connections", value = "on" }},
    {{ name = "log_disconnections", value = "OFF" }},
  ]
}}
'''},
        ['main.tf'],
        [f'main.tf:6:25: {SINGLE}.cfg[1]: log_disconnections is "OFF", expected "on" '
         f'(value from main.tf:11, default of var.settings) {ID}'],
    ),
    'count with keys and values, string count': (
        {'main.tf': f'''resource "{SINGLE}" "cfg" {{
  count               = "${{length(keys(var.cfg))}}"
  name                = "${{element(keys(var.cfg), count.index)}}"
  resource_group_name = "rg"
  server_name         = "srv"
  value               = "${{element(values(var.cfg), count.index)}}"
}}
variable "cfg" {{
  default = {{ log_disconnections = "off", log_retention_days = "7" }}
}}
'''},
        ['main.tf'],
        [f'main.tf:6:25: {SINGLE}.cfg[0]: log_disconnections is "off", expected "on" '
         f'(value from main.tf:9, default of var.cfg) {ID}'],
    ),
    'locals merge': (
        {'main.tf': for_each('merge(local.defaults, var.overrides)'),
         'locals.tf': 'locals {\n  defaults = {\n    log_disconnections = "on"\n  }\n}\n',
         'variables.tf': 'variable "overrides" {\n  default = {\n    "log_disconnections" = "off"\n  }\n}\n'},
        ['main.tf'],
        [f'main.tf:5:15: {FLEX}.this["log_disconnections"]: log_disconnections is "off", expected "on" '
         f'(value from variables.tf:3, default of var.overrides) {ID}'],
    ),
    'conditional merge': (
        {'main.tf': for_each('var.audit ? merge(local.base, local.audit) : local.base'),
         'locals.tf': 'locals {\n  base  = { log_checkpoints = "on" }\n  audit = { log_disconnections = "off" }\n}\n',
         'variables.tf': 'variable "audit" {\n  default = true\n}\n'},
        ['main.tf'],
        [f'main.tf:5:15: {FLEX}.this["log_disconnections"]: log_disconnections is "off", expected "on" '
         f'(value from locals.tf:3, local.audit) {ID}'],
    ),
    'tfvars overrides the default': (
        {'main.tf': single('var.ld'),
         'variables.tf': 'variable "ld" {\n  default = "on"\n}\n',
         'terraform.tfvars': 'ld = "off"\n'},
        ['main.tf'],
        [f'main.tf:5:25: {SINGLE}.cfg: log_disconnections is "off", expected "on" '
         f'(value from terraform.tfvars:1, var.ld) {ID}'],
    ),
    'auto.tfvars wins over terraform.tfvars, in lexical order': (
        {'main.tf': single('var.ld'),
         'variables.tf': 'variable "ld" {\n  default = "off"\n}\n',
         'terraform.tfvars': 'ld = "off"\n',
         'a.auto.tfvars': 'ld = "off"\n',
         'b.auto.tfvars.json': '{"ld": "on"}\n'},
        ['main.tf'],
        [],
    ),
    'undeclared variable': (
        {'main.tf': single('var.nowhere')},
        ['main.tf'],
        [f'main.tf:5:25: unverified: {SINGLE}.cfg: value cannot be determined: '
         f'var.nowhere is not declared in {{DIR}}/ {ID}'],
    ),
    'variable without default': (
        {'main.tf': single('var.ld'), 'variables.tf': 'variable "ld" {\n  type = string\n}\n'},
        ['main.tf'],
        [f'main.tf:5:25: unverified: {SINGLE}.cfg: value cannot be determined: var.ld has no default {ID}'],
    ),
    'list of objects keyed by name': (
        {'main.tf': f'''resource "{SINGLE}" "this" {{
  for_each            = {{ for c in var.configs : c.name => c }}
  name                = "${{each.value.name}}"
  resource_group_name = "rg"
  server_name         = "srv"
  value               = "${{each.value.value}}"
}}
''', 'variables.tf': 'variable "configs" {\n  default = [\n'
                          '    { name = "log_disconnections", value = "off" },\n  ]\n}\n'},
        ['main.tf'],
        [f'main.tf:6:25: {SINGLE}.this["log_disconnections"]: log_disconnections is "off", expected "on" '
         f'(value from variables.tf:3, default of var.configs) {ID}'],
    ),
    'object attribute': (
        {'main.tf': single('var.server.log_disconnections'),
         'variables.tf': 'variable "server" {\n  default = {\n    sku = "GP"\n'
                         '    log_disconnections = "Off"\n  }\n}\n'},
        ['main.tf'],
        [f'main.tf:5:25: {SINGLE}.cfg: log_disconnections is "Off", expected "on" '
         f'(value from variables.tf:4, default of var.server) {ID}'],
    ),
    'colon map syntax': (
        {'main.tf': for_each('var.params'),
         'variables.tf': 'variable "params" {\n  default = {\n    "log_disconnections": "off",\n  }\n}\n'},
        ['main.tf'],
        [f'main.tf:5:15: {FLEX}.this["log_disconnections"]: log_disconnections is "off", expected "on" '
         f'(value from variables.tf:3, default of var.params) {ID}'],
    ),
    'null default filtered': (
        {'main.tf': for_each('var.params != null ? { for k, v in var.params : k => v if v != null } : {}'),
         'variables.tf': 'variable "params" {\n  default = null\n}\n'},
        ['main.tf'],
        [],
    ),
    'try around a null object': (
        {'main.tf': for_each('try(var.server.parameters, {})'),
         'variables.tf': 'variable "server" {\n  default = null\n}\n'},
        ['main.tf'],
        [],
    ),
    'for_each over an input without default': (
        {'main.tf': for_each('var.params'), 'variables.tf': 'variable "params" {}\n'},
        ['main.tf'],
        [f'main.tf:5:15: unverified: {FLEX}.this: cannot tell which instances exist: '
         f'for_each is unknown: var.params has no default {ID}'],
    ),
    'another parameter': (
        {'main.tf': single('"off"').replace('"log_disconnections"', '"log_checkpoints"')},
        ['main.tf'],
        [],
    ),
    'computed value': (
        {'main.tf': single('lower(local.mode)'), 'locals.tf': 'locals {\n  mode = "OFF"\n}\n'},
        ['main.tf'],
        [f'main.tf:5:25: {SINGLE}.cfg: log_disconnections is "off", expected "on" '
         f'(value from locals.tf:2, local.mode) {ID}'],
    ),
    'heredoc keeps its newline': (
        {'main.tf': single('<<EOT\non\nEOT\n')},
        ['main.tf'],
        [f'main.tf:5:25: {SINGLE}.cfg: log_disconnections is "on\\n" '
         f'(not an accepted value; Azure takes "on" or "off"), expected "on" {ID}'],
    ),
    'bare bool': (
        {'main.tf': single('true')},
        ['main.tf'],
        [f'main.tf:5:25: {SINGLE}.cfg: log_disconnections is true '
         f'(not an accepted value; Azure takes "on" or "off"), expected "on" {ID}'],
    ),
    'only the variables file passed': (
        {'main.tf': single('var.ld'), 'variables.tf': 'variable "ld" {\n  default = "off"\n}\n'},
        ['variables.tf'],
        [f'main.tf:5:25: {SINGLE}.cfg: log_disconnections is "off", expected "on" '
         f'(value from variables.tf:2, default of var.ld) {ID}'],
    ),
    'compliant mixed case': (
        {'main.tf': single('"On"') + single('upper("on")', 'b')},
        ['main.tf'],
        [],
    ),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_shape(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    files, args, expected = CASES[case]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv('PRE_COMMIT', raising=False)
    rc = main(args)
    out = capsys.readouterr().out
    want = [line.replace('{DIR}', tmp_path.name) for line in expected]
    assert out.splitlines() == want
    assert rc == (1 if any(': unverified: ' not in w for w in want) else 0)


def test_module_input_names_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / 'modules' / 'pg').mkdir(parents=True)
    (tmp_path / 'modules' / 'pg' / 'main.tf').write_text(for_each('var.parameters'))
    (tmp_path / 'modules' / 'pg' / 'variables.tf').write_text('variable "parameters" {\n  default = {}\n}\n')
    (tmp_path / 'main.tf').write_text(
        'module "db" {\n  source     = "./modules/pg"\n  parameters = {\n    log_disconnections = "off"\n  }\n}\n')
    monkeypatch.chdir(tmp_path)
    assert main(['main.tf']) == 1
    assert capsys.readouterr().out.splitlines() == [
        f'modules/pg/main.tf:5:15: module.db.{FLEX}.this["log_disconnections"]: log_disconnections is "off", '
        f'expected "on" (value from main.tf:4, var.parameters) (module call at main.tf:1) {ID}',
    ]


def test_var_and_var_file_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / 'main.tf').write_text(single('var.ld'))
    (tmp_path / 'variables.tf').write_text('variable "ld" {\n  default = "on"\n}\n')
    (tmp_path / 'prod.tfvars').write_text('ld = "off"\n')
    monkeypatch.chdir(tmp_path)
    assert main(['main.tf']) == 0
    assert main(['--var-file', 'prod.tfvars', 'main.tf']) == 1
    assert '(value from prod.tfvars:1, var.ld)' in capsys.readouterr().out
    assert main(['--var-file', 'prod.tfvars', '--var', 'ld=on', 'main.tf']) == 0
    assert main(['--var', 'ld=OFF', 'main.tf']) == 1
    assert 'log_disconnections is "OFF"' in capsys.readouterr().out


def test_terraform_json_and_tofu_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / 'main.tf.json').write_text('''{
  "resource": {
    "azurerm_postgresql_flexible_server_configuration": {
      "ld": {
        "name": "log_disconnections",
        "server_id": "${azurerm_postgresql_flexible_server.main.id}",
        "value": "${var.ld}"
      }
    }
  }
}
''')
    (tmp_path / 'variables.tf.json').write_text('{"variable": {"ld": {"default": "Off"}}}\n')
    (tmp_path / 'other.tofu').write_text(single('"OFF"'))
    monkeypatch.chdir(tmp_path)
    assert main(['main.tf.json', 'other.tofu']) == 1
    assert capsys.readouterr().out.splitlines() == [
        f'main.tf.json:7:18: {FLEX}.ld: log_disconnections is "Off", expected "on" '
        f'(value from variables.tf.json:1, default of var.ld) {ID}',
        f'other.tofu:5:25: {SINGLE}.cfg: log_disconnections is "OFF", expected "on" {ID}',
    ]
    assert main(['--fix', 'main.tf.json', 'variables.tf.json']) == 1
    assert (tmp_path / 'variables.tf.json').read_text() == '{"variable": {"ld": {"default": "on"}}}\n'


def test_tfvars_json_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / 'main.tf').write_text(single('var.ld'))
    (tmp_path / 'variables.tf').write_text('variable "ld" {\n  default = "on"\n}\n')
    (tmp_path / 'terraform.tfvars.json').write_text('{\n  "ld": "off"\n}\n')
    monkeypatch.chdir(tmp_path)
    assert main(['main.tf']) == 1
    assert '(value from terraform.tfvars.json:2, var.ld)' in capsys.readouterr().out
