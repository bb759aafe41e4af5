"""Release hygiene: one version source, help for every option, the licence in what is shipped."""
from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from check_postgresql_log_disconnections._main import main

ROOT = Path(__file__).resolve().parents[1]


def _setup_cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / 'setup.cfg')
    return cfg


def test_version_is_the_one_in_setup_cfg(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(['--version'])
    assert exit_.value.code == 0
    version = _setup_cfg()['metadata']['version']
    assert metadata.version('check_postgresql_log_disconnections') == version
    assert capsys.readouterr().out == f'check-postgresql-log-disconnections {version}\n'


def test_every_option_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(['--help'])
    text = capsys.readouterr().out
    options = re.split(r'^(?:optional arguments|options):$', text, flags=re.M)[1]  # 3.9 says 'optional arguments'
    # one entry per option: its signature, then its help on the same line or the next ones
    entries = re.split(r'\n(?=  -)', options.strip('\n'))
    assert len(entries) >= 10
    for entry in entries:
        signature, _, rest = entry.strip().partition('  ')
        assert len(rest.split()) >= 3, f'no help text: {signature}'


def test_python_versions_claimed_are_the_ones_ci_runs() -> None:
    cfg = _setup_cfg()
    floor = cfg['options']['python_requires'].strip()
    claimed = re.findall(r'Programming Language :: Python :: (3\.\d+)', cfg['metadata']['classifiers'])
    assert floor == f'>={claimed[0]}'
    ci = (ROOT / '.ci' / 'run').read_text()
    assert re.search(r'^VERSIONS=.*$', ci, re.M).group(0) == f"VERSIONS='{' '.join(claimed)}'"


def test_license_is_in_the_wheel_and_the_sdist(tmp_path: Path) -> None:
    src = tmp_path / 'src'
    for name in ('setup.cfg', 'pyproject.toml', 'README.md', 'LICENSE'):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / 'hooks', src / 'hooks', ignore=shutil.ignore_patterns('*.egg-info', '__pycache__'))
    # the PEP 517 hooks pip and `python -m build` call, with this venv's setuptools (no download)
    build = "from setuptools import build_meta as b; b.build_wheel('dist'); b.build_sdist('dist')"
    out = subprocess.run([sys.executable, '-c', build], cwd=src, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    (wheel_name,) = (p.name for p in (src / 'dist').glob('*.whl'))
    (sdist_name,) = (p.name for p in (src / 'dist').glob('*.tar.gz'))
    licence = (ROOT / 'LICENSE').read_text()
    assert 'MIT License' in licence
    with zipfile.ZipFile(src / 'dist' / wheel_name) as wheel:
        names = wheel.namelist()
        shipped = [n for n in names if re.search(r'\.dist-info/(licenses/)?LICENSE$', n)]
        assert len(shipped) == 1 and wheel.read(shipped[0]).decode() == licence
        meta = wheel.read(next(n for n in names if n.endswith('.dist-info/METADATA'))).decode()
    assert 'License :: OSI Approved :: MIT License' in meta
    assert 'Programming Language :: Python :: 3.9' in meta
    assert re.search(r'^Project-URL: Source, https://github\.com/OWNER/', meta, re.M)
    with tarfile.open(src / 'dist' / sdist_name) as sdist:
        assert any(n.endswith('/LICENSE') for n in sdist.getnames())
