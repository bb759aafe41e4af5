from __future__ import annotations

import pytest

from check_postgresql_log_disconnections import rule


@pytest.mark.parametrize(('value', 'expected'), [
    ('on', True), ('On', True), ('ON', True),
    ('off', False), ('Off', False), ('OFF', False), ('false', False), ('0', False), ('', False),
    (' on', False), ('on ', False), (True, False), (1, False), (None, False),
])
def test_compliant(value: object, expected: bool) -> None:
    assert rule.compliant(value) is expected


@pytest.mark.parametrize(('name', 'expected'), [
    ('log_disconnections', True), ('LOG_DISCONNECTIONS', True), ('log_connections', False),
    ('log_disconnections ', False), (None, False), (1, False),
])
def test_is_parameter(name: object, expected: bool) -> None:
    assert rule.is_parameter(name) is expected


@pytest.mark.parametrize(('value', 'expected'), [('on', True), ('OFF', True), ('true', False), ('', False), (0, False)])
def test_azure_accepts(value: object, expected: bool) -> None:
    assert rule.azure_accepts(value) is expected


@pytest.mark.parametrize(('text', 'servers', 'expected'), [
    pytest.param('resource "azurerm_postgresql_configuration" "x" {}', False, True, id='configuration'),
    pytest.param('resource "azurerm_postgresql_flexible_server_configuration" "x" {}', False, True, id='flexible'),
    pytest.param('resource "azurerm_postgresql_server" "x" {}', False, False, id='a server alone produces nothing'),
    pytest.param('resource "azurerm_postgresql_flexible_server" "x" {}', False, False, id='flexible server alone'),
    pytest.param('resource "azurerm_postgresql_database" "x" {}', False, False, id='database'),
    pytest.param('resource "azurerm_postgresql_flexible_server_firewall_rule" "x" {}', False, False, id='firewall'),
    pytest.param('resource "azurerm_postgresql_server" "x" {}', True, True, id='server with --require-explicit'),
    pytest.param('resource "azurerm_postgresql_flexible_server" "x" {}', True, True, id='flexible server, explicit'),
    pytest.param('resource "azurerm_postgresql_configuration" "x" {}', True, True, id='configuration, explicit'),
    pytest.param('resource "azurerm_postgresql_database" "x" {}', True, False, id='database, explicit'),
    pytest.param('# azurerm_postgresql_configuration is mentioned\n', False, True, id='in a comment is fine'),
    pytest.param('{"resource": {"azurerm_postgresql_configuration": {"x": {}}}}', False, True, id='tf.json'),
    pytest.param('{"resource": {"\\u0061zurerm_postgresql_configuration": {"x": {}}}}', False, True,
                 id='json escape'),
    pytest.param('resource "\\U00000061zurerm_postgresql_configuration" "x" {}', False, True, id='HCL escape'),
    pytest.param('module "pg" {\n  source = "Azure/x/azurerm"\n  params = { log_disconnections = "off" }\n}\n',
                 False, True, id='the parameter handed to a module'),
    pytest.param('params = { LOG_Disconnections = "off" }\n', False, True, id='the parameter in any case'),
    pytest.param('x = "C:\\\\tmp"\n', False, False, id='a backslash alone'),
    pytest.param('resource "azurerm_storage_account" "x" {\n  name = "pg"\n}\n', False, False, id='unrelated'),
    pytest.param('resource "AZURERM_POSTGRESQL_CONFIGURATION" "x" {}', False, False, id='types are case-sensitive'),
    pytest.param('resource "azurerm_mysql_configuration" "x" {}', False, False, id='other database'),
    pytest.param('', False, False, id='empty'),
])
def test_may_matter(text: str, servers: bool, expected: bool) -> None:
    assert rule.may_matter(text, servers=servers) is expected


def test_the_prefilter_words_are_the_types() -> None:
    # may_matter searches for each type verbatim: every word it keys on is a full type name
    for t in rule.CONFIG_TYPES + rule.SERVER_TYPES:
        assert rule.may_matter(f'resource "{t}" "x" {{}}', servers=True)
    for t in rule.CONFIG_TYPES:
        assert rule.may_matter(f'resource "{t}" "x" {{}}')


def test_every_configuration_type_ends_with_the_suffix_the_prefilter_searches_first() -> None:
    assert all(t.endswith(rule.CONFIG_SUFFIX) for t in rule.CONFIG_TYPES)


def test_each_server_has_its_configuration_type() -> None:
    assert rule.CONFIGURATION_FOR_SERVER == {
        'azurerm_postgresql_server': 'azurerm_postgresql_configuration',
        'azurerm_postgresql_flexible_server': 'azurerm_postgresql_flexible_server_configuration',
    }
    assert rule.not_set_hint('azurerm_postgresql_server') == (
        'log_disconnections is not set for this server; add an azurerm_postgresql_configuration '
        'with name log_disconnections and value on')


@pytest.mark.parametrize(('block', 'expected'), [
    pytest.param('resource "t" "x" {\n  name      = "log_checkpoints"\n  server_id = "s"\n  value     = "off"\n}\n',
                 True, id='another parameter'),
    pytest.param('resource "t" "x" {\n  name  = "log_disconnections"\n  value = "off"\n}\n', False, id='this one'),
    pytest.param('resource "t" "x" {\n  name  = "LOG_Disconnections"\n  value = "off"\n}\n', False, id='any case'),
    pytest.param('resource "t" "x" {\n  name  = "log_\\u0064isconnections"\n}\n', False, id='an escape'),
    pytest.param('resource "t" "x" {\n  name  = "log_${var.x}"\n}\n', False, id='a template'),
    pytest.param('resource "t" "x" {\n  name  = each.key\n}\n', False, id='computed'),
    pytest.param('resource "t" "x" {\n  value = "off"\n}\n', False, id='no name'),
    pytest.param('resource "t" "x" {\n  name = "a"\n  timeouts {\n    name = "b"\n  }\n}\n', False,
                 id='a nested block'),
    pytest.param('resource "t" "x" {\n  for_each = toset(["a"])\n  name = "a" # trailing comment\n}\n', False,
                 id='a comment after the literal'),
    pytest.param('resource "t" "x" {\n  /*\n  name = "a"\n  */\n  value = "off"\n}\n', False, id='block comment'),
    pytest.param('resource "t" "x" {\n  name = "a"\n  name = "log_disconnections"\n}\n', False, id='two names'),
    pytest.param('resource "t" "x" {\n  name        = "log_checkpoints"\n'
                 '  server_name = azurerm_postgresql_server.s.name\n  value       = "off"\n}\n', True,
                 id='a reference to a server name'),
    pytest.param('resource "t" "x" {\n  name = "a"\n  value = name\n}\n', False, id='the word again'),
])
def test_sets_another_parameter(block: str, expected: bool) -> None:
    assert rule.sets_another_parameter(block) is expected
