"""The benchmark's correctness check, on a small corpus: no timing here.

``python -m benchmarks`` fails when the hook's findings differ from the ones the
generated corpus is known to hold; these tests run the same comparison in
process, on corpora small enough for the test suite.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# benchmarks/ is not an installed package: plain `pytest` (unlike `python -m pytest`)
# does not put the checkout on sys.path.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from testing import corpus  # noqa: E402

hook = pytest.importorskip('check_postgresql_log_disconnections._main')


def _run(c: corpus.Corpus, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    monkeypatch.chdir(c.root)
    capsys.readouterr()
    rc = hook.main(list(c.files))
    return rc, capsys.readouterr().out


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_hook_findings_match_the_generated_monorepo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], seed: int
) -> None:
    c = corpus.generate(tmp_path / 'repo', scale=0.05, seed=seed, all_styles=True)
    assert set(c.styles) == set(corpus.STYLES)  # every way of setting the value is exercised
    rc, out = _run(c, monkeypatch, capsys)
    verdict = corpus.compare(c, out)
    assert verdict.ok, '\n'.join(verdict.describe(limit=50)) + '\n' + out
    assert rc == (1 if c.expected else 0)


def test_hook_findings_match_the_single_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    c = corpus.generate_single_file(tmp_path / 'big', size=60_000, relevant=0.05)
    assert c.expected and c.compliant
    rc, out = _run(c, monkeypatch, capsys)
    verdict = corpus.compare(c, out)
    assert verdict.ok, '\n'.join(verdict.describe(limit=50)) + '\n' + out
    assert rc == 1


def test_one_unrelated_file_has_no_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    c = corpus.generate(tmp_path / 'repo', scale=0.05)
    assert c.unrelated.endswith('.tf') and 'azurerm_postgresql' not in (c.root / c.unrelated).read_text()
    monkeypatch.chdir(c.root)
    assert hook.main([c.unrelated]) == 0
    assert corpus.parse_output(capsys.readouterr().out, c.root).findings == set()


def test_the_generator_is_deterministic_and_sized(tmp_path: Path) -> None:
    a = corpus.generate(tmp_path / 'a', scale=0.1, seed=7)
    b = corpus.generate(tmp_path / 'b', scale=0.1, seed=7)
    assert a.files == b.files and a.expected == b.expected and a.total_bytes == b.total_bytes
    assert all((a.root / f).read_bytes() == (b.root / f).read_bytes() for f in a.files)
    assert a.modules == 30 and len(a.files) > 150
    assert 1 <= a.pg_modules <= 2  # the share of a real estate, a few percent
    # the recorded lines are the value attributes of the configurations
    for path, line in a.expected | a.compliant:
        text = (a.root / path).read_text().splitlines()[line - 1]
        assert text.lstrip().startswith('value'), (path, line, text)


def test_a_wrong_answer_is_caught(tmp_path: Path) -> None:
    c = corpus.generate(tmp_path / 'repo', scale=0.05, all_styles=True)
    assert c.expected
    assert not corpus.compare(c, '').ok  # nothing found: missing findings
    path, line = sorted(c.compliant)[0]
    wrong = ''.join(
        f'{p}:{ln}:15: x.y: log_disconnections is "off", expected "on" [{corpus.RULE_ID}]\n'
        for p, ln in sorted(c.expected | {(path, line)})
    )
    v = corpus.compare(c, wrong)
    assert not v.ok and v.unexpected == [(path, line)]
    right = ''.join(
        f'{p}:{ln}:15: x.y: log_disconnections is "off", expected "on" [{corpus.RULE_ID}]\n'
        for p, ln in sorted(c.expected)
    ) + f'{path}:{line}:15: unverified: cannot tell [{corpus.RULE_ID}]\n'
    v = corpus.compare(c, right)
    assert v.ok and len(v.unverified) == 1


@pytest.mark.skipif(shutil.which('git') is None, reason='git is not installed')
def test_the_benchmark_corpus_is_a_committed_git_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a user's repository is: every file tracked and committed, so the hook's git path is measured
    (and its findings, from git's list of tracked files, still match)."""
    from benchmarks.__main__ import commit_all

    c = corpus.generate_platform(tmp_path / 'repo', scale=0.05)
    assert commit_all(c.root)
    git = ['git', '-C', str(c.root)]
    assert subprocess.run([*git, 'status', '--porcelain'], capture_output=True, text=True, check=True).stdout == ''
    tracked = subprocess.run([*git, 'ls-files'], capture_output=True, text=True, check=True).stdout.split()
    assert sorted(tracked) == sorted(c.files)
    rc, out = _run(c, monkeypatch, capsys)
    verdict = corpus.compare(c, out)
    assert verdict.ok, '\n'.join(verdict.describe(limit=50)) + '\n' + out
    assert rc == (1 if c.expected else 0)


def test_a_first_run_forgets_the_blocks_and_keeps_the_parser(tmp_path: Path) -> None:
    """The benchmark's first run meets every block anew but keeps python-hcl2's parser (as any run
    after the hook's very first does); its cold run starts from nothing. Checked on a cache the hook
    itself wrote, in a process of its own as the benchmark runs it."""
    import os

    from benchmarks.__main__ import Bench, Cache

    c = corpus.generate_platform(tmp_path / 'repo', scale=0.05)
    cache = Cache(Bench(argparse.Namespace(), tmp_path, dict(os.environ), []), 'x')
    done = subprocess.run([sys.executable, '-m', 'check_postgresql_log_disconnections', *c.files],
                          cwd=c.root, env=cache.env, capture_output=True, text=True, check=False)
    assert done.returncode == (1 if c.expected else 0), done.stderr
    files = sorted(p.name for p in cache.dir.iterdir() if p.is_file())
    assert files and any(p.is_dir() for p in cache.dir.iterdir())  # the parser and block entries
    cache.forget_blocks()
    assert sorted(p.name for p in cache.dir.iterdir()) == files
    cache.wipe()
    assert not cache.dir.exists()
    cache.forget_blocks()  # nothing to forget: no error
