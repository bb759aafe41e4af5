"""Instances through ``texts.check_texts``: count and for_each, the precedence of
defaults, tfvars and --var, local module calls and the ones not followed."""
from __future__ import annotations

import pytest

from testing.findings import findings, resource


def case(name: str, sources: dict[str, str], want: list[str], **kw: object) -> object:
    return pytest.param(sources, want, kw, id=name)


INST_CASES = (
    case('count',
         {'main.tf': resource('count.index == 0 ? "on" : "off"', extra='  count = 2\n')},
         ['main.tf:4: compliant: azurerm_postgresql_configuration.c[0]: log_disconnections is "on" '
          '(value from main.tf:4)',
          'main.tf:4: noncompliant: azurerm_postgresql_configuration.c[1]: log_disconnections is '
          '"off", expected "on" (value from main.tf:4)']),
    case('for_each_map',
         {'main.tf': resource('each.value', extra='  for_each = {a = "on", b = "off"}\n')},
         ['main.tf:4: compliant: azurerm_postgresql_configuration.c["a"]: log_disconnections is "on" '
          '(value from main.tf:2)',
          'main.tf:4: noncompliant: azurerm_postgresql_configuration.c["b"]: log_disconnections is '
          '"off", expected "on" (value from main.tf:2)']),
    case('for_each_set',
         {'main.tf': resource('"off"', name='each.key',
                              extra='  for_each = toset(["log_disconnections", "log_connections"])\n')},
         ['main.tf:4: noncompliant: azurerm_postgresql_configuration.c["log_disconnections"]: '
          'log_disconnections is "off", expected "on"']),
    case('for_each_list',
         {'main.tf': resource('"off"', extra='  for_each = ["a"]\n')},
         ['main.tf:4: unverified: azurerm_postgresql_configuration.c: cannot tell which instances '
          'exist: for_each takes a map or a set, got a list: Terraform would fail']),
    case('count_unknown',
         {'main.tf': resource('"off"', extra='  count = var.n\n'),
          'v.tf': 'variable "n" {}\n'},
         ['main.tf:4: unverified: azurerm_postgresql_configuration.c: cannot tell which instances '
          'exist: count is unknown: var.n has no default']),
    case('default',
         {'v.tf': 'variable "ld" {\n  default = "on"\n}\n',
          'main.tf': resource('var.ld')},
         ['main.tf:3: compliant: azurerm_postgresql_configuration.c: log_disconnections is "on" '
          '(value from v.tf:2, default of var.ld)']),
    case('tfvars',
         {'v.tf': 'variable "ld" {\n  default = "on"\n}\n',
          'main.tf': resource('var.ld'),
          'terraform.tfvars': 'ld = "off"\n'},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "off", '
          'expected "on" (value from terraform.tfvars:1, var.ld)']),
    case('auto_tfvars_wins',
         {'v.tf': 'variable "ld" {\n  default = "on"\n}\n',
          'main.tf': resource('var.ld'),
          'terraform.tfvars': 'ld = "off"\n',
          'a.auto.tfvars': 'ld = "OFF"\n'},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "OFF", '
          'expected "on" (value from a.auto.tfvars:1, var.ld)']),
    case('var_wins',
         {'v.tf': 'variable "ld" {\n  default = "on"\n}\n',
          'main.tf': resource('var.ld'),
          'terraform.tfvars': 'ld = "off"\n'},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "Off", '
          'expected "on"'],
         var={'ld': 'Off'}),
    case('other_dir_tfvars',
         {'v.tf': 'variable "ld" {\n  default = "on"\n}\n',
          'main.tf': resource('var.ld'),
          'env/terraform.tfvars': 'ld = "off"\n'},
         ['main.tf:3: compliant: azurerm_postgresql_configuration.c: log_disconnections is "on" '
          '(value from v.tf:2, default of var.ld)']),
    case('module',
         {'main.tf': 'module "pg" {\n  source = "./modules/pg"\n  ld     = "off"\n}\n',
          'modules/pg/main.tf': 'variable "ld" {}\n' + resource('var.ld')},
         ['modules/pg/main.tf:4: noncompliant: module.pg.azurerm_postgresql_configuration.c: '
          'log_disconnections is "off", expected "on" (value from main.tf:3, var.ld) (module call at '
          'main.tf:1)']),
    case('module_for_each',
         {'main.tf': 'module "pg" {\n  source   = "./modules/pg"\n  for_each = {a = "on", b = "off"}\n'
                     '  ld       = each.value\n}\n',
          'modules/pg/main.tf': 'variable "ld" {}\n' + resource('var.ld')},
         ['modules/pg/main.tf:4: compliant: module.pg["a"].azurerm_postgresql_configuration.c: '
          'log_disconnections is "on" (value from main.tf:3, var.ld) (module call at main.tf:1)',
          'modules/pg/main.tf:4: noncompliant: module.pg["b"].azurerm_postgresql_configuration.c: '
          'log_disconnections is "off", expected "on" (value from main.tf:3, var.ld) (module call at '
          'main.tf:1)']),
    case('module_missing',
         {'main.tf': 'module "pg" {\n  source = "./modules/pg"\n  ld     = "off"\n}\n'},
         ['main.tf:1: note: module "pg" source ./modules/pg does not exist: not followed']),
    case('module_self',
         {'main.tf': 'module "me" {\n  source = "./"\n}\n' + resource('"off"')},
         ['main.tf:6: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "off", '
          'expected "on"',
          'main.tf:1: note: module "me" calls itself (through ./): not followed']),
    case('module_registry',
         {'main.tf': 'module "pg" {\n  source = "Azure/pg/azurerm"\n}\n'},
         []),
    case('module_var_not_set',
         {'main.tf': 'module "pg" {\n  source = "./modules/pg"\n}\n',
          'modules/pg/main.tf': 'variable "ld" {}\n' + resource('var.ld')},
         ['modules/pg/main.tf:4: unverified: module.pg.azurerm_postgresql_configuration.c: value '
          'cannot be determined: var.ld has no default and the module call at main.tf:1 does not set '
          'it']),
)


@pytest.mark.parametrize(('sources', 'want', 'kw'), INST_CASES)
def test_instances(sources: dict[str, str], want: list[str], kw: dict[str, object]) -> None:
    assert findings(sources, **kw) == want  # type: ignore[arg-type]
