"""The python-hcl2 adapter: whose fault an error is."""
from __future__ import annotations

from pathlib import Path

import pytest

from check_postgresql_log_disconnections import hcl
from check_postgresql_log_disconnections._main import main

CONFIG = '''resource "azurerm_postgresql_configuration" "cfg" {
  name                = "log_disconnections"
  resource_group_name = "rg"
  server_name         = "srv"
  value               = "off"
}
'''


def _broken_conversion(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: object, rule: object) -> object:
        raise KeyError('simulated bug')

    monkeypatch.setattr(hcl._Convert, 'expr', broken)


def test_a_bug_in_our_conversion_is_not_blamed_on_python_hcl2(monkeypatch: pytest.MonkeyPatch) -> None:
    _broken_conversion(monkeypatch)
    with pytest.raises(KeyError, match='simulated bug'):
        hcl.parse('x = 1\n', 'x.tf')


def test_a_bug_in_our_conversion_is_an_internal_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / 'main.tf').write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    _broken_conversion(monkeypatch)
    assert main(['main.tf']) == 1
    out = capsys.readouterr()
    assert 'Traceback' not in out.out + out.err
    assert out.out.splitlines() == [
        "main.tf: internal error while checking this module (KeyError: 'simulated bug'); please report it",
    ]


@pytest.mark.parametrize(('raised', 'reason'), (
    (ValueError('bad token'), 'python-hcl2 failed: ValueError: bad token'),
    (RecursionError(), 'expression too deeply nested'),
))
def test_python_hcl2_failing_is_a_parse_error(monkeypatch: pytest.MonkeyPatch, raised: Exception,
                                              reason: str) -> None:
    import hcl2

    def failing(text: str) -> object:
        raise raised

    monkeypatch.setattr(hcl2, 'parses', failing)
    with pytest.raises(hcl.ParseError) as e:
        hcl.parse('x = 1\n', 'x.tf', line=3)
    assert (e.value.reason, e.value.line) == (reason, 3)


def test_a_tree_too_deep_to_walk_is_a_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def deep(self: object, rule: object) -> object:
        raise RecursionError

    monkeypatch.setattr(hcl._Convert, 'expr', deep)
    with pytest.raises(hcl.ParseError) as e:
        hcl.parse('x = 1\n', 'x.tf')
    assert e.value.reason == 'expression too deeply nested'
