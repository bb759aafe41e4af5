"""The rule, judged on module sources given as text (``texts.check_texts``): which
instances are compliant, non-compliant or unverified, and what the message says."""
from __future__ import annotations

import pytest

from testing.findings import findings, resource


def case(name: str, sources: dict[str, str], want: list[str], **kw: object) -> object:
    return pytest.param(sources, want, kw, id=name)


JUDGE_CASES = (
    case('on',
         {'main.tf': resource('"on"')},
         ['main.tf:3: compliant: azurerm_postgresql_configuration.c: log_disconnections is "on"']),
    case('upper_on',
         {'main.tf': resource('"ON"')},
         ['main.tf:3: compliant: azurerm_postgresql_configuration.c: log_disconnections is "ON"']),
    case('off',
         {'main.tf': resource('"off"')},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "off", '
          'expected "on"']),
    case('not_azure',
         {'main.tf': resource('"true"')},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "true" '
          '(not an accepted value; Azure takes "on" or "off"), expected "on"']),
    case('origin',
         {'main.tf': resource('var.ld'),
          'variables.tf': 'variable "ld" {\n  default = "off"\n}\n'},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "off", '
          'expected "on" (value from variables.tf:2, default of var.ld)']),
    case('other_param',
         {'main.tf': resource('"off"', name='"log_connections"')},
         []),
    case('name_var',
         {'main.tf': resource('"off"', name='var.p'),
          'v.tf': 'variable "p" {\n  default = "log_disconnections"\n}\n'},
         ['main.tf:3: noncompliant: azurerm_postgresql_configuration.c: log_disconnections is "off", '
          'expected "on"']),
    case('name_unknown',
         {'main.tf': resource('"off"', name='var.p'),
          'v.tf': 'variable "p" {}\n'},
         ['main.tf:3: unverified: azurerm_postgresql_configuration.c: name cannot be determined: '
          'var.p has no default']),
    case('no_default',
         {'main.tf': resource('var.ld'),
          'v.tf': 'variable "ld" {}\n'},
         ['main.tf:3: unverified: azurerm_postgresql_configuration.c: value cannot be determined: '
          'var.ld has no default']),
    case('flexible',
         {'main.tf': resource('"off"', rtype='azurerm_postgresql_flexible_server_configuration')},
         ['main.tf:3: noncompliant: azurerm_postgresql_flexible_server_configuration.c: '
          'log_disconnections is "off", expected "on"']),
    case('no_value',
         {'main.tf': 'resource "azurerm_postgresql_configuration" "c" {\n  name = "log_disconnections"\n}\n'},
         ['main.tf:1: unverified: azurerm_postgresql_configuration.c: no value attribute']),
    case('explicit_missing',
         {'main.tf': 'resource "azurerm_postgresql_flexible_server" "s" {\n  sku_name = "B1"\n}\n'},
         ['main.tf:1: noncompliant: azurerm_postgresql_flexible_server.s: log_disconnections is not '
          'set (no configuration resource sets it for this server; the server default applies), '
          'expected "on"'],
         require_explicit=True),
    case('explicit_set',
         {'main.tf': 'resource "azurerm_postgresql_flexible_server" "s" {\n  sku_name = "B1"\n}\n'
                     + resource('"on"', extra='  server_id = azurerm_postgresql_flexible_server.s.id\n',
                                rtype='azurerm_postgresql_flexible_server_configuration')},
         ['main.tf:7: compliant: azurerm_postgresql_flexible_server_configuration.c: '
          'log_disconnections is "on"'],
         require_explicit=True),
    case('explicit_off',
         {'main.tf': 'resource "azurerm_postgresql_flexible_server" "s" {\n  sku_name = "B1"\n}\n'},
         []),
)


@pytest.mark.parametrize(('sources', 'want', 'kw'), JUDGE_CASES)
def test_judge(sources: dict[str, str], want: list[str], kw: dict[str, object]) -> None:
    assert findings(sources, **kw) == want  # type: ignore[arg-type]
