"""python-hcl2 in a second process (``worker.py``): the same output as parsing here, whatever happens to it.

Each test forces the worker on or off (``worker.ENV``); a forked child inherits
this process's code, monkeypatches included.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from check_postgresql_log_disconnections import cache, hcl, worker
from check_postgresql_log_disconnections._main import main

pytestmark = pytest.mark.skipif(not hasattr(os, 'fork'), reason='the worker needs os.fork')

ID = '[07f7134f-9f37-476e-8664-670c218e4702]'
CONFIG = '''\
resource "azurerm_postgresql_flexible_server_configuration" "{name}" {{
  name      = "log_disconnections"
  server_id = "x"
  value     = {value}
}}
'''
FILES = {
    'live/main.tf': CONFIG.format(name='a', value='var.log_disconnections') + '''
module "params" {
  source = "../params"
  value  = local.off
}
''',
    'live/variables.tf': 'variable "log_disconnections" {\n  default = "off"\n}\n',
    'live/locals.tf': 'locals {\n  off = "off"\n}\n',
    'live/terraform.tfvars': 'log_disconnections = "of\n',  # python-hcl2 rejects it
    'params/main.tf': CONFIG.format(name='b', value='var.value') + 'variable "value" {}\n',
    'errors/syntax.tf': CONFIG.format(name='c', value='= "off"'),  # unexpected '='
    'errors/end.tf': CONFIG.format(name='d', value='"off"')[:-2],  # unexpected end of file
    'errors/multiline.tf': CONFIG.format(name='e', value='"o\nff"'),  # our conversion refuses it
    'errors/heredoc.tf': CONFIG.format(name='f', value='<<EOT\noff\nEOT  \nEOT\n'),  # marker followed by blanks
    'internal/main.tf': CONFIG.format(name='g', value='"boom"'),  # our conversion fails (see below)
    'errors/char.tf': CONFIG.format(name='h', value='"off" ยง'),
    'same/main.tf': CONFIG.format(name='a', value='"off"'),  # a block twice, in two files
    'same/other.tf': '\n\n' + CONFIG.format(name='a', value='"off"').replace('"a"', '"a"', 1),
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    original = hcl._Convert.string

    def string(self: hcl._Convert, rule: object) -> object:
        result = original(self, rule)
        if getattr(result, 'value', None) == 'boom':
            raise TypeError('a bug of ours')
        return result

    monkeypatch.setattr(hcl._Convert, 'string', string)
    return tmp_path


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """What the worker answered in this test: 'body', 'error' or 'here' (parse it here) for each block asked."""
    got: list[str] = []
    original = worker.parse

    def parse(text: str, path: str, line: int, offset: int) -> object:
        if worker._State.child is None:
            return original(text, path, line, offset)
        try:
            body = original(text, path, line, offset)
        except hcl.ParseError:
            got.append('error')
            raise
        got.append('here' if body is None else 'body')
        return body

    monkeypatch.setattr(worker, 'parse', parse)
    yield got
    assert worker._State.child is None  # stopped at the end of every run


def _run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, mode: str, *args: str,
         cache_dir: Path | None = None) -> tuple[int, str]:
    monkeypatch.setenv(worker.ENV, mode)
    if cache_dir is not None:
        monkeypatch.setenv(cache.ENV_DIR, str(cache_dir))
    capsys.readouterr()
    rc = main([*args, *FILES])
    out = capsys.readouterr()
    assert 'Traceback' not in out.err
    return rc, out.out


EXPECTED = [
    "errors/char.tf:4:21: cannot parse Terraform: unexpected 'ยง\\n}'",
    'errors/end.tf:5:1: cannot parse Terraform: unexpected end of file',
    'errors/heredoc.tf:6:1: cannot parse Terraform: heredoc closing marker followed by blanks',
    'internal/main.tf: internal error while checking this module (TypeError: a bug of ours)',
    'errors/multiline.tf:4:16: cannot parse Terraform: invalid multi-line string',
    'errors/syntax.tf:4:15: cannot parse Terraform: unexpected \'=\'',
    'live/main.tf:4:15: azurerm_postgresql_flexible_server_configuration.a: log_disconnections is "off"',
    'internal/main.tf: internal error while checking this module (TypeError: a bug of ours)',
    'live/terraform.tfvars:1:23: cannot parse Terraform: unexpected end of file',
    'params/main.tf:4:15: module.params.azurerm_postgresql_flexible_server_configuration.b: log_disconnections '
    'is "off"',
    'same/main.tf:4:15: azurerm_postgresql_flexible_server_configuration.a',
    'same/other.tf:6:15: azurerm_postgresql_flexible_server_configuration.a',
]


@pytest.mark.parametrize('args', [(), ('--no-cache',), ('--format', 'json')])
def test_the_worker_says_what_parsing_here_says(repo: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch,
                                               tmp_path_factory: pytest.TempPathFactory, answers: list[str],
                                               args: tuple[str, ...]) -> None:
    here = _run(capsys, monkeypatch, '0', *args, cache_dir=tmp_path_factory.mktemp('here'))
    assert answers == []
    there = _run(capsys, monkeypatch, '1', *args, cache_dir=tmp_path_factory.mktemp('there'))
    assert there == here
    assert here[0] == 1
    if not args:
        for line in EXPECTED:
            assert any(x.startswith(line) for x in here[1].splitlines()), line
    # (a block the worker parsed ahead may come from the cache it wrote: no answer needed)
    assert answers.count('body') >= 1 and answers.count('error') == 6  # errors are never cached
    assert answers.count('here') == 1  # the internal error: parsed here to raise it here


def test_every_module_s_blocks_are_sent_before_the_first_is_waited_for(
        repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """The modules to check are indexed first (``modules.index``), so the worker parses the blocks of
    the last while this process checks the first, instead of answering one module at a time."""
    events: list[tuple[str, str]] = []
    ask, answer = worker._Child.ask, worker._Child.answer

    def asked(self: worker._Child, text: str) -> int:
        if text not in self.numbers:
            events.append(('ask', text))
        return ask(self, text)

    def answered(self: worker._Child, text: str) -> tuple[int, bytes]:
        events.append(('answer', text))
        return answer(self, text)

    monkeypatch.setattr(worker._Child, 'ask', asked)
    monkeypatch.setattr(worker._Child, 'answer', answered)
    _run(capsys, monkeypatch, '1', cache_dir=tmp_path_factory.mktemp('cache'))
    first = next(i for i, (kind, _) in enumerate(events) if kind == 'answer')
    waited = {text for kind, text in events if kind == 'answer'}
    assert len(waited) >= 10
    assert waited <= {text for kind, text in events[:first] if kind == 'ask'}


def test_a_long_file_starts_the_worker_before_it_is_split_and_a_second_run_stops_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Splitting a long file takes milliseconds: python-hcl2 loads meanwhile. When its blocks are all
    cached (a second run), the worker is stopped and reaped at once."""
    from check_postgresql_log_disconnections import modules

    filler = ''.join(f'resource "azurerm_storage_account" "s{i}" {{\n  name = "s{i}"\n}}\n' for i in range(6000))
    text = filler + CONFIG.format(name='a', value='"off"')
    assert len(text) > worker._EARLY
    (tmp_path / 'main.tf').write_text(text)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path_factory.mktemp('cache')))
    splits: list[bool] = []  # was a worker running when the long file was split?
    original = modules.likely_parsed

    def likely_parsed(src: object, servers: bool = False) -> list[str]:
        splits.append(worker._State.child is not None)
        return original(src, servers)  # type: ignore[arg-type]

    monkeypatch.setattr(modules, 'likely_parsed', likely_parsed)
    reaped: list[int] = []
    end = worker._end

    def ended() -> None:
        child = worker._State.child
        end()
        if child is not None:
            with pytest.raises(ChildProcessError):
                os.waitpid(child.pid, os.WNOHANG)  # (reaped already)
            reaped.append(child.pid)

    monkeypatch.setattr(worker, '_end', ended)
    expected = 'main.tf:18004:15: azurerm_postgresql_flexible_server_configuration.a: log_disconnections is "off"'
    first = worker._State.started
    for mode in ('0', '1', '1'):  # parsed here; first run with a worker; second run
        monkeypatch.setenv(worker.ENV, mode)
        started = worker._State.started
        assert main(['main.tf']) == 1
        assert capsys.readouterr().out.startswith(expected)
        assert worker._State.child is None
        if mode == '1':
            assert splits[-1] and worker._State.started == started + 1 and len(reaped) == started + 1 - first
    assert splits == [True, True]  # (without a worker, warm_up splits nothing)


def test_the_worker_fills_the_cache_as_parsing_here_does(repo: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path_factory: pytest.TempPathFactory,
                                                         answers: list[str]) -> None:
    here, there = tmp_path_factory.mktemp('here'), tmp_path_factory.mktemp('there')
    _run(capsys, monkeypatch, '0', cache_dir=here)
    _run(capsys, monkeypatch, '1', cache_dir=there)

    def entries(d: Path) -> dict[str, bytes]:
        return {str(p.relative_to(d)): p.read_bytes() for p in d.glob('??/*.json')}  # (blocks, not the parser)

    assert entries(there) == entries(here) != {}
    started = worker._State.started
    good = [name for name in FILES if name.startswith(('live/', 'params/'))]
    assert main(good) == 1
    assert worker._State.started == started  # a second run over cached blocks starts no worker
    (repo / 'live' / 'main.tf').write_text('# changed\n' + FILES['live/main.tf'].replace('"a"', '"changed"'))
    assert main(good) == 1
    assert worker._State.started == started + 1  # one that is not cached does


def test_nothing_written_inside_the_repository_and_no_cache_with_no_cache(
        repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, answers: list[str]) -> None:
    (repo / '.git').mkdir()
    before = sorted(repo.rglob('*'))
    assert _run(capsys, monkeypatch, '1', cache_dir=repo / '.cache')[0] == 1  # a cache dir inside: not used
    assert _run(capsys, monkeypatch, '1', '--no-cache')[0] == 1
    assert sorted(repo.rglob('*')) == before
    assert not list(Path(os.environ[cache.ENV_DIR]).rglob('*.json'))
    assert 'body' in answers


def _fails_to_fork() -> int:
    raise OSError('cannot fork')


def _dies() -> None:
    os._exit(3)


def _garbage(rfd: int, wfd: int) -> None:
    os.write(wfd, b'\xff' * 64)
    os.read(rfd, 1)


def _wrong_payloads(rfd: int, wfd: int) -> None:
    """Answers with the right framing and wrong contents: a body that is none, an error that is none."""
    n = 0
    while os.read(rfd, 1 << 16):
        for kind, payload in ((worker._BODY, b'["Lit",1]'), (worker._ERROR, b'["x", "1", 2]'),
                              (worker._ERROR, b'{'), (worker._BODY, b'garbage')):
            os.write(wfd, worker._pack(kind, n, len(payload)) + payload)
            n += 1


@pytest.mark.parametrize('failure', [
    pytest.param(lambda m: m.setattr(os, 'fork', _fails_to_fork), id='cannot fork'),
    pytest.param(lambda m: m.setattr(worker, '_serve', lambda rfd, wfd: _dies()), id='dies at once'),
    pytest.param(lambda m: m.setattr(worker, '_answer', lambda request: _dies()), id='dies at the first block'),
    pytest.param(lambda m: m.setattr(worker, '_serve', _garbage), id='garbage'),
    pytest.param(lambda m: m.setattr(worker, '_serve', _wrong_payloads), id='wrong payloads'),
    pytest.param(lambda m: m.setattr(worker, '_answer', lambda request: (worker._OTHER, b'')), id='always "here"'),
])
def test_a_failing_worker_changes_nothing(repo: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory,
                                          failure: object) -> None:
    here = _run(capsys, monkeypatch, '0', cache_dir=tmp_path_factory.mktemp('here'))
    failure(monkeypatch)  # type: ignore[operator]
    assert _run(capsys, monkeypatch, '1', cache_dir=tmp_path_factory.mktemp('there')) == here
    assert worker._State.child is None


def _started(monkeypatch: pytest.MonkeyPatch) -> worker._Child:
    monkeypatch.setenv(worker.ENV, '1')
    worker.start()
    child = worker._State.child
    assert child is not None
    return child


def _reaped(pid: int) -> bool:
    for _ in range(200):
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            return True
        time.sleep(0.02)
    return False


def test_the_worker_ends_when_its_parent_does(monkeypatch: pytest.MonkeyPatch) -> None:
    child = _started(monkeypatch)
    worker._State.child = None  # as if this process had ended: its end of the pipes closes
    os.close(child.wfd)
    os.close(child.rfd)
    assert _reaped(child.pid)


def test_ctrl_c_is_the_parents(monkeypatch: pytest.MonkeyPatch) -> None:
    child = _started(monkeypatch)
    try:
        os.kill(child.pid, signal.SIGINT)  # what the terminal sends the whole process group
        assert worker.parse('x = "y"\n', 'a.tf', 3, 10) == hcl.parse('x = "y"\n', 'a.tf', line=3, offset=10)
    finally:
        worker.stop()
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)  # reaped


def test_an_interrupted_run_stops_its_worker(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self: worker._Child, block: bool) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(worker._Child, 'pump', interrupted)
    monkeypatch.setenv(worker.ENV, '1')
    with pytest.raises(KeyboardInterrupt):
        main(list(FILES))
    assert worker._State.child is None


def test_the_command_uses_it_when_python_hcl2_is_not_loaded(repo: Path) -> None:
    """Through the command a user runs (python-hcl2 is not imported there before a parse)."""
    code = ('import sys\nfrom check_postgresql_log_disconnections import _main, worker\n'
            'rc = _main.main(sys.argv[1:])\nprint("workers started:", worker._State.started, file=sys.stderr)\n'
            'sys.exit(rc)\n')

    def run(mode: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, worker.ENV: mode}
        return subprocess.run([sys.executable, '-c', code, '--no-cache', *FILES], cwd=repo, env=env,
                              capture_output=True, text=True, check=False)

    here, there, auto = run('0'), run('1'), run('')  # (auto: started when a CPU is idle)
    assert (there.returncode, there.stdout) == (auto.returncode, auto.stdout) == (here.returncode, here.stdout)
    assert 'live/main.tf:4:15' in here.stdout
    assert (here.stderr, there.stderr) == ('workers started: 0\n', 'workers started: 1\n')


@pytest.mark.parametrize(('cpus', 'running', 'load', 'expected'), [
    (1, 1, 0.0, False),  # one CPU: the child could only take this process's
    (2, 1, 1.9, True),  # nothing else runs now, whatever the last minute was (a benchmark's runs before)
    (2, 2, 0.0, False),  # something else runs now
    (8, 7, 0.0, True),
    (8, 8, 0.0, False),
    (2, None, 1.4, True),  # where the tasks running now are unknown: the load average
    (2, None, 1.5, False),
    (4, None, 3.6, False),
])
def test_a_worker_only_where_a_cpu_is_idle(cpus: int, running: int | None, load: float, expected: bool) -> None:
    assert worker.idle(cpus, running, load) is expected


def test_the_tasks_running_now_include_this_one() -> None:
    running = worker.running_now()
    if sys.platform.startswith('linux'):
        assert running is not None and running >= 1
    else:
        assert running is None


def test_a_worker_stopped_while_it_keeps_the_parser_leaves_no_partial_file(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A run that ends while the child writes python-hcl2's parser into the cache (a second run over
    a long file stops it early) removes the child's temporary file, and only the child's."""
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path))
    cache.configure(True, lambda directory: False)
    other = tmp_path / f'{cache.PARSER_FILE}.{os.getpid()}9.tmp'  # another run, writing too
    other.write_bytes(b'theirs')

    def serve(rfd: int, wfd: int) -> None:  # (``cache._write``'s temporary name, then killed)
        with open(tmp_path / f'{cache.PARSER_FILE}.{os.getpid()}.tmp', 'wb') as f:
            f.write(b'half a parser')
        time.sleep(60)

    monkeypatch.setattr(worker, '_serve', serve)
    child = _started(monkeypatch)
    mine = tmp_path / f'{cache.PARSER_FILE}.{child.pid}.tmp'
    for _ in range(500):
        if mine.exists():
            break
        time.sleep(0.01)
    assert mine.exists()
    worker.stop()
    assert not mine.exists() and other.read_bytes() == b'theirs'


@pytest.mark.parametrize(('reads', 'expected'), [
    ([1, 1], True),
    ([2, 1], True),  # something ran for a moment: asked again
    ([2, 2], False),
    ([3, None], False),
    ([None], True),  # unknown: the load average (patched to 0)
])
def test_a_cpu_busy_for_a_moment_is_asked_again(monkeypatch: pytest.MonkeyPatch, reads: list[int | None],
                                                expected: bool) -> None:
    answers = iter(reads)
    monkeypatch.setattr(worker, 'running_now', lambda: next(answers))
    monkeypatch.setattr(os, 'sched_getaffinity', lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, 'getloadavg', lambda: (0.0, 0.0, 0.0))
    assert worker.idle_cpu() is expected
