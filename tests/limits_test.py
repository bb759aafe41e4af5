"""Every limit shows its clear line instead of the failure it prevents.

Each test builds a repository (a ``.git`` directory marks its root) in which
one limit is hit, runs ``main()`` with a time guard, and checks the exact
lines printed: a too deeply nested or too large block is ``cannot parse
Terraform``, not a ``RecursionError`` or hundreds of MB; a huge generated
``for_each`` or ``count`` and a local that refers to itself are ``unverified``,
not a hang; a module that calls itself is a note, not an endless recursion;
module sources, ``--var-file`` files and symbolic links that leave the
repository are not followed. No test writes a file: every one checks that
the repository is byte-for-byte what it was.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from check_postgresql_log_disconnections import modules
from testing import fuzz

ID = '[07f7134f-9f37-476e-8664-670c218e4702]'
CFG = '''resource "azurerm_postgresql_configuration" "{name}" {{
  name                = "log_disconnections"
  server_name         = "psql"
  value               = {value}
}}
'''
OFF = 'main.tf:4:25: azurerm_postgresql_configuration.ok: log_disconnections is "off", expected "on" ' + ID


def cfg(value: str, name: str = 'x') -> str:
    return CFG.format(name=name, value=value)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / 'repo'
    (root / '.git').mkdir(parents=True)
    monkeypatch.delenv('PRE_COMMIT', raising=False)
    yield root


def write(root: Path, files: dict[str, str | bytes]) -> None:
    fuzz.write_files(root, {k: v.encode() if isinstance(v, str) else v for k, v in files.items()})


def run(root: Path, *argv: str, limit: int = 30) -> tuple[int, list[str]]:
    """main(argv) in ``root``: exit code and lines; it must not raise, hang, write, or print a bad line."""
    before = fuzz.snapshot(root)
    rc, out = fuzz.run_main(root, list(argv), limit=limit)
    fuzz.check_text_output(out, rc, unresolved=fuzz._option(argv, '--unresolved', 'warn'))
    assert fuzz.snapshot(root) == before
    return rc, out.splitlines()


# --- nesting depth: modules.MAX_DEPTH ------------------------------------------------------

TOO_DEEP = f'cannot parse Terraform: too deeply nested (more than {modules.MAX_DEPTH} levels)'


@pytest.mark.parametrize('value', (
    '[' * 500 + ']' * 500,
    '(' * 500 + '"off"' + ')' * 500,
    '{ a = ' * 500 + '1' + ' }' * 500,
    '"${' * 500 + '"off"' + '}"' * 500,
    '[for x in ' * 500 + '[]' + ' : x]' * 500,
))
def test_deep_nesting_is_refused_before_the_parser_recurses(repo: Path, value: str) -> None:
    write(repo, {'main.tf': cfg('"off"', 'ok') + cfg(value)})
    assert run(repo, 'main.tf') == (1, [OFF, f'main.tf:6:1: {TOO_DEEP}'])  # the other block is still checked


def test_deep_nested_blocks_are_refused(repo: Path) -> None:
    blocks = ''.join(f'  dynamic "d{i}" {{\n' for i in range(200)) + '  }\n' * 200
    write(repo, {'main.tf': cfg('"off"', 'ok') + cfg('"off"').replace('  value', blocks + '  value')})
    assert run(repo, 'main.tf') == (1, [OFF, f'main.tf:6:1: {TOO_DEEP}'])


def test_nesting_up_to_the_limit_is_checked(repo: Path) -> None:
    depth = modules.MAX_DEPTH - 1  # the block's own brace is one level
    write(repo, {'main.tf': cfg('[' * depth + ']' * depth)})
    assert run(repo, 'main.tf') == (1, [
        f'main.tf:4:25: azurerm_postgresql_configuration.x: log_disconnections is {"[" * depth}{"]" * depth} '
        f'(not an accepted value; Azure takes "on" or "off"), expected "on" {ID}'])
    write(repo, {'main.tf': cfg('[' * (depth + 1) + ']' * (depth + 1))})
    assert run(repo, 'main.tf') == (1, [f'main.tf:1:1: {TOO_DEEP}'])


def test_deep_nesting_in_tfvars(repo: Path) -> None:
    write(repo, {'main.tf': cfg('var.x') + 'variable "x" {}\n', 'terraform.tfvars': 'x = ' + '[' * 500 + ']' * 500})
    assert run(repo, 'main.tf', 'terraform.tfvars') == (1, [
        f'main.tf:4:25: unverified: azurerm_postgresql_configuration.x: value cannot be determined: '
        f'var.x has no default {ID}',
        'terraform.tfvars:1:1: cannot parse Terraform: expression too deeply nested',
    ])


def test_deep_nesting_in_terraform_json(repo: Path) -> None:
    head = '{"resource": {"azurerm_postgresql_configuration": {"x": {"name": "log_disconnections", "value": '
    write(repo, {'main.tf.json': head + '[' * 500 + ']' * 500 + '}}}}'})
    # four objects, then the 125th '[' is level 129
    assert run(repo, 'main.tf.json') == (1, [
        f'main.tf.json:1:{len(head) + 125}: cannot parse Terraform: JSON nested more than 128 levels deep'])


# --- size: modules.MAX_CHUNK, files.MAX_FILE_BYTES -------------------------------------------

def test_a_huge_block_is_too_large(repo: Path) -> None:
    block = cfg('"off"').replace('  value', '  tags = {\n' + '    k = "v"\n' * 60_000 + '  }\n  value')
    assert len(block) > modules.MAX_CHUNK
    write(repo, {'main.tf': cfg('"off"', 'ok') + block})
    assert run(repo, 'main.tf') == (1, [OFF, f'main.tf:6:1: cannot parse Terraform: block too large '
                                             f'({len(block)} characters)'])


def test_a_huge_unrelated_block_is_not_parsed_at_all(repo: Path) -> None:
    blob = 'resource "azurerm_storage_account" "big" {\n  tags = {\n' + '    k = "v"\n' * 60_000 + '  }\n}\n'
    write(repo, {'main.tf': cfg('"off"', 'ok') + blob})
    assert run(repo, 'main.tf') == (1, [OFF])


def test_a_huge_tfvars_file_is_too_large(repo: Path) -> None:
    tfvars = 'x = "' + 'a' * (2 * modules.MAX_CHUNK) + '"\n'
    write(repo, {'main.tf': cfg('var.x') + 'variable "x" {}\n', 'terraform.tfvars': tfvars})
    assert run(repo, 'main.tf', 'terraform.tfvars') == (1, [
        f'main.tf:4:25: unverified: azurerm_postgresql_configuration.x: value cannot be determined: '
        f'var.x has no default {ID}',
        f'terraform.tfvars:1:1: cannot parse Terraform: file too large to parse whole ({len(tfvars)} characters)',
    ])


def test_a_file_over_the_size_limit_is_not_read(repo: Path) -> None:
    from check_postgresql_log_disconnections.files import MAX_FILE_BYTES
    with open(repo / 'big.tf', 'wb') as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing to write
    rc, lines = run(repo, 'big.tf')
    assert rc == 1
    assert len(lines) == 1
    assert lines[0].startswith('big.tf: ')
    assert lines[0].endswith(f'file too large ({MAX_FILE_BYTES + 1} bytes > {MAX_FILE_BYTES})')


# --- generated collections: funcs.MAX_ITEMS, count, the evaluation budget ----------------------------------

def test_for_each_over_a_huge_generated_map_is_unverified(repo: Path) -> None:
    write(repo, {'main.tf': '''resource "azurerm_postgresql_configuration" "x" {
  for_each    = { for i in flatten([for a in range(200) : range(100)]) : "k${i}" => "off" }
  name        = "log_disconnections"
  server_name = "psql"
  value       = each.value
}
'''})
    line = (f'main.tf:5:17: unverified: azurerm_postgresql_configuration.x: cannot tell which instances exist: '
            f'for_each is unknown: collection too large to evaluate (10001 elements) {ID}')
    assert run(repo, 'main.tf') == (0, [line])
    assert run(repo, '--unresolved', 'fail', 'main.tf') == (1, [line])


def test_a_huge_count_is_unverified(repo: Path) -> None:
    write(repo, {'main.tf': cfg('"off"').replace('  name ', '  count               = 100000\n  name ')})
    assert run(repo, 'main.tf') == (0, [
        f'main.tf:5:25: unverified: azurerm_postgresql_configuration.x: cannot tell which instances exist: '
        f'too many instances to evaluate (more than 10000 in this module tree) {ID}'])


def test_a_module_for_each_over_a_huge_map_is_evaluated_once(repo: Path) -> None:
    write(repo, {
        'main.tf': 'module "db" {\n  for_each = { for i in range(100000) : "k${i}" => i }\n  source   = "./db"\n}\n',
        'db/main.tf': cfg('"off"'),
    })
    assert run(repo, 'main.tf') == (1, [
        f'db/main.tf:4:25: module.db[*].azurerm_postgresql_configuration.x: log_disconnections is "off", '
        f'expected "on" (module call at main.tf:1) {ID}'])


# --- references that go round in circles ---------------------------------------------------

@pytest.mark.parametrize(('locals_', 'name'), (
    ('  a = local.b\n  b = local.a\n', 'local.a'),
    ('  a = local.a\n', 'local.a'),
    ('  a = { x = local.b.x }\n  b = merge(local.a, {})\n', 'local.a'),
))
def test_self_referencing_locals_are_unverified(repo: Path, locals_: str, name: str) -> None:
    write(repo, {'main.tf': 'locals {\n' + locals_ + '}\n' + cfg('local.a' if 'x' not in locals_ else 'local.a.x')})
    line = len(locals_.splitlines()) + 6
    assert run(repo, 'main.tf') == (0, [
        f'main.tf:{line}:25: unverified: azurerm_postgresql_configuration.x: value cannot be determined: '
        f'{name} refers to itself {ID}'])


def test_a_variable_default_cannot_refer_to_a_variable(repo: Path) -> None:
    write(repo, {'main.tf': 'variable "x" {\n  default = var.x\n}\n' + cfg('var.x')})
    assert run(repo, 'main.tf') == (0, [
        f'main.tf:7:25: unverified: azurerm_postgresql_configuration.x: value cannot be determined: '
        f'var.x cannot be used here {ID}'])


@pytest.mark.parametrize('source', ('./', '../repo', './.', './/', '../repo/./'))
def test_a_module_that_calls_itself_is_a_note(repo: Path, source: str) -> None:
    write(repo, {'main.tf': cfg('"off"', 'ok') + f'module "me" {{\n  source = "{source}"\n}}\n'})
    assert run(repo, 'main.tf') == (1, [OFF, f'main.tf:6:1: note: module "me" calls itself (through {source}): '
                                             'not followed'])


def test_modules_that_call_each_other_are_a_note(repo: Path) -> None:
    write(repo, {'a/main.tf': 'module "b" {\n  source = "../b"\n}\n',
                 'b/main.tf': 'module "a" {\n  source = "../a"\n}\n' + cfg('"off"')})
    # b's own resource, and module.b of the root module a: two Terraform instances
    assert run(repo, 'a/main.tf', 'b/main.tf') == (1, [
        'a/main.tf:1:1: note: module "b" calls itself (through ../b): not followed',
        'b/main.tf:1:1: note: module "a" calls itself (through ../a): not followed',
        f'b/main.tf:7:25: azurerm_postgresql_configuration.x: log_disconnections is "off", expected "on" {ID}',
        f'b/main.tf:7:25: module.b.azurerm_postgresql_configuration.x: log_disconnections is "off", expected "on" '
        f'(module call at a/main.tf:1) {ID}',
    ])


def test_a_module_that_calls_itself_through_a_symlink_is_a_note(repo: Path) -> None:
    write(repo, {'m/main.tf': cfg('"off"') + 'module "again" {\n  source = "./sub"\n}\n'})
    os.symlink('.', repo / 'm' / 'sub')
    rc, lines = run(repo, 'm/main.tf')
    assert (rc, lines) == (1, [
        f'm/main.tf:4:25: azurerm_postgresql_configuration.x: log_disconnections is "off", expected "on" {ID}',
        'm/main.tf:6:1: note: module "again" calls itself (through ./sub): not followed',
    ])


def test_a_chain_of_modules_deeper_than_the_limit_ends_in_an_unverified_line(repo: Path) -> None:
    from check_postgresql_log_disconnections.instances import MAX_MODULE_DEPTH
    write(repo, {f'm{i}/main.tf': f'module "next" {{\n  source = "../m{i + 1}"\n}}\n' for i in range(20)})
    write(repo, {'m20/main.tf': cfg('"off"')})
    # m0 reaches the limit at m16 (said at that call, printed because its caller m0 was passed); m4 reaches m20
    depth = 'module.next.' * MAX_MODULE_DEPTH
    assert run(repo, 'm0/main.tf', 'm4/main.tf') == (1, [
        f'm16/main.tf:1:1: unverified: {depth}module.next: module "next" (source ../m17) is more than '
        f'{MAX_MODULE_DEPTH} module calls deep: what it configures is not checked {ID}',
        f'm20/main.tf:4:25: {depth}azurerm_postgresql_configuration.x: log_disconnections is "off", expected "on" '
        f'{"".join(f"(module call at m{i}/main.tf:1) " for i in range(4, 20))}{ID}'])


# --- how much one run may expand --------------------------------------------------------------------

def test_nested_counts_are_bounded(repo: Path) -> None:
    write(repo, {'main.tf': 'module "db" {\n  count  = 1000\n  source = "./db"\n}\n',
                 'db/main.tf': cfg('"off"').replace('  name ', '  count               = 1000\n  name ')})
    rc, lines = run(repo, 'main.tf', 'db/main.tf')
    x = 'azurerm_postgresql_configuration.x'
    assert (rc, [line.split(' instances: ')[0] for line in lines]) == (1, [
        f'db/main.tf:5:25: {x}[0]: log_disconnections is "off", expected "on" (1000',  # db as a root module
        f'db/main.tf:5:25: module.db[0].{x}[0]: log_disconnections is "off", expected "on" '
        '(module call at main.tf:1) (9000',
        f'db/main.tf:5:25: unverified: module.db[9].{x}: cannot tell which '
        f'instances exist: too many instances to evaluate (more than 10000 in this module tree) (991',
    ])


def test_an_expensive_value_under_count_is_bounded(repo: Path) -> None:
    value = 'length([for i in range(1000) : [for j in range(1000) : j]])'
    write(repo, {'main.tf': cfg(value).replace('  name ', '  count               = 50\n  name ')})
    rc, lines = run(repo, 'main.tf')
    assert rc == 0
    # the budget is shared by the module tree: the other instances stop at once, and say why
    named = ', '.join(f'azurerm_postgresql_configuration.x[{i}]' for i in range(10))
    assert lines == [f'main.tf:5:25: unverified: azurerm_postgresql_configuration.x[0]: value cannot be '
                     f'determined: evaluation too large (step budget exhausted) (50 instances: {named}, and 40 more) '
                     f'{ID}']


# --- leaving the repository ------------------------------------------------------------------

@pytest.mark.parametrize('alone', (False, True), ids=('with-a-configuration', 'alone'))
@pytest.mark.parametrize(('source', 'why'), (
    ('../../outside', 'is outside the repository: not followed'),
    ('./vendor', 'is outside the repository: not followed'),  # a symbolic link to ../outside
    ('./missing', 'does not exist: not followed'),
))
def test_a_module_source_outside_the_repository_is_not_followed(repo: Path, source: str, why: str,
                                                                 alone: bool) -> None:
    write(repo.parent, {'outside/main.tf': cfg('"off"')})  # not followed: its "off" is not reported
    os.symlink(repo.parent / 'outside', repo / 'vendor')
    head = '' if alone else cfg('"off"', 'ok')
    write(repo, {'main.tf': head + f'module "o" {{\n  source = "{source}"\n}}\n'})
    line = len(head.splitlines()) + 1
    assert run(repo, 'main.tf') == (0 if alone else 1, [
        *([] if alone else [OFF]), f'main.tf:{line}:1: note: module "o" source {source} {why}'])


def test_a_var_file_outside_the_repository_is_not_read(repo: Path) -> None:
    write(repo.parent, {'outside.tfvars': 'x = "off"\n'})
    write(repo, {'main.tf': cfg('var.x') + 'variable "x" {\n  default = "on"\n}\n'})
    assert run(repo, '--var-file', '../outside.tfvars', 'main.tf') == (1, [
        '../outside.tfvars: --var-file is outside the repository: not read'])  # and "on" stands


def test_a_var_file_symlink_that_leaves_the_repository_is_not_read(repo: Path) -> None:
    write(repo.parent, {'outside.tfvars': 'x = "off"\n'})
    os.symlink(repo.parent / 'outside.tfvars', repo / 'prod.tfvars')
    write(repo, {'main.tf': cfg('var.x') + 'variable "x" {\n  default = "on"\n}\n'})
    assert run(repo, '--var-file', 'prod.tfvars', 'main.tf') == (1, [
        'prod.tfvars: --var-file is outside the repository: not read'])


def test_a_symlinked_tf_file_pointing_outside_is_not_followed(repo: Path) -> None:
    write(repo.parent, {'outside/secret.tf': cfg('"off"')})
    os.symlink(repo.parent / 'outside' / 'secret.tf', repo / 'escape.tf')
    line = 'escape.tf: symbolic link points outside the repository: not followed'
    assert run(repo, 'escape.tf') == (1, [line])
    assert run(repo, '.') == (1, [line])  # walked, the same


def test_a_sibling_symlink_pointing_outside_feeds_nothing(repo: Path) -> None:
    write(repo.parent, {'outside/variables.tf': 'variable "x" {\n  default = "off"\n}\n'})
    os.symlink(repo.parent / 'outside' / 'variables.tf', repo / 'variables.tf')
    write(repo, {'main.tf': cfg('var.x')})
    assert run(repo, 'main.tf') == (0, [
        f'main.tf:4:25: unverified: azurerm_postgresql_configuration.x: value cannot be determined: '
        f'var.x is not declared in repo/ {ID}'])


def test_a_file_outside_the_repository_passed_by_path(repo: Path) -> None:
    write(repo.parent, {'outside.tf': cfg('"off"')})
    rc, lines = run(repo, '../outside.tf')
    assert rc == 1
    assert len(lines) == 1
    assert 'outside the repository' in lines[0]
    assert 'symbolic link' not in lines[0]
