"""Every kind of bad file has its own outcome: one clear line, no traceback, the run goes on."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from check_postgresql_log_disconnections._main import main

ID = '[07f7134f-9f37-476e-8664-670c218e4702]'
GOOD = b'''resource "azurerm_postgresql_configuration" "cfg" {
  name                = "log_disconnections"
  resource_group_name = "rg"
  server_name         = "srv"
  value               = "off"
}
'''
FINDING = f'good/main.tf:5:25: azurerm_postgresql_configuration.cfg: log_disconnections is "off", expected "on" {ID}'


def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        name: str, data: bytes | None) -> tuple[int, list[str]]:
    """Check a good file plus the bad one: the good file's finding must still be there."""
    (tmp_path / 'good').mkdir()
    (tmp_path / 'good' / 'main.tf').write_bytes(GOOD)
    (tmp_path / 'bad').mkdir()
    if data is not None:
        (tmp_path / 'bad' / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv('PRE_COMMIT', raising=False)
    before = {p: p.read_bytes() for p in tmp_path.rglob('*') if p.is_file() and not p.is_symlink()}
    rc = main(['good/main.tf', f'bad/{name}'])
    after = {p: p.read_bytes() for p in tmp_path.rglob('*') if p.is_file() and not p.is_symlink()}
    assert before == after  # nothing is ever written without --fix
    out = capsys.readouterr()
    assert 'Traceback' not in out.out + out.err
    lines = out.out.splitlines()
    assert FINDING in lines
    return rc, [x for x in lines if x != FINDING]


NESTED = b'resource "azurerm_postgresql_configuration" "x" {\n  name  = "log_disconnections"\n  value = ' + \
    b'[' * 400 + b']' * 400 + b'\n}\n'
LONG_LINE = b'resource "azurerm_postgresql_configuration" "x" {\n  name  = "log_disconnections"\n  description = "' + \
    b'a' * (1024 * 1024) + b'"\n  value = "on"\n}\n'


@pytest.mark.parametrize(('name', 'data', 'expected'), (
    ('syntax.tf',
     b'resource "azurerm_postgresql_configuration" "x" {\n  name = "log_disconnections"\n  value = = "off"\n}\n',
     ['bad/syntax.tf:3:11: cannot parse Terraform: unexpected \'=\'']),
    ('latin1.tf', b'# caf\xe9\nresource "x" "y" {}\n',
     ['bad/latin1.tf: cannot read: not UTF-8 (byte 0xe9 at line 1)']),
    ('binary.tf', b'\x7fELF\x02\x01\x01\x00\x00\x00', ['bad/binary.tf: cannot read: binary file (NUL bytes)']),
    ('nested.tf', NESTED, ['bad/nested.tf:1:1: cannot parse Terraform: too deeply nested (more than 64 levels)']),
    ('long.tf', LONG_LINE, ['bad/long.tf:1:1: cannot parse Terraform: block too large (1048693 characters)']),
    ('missing.tf', None, ['bad/missing.tf: cannot read: no such file or directory']),
))
def test_bad_file_is_one_line_and_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str], name: str, data: bytes | None,
                                         expected: list[str]) -> None:
    rc, lines = run(tmp_path, monkeypatch, capsys, name, data)
    assert lines == expected
    assert rc == 1


@pytest.mark.parametrize(('name', 'data', 'expected'), (
    ('bom.tf', b'\xef\xbb\xbf' + GOOD.replace(b'"off"', b'"OFF"'),
     [f'bad/bom.tf:5:25: azurerm_postgresql_configuration.cfg: log_disconnections is "OFF", expected "on" {ID}']),
    ('crlf.tf', GOOD.replace(b'\n', b'\r\n').replace(b'"off"', b'"Off"'),
     [f'bad/crlf.tf:5:25: azurerm_postgresql_configuration.cfg: log_disconnections is "Off", expected "on" {ID}']),
    ('empty.tf', b'', []),
    ('comments.tf', b'# nothing here\n// nor here\n/* resource "azurerm_postgresql_configuration" "x" {} */\n', []),
    ('unrelated-syntax-error.tf',
     GOOD.replace(b'"off"', b'"on"') + b'\nresource "azurerm_storage_account" "s" {\n  enabled = !!true\n}\n', []),
))
def test_odd_but_readable_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str], name: str, data: bytes,
                                expected: list[str]) -> None:
    rc, lines = run(tmp_path, monkeypatch, capsys, name, data)
    assert lines == expected
    assert rc == 1  # the good file's finding


def test_directory_is_walked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / 'd' / '.terraform' / 'modules').mkdir(parents=True)
    (tmp_path / 'd' / '.terraform' / 'modules' / 'main.tf').write_bytes(GOOD)
    (tmp_path / 'd' / 'sub').mkdir()
    (tmp_path / 'd' / 'sub' / 'main.tf').write_bytes(GOOD)
    monkeypatch.chdir(tmp_path)
    assert main(['d']) == 1
    assert capsys.readouterr().out.splitlines() == [FINDING.replace('good/', 'd/sub/')]


def test_symlink_inside_is_checked_outside_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    repo, outside = tmp_path / 'repo', tmp_path / 'outside'
    repo.mkdir()
    outside.mkdir()
    (outside / 'secret.tf').write_bytes(GOOD)
    (repo / 'real.tf').write_bytes(GOOD)
    os.symlink(repo / 'real.tf', repo / 'link.tf')
    os.symlink(outside / 'secret.tf', repo / 'escape.tf')
    monkeypatch.chdir(repo)
    assert main(['escape.tf']) == 1
    assert capsys.readouterr().out.splitlines() == [
        'escape.tf: symbolic link points outside the repository: not followed']
    assert main(['link.tf']) == 1
    assert 'link.tf:5:25: azurerm_postgresql_configuration.cfg' in capsys.readouterr().out


def test_a_directory_named_like_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / 'weird.tf').mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(['weird.tf']) == 0  # a directory argument is walked: nothing in it
    assert capsys.readouterr().out == ''


def test_usage_error_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(['--unresolved', 'maybe'])
    assert e.value.code == 2


def test_a_bug_in_one_module_is_one_line_and_the_run_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from check_postgresql_log_disconnections import judge

    real = judge.judge_all

    def broken(instances: list[object], *args: object) -> list[object]:
        if any('bad' in str(getattr(i, 'address', '')) for i in instances):
            raise KeyError('simulated bug')
        return real(instances, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(judge, 'judge_all', broken)
    (tmp_path / 'good').mkdir()
    (tmp_path / 'good' / 'main.tf').write_bytes(GOOD)
    (tmp_path / 'worse').mkdir()
    (tmp_path / 'worse' / 'main.tf').write_bytes(GOOD.replace(b'"cfg"', b'"bad"'))
    monkeypatch.chdir(tmp_path)
    assert main(['good/main.tf', 'worse/main.tf']) == 1
    out = capsys.readouterr()
    assert 'Traceback' not in out.out + out.err
    assert out.out.splitlines() == [
        FINDING,
        "worse/main.tf: internal error while checking this module (KeyError: 'simulated bug'); please report it",
    ]
