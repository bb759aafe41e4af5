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


def test_every_type_contains_the_prefilter_stem() -> None:
    # files.may_configure keys on the stem: a type without it would never be read
    for t in rule.CONFIG_TYPES + rule.SERVER_TYPES:
        assert rule.TYPE_STEM in t


def test_each_server_has_its_configuration_type() -> None:
    assert rule.CONFIGURATION_FOR_SERVER == {
        'azurerm_postgresql_server': 'azurerm_postgresql_configuration',
        'azurerm_postgresql_flexible_server': 'azurerm_postgresql_flexible_server_configuration',
    }
    assert rule.not_set_hint('azurerm_postgresql_server') == (
        'log_disconnections is not set for this server; add an azurerm_postgresql_configuration '
        'with name log_disconnections and value on')
