"""Reading .terraform/modules/modules.json: what terraform init recorded, and when it cannot be used."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from check_postgresql_log_disconnections import installed

# The shape terraform init writes: the root entry, a local module, a registry module and its nested call.
MODULES = {'Modules': [
    {'Key': '', 'Source': '', 'Dir': '.'},
    {'Key': 'local', 'Source': './modules/local', 'Dir': 'modules/local'},
    {'Key': 'pg', 'Source': 'registry.terraform.io/Azure/postgresql/azurerm', 'Version': '3.1.1',
     'Dir': '.terraform/modules/pg'},
    {'Key': 'pg.cfg', 'Source': './modules/cfg', 'Dir': '.terraform/modules/pg/modules/cfg'},
]}


def write(root: Path, doc: object, data_dir: str = '.terraform') -> None:
    (root / data_dir / 'modules').mkdir(parents=True)
    (root / data_dir / 'modules' / 'modules.json').write_text(json.dumps(doc))


def test_reads_what_terraform_init_records(tmp_path: Path) -> None:
    write(tmp_path, MODULES)
    manifest = installed.read(str(tmp_path))
    assert manifest.problem == ''
    assert sorted(manifest.modules) == ['local', 'pg', 'pg.cfg']
    assert manifest.find('pg', 'Azure/postgresql/azurerm') == installed.Installed(
        'pg', 'registry.terraform.io/Azure/postgresql/azurerm', '3.1.1',
        os.path.join(str(tmp_path), '.terraform', 'modules', 'pg'))
    got = manifest.find('pg.cfg', './modules/cfg')
    assert isinstance(got, installed.Installed)
    assert got.directory == os.path.join(str(tmp_path), '.terraform', 'modules', 'pg', 'modules', 'cfg')
    assert got.version == ''


def test_a_moved_data_directory(tmp_path: Path) -> None:
    write(tmp_path, MODULES, data_dir='tfdata')
    assert installed.read(str(tmp_path)).problem == 'no .terraform/modules/modules.json (run terraform init)'
    assert installed.read(str(tmp_path), 'tfdata').problem == ''


def test_stale_and_missing_entries_say_why(tmp_path: Path) -> None:
    write(tmp_path, MODULES)
    manifest = installed.read(str(tmp_path))
    assert manifest.find('pg', 'Azure/postgresql-flexible/azurerm') == (
        '.terraform/modules/modules.json records module pg from registry.terraform.io/Azure/postgresql/azurerm, '
        'not Azure/postgresql-flexible/azurerm (run terraform init)')
    assert manifest.find('other', 'x/y/z') == (
        'module other is not in .terraform/modules/modules.json (run terraform init)')


@pytest.mark.parametrize(('doc', 'problem'), [
    (None, 'no .terraform/modules/modules.json (run terraform init)'),
    ('{"Modules": [', 'cannot read .terraform/modules/modules.json: not valid JSON (run terraform init)'),
    ('[]', '.terraform/modules/modules.json has no Modules list (run terraform init)'),
    ('{"Modules": {}}', '.terraform/modules/modules.json has no Modules list (run terraform init)'),
    ('[' * 100_000, 'cannot read .terraform/modules/modules.json: not valid JSON (run terraform init)'),
])
def test_unusable_files(tmp_path: Path, doc: str | None, problem: str) -> None:
    if doc is not None:
        (tmp_path / '.terraform' / 'modules').mkdir(parents=True)
        (tmp_path / '.terraform' / 'modules' / 'modules.json').write_text(doc)
    manifest = installed.read(str(tmp_path))
    assert manifest.problem == problem
    assert manifest.find('pg', 'x/y/z') == problem


def test_odd_entries_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, {'Modules': ['x', {'Key': 'a'}, {'Key': 'b', 'Source': 's', 'Dir': 'd', 'Version': 3}]})
    assert list(installed.read(str(tmp_path)).modules.values()) == [
        installed.Installed('b', 's', '', os.path.join(str(tmp_path), 'd'))]


def test_too_large(tmp_path: Path) -> None:
    (tmp_path / '.terraform' / 'modules').mkdir(parents=True)
    with open(tmp_path / '.terraform' / 'modules' / 'modules.json', 'wb') as f:
        f.truncate(installed.MAX_BYTES + 1)  # sparse: costs no disk
    assert installed.read(str(tmp_path)).problem == (
        ".terraform/modules/modules.json is too large to be Terraform's (run terraform init)")


@pytest.mark.parametrize(('recorded', 'written', 'same'), [
    ('registry.terraform.io/Azure/postgresql/azurerm', 'Azure/postgresql/azurerm', True),
    ('registry.terraform.io/azure/postgresql/azurerm', 'Azure/postgresql/azurerm', True),
    ('registry.opentofu.org/Azure/postgresql/azurerm', 'Azure/postgresql/azurerm', True),
    ('registry.terraform.io/Azure/postgresql/azurerm//modules/x', 'Azure/postgresql/azurerm//modules/x', True),
    ('registry.terraform.io/Azure/postgresql/azurerm', 'Azure/other/azurerm', False),
    ('git::https://example.com/pg.git?ref=v1', 'git::https://example.com/pg.git?ref=v1', True),
    ('git::https://example.com/pg.git?ref=v1', 'git::https://example.com/pg.git?ref=v2', False),
    ('git::https://example.com/PG.git', 'git::https://example.com/pg.git', False),
    ('./modules/x', './modules/x', True),
])
def test_same_source(recorded: str, written: str, same: bool) -> None:
    assert installed.same_source(recorded, written) is same
