"""Features through the real ``main()``: --fix, formats, --output, suppressions, --require-explicit."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from check_postgresql_log_disconnections._main import main

ID = '07f7134f-9f37-476e-8664-670c218e4702'
RESOURCE = '''resource "azurerm_postgresql_flexible_server_configuration" "ld" {
  name      = "log_disconnections"
  server_id = azurerm_postgresql_flexible_server.main.id
  value     = var.ld   # keep the comment
}
'''
VARIABLES = 'variable "ld" {\r\n  default = "OFF"\r\n}'  # CRLF, no final newline


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / 'main.tf').write_text(RESOURCE)
    (tmp_path / 'variables.tf').write_bytes(b'\xef\xbb\xbf' + VARIABLES.encode())
    os.chmod(tmp_path / 'variables.tf', 0o640)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv('PRE_COMMIT', raising=False)
    return tmp_path


def test_fix_rewrites_the_origin_only_and_is_idempotent(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(['main.tf', 'variables.tf']) == 1
    capsys.readouterr()
    assert main(['--fix', 'main.tf', 'variables.tf']) == 1
    assert capsys.readouterr().out == (  # what changed, as a reviewer wants it before re-staging
        'Fixing variables.tf\n'
        'variables.tf:2:13: "OFF" -> "on" (default of var.ld, '
        'for azurerm_postgresql_flexible_server_configuration.ld)\n')
    assert (module / 'main.tf').read_text() == RESOURCE
    assert (module / 'variables.tf').read_bytes() == b'\xef\xbb\xbf' + VARIABLES.replace('"OFF"', '"on"').encode()
    assert stat.S_IMODE(os.stat(module / 'variables.tf').st_mode) == 0o640
    assert main(['--fix', 'main.tf', 'variables.tf']) == 0
    assert capsys.readouterr().out == ''


def test_fix_does_not_write_a_file_that_was_not_passed(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (module / 'variables.tf').read_bytes()
    assert main(['--fix', 'main.tf']) == 1
    out = capsys.readouterr().out
    assert 'Fixing' not in out
    assert 'which was not passed' in out
    assert (module / 'variables.tf').read_bytes() == before


def test_json_and_output_file(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(['--format', 'json', '--output', 'report.json', 'main.tf']) == 1
    assert capsys.readouterr().out == ''
    data = json.loads((module / 'report.json').read_text())
    (result,) = data['results']
    assert (result['file'], result['line'], result['column'], result['status']) == ('main.tf', 4, 15, 'noncompliant')
    assert result['origin']['file'] == 'variables.tf' and result['origin']['line'] == 2
    assert result['value'] == 'OFF' and result['rule_id'] == ID
    assert result['fixable'] is False  # the literal is in variables.tf, which this run was not given
    assert main(['--format', 'json', '--output', 'report.json', 'main.tf', 'variables.tf']) == 1
    assert json.loads((module / 'report.json').read_text())['results'][0]['fixable'] is True


def test_sarif_output(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(['--format', 'sarif', 'main.tf']) == 1
    sarif = json.loads(capsys.readouterr().out)
    assert sarif['version'] == '2.1.0'
    (result,) = sarif['runs'][0]['results']
    assert result['ruleId'] == ID and result['level'] == 'error'
    region = result['locations'][0]['physicalLocation']['region']
    assert (region['startLine'], region['startColumn']) == (4, 15)


def test_output_to_an_unwritable_place_is_a_usage_error(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(['--output', str(module / 'no' / 'such' / 'dir.txt'), 'main.tf']) == 2
    assert 'cannot write' in capsys.readouterr().err


@pytest.mark.parametrize(('comment', 'suppressed'), (
    ('# kics-scan ignore-line', True),
    ('// kics-scan ignore-line', True),
    (f'# kics-scan disable={ID}', False),  # a file-level form in the middle of a file does nothing
    ('# kics-scan ignore-line=some-other-query', False),
))
def test_suppression_on_the_value_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str], comment: str, suppressed: bool) -> None:
    (tmp_path / 'main.tf').write_text(RESOURCE.replace('  value', f'  {comment}\n  value').replace('var.ld', '"off"'))
    monkeypatch.chdir(tmp_path)
    assert main(['main.tf']) == (0 if suppressed else 1)
    assert (capsys.readouterr().out == '') is suppressed
    assert main(['--show-suppressed', 'main.tf']) == (0 if suppressed else 1)
    assert ('1 suppressed finding(s)' in capsys.readouterr().out) is suppressed


@pytest.mark.parametrize(('header', 'suppressed'), (
    (f'# kics-scan disable={ID}\n', True),
    ('# kics-scan disable=check-postgresql-log-disconnections\n', True),
    ('# kics-scan disable=another-query-id\n', False),
    ('/* kics-scan ignore */\n', True),
))
def test_file_level_suppression(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str], header: str, suppressed: bool) -> None:
    (tmp_path / 'main.tf').write_text(header + RESOURCE.replace('var.ld', '"off"'))
    monkeypatch.chdir(tmp_path)
    assert main(['main.tf']) == (0 if suppressed else 1)
    capsys.readouterr()
    main(['--format', 'json', 'main.tf'])
    (result,) = json.loads(capsys.readouterr().out)['results']
    assert (result['status'] == 'suppressed') is suppressed


SERVER = '''resource "azurerm_postgresql_flexible_server" "main" {
  name = "psql"
}
'''


@pytest.mark.parametrize(('extra', 'finding'), (
    ('', True),
    (RESOURCE.replace('var.ld', '"on"'), False),
    (RESOURCE.replace('var.ld', '"on"').replace('"log_disconnections"', '"log_checkpoints"'), True),
    (RESOURCE.replace('var.ld', '"on"').replace('.main.id', '.other.id'), True),
))
def test_require_explicit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                          extra: str, finding: bool) -> None:
    (tmp_path / 'main.tf').write_text(SERVER + extra)
    monkeypatch.chdir(tmp_path)
    assert main(['main.tf']) == 0
    assert capsys.readouterr().out == ''
    assert main(['--require-explicit', 'main.tf']) == (1 if finding else 0)
    out = capsys.readouterr().out
    if finding:
        assert out.startswith('main.tf:1:1: azurerm_postgresql_flexible_server.main: log_disconnections is not set')
    else:
        assert out == ''


def test_kics_fixtures_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    """KICS's own positive/negative fixtures, in our words: three blocks, 4-space indent, no final newline."""
    def blocks(values: tuple[str, str, str], prefix: str) -> str:
        return '\n\n'.join(f'''resource "azurerm_postgresql_configuration" "{prefix}{i}" {{
    name                = "log_disconnections"
    resource_group_name = data.azurerm_resource_group.example.name
    server_name         = azurerm_postgresql_server.example.name
    value               = "{v}"
}}''' for i, v in enumerate(values, 1))
    (tmp_path / 'positive.tf').write_text(blocks(('off', 'Off', 'OFF'), 'positive'))
    (tmp_path / 'negative.tf').write_text(blocks(('on', 'On', 'ON'), 'negative'))
    monkeypatch.chdir(tmp_path)
    assert main(['negative.tf']) == 0
    assert capsys.readouterr().out == ''
    assert main(['positive.tf']) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [tuple(x.split(':')[:3]) for x in lines] == [
        ('positive.tf', '5', '27'), ('positive.tf', '12', '27'), ('positive.tf', '19', '27')]
    assert lines[0] == (f'positive.tf:5:27: azurerm_postgresql_configuration.positive1: log_disconnections is "off", '
                        f'expected "on" [{ID}]')


FOR_EACH = '''resource "azurerm_postgresql_configuration" "cfg" {
  for_each            = toset(["a", "b"])
  name                = "log_disconnections"
  resource_group_name = "rg"
  server_name         = each.key
  value               = "OFF"
}
'''


def test_fix_says_what_changed_once_per_literal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv('PRE_COMMIT', raising=False)
    (tmp_path / 'main.tf').write_text(FOR_EACH)
    assert main(['--fix', 'main.tf']) == 1
    assert capsys.readouterr().out == (
        'Fixing main.tf\n'
        'main.tf:6:25: "OFF" -> "on" (for azurerm_postgresql_configuration.cfg["a"], '
        'azurerm_postgresql_configuration.cfg["b"])\n')  # one line per literal, naming what it set
    (tmp_path / 'main.tf').write_text(FOR_EACH)
    assert main(['--fix', '--format', 'json', 'main.tf']) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [r['status'] for r in doc['results']] == ['compliant'] * 2  # what is left, as it now stands
    assert (doc['fixed'], doc['changes']) == (['main.tf'], [{
        'file': 'main.tf', 'line': 6, 'column': 25, 'from': 'OFF', 'to': 'on', 'what': '',
        'addresses': ['azurerm_postgresql_configuration.cfg["a"]', 'azurerm_postgresql_configuration.cfg["b"]'],
    }])



def test_the_collector_runs_seldom_during_a_run_and_as_before_after(
        module: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from check_postgresql_log_disconnections import pipeline

    seen: list[tuple[int, int, int]] = []
    original = pipeline.run

    def run(args: list[str], opts: pipeline.Options) -> object:
        seen.append(gc.get_threshold())
        return original(args, opts)

    monkeypatch.setattr(pipeline, 'run', run)
    before = gc.get_threshold()
    assert main(['main.tf']) == 1
    assert seen == [(100_000, 50, 50)]
    assert gc.get_threshold() == before
    with pytest.raises(SystemExit):
        main(['--no-such-option'])
    assert gc.get_threshold() == before
    capsys.readouterr()
