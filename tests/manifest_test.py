from __future__ import annotations

import re
from pathlib import Path

import pytest

from check_postgresql_log_disconnections import files

ROOT = Path(__file__).resolve().parents[1]


def _hooks() -> list[dict[str, str]]:
    # the manifest is a flat list of flat hooks: read it without a YAML dependency
    text = (ROOT / '.pre-commit-hooks.yaml').read_text()
    return [dict(re.findall(r'^\s*-?\s*(\w+):\s*(.*?)\s*$', '-' + entry, re.M))
            for entry in re.split(r'^-', text, flags=re.M) if entry.strip()]


def _manifest() -> dict[str, str]:
    return _hooks()[0]


@pytest.mark.parametrize(('path', 'taken'), (
    ('main.tf', True),
    ('modules/pg/main.tf', True),
    ('config.tf.json', True),
    ('main.tofu', True),
    ('main.tofu.json', True),
    ('terraform.tfvars', True),
    ('prod.auto.tfvars.json', True),
    ('.terraform/modules/x/main.tf', False),
    ('envs/prod/.terraform/modules/x/main.tf', False),
    ('main.tf.bak', False),
    ('main.tftpl', False),
    ('terraform.tfstate', False),
    ('notes.json', False),
    ('README.md', False),
    ('x.tfvars.example', False),
))
def test_manifest_patterns(path: str, taken: bool) -> None:
    for m in _hooks():
        matched = re.search(m['files'], path) is not None and re.search(m['exclude'], path) is None
        assert matched is taken
        # --pre-commit reads every name the manifest passes as a file: kind_of must take each one
        assert (re.search(m['files'], path) is not None) is (files.kind_of(path) is not None)


def test_manifest_entry_is_the_console_script() -> None:
    m = _manifest()
    # --pre-commit: the file names pre-commit appends after the args are never options
    assert m['entry'] == f'{m["id"]} --pre-commit' == 'check-postgresql-log-disconnections --pre-commit'
    assert 'check-postgresql-log-disconnections = check_postgresql_log_disconnections._main:main' in (
        ROOT / 'setup.cfg').read_text()


def test_the_fix_hook_is_opt_in() -> None:
    check, fix = _hooks()
    assert fix['id'] == f'{check["id"]}-fix'
    assert fix['entry'] == f'{check["entry"]} --fix'
    assert fix['stages'] == '[manual]'  # runs only with pre-commit run --hook-stage manual
    # the same files, serially; not verbose: a fix run that changes something fails, and its output shows
    assert {k: v for k, v in fix.items() if k not in ('id', 'name', 'description', 'entry', 'stages')} == {
        k: v for k, v in check.items() if k not in ('id', 'name', 'description', 'entry', 'verbose')}


def test_hooks_run_serially() -> None:
    # one process per run: --format json/sarif and --output give one whole document
    assert all(m['require_serial'] == 'true' for m in _hooks())


def test_readme_names_every_hook_id() -> None:
    readme = (ROOT / 'README.md').read_text()
    for m in _hooks():
        assert f'id: {m["id"]}' in readme or f' {m["id"]}' in readme
