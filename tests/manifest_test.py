from __future__ import annotations

import re
from pathlib import Path

import pytest

from check_postgresql_log_disconnections import files

ROOT = Path(__file__).resolve().parents[1]


def _manifest() -> dict[str, str]:
    # the manifest is flat: read it without a YAML dependency
    text = (ROOT / '.pre-commit-hooks.yaml').read_text()
    return dict(re.findall(r'^\s*-?\s*(\w+):\s*(.*?)\s*$', text, re.M))


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
    m = _manifest()
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


def test_readme_names_the_hook_id() -> None:
    assert f'id: {_manifest()["id"]}' in (ROOT / 'README.md').read_text()
