"""``--fix`` changes only what it says: a literal anything else reads is never rewritten.

Through ``main()``: the literal ``"off"`` of ``local.off`` reaches
``log_disconnections`` through ``local.params``, and a ``pgaudit.log`` setting
reads ``local.off`` too. Rewriting it would silently turn ``pgaudit.log`` from
``"none"`` to ``"all"``: the file stays as it is, and the note says why and
what to change by hand.
"""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest

from check_postgresql_log_disconnections._main import main

ID = '[07f7134f-9f37-476e-8664-670c218e4702]'
ADDRESS = 'azurerm_postgresql_flexible_server_configuration.p["log_disconnections"]'
PARAMS = '''resource "azurerm_postgresql_flexible_server_configuration" "p" {
  for_each  = local.params
  name      = each.key
  server_id = "x"
  value     = each.value
}
'''
AUDIT = '''
resource "azurerm_postgresql_flexible_server_configuration" "audit" {
  name      = "pgaudit.log"
  server_id = "x"
  value     = local.off == "off" ? "none" : "all"
}
'''


def run(root: Path, *argv: str) -> tuple[int, list[str]]:
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(out):
            rc = main(list(argv))
    finally:
        os.chdir(cwd)
    return rc, out.getvalue().splitlines()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / '.git').mkdir()
    monkeypatch.delenv('PRE_COMMIT', raising=False)
    return tmp_path


@pytest.mark.parametrize('params', (
    'params = {\n    log_disconnections = local.off\n  }',
    'params = merge({ log_disconnections = local.off }, {})',
))
def test_a_local_another_setting_reads_is_not_rewritten(repo: Path, params: str) -> None:
    text = f'locals {{\n  off = "off"\n  {params}\n}}\n\n' + PARAMS + AUDIT
    (repo / 'main.tf').write_text(text)
    rc, lines = run(repo, '--fix', 'main.tf')
    at = f'main.tf:{text.count(chr(10), 0, text.index("each.value")) + 1}:15'
    assert (rc, lines) == (1, [
        f'{at}: {ADDRESS}: log_disconnections is "off", expected "on" (value from main.tf:2, local.params) {ID}',
        f'{at}: note: {ADDRESS}: not fixed: the literal at main.tf:2 is also read through local.off elsewhere; '
        'change it by hand (give this setting its own "on")',
    ])
    assert (repo / 'main.tf').read_text() == text


def test_the_same_local_read_only_on_the_way_is_rewritten(repo: Path) -> None:
    text = 'locals {\n  off = "off"\n  params = {\n    log_disconnections = local.off\n  }\n}\n\n' + PARAMS
    (repo / 'main.tf').write_text(text)
    assert run(repo, '--fix', 'main.tf') == (1, [
        'Fixing main.tf', f'main.tf:2:9: "off" -> "on" (local.params, for {ADDRESS})'])
    assert (repo / 'main.tf').read_text() == text.replace('"off"', '"on"')
