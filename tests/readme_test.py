"""The README's `make example` shows what it prints and how it exits."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which('make') is None, reason='make is not installed')
def test_make_example_prints_what_the_readme_shows() -> None:
    section = (ROOT / 'README.md').read_text().split('\n## Try it here\n', 1)[1].split('\n## ', 1)[0]
    (shown,) = re.findall(r'^```text\n(.*?)^```$', section, re.M | re.S)
    venv = sys.prefix  # this test's own venv stands in for .venv, already installed
    out = subprocess.run(['make', '-s', '-o', f'{venv}/bin/.runtime', 'example', f'VENV={venv}'],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.stdout == shown
    assert shown.endswith('exit code 1\n')
    assert out.returncode != 0 and 'Error 1' in out.stderr  # the hook's exit code, not hidden
    assert '|| true' not in (ROOT / 'Makefile').read_text()


FINDING = '''resource "azurerm_postgresql_configuration" "c" {
  name                = "log_disconnections"
  resource_group_name = "rg"
  server_name         = "s"
  value               = "off"
}
'''


def test_the_ci_recipe_uploads_findings_and_fails_on_a_usage_error(tmp_path: Path) -> None:
    yaml = pytest.importorskip('yaml')  # pre-commit's own dependency
    section = (ROOT / 'README.md').read_text().split('\n## CI\n', 1)[1].split('\n## ', 1)[0]
    (text,) = re.findall(r'^```yaml\n(.*?)^```$', section, re.M | re.S)
    assert '|| true' not in text
    workflow = yaml.safe_load(text)
    runs = [step.get('run', '') for step in workflow['jobs']['pre-commit']['steps']]
    assert any(r.startswith('pre-commit run --all-files') for r in runs)
    scanning = workflow['jobs']['code-scanning']
    assert scanning['permissions']['security-events'] == 'write'
    check, upload = scanning['steps'][-2:]
    assert upload['uses'] == 'github/codeql-action/upload-sarif@v4'
    assert upload['with']['sarif_file'] == 'pg.sarif'
    assert "hashFiles('pg.sarif') != ''" in upload['if'] and '!cancelled()' in upload['if']
    # the check step as the runner runs it (bash -e): exit 1 with a report to upload...
    if shutil.which('git') is None:
        pytest.skip('git is not installed')
    subprocess.run(['git', 'init', '-q', str(tmp_path)], check=True)
    (tmp_path / 'main.tf').write_text(FINDING)
    subprocess.run(['git', '-C', str(tmp_path), 'add', '.'], check=True)
    env = {'PATH': f'{Path(sys.executable).parent}:/usr/bin:/bin'}
    found = subprocess.run(['bash', '-e', '-c', check['run']], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert found.returncode == 1, found.stderr
    assert '"ruleId": "07f7134f-9f37-476e-8664-670c218e4702"' in (tmp_path / 'pg.sarif').read_text()
    # ...and a usage error (exit 2) leaves none, so nothing is uploaded and the job fails
    (tmp_path / 'pg.sarif').unlink()
    bad = subprocess.run(['bash', '-e', '-c', check['run'] + ' --unresolved=sometimes'], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and not (tmp_path / 'pg.sarif').exists()
