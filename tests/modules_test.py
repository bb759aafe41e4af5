"""Loading a module directory through ``texts.check_texts``: declarations across
files, override files, JSON syntax, what is parsed and what is not."""
from __future__ import annotations

import pytest

from testing.findings import findings, resource


def case(name: str, sources: dict[str, str], want: list[str], **kw: object) -> object:
    return pytest.param(sources, want, kw, id=name)


MOD_CASES = (
    case('var_in_other_file',
         {'main.tf': resource('var.ld'),
          'variables.tf': 'variable "ld" {\n  default = "off"\n}\n'},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "off", '
          'expected "on" (value from variables.tf:2, default of var.ld)']),
    case('locals_across_files',
         {'main.tf': resource('local.b'),
          'a.tf': 'locals {\n  a = "of"\n}\n',
          'b.tf': 'locals {\n  b = "${local.a}f"\n}\n'},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "off", '
          'expected "on" (value from a.tf:2, local.a)']),
    case('override',
         {'main.tf': resource('"off"'),
          'override.tf': 'resource "azurerm_postgresql_configuration" "c" {\n  value = "on"\n}\n'},
         ['override.tf:2: compliant: azurerm_postgresql_configuration.c: log_disconnections is "on"']),
    case('parse_error_matters',
         {'main.tf': resource('"off" +')},
         ["main.tf:4: error: unexpected '}'"]),
    case('parse_error_elsewhere',
         {'main.tf': resource('"off"') + 'resource "x" "y" {\n  a = = 1\n}\n'},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "off", '
          'expected "on"']),
    case('tf_json',
         {'main.tf.json': '{"resource": {"azurerm_postgresql_configuration": {"c": '
                          '{"name": "log_disconnections", "value": "${var.ld}"}}}}',
          'variables.tf.json': '{"variable": {"ld": {"default": "off"}}}'},
         ['main.tf.json:1: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is '
          '"off", expected "on" (value from variables.tf.json:1, default of var.ld)']),
    case('tfvars_json',
         {'v.tf': 'variable "ld" {\n  default = "on"\n}\n',
          'main.tf': resource('var.ld'),
          'terraform.tfvars.json': '{"ld": "off"}'},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "off", '
          'expected "on" (value from terraform.tfvars.json:1, var.ld)']),
    case('other_directory',
         {'main.tf': resource('"on"'),
          'other/main.tf': resource('"off"')},
         ['main.tf:3: compliant: azurerm_postgresql_configuration.c: log_disconnections is "on"']),
    case('unused_variable_not_parsed',
         {'main.tf': resource('"off"'),
          'v.tf': 'variable "broken" {\n  default = = 1\n}\n'},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "off", '
          'expected "on"']),
    case('not_terraform_files',
         {'main.tf': resource('"off"'), 'README.md': resource('"off"'), 'notes.txt': 'value = "off"'},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "off", '
          'expected "on"']),
    case('module_called_twice_loaded_once',
         {'main.tf': 'module "a" {\n  source = "./pg"\n}\nmodule "b" {\n  source = "./pg/"\n}\n',
          'pg/main.tf': resource('"off"')},
         ['pg/main.tf:3: noncompliant: module.a.azurerm_postgresql_configuration.c: log_disconnections is '
          '"off", expected "on" (module call at main.tf:1)',
          'pg/main.tf:3: noncompliant: module.b.azurerm_postgresql_configuration.c: log_disconnections is '
          '"off", expected "on" (module call at main.tf:4)']),
    case('no_such_root',
         {'other/main.tf': resource('"off"')},
         [],
         root='.'),
)


@pytest.mark.parametrize(('sources', 'want', 'kw'), MOD_CASES)
def test_modules(sources: dict[str, str], want: list[str], kw: dict[str, object]) -> None:
    assert findings(sources, **kw) == want  # type: ignore[arg-type]
