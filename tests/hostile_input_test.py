"""Input an attacker controls: file names that look like options, special files, values that broke the
run, names that forge output lines. Each case: one clean line, the right exit code, nothing overwritten."""
from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from check_postgresql_log_disconnections import _main, files
from check_postgresql_log_disconnections._main import main
from testing.fuzz import time_limit

ID = '[07f7134f-9f37-476e-8664-670c218e4702]'
MAIN = '''variable "x" {
  default = "off"
}

resource "azurerm_postgresql_configuration" "cfg" {
  name                = "log_disconnections"
  resource_group_name = "rg"
  server_name         = "srv"
  value               = var.x
}
'''
FINDING = (f'main.tf:9:25: azurerm_postgresql_configuration.cfg: log_disconnections is "off", expected "on" '
           f'(value from main.tf:2, default of var.x) {ID}')
OTHER = 'resource "azurerm_resource_group" "g" {\n  name = "x"\n}\n'
needs_fifo = pytest.mark.skipif(not hasattr(os, 'mkfifo'), reason='no named pipes here')


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / 'main.tf').write_text(MAIN)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv('PRE_COMMIT', raising=False)
    return tmp_path


def no_hang() -> contextlib.AbstractContextManager[None]:
    """Fail instead of blocking forever (opening a FIFO with no writer blocks): the fuzzer's guard,
    whose ``Hang`` is no ``Exception``, so the hook's own error handling cannot swallow it."""
    return time_limit(30)


# --- a file name is never an option ----------------------------------------------------------------

@pytest.mark.parametrize('name', (
    '--output=main.tf',      # would overwrite main.tf with the report
    '--out=main.tf',         # the same, abbreviated
    '--var=x={tf="on"}.tf',  # would set var.x to "on" and turn the finding into a pass
    '--var-file=main.tf',
    '--unresolved=ignore.tf',
    '--fix.tf',
    '-h.tf',
))
def test_a_name_pre_commit_passes_is_a_file(repo: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    (repo / name).write_text(OTHER)
    # as pre-commit runs the manifest's entry: `--` sorts first in `git ls-files`
    assert main(['--pre-commit', name, 'main.tf']) == 1
    assert capsys.readouterr().out == f'{FINDING}\n'
    assert (repo / 'main.tf').read_text() == MAIN
    assert (repo / name).read_text() == OTHER


def test_a_name_that_leaves_the_repository_is_a_file(repo: Path, tmp_path_factory: pytest.TempPathFactory,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path_factory.mktemp('outside') / 'report.tf'
    name = f'--output={outside}'  # a directory named `--output=` holding tmp/.../report.tf
    (repo / name).parent.mkdir(parents=True)
    (repo / name).write_text(OTHER)
    assert main(['--pre-commit', name, 'main.tf']) == 1
    assert capsys.readouterr().out == f'{FINDING}\n'
    assert not outside.exists()


def test_a_name_that_is_a_finding_is_reported_under_its_name(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / 'main.tf').write_text(OTHER)
    (repo / '--output=x.tf').write_text(MAIN)
    assert main(['--pre-commit', '--unresolved', 'fail', '--output=x.tf']) == 1
    assert capsys.readouterr().out == FINDING.replace('main.tf', '--output=x.tf') + '\n'
    assert not (repo / 'x.tf').exists()


def test_configured_options_still_work(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / 'prod.tfvars').write_text('x = "on"\n')
    (repo / '--var-file=main.tf').write_text(OTHER)
    assert main(['--pre-commit', '--var-file', 'prod.tfvars', '--format=json', '--var-file=main.tf',
                 'main.tf']) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc['summary']['compliant'] == 1 and doc['errors'] == []


@pytest.mark.parametrize(('argv', 'message'), (
    # pre-commit passes only files that exist: a missing one is the user's own option, written as one item
    (['--var-file=prod.tfvars', 'main.tf'],
     '--var-file=prod.tfvars: no such file; under pre-commit a name ending in .tf, .tofu, .tfvars or .tfvars.json '
     'is always a file: give an option its value as a separate item ([--var-file, prod.tfvars])'),
    (['--unresolved=fail', 'main.tf'], '--unresolved=fail: an option, and also a file in this directory; '
                                       'rename the file'),
))
def test_what_cannot_be_told_apart_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str],
                                                     argv: list[str], message: str) -> None:
    (repo / '--unresolved=fail').write_text('')  # not Terraform: pre-commit's `files` would not pass it
    with pytest.raises(SystemExit) as e:
        main(['--pre-commit', *argv])
    assert e.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f'check-postgresql-log-disconnections: error: {message}'


def test_abbreviations_are_not_options(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(['--out=report.txt', 'main.tf'])
    assert e.value.code == 2
    assert 'unrecognized arguments: --out=report.txt' in capsys.readouterr().err
    assert not (repo / 'report.txt').exists()


@pytest.mark.parametrize(('items', 'expected'), (
    ([], ['--']),
    (['a.tf'], ['--', 'a.tf']),
    (['--fix', '--output=x.tf', 'a.tf'], ['--fix', '--', '--output=x.tf', 'a.tf']),
    (['--var', 'x=1.tf', '--var-file', 'p.tfvars', 'a.tf'], ['--var', 'x=1.tf', '--var-file', 'p.tfvars', '--',
                                                              'a.tf']),
    (['--unresolved', 'fail', '--format=json', 'a.tf'], ['--unresolved', 'fail', '--format=json', '--', 'a.tf']),
    (['--fix', '--', 'a.tf'], ['--fix', '--', 'a.tf']),  # the user's own `--` is kept
))
def test_files_after_options(repo: Path, items: list[str], expected: list[str]) -> None:
    for name in expected[expected.index('--') + 1:]:
        (repo / name).write_text(OTHER)
    assert _main.files_after_options(items, _main._takes_value(_main._parser())) == expected


# --- special files are never opened ---------------------------------------------------------------------

@needs_fifo
def test_a_fifo_beside_the_module_is_not_read(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(repo / 'scratch.tf')  # untracked, yet listed with the module's files
    with no_hang():
        assert main(['main.tf']) == 1
    assert capsys.readouterr().out == f'{FINDING}\n'


@needs_fifo
def test_a_fifo_given_is_one_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(repo / 'pipe.tf')
    with no_hang():
        assert main(['main.tf', 'pipe.tf']) == 1
    assert capsys.readouterr().out == f'{FINDING}\npipe.tf: cannot read: not a regular file (named pipe)\n'


@needs_fifo
def test_a_fifo_as_var_file_is_one_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(repo / 'prod.tfvars')
    with no_hang():
        assert main(['--var-file', 'prod.tfvars', 'main.tf']) == 1
    assert capsys.readouterr().out == f'{FINDING}\nprod.tfvars: cannot read: not a regular file (named pipe)\n'


@needs_fifo
def test_a_fifo_met_walking_a_directory_is_one_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / 'db').mkdir()
    (repo / 'db' / 'main.tf').write_text(MAIN)
    os.mkfifo(repo / 'db' / 'pipe.tf')
    with no_hang():
        assert main(['db']) == 1
    assert capsys.readouterr().out == (f'db/{FINDING}\n'.replace('value from main.tf', 'value from db/main.tf')
                                       + 'db/pipe.tf: cannot read: not a regular file (named pipe)\n')


@needs_fifo
def test_a_fifo_with_a_writer_is_not_read_past_the_cap(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(repo / 'pipe.tf')
    over = files.MAX_FILE_BYTES // 65536 + 16  # past the cap, yet bounded should the reader not stop
    writer = subprocess.Popen([sys.executable, '-c', 'with open("pipe.tf", "wb") as f:\n'
                               f'    for _ in range({over}): f.write(b"#" * 65536)'],
                              cwd=repo, stderr=subprocess.DEVNULL)
    try:
        with no_hang():
            assert main(['pipe.tf']) == 1
    finally:
        writer.kill()
        writer.wait()
    assert capsys.readouterr().out == 'pipe.tf: cannot read: not a regular file (named pipe)\n'


@pytest.mark.parametrize(('mode', 'why'), (
    (stat.S_IFREG | 0o644, None),
    (stat.S_IFDIR | 0o755, 'is a directory'),
    (stat.S_IFIFO | 0o644, 'not a regular file (named pipe)'),
    (stat.S_IFCHR | 0o666, 'not a regular file (character device)'),
    (stat.S_IFBLK | 0o660, 'not a regular file (block device)'),
    (stat.S_IFSOCK | 0o755, 'not a regular file (socket)'),
))
def test_not_regular(mode: int, why: str | None) -> None:
    assert files.not_regular(mode) == why


# --- no traceback, nothing half-written -----------------------------------------------------------------

UNVERIFIED = f'main.tf:9:25: unverified: azurerm_postgresql_configuration.cfg: value cannot be determined: {{}} {ID}'
@pytest.mark.parametrize(('var', 'message'), (
    ('x=[1][5]', 'x: invalid value: expression[5]: index 5 out of range'),
    ('x={a = 1}.b', "x: invalid value: expression.b: no attribute 'b'"),
))
def test_a_var_terraform_rejects_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str], var: str,
                                                  message: str) -> None:
    with pytest.raises(SystemExit) as e:
        main(['--var', var, 'main.tf'])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == f'check-postgresql-log-disconnections: error: argument --var: {message}'


def test_a_var_file_value_terraform_rejects_is_unverified(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / 'bad.tfvars').write_text('x = {a = 1}.b\n')
    assert main(['--unresolved=fail', '--var-file', 'bad.tfvars', 'main.tf']) == 1
    reason = "var.x: Terraform would fail: expression.b: no attribute 'b'"
    assert capsys.readouterr().out == UNVERIFIED.format(reason) + '\n'


def test_output_is_all_or_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = b'report-\xe9.txt'.decode('utf-8', 'surrogateescape')  # a file name that is not UTF-8
    (repo / 'd\udce9').mkdir()
    (repo / 'd\udce9' / 'main.tf').write_text(MAIN)
    (repo / name).write_text('the previous report\n')
    assert main(['--output', name, 'd\udce9/main.tf']) == 1
    assert capsys.readouterr() == ('', '')
    report = (repo / name).read_text()
    assert report == FINDING.replace('main.tf', 'd\\udce9/main.tf') + '\n'
    assert sorted(p.name for p in repo.iterdir()) == sorted(['d\udce9', 'main.tf', name])  # no temporary left


def test_output_that_cannot_be_written_keeps_the_old_report(repo: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / 'r.txt').write_text('the previous report\n')

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, 'Permission denied')

    monkeypatch.setattr(os, 'replace', refuse)
    assert main(['--output', 'r.txt', 'main.tf']) == 2
    assert capsys.readouterr().err == 'check-postgresql-log-disconnections: r.txt: cannot write: Permission denied\n'
    assert (repo / 'r.txt').read_text() == 'the previous report\n'
    assert sorted(p.name for p in repo.iterdir()) == ['main.tf', 'r.txt']


def _run(argv: list[str], cwd: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, '-m', 'check_postgresql_log_disconnections', *argv], cwd=cwd,
                          capture_output=True, text=True, check=False, **kw)  # type: ignore[call-overload]


def test_a_name_not_utf8_on_a_strict_utf8_stdout(repo: Path) -> None:
    (repo / 'd\udce9').mkdir()
    (repo / 'd\udce9' / 'main.tf').write_text(MAIN)
    out = _run(['d\udce9/main.tf'], repo, env={**os.environ, 'PYTHONIOENCODING': 'utf-8:strict'})
    assert (out.returncode, out.stderr) == (1, '')
    assert out.stdout == FINDING.replace('main.tf', 'd\\udce9/main.tf') + '\n'


def test_a_deleted_working_directory(tmp_path: Path) -> None:
    gone = tmp_path / 'gone'
    gone.mkdir()
    code = ('import os, sys\nos.chdir(sys.argv[1]); os.rmdir(sys.argv[1])\n'
            'from check_postgresql_log_disconnections._main import main\nraise SystemExit(main(["main.tf"]))')
    out = subprocess.run([sys.executable, '-c', code, str(gone)], capture_output=True, text=True, check=False)
    assert (out.returncode, out.stdout) == (1, '')
    assert out.stderr == ('check-postgresql-log-disconnections: cannot use the working directory: '
                          'No such file or directory\n')


def test_stdout_closed_early(repo: Path) -> None:
    p = subprocess.Popen([sys.executable, '-m', 'check_postgresql_log_disconnections', 'main.tf'], cwd=repo,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()  # `| head -c0`: nobody reads
    err = p.stderr.read().decode()
    assert p.wait() == 1
    assert err == 'check-postgresql-log-disconnections: cannot write the report: standard output was closed\n'


# --- output tools and terminals can trust ---------------------------------------------------------------

@pytest.mark.parametrize(('directory', 'shown'), (
    ('x.tf:1:1: note: all good\n', 'x.tf:1:1: note: all good\\n'),
    ('\x1b]0;owned\x07\x1b[2J', '\\u001b]0;owned\\u0007\\u001b[2J'),
    ('a\u2028b\u202e', 'a\\u2028b\\u202e'),
))
def test_paths_are_printed_escaped(repo: Path, capsys: pytest.CaptureFixture[str], directory: str,
                                   shown: str) -> None:
    (repo / directory).mkdir()
    (repo / directory / 'main.tf').write_text(MAIN)
    (repo / directory / 'pipe.tf').write_bytes(b'\xff')
    assert main([f'{directory}/main.tf', f'{directory}/pipe.tf', f'{directory}/missing.tf']) == 1
    assert capsys.readouterr().out.splitlines() == [
        FINDING.replace('main.tf', f'{shown}/main.tf'),
        f'{shown}/missing.tf: cannot read: no such file or directory',
        f'{shown}/pipe.tf: cannot read: not UTF-8 (byte 0xff at line 1)',
    ]
    assert main(['--fix', f'{directory}/main.tf']) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f'Fixing {shown}/main.tf', f'{shown}/main.tf:2:13: "off" -> "on" (default of var.x, '
                     'for azurerm_postgresql_configuration.cfg)']


# --- --fix keeps what it does not own ----------------------------------------------------------------------

FIXED = MAIN.replace('"off"', '"on"')


@pytest.mark.skipif(not hasattr(os, 'link'), reason='no hard links here')
def test_fix_keeps_a_hard_link(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.link(repo / 'main.tf', repo / 'copy.tf.orig')
    os.chmod(repo / 'main.tf', 0o640)
    inode = os.stat(repo / 'main.tf').st_ino
    assert main(['--fix', 'main.tf']) == 1
    assert capsys.readouterr().out == ('Fixing main.tf\nmain.tf:2:13: "off" -> "on" (default of var.x, '
                                       'for azurerm_postgresql_configuration.cfg)\n')
    assert (repo / 'main.tf').read_text() == (repo / 'copy.tf.orig').read_text() == FIXED
    st = os.stat(repo / 'main.tf')
    assert (st.st_ino, st.st_nlink, stat.S_IMODE(st.st_mode)) == (inode, 2, 0o640)
    assert sorted(p.name for p in repo.iterdir()) == ['copy.tf.orig', 'main.tf']


def test_fix_refuses_a_read_only_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chmod(repo / 'main.tf', 0o444)
    assert main(['--fix', 'main.tf']) == 1
    assert capsys.readouterr().out == (
        'main.tf:2:13: note: not fixed: main.tf is read-only; make it writable to let --fix rewrite it\n'
        f'{FINDING}\n')
    assert (repo / 'main.tf').read_text() == MAIN
    assert stat.S_IMODE(os.stat(repo / 'main.tf').st_mode) == 0o444


@needs_fifo
def test_a_fifo_as_terraforms_modules_json_is_not_opened(tmp_path: Path) -> None:
    from check_postgresql_log_disconnections import installed

    (tmp_path / '.terraform' / 'modules').mkdir(parents=True)
    os.mkfifo(tmp_path / '.terraform' / 'modules' / 'modules.json')
    with no_hang():
        assert installed.read(str(tmp_path)).problem == (
            'cannot read .terraform/modules/modules.json: not a regular file (named pipe) (run terraform init)')
