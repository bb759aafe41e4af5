"""Bounded time and memory in evaluation: what a value builds counts, not only the steps.

Each test writes a small module whose evaluation Terraform could take to
gigabytes or hours (a string or list that doubles through locals, a format
width, a function over a large list in a loop, a regex that backtracks in
Python's ``re``), runs ``main()`` under the fuzzer's hang guard, and asserts the
exact line printed: the value is unverified with the reason. No timings: the
guard only turns a hang into a failure.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from check_postgresql_log_disconnections.evaluate import MAX_BUILT_ITEMS
from check_postgresql_log_disconnections.values import MAX_VALUE_CHARS, MAX_VALUE_ITEMS
from testing import fuzz

ID = '[07f7134f-9f37-476e-8664-670c218e4702]'
CFG = '''resource "azurerm_postgresql_configuration" "x" {
  name                = "log_disconnections"
  server_name         = "psql"
  value               = %s
}
'''
UNVERIFIED = 'unverified: azurerm_postgresql_configuration.x: value cannot be determined:'
TOO_MANY_CHARS = f'value too large to evaluate (more than {MAX_VALUE_CHARS} characters)'
TOO_MANY_ITEMS = f'value too large to evaluate (more than {MAX_VALUE_ITEMS} elements)'
TOO_MUCH_BUILT = f'evaluation too large (more than {MAX_BUILT_ITEMS} elements built)'


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / 'repo'
    (root / '.git').mkdir(parents=True)
    monkeypatch.delenv('PRE_COMMIT', raising=False)
    yield root


def check(root: Path, before: str, value: str) -> tuple[int, list[str]]:
    """``main.tf`` = ``before`` + a configuration whose value is ``value``; main()'s exit code and lines."""
    text = before + CFG % value
    (root / 'main.tf').write_text(text)
    rc, out = fuzz.run_main(root, ['main.tf'], limit=30)
    fuzz.check_text_output(out, rc, unresolved='warn')
    return rc, out.splitlines()


def at(before: str) -> str:
    return f'main.tf:{before.count(chr(10)) + 4}:25:'


def doubling(name: str, first: str, step: str, n: int = 32) -> str:
    """``locals`` where each of ``n`` names is built from the one before it twice."""
    lines = [f'  {name}0 = {first}']
    lines += [f'  {name}{i} = {step.format(p=f"local.{name}{i - 1}")}' for i in range(1, n + 1)]
    return 'locals {\n' + '\n'.join(lines) + '\n}\n'


def test_a_string_that_doubles_through_locals(repo: Path) -> None:
    before = doubling('s', '"ab"', '"${{{p}}}${{{p}}}"')  # 1.2 KB of text; 8 GB in Python before
    assert check(repo, before, 'local.s32') == (0, [f'{at(before)} {UNVERIFIED} {TOO_MANY_CHARS} {ID}'])


def test_a_list_that_doubles_through_locals(repo: Path) -> None:
    before = doubling('l', '["off"]', '[{p}, {p}]')  # shares, so cheap to build: what it stands for counts
    assert check(repo, before, 'local.l32[0][0][0]') == (0, [f'{at(before)} {UNVERIFIED} {TOO_MANY_ITEMS} {ID}'])


def test_a_huge_format_width(repo: Path) -> None:
    assert check(repo, '', 'format("%0999999999d", 0)') == (0, [f'{at("")} {UNVERIFIED} {TOO_MANY_CHARS} {ID}'])


@pytest.mark.parametrize('value', (
    'join("", [for i in range(1000) : local.s])',
    'replace(local.s, "o", local.s)',
    'format("%s%[1]s%[1]s%[1]s%[1]s%[1]s%[1]s%[1]s%[1]s%[1]s%[1]s", local.s)',
))
def test_one_function_call_that_would_build_too_much(repo: Path, value: str) -> None:
    before = 'locals {\n  s = format("%0999999d", 0)\n}\n'  # a string just under the bound
    assert check(repo, before, value) == (0, [f'{at(before)} {UNVERIFIED} {TOO_MANY_CHARS} {ID}'])


def test_a_function_over_a_large_list_in_a_loop(repo: Path) -> None:
    # 10,000 elements (range() stops at 1,024 in Terraform), each one read whole 10,000 times
    before = 'locals {\n  r = flatten([for i in range(100) : range(100)])\n}\n'
    value = 'length([for i in local.r : length(toset(local.r))])'
    assert check(repo, before, value) == (0, [f'{at(before)} {UNVERIFIED} {TOO_MUCH_BUILT} {ID}'])


def test_jsonencode_of_a_shared_grid(repo: Path) -> None:
    before = ('locals {\n  row  = flatten([for i in range(100) : range(100)])\n'
              '  grid = [for i in local.row : local.row]\n}\n')
    assert check(repo, before, 'jsonencode(local.grid)') == (0, [f'{at(before)} {UNVERIFIED} {TOO_MANY_ITEMS} {ID}'])


def test_a_regex_that_backtracks_in_python(repo: Path) -> None:
    # RE2, like Go, never backtracks: Terraform answers at once, and so does the hook
    value = 'replace("' + 'a' * 66 + '!", "/^(a+)+$/", "on")'
    rc, lines = check(repo, '', value)
    assert (rc, lines) == (1, [f'{at("")} azurerm_postgresql_configuration.x: log_disconnections is '
                               f'"{"a" * 66}!" (not an accepted value; Azure takes "on" or "off"), expected "on" '
                               f'(value from main.tf:4) {ID}'])


def test_a_regex_with_go_replacement_rules(repo: Path) -> None:
    # Go reads $1n as the group named "1n" (there is none): "off" -> "f", which is not "on"
    rc, lines = check(repo, '', 'replace("off", "/(o)f/", "$1n")')
    assert rc == 1
    assert lines == [f'{at("")} azurerm_postgresql_configuration.x: log_disconnections is "f" (not an accepted '
                     f'value; Azure takes "on" or "off"), expected "on" (value from main.tf:4) {ID}']


def test_ten_thousand_locals_blocks_are_indexed_once(repo: Path) -> None:
    # 390 KB of valid Terraform; each lookup searched every unparsed block (56 s here before)
    before = ''.join(f'locals {{\n  l{i} = "{i % 2}"\n}}\n' for i in range(10000))
    value = 'distinct([' + ', '.join(f'local.l{i}' for i in range(0, 10000, 7)) + '])[0]'
    rc, lines = check(repo, before, value)
    assert (rc, lines) == (1, [f'{at(before)} azurerm_postgresql_configuration.x: log_disconnections is "0" '
                               f'(not an accepted value; Azure takes "on" or "off"), expected "on" '
                               f'(value from main.tf:2, local.l0) {ID}'])
