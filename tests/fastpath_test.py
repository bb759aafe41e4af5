"""The shortcuts change nothing: the same output with the pre-scan and block splitting switched off.

With the textual pre-filter (``rule.may_matter``, and the directory-level
``pipeline._sources_may_configure``) always true, every directory is loaded;
with ``chunks`` always None, every file is parsed whole by python-hcl2.
Whatever the fast path skips must not have held a result, with or without
``--require-explicit`` (which makes servers matter too).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from check_postgresql_log_disconnections import pipeline, rule, scan
from check_postgresql_log_disconnections._main import main
from testing import corpus

EXAMPLES = Path(__file__).resolve().parents[1] / 'examples'


def _both(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[str, str]:
    capsys.readouterr()
    main(['--unresolved', 'warn', *args])
    fast = capsys.readouterr().out
    with monkeypatch.context() as m:
        m.setattr(rule, 'may_matter', lambda text, servers=False: True)
        m.setattr(pipeline, '_sources_may_configure', lambda directory, sources, call_matters, servers: True)
        m.setattr(scan, 'chunks', lambda text: None)
        main(['--unresolved', 'warn', *args])
    return fast, capsys.readouterr().out


@pytest.mark.parametrize('seed', [0, 3])
def test_generated_monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                           seed: int) -> None:
    c = corpus.generate(tmp_path / 'repo', scale=0.05, seed=seed, all_styles=True)
    monkeypatch.chdir(c.root)
    fast, slow = _both(monkeypatch, capsys, list(c.files))
    assert fast == slow
    assert fast  # the corpus holds findings: the comparison is not between two empty outputs


def test_examples_and_test_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(EXAMPLES, tmp_path / 'examples')
    from tests.shapes_test import CASES
    for i, (case_files, _args, _expected) in enumerate(CASES.values()):
        for name, text in case_files.items():
            (tmp_path / f'case{i:02d}' / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / f'case{i:02d}' / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    fast, slow = _both(monkeypatch, capsys, ['.'])
    assert fast == slow
    assert fast.count('\n') > 10


@pytest.mark.parametrize('explicit', [[], ['--require-explicit']])
def test_platform_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                             explicit: list[str]) -> None:
    # servers, databases and firewall rules everywhere, configurations in a few modules (some only
    # through a local module call): the pre-filter skips most directories, unless servers count
    c = corpus.generate_platform(tmp_path / 'repo', scale=0.05, seed=1)
    monkeypatch.chdir(c.root)
    fast, slow = _both(monkeypatch, capsys, [*explicit, *c.files])
    assert fast == slow
    assert fast.count('log_disconnections is "off"') >= len(c.expected)
    if explicit:
        assert 'log_disconnections is not set' in fast  # --require-explicit still sees the servers
